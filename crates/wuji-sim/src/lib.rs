//! wuji-sim: many real wuji nodes (`wuji_node::start`) in one process, on
//! in-memory stores and links, one virtual clock and one seed, on the real
//! division tree. A run drives the offices' workload and the faults the seed
//! draws, then checks what must hold (equal digests for shared scopes, no
//! acknowledged write lost, nothing held beyond entitlement, summaries equal
//! recounts) and reports what it measured. The same seed gives the same run.

pub mod checks;
pub mod clock;
pub mod config;
mod driver;
pub mod faults;
pub mod report;
pub mod rng;
pub mod topology;
pub mod wire;
pub mod workload;

pub use config::SimConfig;
pub use driver::run;
pub use report::Progress;
pub use report::Report;

use wuji_division::Code;

/// Whether this build replays a seed: tokio draws from its own generator
/// (the order a `watch` channel's waiters wake, `select!`'s first branch),
/// seeded from the run's seed only under `--cfg tokio_unstable`
/// (`.cargo/config.toml`; a RUSTFLAGS variable replaces it).
pub const REPLAYS: bool = cfg!(tokio_unstable);

/// Why a run could not be made (a failed check is not an error: it is in
/// the report).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The region is not in the division tree.
    #[error("region {0} is not a congress in the division tree")]
    Region(Code),
    /// A node could not start or a store could not be read.
    #[error("node: {0}")]
    Node(#[from] wuji_node::Error),
    /// A store could not be read.
    #[error("store: {0}")]
    Store(#[from] wuji_store::Error),
    /// A setting is out of range.
    #[error("{0}")]
    Setting(String),
}
