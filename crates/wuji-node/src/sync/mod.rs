//! Sync between a child and its parent (DESIGN.md §4). The child dials; one
//! bidirectional stream carries changes both ways. The protocol is a state
//! machine without IO ([`state::LinkState`]) run by a thin driver
//! ([`engine`], [`check`]) over any pair of message channels, so the same code
//! serves tonic streams and in-memory links ([`connect`]).
//!
//! 1. The dialer sends `Hello` with its node, its parent and its checkpoint of
//!    the peer (the peer's highest log sequence it has durably applied); the
//!    listener checks the dialer (a node inside its region that names it as
//!    parent, with a protocol version both understand) and answers in kind.
//! 2. Each side ships its log from the other's checkpoint: the records of each
//!    slice of entries, deduplicated (a record changed many times crosses once),
//!    as their merged state filtered and stripped for the peer by the routing
//!    rules, leaving out entries that came from that very peer.
//! 3. The receiver applies a batch through the committer with authority checks
//!    and stores the sender's checkpoint in the same atomic, flushed write, then
//!    acknowledges. New local commits are pushed at once (a watch on the log).
//! 4. When the link is quiet the child sends its scope digests; kinds that
//!    differ are resent both ways as repair batches ([`check`]).
//! 5. A parent may ask down the link for what the node of a region below holds
//!    (drill-down, [`drill`]); each node on the way answers or relays.

mod batch;
mod check;
pub mod connect;
mod ctx;
mod decode;
pub mod drill;
mod engine;
mod retry;
mod service;
pub mod state;
pub mod verify;

pub use connect::{Carry, Connector, Inbound, MemNet, TcpConnector, Wire};
pub use ctx::{LinkCtx, Outbound};
pub(crate) use engine::durable_window;
pub use engine::run_link;
pub use retry::dial_parent;
pub use service::{SyncService, accept};
pub use state::{Greeting, LinkConf, LinkState, Role, kinds};
