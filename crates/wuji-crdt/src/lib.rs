//! Merge rules of wuji: the hybrid logical clock and the CRDTs that sections are made of.
//!
//! Every type here implements [`Merge`], whose laws (commutative, associative,
//! idempotent) are proven by the property tests in `tests/laws.rs`. The crate is
//! pure: no IO, no clocks of its own (wall time is passed in).

mod history;
mod hlc;
mod lww;
mod max;
mod merge;
mod orset;
#[cfg(feature = "strategies")]
pub mod strategies;

pub use history::History;
pub use hlc::{Error, Hlc, HlcClock, Stamp, WriterId};
pub use lww::Lww;
pub use max::Max;
pub use merge::{Merge, MergeMap};
pub use orset::OrSet;
