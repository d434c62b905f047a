//! The node's telemetry: every counter and gauge it keeps (links and their
//! lag, refusals by rule, repairs, batches, API calls, group commits), in one
//! handle that the sync links, the TLS acceptor, the access layer, the
//! committer and the status call share. It is the one place the metrics
//! endpoint (`ops`) and `wuji status` read; spans per link and per call are
//! opened here too, so their fields are named once.

mod live;

pub use live::{CallLabels, CommitTimes, Live, MethodLabels};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use wuji_division::Code;

/// The state of one link, for `wuji status`.
#[derive(Debug, Clone, Default)]
pub struct LinkInfo {
    /// "parent" (the peer is this node's parent) or "child".
    pub role: &'static str,
    /// Whether the link is up.
    pub connected: bool,
    /// Highest log sequence of this node the peer acknowledged.
    pub acked: u64,
    /// Highest log sequence told to the peer on the current link (a batch
    /// ending there was sent).
    pub told: u64,
    /// Highest log sequence the shipper has gone through on the current link
    /// (entries after `told` held nothing for the peer).
    pub shipped: u64,
    /// Record states sent to the peer since this node started.
    pub sent: u64,
    /// When the last batch from the peer arrived.
    pub last_received: Option<Instant>,
    /// Digest checks this node started on the link (children only).
    pub checks: u64,
    /// Records this node resent to the peer because digests differed.
    pub repaired: u64,
    /// Batches from the peer applied (ordinary and repair).
    pub batches: u64,
    /// Record states from the peer applied.
    pub received: u64,
    /// Owners whose certificates were sent on the current link.
    pub certs_sent: BTreeSet<Code>,
    /// The peer's clock less this node's when its greeting arrived (ms;
    /// `None` if its greeting carried no time).
    pub clock_offset_ms: Option<i64>,
}

#[derive(Debug, Default)]
struct Counters {
    links: BTreeMap<Code, LinkInfo>,
    refusals: BTreeMap<String, u64>,
    commits: CommitTimes,
}

#[derive(Debug, Default)]
struct Shared {
    counters: Mutex<Counters>,
    live: Live,
}

/// Shared, cheap to clone; one per node.
#[derive(Debug, Clone, Default)]
pub struct Telemetry(Arc<Shared>);

impl Telemetry {
    fn lock(&self) -> MutexGuard<'_, Counters> {
        self.0.counters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The metrics counted as things happen (API calls, commits).
    pub fn live(&self) -> &Live {
        &self.0.live
    }

    /// A group commit of `writes` requests made log entries from `first` to
    /// `last` durable; applying and flushing them took `flush`.
    pub fn committed(&self, first: u64, last: u64, writes: usize, flush: std::time::Duration) {
        if last >= first {
            self.lock()
                .commits
                .committed(first, tokio::time::Instant::now());
        }
        self.0.live.commit(writes, flush);
    }

    /// How far behind `peer` is in time: the age of the first entry of this
    /// node's log up to `last` that it has not settled (see [`Telemetry::settled`]).
    pub fn lag_seconds(&self, peer: Code, last: u64) -> f64 {
        let settled = self.settled(peer);
        self.lock()
            .commits
            .age_after(settled, last, tokio::time::Instant::now())
            .as_secs_f64()
    }

    /// Counts one refusal under `rule`.
    pub fn refused(&self, rule: &str) {
        *self.lock().refusals.entry(rule.to_string()).or_insert(0) += 1;
    }

    /// Refusals by rule since the node started.
    pub fn refusals(&self) -> BTreeMap<String, u64> {
        self.lock().refusals.clone()
    }

    /// Every link, by peer.
    pub fn links(&self) -> BTreeMap<Code, LinkInfo> {
        self.lock().links.clone()
    }

    /// One link's state, if it was ever up.
    pub fn link(&self, peer: Code) -> Option<LinkInfo> {
        self.lock().links.get(&peer).cloned()
    }

