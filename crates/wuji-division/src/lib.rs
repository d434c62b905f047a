//! Division codes (行政区划代码) and the shape of the five-level congress tree.
//!
//! Every congress node is named by its division code: `100000` for the national
//! congress, six-digit GB/T 2260 codes for provinces, cities and counties, and
//! nine-digit statistical codes for townships. The level follows from the shape
//! of the code, and the parent follows from the code together with the known
//! gaps of the real tree (municipalities have no city level, province-governed
//! county-level cities have no city above them, some cities have no counties).
//! This crate is pure: no IO, no clocks.

mod code;
mod error;
mod level;
mod tree;

pub use code::Code;
pub use error::Error;
pub use level::Level;
pub use tree::{Division, Tree};

/// The tree of the tables this crate embeds, built once per process: every
/// division's code, name, parent and level, for showing names instead of codes.
pub fn embedded() -> &'static Tree {
    static TREE: std::sync::OnceLock<Tree> = std::sync::OnceLock::new();
    TREE.get_or_init(|| Tree::embedded().expect("the embedded tables build a tree"))
}

/// The division tables the project keeps (`data/`, see its README and
/// LICENSE): 31 provinces, 342 cities, 2,978 counties, 41,352 townships.
/// Embedded only where used (the tests, [`Tree::embedded`]).
pub mod tables {
    /// provinces.csv: code (2 digits), name.
    pub const PROVINCES: &str = include_str!("../data/provinces.csv");
    /// cities.csv: code (4 digits), name, provinceCode.
    pub const CITIES: &str = include_str!("../data/cities.csv");
    /// areas.csv: code (6 digits, county level), name, cityCode, provinceCode.
    pub const AREAS: &str = include_str!("../data/areas.csv");
    /// streets.csv: code (9 digits, township level), name, areaCode, provinceCode, cityCode.
    pub const STREETS: &str = include_str!("../data/streets.csv");
}
