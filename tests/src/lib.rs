//! Shared helpers for the cross-crate tests: the project's division tables and
//! the real tree, and the fuzz targets.

pub mod fuzz;

use wuji_division::Tree;

/// One table of the project's own copy of the division tables
/// (`crates/wuji-division/data/`), as the crate embeds it.
pub fn division_table(name: &str) -> String {
    use wuji_division::tables::*;
    match name {
        "provinces.csv" => PROVINCES,
        "cities.csv" => CITIES,
        "areas.csv" => AREAS,
        "streets.csv" => STREETS,
        other => panic!("no division table {other}"),
    }
    .to_string()
}

/// The real division tree, built from the project's tables.
pub fn real_tree() -> Tree {
    Tree::embedded().expect("the project's division tables build a tree")
}
