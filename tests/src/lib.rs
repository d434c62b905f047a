//! Shared helpers for the cross-crate tests: where the shared data lives, and the real tree.

pub mod fuzz;

use std::path::PathBuf;
use wuji_division::Tree;

/// The `shared/` folder that sits beside the repository (override with `WUJI_SHARED`).
pub fn shared_dir() -> PathBuf {
    if let Ok(p) = std::env::var("WUJI_SHARED") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

/// Reads one table of `shared/data/divisions/`, failing loudly if it is missing.
pub fn division_table(name: &str) -> String {
    let path = shared_dir().join("data/divisions").join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e} (set WUJI_SHARED)", path.display()))
}

/// The real division tree, built from the four tables.
pub fn real_tree() -> Tree {
    Tree::from_tables(
        &division_table("provinces.csv"),
        &division_table("cities.csv"),
        &division_table("areas.csv"),
        &division_table("streets.csv"),
    )
    .expect("the shipped division tables build a tree")
}
