//! Reading ahead for the committer: a sync link reads the stored version of
//! each record of a peer's batch (and, where the batch changes it, that
//! version's digest) while the batch before is committed; the committer takes
//! that read instead of its own when no batch since wrote the record. The read
//! and its decoding leave the one task that writes.

use crate::Error;
use std::collections::{HashSet, VecDeque};
use wuji_model::{Record, RecordId};
use wuji_proto::Digest;
use wuji_store::{Layout, StoredRecord};

/// A record's stored version as read off the committer's path.
#[derive(Debug, Clone)]
pub struct Prior {
    /// The durable log sequence ([`super::Committer::durable`]) observed
    /// before the read.
    as_of: u64,
    /// The stored version (`None`: not held).
    pub stored: Option<StoredRecord>,
    /// Its public digest, where computed.
    digest: Option<Digest>,
}

impl Prior {
    /// Reads the stored version of `id`; `as_of` is the committer's durable
    /// sequence read before this call.
    pub fn read(layout: &Layout, as_of: u64, id: &RecordId) -> Result<Prior, Error> {
        Ok(Prior {
            as_of,
            stored: layout.record(id)?,
            digest: None,
        })
    }

    /// Computes the stored version's digest if `incoming` would change it
    /// (the committer needs it for the scope digests only then).
    pub fn digest_for(mut self, incoming: &Record) -> Prior {
        if let Some(s) = &self.stored
            && incoming
                .sections()
                .any(|(k, sec)| s.record.get(*k) != Some(sec))
        {
            self.digest = Some(wuji_proto::public_digest(&s.record));
        }
        self
    }

    /// The stored version and its digest, taken apart.
    pub(super) fn into_parts(self) -> (Option<StoredRecord>, Option<Digest>) {
        (self.stored, self.digest)
    }
}

/// Recent batches, each from a sequence to a sequence, with the records it
/// wrote: whether a read made at some sequence is still current.
#[derive(Debug, Default)]
pub(super) struct Written {
    batches: VecDeque<(u64, u64, HashSet<RecordId>)>,
    /// Reads made before this sequence are not trusted (a batch failed to
    /// write: the store may hold what the log does not say).
    floor: u64,
}

/// How many recent batches are kept (a link reads ahead by one or two).
const KEPT: usize = 16;

impl Written {
    /// Notes a batch written from sequence `from` to `to`, changing `ids`.
    pub(super) fn note(&mut self, from: u64, to: u64, ids: impl Iterator<Item = RecordId>) {
        if to == from {
            return; // no record changed
        }
        if self.batches.len() == KEPT {
            self.batches.pop_front();
        }
        self.batches.push_back((from, to, ids.collect()));
    }

    /// Notes a batch that failed after the committer's sequence `seq`: no read
    /// made before the next batch is trusted.
    pub(super) fn failed(&mut self, seq: u64) {
        self.floor = seq + 1;
        self.batches.clear();
    }

    /// True if `prior`, read for `id`, is what the store holds now, at the
    /// committer's sequence `seq`: no batch written since the read changed `id`.
    pub(super) fn current(&self, prior: &Prior, id: &RecordId, seq: u64) -> bool {
        if prior.as_of < self.floor {
            return false;
        }
        if prior.as_of == seq {
            return true;
        }
        match self.batches.front() {
            Some((from, ..)) if *from <= prior.as_of => self
                .batches
                .iter()
                .filter(|(_, to, _)| *to > prior.as_of)
                .all(|(_, _, ids)| !ids.contains(id)),
            _ => false, // older than what is kept
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wuji_model::{RecordKind, Uuid};

    fn id(n: u128) -> RecordId {
        RecordId {
            kind: RecordKind::Suggestion,
            home: wuji_division::Code::parse("320114").unwrap(),
            uuid: Uuid::from_u128(n),
        }
    }

    fn prior(as_of: u64) -> Prior {
        Prior {
            as_of,
            stored: None,
            digest: None,
        }
    }

    #[test]
    fn a_read_is_current_until_a_batch_writes_its_record() {
        let mut w = Written::default();
        assert!(w.current(&prior(5), &id(1), 5), "nothing written since");
        assert!(!w.current(&prior(4), &id(1), 5), "a batch unknown here");
        w.note(5, 7, [id(1), id(2)].into_iter());
        w.note(7, 7, [id(3)].into_iter()); // changed nothing: not kept
        w.note(7, 8, [id(3)].into_iter());
        assert!(!w.current(&prior(5), &id(1), 8), "written at 6..7");
        assert!(w.current(&prior(5), &id(4), 8), "never written");
        assert!(!w.current(&prior(5), &id(3), 8), "written at 8");
        assert!(w.current(&prior(7), &id(1), 8), "read after it was written");
        assert!(
            !w.current(&prior(4), &id(4), 8),
            "older than the oldest kept"
        );
    }

    #[test]
    fn only_the_last_batches_are_kept() {
        let mut w = Written::default();
        for s in 0..(KEPT as u64 + 3) {
            w.note(s, s + 1, [id(u128::from(s))].into_iter());
        }
        assert!(!w.current(&prior(0), &id(999), KEPT as u64 + 3));
        assert!(w.current(&prior(3), &id(999), KEPT as u64 + 3));
        assert!(!w.current(&prior(3), &id(10), KEPT as u64 + 3));
    }

    #[test]
    fn after_a_failed_batch_no_earlier_read_is_trusted() {
        let mut w = Written::default();
        w.note(1, 2, [id(1)].into_iter());
        w.failed(2);
        assert!(!w.current(&prior(2), &id(9), 2), "the store may hold more");
        w.note(2, 3, [id(1)].into_iter());
        assert!(w.current(&prior(3), &id(9), 3));
        assert!(!w.current(&prior(2), &id(9), 3));
    }
}
