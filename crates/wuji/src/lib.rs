//! The parts of the `wuji` command that other crates reach: roster files, so
//! the fuzzer runs exactly the code `wuji deputy import` runs.

mod biff;
mod cfb;
pub mod roster_file;
