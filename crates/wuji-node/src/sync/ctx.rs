//! What a link's driver needs from its node: the store, the committer, the
//! telemetry, the signing keys and the protocol settings; and the reads the
//! drivers share (digests for probes, certificates not yet sent).

use super::state::{LinkConf, LinkState};
use crate::Error;
use crate::commit::Committer;
use crate::telemetry::Telemetry;
use wuji_division::Code;
use wuji_proto::pb;
use wuji_store::Layout;

/// The outbound half of a link.
pub type Outbound = tokio::sync::mpsc::Sender<pb::SyncMessage>;

/// The node side of every link.
#[derive(Clone)]
pub struct LinkCtx {
    /// The protocol settings (this node, its parent, its children).
    pub conf: LinkConf,
    /// The store (log, records, checkpoints).
    pub layout: Layout,
    /// The writer.
    pub committer: Committer,
    /// Largest message.
    pub max_message: usize,
    /// Turns true when the node stops; every link then ends.
    pub stop: tokio::sync::watch::Receiver<bool>,
    /// Counters, gauges and spans.
    pub telemetry: Telemetry,
    /// Wall time, stated in the greeting (the peer sees the offset).
    pub clock: std::sync::Arc<dyn crate::clock::Clock>,
    /// Section signatures: keys, certificates (`None` in plaintext dev mode).
    pub signing: Option<super::verify::Signing>,
    /// The child links drill-down questions go down, and those waiting.
    pub drill: super::drill::Drill,
}

impl LinkCtx {
    /// This node.
    pub fn node(&self) -> Code {
        self.conf.node
    }

    /// A fresh protocol state for a link in `role`.
    pub fn state(&self, role: super::Role) -> LinkState {
        LinkState::new(self.conf.clone(), role)
    }

    /// This node's digests of `kinds` in `scope` (the region, or exactly at
    /// it): of what it holds there and is entitled to (a parent answering a
    /// probe), or (`for_parent`, on a child's probe) of what its parent is
    /// entitled to.
    pub fn digests(
        &self,
        scope: Code,
        kinds: &[u8],
        exact: bool,
        for_parent: bool,
    ) -> Result<Vec<(u8, Vec<u8>, u64)>, Error> {
        kinds
            .iter()
            .map(|&k| {
                let sd = match (exact, for_parent) {
                    (true, false) => self.layout.own_exact_digest(scope, k)?,
                    (false, false) => self.layout.own_digest_of_kind(scope, k)?,
                    (true, true) => self.layout.parent_exact_digest(scope, k)?,
                    (false, true) => self.layout.parent_digest_of_kind(scope, k)?,
                };
                Ok((k, sd.digest.0.to_vec(), sd.records))
            })
            .collect()
    }

    /// A probe of this node's digests of `kinds` in `scope` (what its parent
    /// should hold of it).
    pub fn probe(&self, scope: Code, kinds: &[u8], exact: bool) -> Result<pb::SyncMessage, Error> {
        Ok(LinkState::probe(
            scope,
            exact,
            self.digests(scope, kinds, exact, true)?,
        ))
    }

    /// The certificates of the owners of sections in `records` that the peer
    /// has not been sent on this link.
    pub fn certs_for(&self, peer: Code, records: &[pb::RecordState]) -> Vec<Vec<u8>> {
        let Some(signing) = &self.signing else {
            return Vec::new();
        };
        let owners = super::verify::owners(records);
        self.telemetry
            .on_link(peer, |e| signing.certs_for(&owners, &mut e.certs_sent))
    }
}
