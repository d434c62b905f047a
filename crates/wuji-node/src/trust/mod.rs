//! Who may talk to a node and what they may do (DESIGN.md §5): TLS with client
//! certificates from the federation CA ([`tls`]), the identity of each
//! connection ([`Peer`]), the access rules per call ([`access`]), and the
//! count of everything refused ([`Refusals`]), shown by `wuji status`.

pub mod access;
pub mod tls;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
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

/// Refusals by rule since the node started.
#[derive(Debug, Clone, Default)]
pub struct Refusals(Arc<Mutex<BTreeMap<String, u64>>>);

impl Refusals {
    /// Counts one refusal under `rule`.
    pub fn count(&self, rule: &str) {
        if let Ok(mut m) = self.0.lock() {
            *m.entry(rule.to_string()).or_insert(0) += 1;
        }
    }

    /// The counts so far.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }
}
