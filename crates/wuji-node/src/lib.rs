//! A wuji node: one congress's server. It keeps its records in sled through
//! `wuji-store`, applies every write through the model's workflow and authority
//! rules in one committer task (group commit: many writes, one flush, then the
//! acknowledgements), and serves the client API over gRPC with health checks and
//! reflection. A node is built from parts ([`start`]: store, clock, identity,
//! connector, telemetry); the binary calls [`run`], which reads the files and
//! builds the real parts; tests call either.

pub mod api;
pub mod clock;
mod commit;
pub mod config;
mod error;
pub mod feed;
pub mod figures;
pub mod gateway;
mod index;
pub mod names;
pub mod node;
pub mod ops;
mod server;
pub mod sync;
pub mod telemetry;
#[cfg(feature = "test-util")]
pub mod test_util;
pub mod trust;
pub mod views;

pub use commit::{Committer, CommitterParts, Op, Prior};
pub use config::Config;
pub use error::{ConfigError, Error, LinkError};
pub use node::{Node, Parts, Running, Settings, start};
pub use server::{
    Sidecar, Stopping, load_calendar, load_identity, open_store, run, run_with, serve,
};
pub use telemetry::Telemetry;