    /// A link came up as `role` with the peer at `acked`; returns a guard that
    /// marks it down when dropped, however the link ends.
    pub fn link_up(&self, peer: Code, role: &'static str, acked: u64) -> LinkDown {
        let mut c = self.lock();
        let e = c.links.entry(peer).or_default();
        e.role = role;
        e.connected = true;
        e.acked = acked;
        e.told = acked;
        e.shipped = acked;
        e.certs_sent.clear();
        LinkDown {
            telemetry: self.clone(),
            peer,
        }
    }

    /// Changes one link's entry (created if missing).
    pub fn on_link<T>(&self, peer: Code, f: impl FnOnce(&mut LinkInfo) -> T) -> T {
        f(self.lock().links.entry(peer).or_default())
    }

    /// `n` record states were sent to `peer`.
    pub fn sent(&self, peer: Code, n: u64) {
        self.on_link(peer, |e| e.sent += n);
    }

    /// A batch of `n` record states from `peer` arrived.
    pub fn batch_received(&self, peer: Code, n: u64) {
        self.on_link(peer, |e| {
            e.last_received = Some(tokio::time::Instant::now().into_std());
            e.batches += 1;
            e.received += n;
        });
    }

    /// `peer` acknowledged this node's log up to `seq`.
    pub fn acked(&self, peer: Code, seq: u64) {
        self.on_link(peer, |e| e.acked = e.acked.max(seq));
    }

    /// The shipper to `peer` has gone through the log to `shipped`, and told
    /// the peer up to `told`.
    pub fn shipped(&self, peer: Code, shipped: u64, told: u64) {
        self.on_link(peer, |e| {
            e.shipped = shipped;
            e.told = told;
        });
    }

    /// How far `peer` has all of this node's log that is for it: everything
    /// the shipper went through once all it told is acknowledged, else what
    /// is acknowledged.
    pub fn settled(&self, peer: Code) -> u64 {
        self.link(peer)
            .map(|e| {
                if e.acked >= e.told {
                    e.acked.max(e.shipped)
                } else {
                    e.acked
                }
            })
            .unwrap_or(0)
    }

    /// A digest check was started on the link to `peer`.
    pub fn checked(&self, peer: Code) {
        self.on_link(peer, |e| e.checks += 1);
    }

    /// `n` records were resent to `peer` by a repair.
    pub fn repaired(&self, peer: Code, n: u64) {
        self.on_link(peer, |e| e.repaired += n);
    }

    /// The span of one link: every event of its engine carries the peer.
    pub fn link_span(&self, node: Code, role: &'static str) -> tracing::Span {
        tracing::info_span!("link", %node, role, peer = tracing::field::Empty)
    }

    /// The span of one API call.
    pub fn call_span(
        &self,
        node: Code,
        method: &str,
        peer: Option<std::net::SocketAddr>,
    ) -> tracing::Span {
        tracing::info_span!("call", %node, method, peer = ?peer)
    }
}

/// Marks a link down when dropped.
#[derive(Debug)]
pub struct LinkDown {
    telemetry: Telemetry,
    peer: Code,
}

impl Drop for LinkDown {
    fn drop(&mut self) {
        self.telemetry.on_link(self.peer, |e| e.connected = false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_up_while_its_guard_lives_and_counts_add_up() {
        let t = Telemetry::default();
        let peer = Code::parse("320114").unwrap();
        let down = t.link_up(peer, "child", 7);
        t.sent(peer, 3);
        t.sent(peer, 2);
        t.acked(peer, 5);
        t.batch_received(peer, 4);
        t.refused("peer-is-child");
        t.refused("peer-is-child");
        let l = t.link(peer).unwrap();
        assert!(l.connected);
        assert_eq!((l.sent, l.acked, l.batches, l.received), (5, 7, 1, 4));
        assert_eq!(t.refusals().get("peer-is-child"), Some(&2));
        assert_eq!(t.settled(peer), 7);
        drop(down);
        assert!(!t.link(peer).unwrap().connected);
    }
}
