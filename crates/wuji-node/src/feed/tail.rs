//! What the watchers of a node share: the entries of its log's tail and the
//! records they name, each read from the store, decoded, made into a reply
//! and encoded as an event once for all watchers. Without it a thousand
//! watchers of a node writing a thousand changes a second would each read,
//! decode, derive and encode every one.
//!
//! A record is sent at the entry that last changed it. Whether a record has
//! changed again after an entry is known without the store when the tail has
//! itself read a later entry naming it (`last_seen`); the first watcher to
//! come to an entry asks the store (the record's sequence alone, not
//! decoded), and the event it makes is kept for the others. So a watcher far
//! behind every other may, for a record changed again in an entry no watcher
//! has read yet, receive the state it had (and then the later one): each
//! change comes in order, none is missed.

use crate::{Error, Node};
use bytes::Bytes;
use prost::Message;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
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
    /// The change event, encoded (the same for every watcher).
    pub event: Bytes,
    /// A suggestion's derived status, for the filters.
    pub status: Option<view::Status>,
    /// A suggestion's handler, or the home.
    pub handler: Code,
}

/// The shared tail.
#[derive(Default)]
pub struct Tail {
    inner: Mutex<Inner>,
    incarnation: OnceLock<Vec<u8>>,
}

#[derive(Default)]
struct Inner {
    entries: BTreeMap<u64, Arc<LogEntry>>,
    /// The last entry read here that names each record.
    last_seen: HashMap<RecordId, u64>,
    records: HashMap<(RecordId, u64), Arc<Held>>,
    order: VecDeque<(RecordId, u64)>,
}

impl Tail {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The store the cursors of the events count in (it does not change while
    /// the node runs).
    pub fn know_store(&self, incarnation: &[u8]) {
        let _ = self.incarnation.set(incarnation.to_vec());
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
            for id in &e.ids {
                let seen = t.last_seen.entry(*id).or_insert(0);
                *seen = (*seen).max(e.seq);
            }
            t.entries.insert(e.seq, e.clone());
        }
        while t.entries.len() > ENTRIES {
            t.entries.pop_first();
        }
        if t.last_seen.len() > 4 * RECORDS {
            // Forget what is older than every entry kept.
            let oldest = t.entries.keys().next().copied().unwrap_or(0);
            t.last_seen.retain(|_, s| *s >= oldest);
        }
        Ok(read)
    }

    /// The record `id` as of entry `seq`, where it is item `item`: `None`
    /// if it changed again later (it is sent there) or is gone.
    pub fn record(
        &self,
        node: &Node,
        id: &RecordId,
        seq: u64,
        item: u32,
    ) -> Result<Option<Arc<Held>>, Error> {
        {
            let t = self.lock();
            if t.last_seen.get(id).is_some_and(|s| *s > seq) {
                return Ok(None);
            }
            if let Some(h) = t.records.get(&(*id, seq)) {
                return Ok(Some(h.clone()));
            }
        }
        if node.layout().record_seq(id)?.is_none_or(|s| s > seq) {
            return Ok(None);
        }
        let Some(s) = node.layout().record(id)? else {
            return Ok(None);
        };
        if s.seq > seq {
            return Ok(None);
        }
        let v = (id.kind == RecordKind::Suggestion).then(|| view::view(&s.record, node.rules()));
        let store = self.incarnation.get().cloned().unwrap_or_default();
        let event = pb::WatchEvent {
            cursor: super::cursor::encode(
                &store,
                super::cursor::Position {
                    seq,
                    item: Some(item),
                },
            ),
            seq,
            event: Some(pb::watch_event::Event::Change(crate::api::reply(
                node, &s.record, s.seq,
            ))),
            record: None,
        };
        let held = Arc::new(Held {
            event: event.encode_to_vec().into(),
            status: v.as_ref().map(|v| v.status),
            handler: v.map(|v| v.handler).unwrap_or(id.home),
            record: s.record,
        });
        let mut t = self.lock();
        if t.records.insert((*id, seq), held.clone()).is_none() {
            t.order.push_back((*id, seq));
        }
        while t.order.len() > RECORDS {
            if let Some(old) = t.order.pop_front() {
                t.records.remove(&old);
            }
        }
        Ok(Some(held))
    }
}
