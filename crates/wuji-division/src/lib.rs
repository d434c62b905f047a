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
