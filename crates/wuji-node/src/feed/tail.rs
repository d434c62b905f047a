//! What the watchers of a node share: the entries of its log's tail and the
//! records they name, each read from the store, decoded and made into a reply
//! once for all watchers. Without it a thousand watchers of a node writing a
//! thousand changes a second would each read, decode and derive every one.
//! What is kept is fixed once made: an entry never changes, and a record's
//! state as of the entry that last changed it is that state. Whether it has
//! changed again since is asked of the store each time (its sequence alone,
//! read without decoding the record).

use crate::{Error, Node};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use wuji_model::suggestion::view;
use wuji_model::{Code, Record, RecordId, RecordKind};
use wuji_proto::pb;
use wuji_store::LogEntry;

/// Entries kept.
const ENTRIES: usize = 4_096;
/// Records kept.
const RECORDS: usize = 8_192;

/// A record as of a log entry, ready to send.
pub struct Held {
    /// The record.
    pub record: Record,
    /// What a watcher is sent.
    pub reply: pb::RecordReply,
    /// A suggestion's derived status and handler, for the filters.
    pub status: Option<view::Status>,
    /// The handler (a suggestion's), or the home.
    pub handler: Code,
}

/// The shared tail.
#[derive(Default)]
pub struct Tail {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: BTreeMap<u64, Arc<LogEntry>>,
    records: HashMap<(RecordId, u64), Option<Arc<Held>>>,
    order: VecDeque<(RecordId, u64)>,
}

impl Tail {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The entries after `from` up to `durable`, a window at a time.
    pub fn window(
        &self,
        node: &Node,
        from: u64,
        durable: u64,
    ) -> Result<Vec<Arc<LogEntry>>, Error> {
        if from >= durable {
            return Ok(Vec::new());
        }
        {
            let t = self.lock();
            let got: Vec<_> = t
                .entries
                .range(from + 1..=durable)
                .take(256)
                .map(|(_, e)| e.clone())
                .collect();
            // Whole from the first entry wanted (a log has no gaps).
            if got.first().is_some_and(|e| e.seq == from + 1) {
                return Ok(got);
            }
        }
        let read: Vec<Arc<LogEntry>> = crate::sync::durable_window(node.layout(), from, durable)?
            .into_iter()
            .map(Arc::new)
            .collect();
        let mut t = self.lock();
        for e in &read {
            t.entries.insert(e.seq, e.clone());
        }
        while t.entries.len() > ENTRIES {
            t.entries.pop_first();
        }
        Ok(read)
    }

    /// The record `id` as of entry `seq`: `None` if it changed again later
    /// (it is sent there) or is gone.
    pub fn record(&self, node: &Node, id: &RecordId, seq: u64) -> Result<Option<Arc<Held>>, Error> {
        if node.layout().record_seq(id)?.is_none_or(|s| s > seq) {
            return Ok(None);
        }
        if let Some(h) = self.lock().records.get(&(*id, seq)) {
            return Ok(h.clone());
        }
        let held = match node.layout().record(id)? {
            Some(s) if s.seq <= seq => {
                let v = (id.kind == RecordKind::Suggestion)
                    .then(|| view::view(&s.record, node.rules()));
                Some(Arc::new(Held {
                    reply: crate::api::reply(node, &s.record, s.seq),
                    status: v.as_ref().map(|v| v.status),
                    handler: v.map(|v| v.handler).unwrap_or(id.home),
                    record: s.record,
                }))
            }
            _ => None,
        };
        let mut t = self.lock();
        if t.records.insert((*id, seq), held.clone()).is_none() {
            t.order.push_back((*id, seq));
        }
        while t.order.len() > RECORDS {
            if let Some(old) = t.order.pop_front() {
                t.records.remove(&old);
            }
        }
        Ok(held)
    }
}
