//! Who may talk to a node and what they may do (DESIGN.md §5): TLS with client
//! certificates from the federation CA ([`tls`]), the identity of each
//! connection ([`Peer`]) and the access rules per call ([`access`]); what is
//! refused is counted in the node's [`crate::Telemetry`].

pub mod access;
pub mod tls;

use std::net::SocketAddr;
pub use wuji_pki::{ClientRole, Identity};

/// Who is at the other end of a connection: what tonic attaches to every
/// request of it (its `ConnectInfo`).
#[derive(Debug, Clone)]
pub struct Peer {
    /// The remote address.
    pub addr: Option<SocketAddr>,
    /// The identity in the client certificate; `None` on a plaintext (dev) connection.
    pub identity: Option<Identity>,
}
