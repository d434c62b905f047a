//! The digest-check half of the link protocol: when a probe is due, the
//! parent's verdict on a probe, and the child's plan on a verdict.

use super::{LinkState, QUIET, kinds};
use crate::LinkError;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;
use wuji_division::{Code, Level};
use wuji_proto::pb::{self, sync_message::Msg};

/// The parent's answer to a probe and what it resends itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The verdict to send (its `subs` are filled by the driver from the store).
    pub message: pb::DigestVerdict,
    /// The region compared.
    pub scope: Code,
    /// Kinds to resend now, both ways.
    pub resend: Vec<u8>,
    /// Kinds to narrow to the regions below.
    pub narrow: Vec<u8>,
}

/// The child's plan on a verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    /// The region compared.
    pub scope: Code,
    /// Exactly at the region (not the region below it).
    pub exact: bool,
    /// Kinds to resend now.
    pub resend: Vec<u8>,
    /// Kinds to probe again region by region below `scope` (and exactly at it).
    pub narrow: Vec<u8>,
    /// The regions below that the parent named.
    pub subs: BTreeSet<Code>,
}

fn bytes(ks: &[i32]) -> Vec<u8> {
    ks.iter().filter_map(|k| u8::try_from(*k).ok()).collect()
}

impl LinkState {
    /// Whether the child should probe now: the link is quiet (everything sent
    /// acknowledged, nothing received for [`QUIET`]) and no check ran in the
    /// last `every` ([`super::CHECK_EVERY`] on a server).
    pub fn probe_due(
        every: std::time::Duration,
        now: Instant,
        acked: u64,
        last_seq: u64,
        last_received: Option<Instant>,
        last_check: Option<Instant>,
    ) -> bool {
        let checked_lately = last_check.is_some_and(|t| now.duration_since(t) < every);
        let quiet = last_received.is_none_or(|t| now.duration_since(t) >= QUIET);
        !checked_lately && quiet && acked >= last_seq
    }

    /// How long the prober sleeps before looking again: until the next
    /// check is due if one ran lately, else [`QUIET`] (so an idle link
    /// wakes once per check, not once a second).
    pub fn probe_wait(
        every: std::time::Duration,
        now: Instant,
        last_check: Option<Instant>,
    ) -> std::time::Duration {
        match last_check.map(|t| now.duration_since(t)) {
            Some(e) if e < every => (every - e).max(QUIET),
            _ => QUIET,
        }
    }

    /// A probe of `scope` with this node's digests (kind, digest, records).
    pub fn probe(scope: Code, exact: bool, digests: Vec<(u8, Vec<u8>, u64)>) -> pb::SyncMessage {
        pb::SyncMessage {
            msg: Some(Msg::Probe(pb::DigestProbe {
                scope: scope.value(),
                kinds: digests
                    .into_iter()
                    .map(|(k, digest, records)| pb::KindDigest {
                        kind: i32::from(k),
                        digest,
                        records,
                    })
                    .collect(),
                exact,
            })),
        }
    }

    /// The region and kinds a child's probe asks about; an error if the region
    /// is not the child's own.
    pub fn probe_scope(&self, p: &pb::DigestProbe) -> Result<(Code, Vec<u8>), LinkError> {
        let scope = Code::from_value(p.scope).map_err(|e| LinkError::Scope {
            what: "digest probe",
            message: format!(": {e}"),
        })?;
        let peer = self.peer().ok_or(LinkError::Unexpected)?;
        if !peer.contains(scope) {
            return Err(LinkError::Scope {
                what: "digest probe",
                message: format!("for {scope} from {peer}: a child checks only its own region"),
            });
        }
        let ks = p
            .kinds
            .iter()
            .filter_map(|d| u8::try_from(d.kind).ok())
            .filter(|k| kinds().contains(k))
            .collect();
        Ok((scope, ks))
    }

    /// The parent's verdict on a probe, given its own digests of the kinds
    /// asked (`mine`: kind → digest, records): kinds that differ are resent,
    /// or narrowed first when the region holds more than `narrow_above`
    /// records (never at a township, nor exactly at a region).
    pub fn verdict(
        &self,
        p: &pb::DigestProbe,
        mine: &BTreeMap<u8, (Vec<u8>, u64)>,
    ) -> Result<Verdict, LinkError> {
        let (scope, _) = self.probe_scope(p)?;
        let mut v = Verdict {
            message: pb::DigestVerdict {
                scope: p.scope,
                exact: p.exact,
                ..Default::default()
            },
            scope,
            resend: Vec::new(),
            narrow: Vec::new(),
        };
        for d in &p.kinds {
            let Some(k) = u8::try_from(d.kind).ok().filter(|k| kinds().contains(k)) else {
                continue;
            };
            let (digest, records) = mine.get(&k).cloned().unwrap_or_default();
            if d.digest == digest && d.records == records {
                continue;
            }
            let big = d.records.max(records) > self.conf.narrow_above;
            if big && !p.exact && scope.level() != Level::Township {
                v.narrow.push(k);
                v.message.narrow.push(d.kind);
            } else {
                v.resend.push(k);
                v.message.differ.push(d.kind);
            }
        }
        Ok(v)
    }

    /// The child's plan on a verdict: resend what differs, and probe each
    /// region below a difference too large to resend whole.
    pub fn on_verdict(&self, v: &pb::DigestVerdict) -> Result<Repair, LinkError> {
        let scope = Code::from_value(v.scope).map_err(|e| LinkError::Scope {
            what: "digest verdict",
            message: format!(": {e}"),
        })?;
        Ok(Repair {
            scope,
            exact: v.exact,
            resend: bytes(&v.differ),
            narrow: bytes(&v.narrow),
            subs: v
                .subs
                .iter()
                .filter_map(|c| Code::from_value(*c).ok())
                .filter(|c| c.parent() == Some(scope))
                .collect(),
        })
    }
}
