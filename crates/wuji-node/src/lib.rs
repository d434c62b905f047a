//! A wuji node: one congress's server. It keeps its records in sled through
//! `wuji-store`, applies every write through the model's workflow and authority
//! rules in one committer task (group commit: many writes, one flush, then the
//! acknowledgements), and serves the client API over gRPC with health checks and
//! reflection. The binary calls [`run`]; tests call it on port 0.

pub mod api;
mod commit;
pub mod config;
mod error;
mod index;
mod server;
pub mod sync;
pub mod trust;
pub mod views;

pub use commit::{Committer, Op};
pub use config::Config;
pub use error::Error;
pub use server::{Node, run};
