//! The typed layout of a node's keyspace, one prefix byte per kind of entry:
//!
//! | prefix | key | value |
//! |---|---|---|
//! | `R` | record key (kind, home, uuid: 21 bytes) | `StoredRecord` |
//! | `L` | local sequence (u64, big-endian) | `LogEntry`: the records one batch changed |
//! | `I` | index number, index value, record key | empty |
//! | `C` | peer code (u32, big-endian) | highest sequence of the peer durably applied |
//! | `M` | name | bytes (identity, schema version, HLC) |
//! | `K` | node code (u32, big-endian), signing key | a certificate of it (DER) |
//! | `D` | scope code, kind | scope digest (see [`crate::digests`]) |
//!
//! Everything lives in one keyspace so that one [`Batch`] updates a record, its
//! indexes, the log and the metadata atomically.

use crate::{Batch, Error, Kv};
use prost::Message;
use std::sync::Arc;
use wuji_model::{Code, Record, RecordId};
use wuji_proto::{
    Digest, Signatures, pb, record_from_signed_state, record_id_from_pb, record_id_to_pb,
    record_to_signed_state,
};

/// Layout format of this build; a store with a greater one is refused.
pub const SCHEMA_VERSION: u32 = 1;
/// Format of stored record and log values written by this build.
pub const VALUE_FORMAT: u32 = 1;
/// Length of a record key.
pub const RECORD_KEY_LEN: usize = 21;

const RECORD: u8 = b'R';
const LOG: u8 = b'L';
const INDEX: u8 = b'I';
const CHECKPOINT: u8 = b'C';
const META: u8 = b'M';
const CERT: u8 = b'K';
const HELD: u8 = b'H';

/// A record as stored: its merged state and the sequence that last changed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// The merged record.
    pub record: Record,
    /// The local log sequence of its last change.
    pub seq: u64,
    /// The peer that last change came from (`None`: written here, or mixed).
    pub source: Option<Code>,
    /// Each section's signature by its owner (empty in plaintext dev mode).
    pub signatures: Signatures,
}

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Its local sequence.
    pub seq: u64,
    /// The records it changed.
    pub ids: Vec<RecordId>,
    /// The peer the changes came from, `None` if written here.
    pub source: Option<Code>,
    /// What an office waits for that the batch brought (arrivals), or the
    /// day's reminders.
    pub notices: Vec<pb::Notice>,
}

/// The typed view of a node's store.
#[derive(Clone)]
pub struct Layout {
    kv: Arc<dyn Kv>,
}

impl std::fmt::Debug for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Layout")
    }
}

pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The byte a record kind's keys start with: its number on the wire.
pub fn kind_byte(kind: wuji_model::RecordKind) -> u8 {
    wuji_proto::enums::kind_to(kind) as u8
}

/// The 21-byte key of a record: kind, home code (big-endian), UUID.
pub fn record_key(id: &RecordId) -> [u8; RECORD_KEY_LEN] {
    let mut k = [0u8; RECORD_KEY_LEN];
    k[0] = kind_byte(id.kind);
    k[1..5].copy_from_slice(&id.home.value().to_be_bytes());
    k[5..].copy_from_slice(id.uuid.as_bytes());
    k
}

/// The record id back from its key.
pub fn record_id(key: &[u8]) -> Result<RecordId, Error> {
    let corrupt = |reason: String| Error::Corrupt {
        key: hex(key),
        reason,
    };
    if key.len() != RECORD_KEY_LEN {
        return Err(corrupt(format!("record key of {} bytes", key.len())));
    }
    let p = pb::RecordId {
        kind: i32::from(key[0]),
        home: u32::from_be_bytes([key[1], key[2], key[3], key[4]]),
        uuid: key[5..].to_vec(),
    };
    record_id_from_pb(&p).map_err(|e| corrupt(e.to_string()))
}

impl Layout {
    /// Wraps a store, checking (and on first use writing) the schema version.
    pub fn open(kv: Arc<dyn Kv>) -> Result<Layout, Error> {
        let layout = Layout { kv };
        match layout.meta(b"schema")? {
            Some(v) if v.len() == 4 => {
                let found = u32::from_be_bytes([v[0], v[1], v[2], v[3]]);
                if found > SCHEMA_VERSION {
                    return Err(Error::Schema {
                        found,
                        known: SCHEMA_VERSION,
                    });
                }
            }
            Some(v) => {
                return Err(Error::Corrupt {
                    key: "Mschema".into(),
                    reason: format!("{} bytes", v.len()),
                });
            }
            None => {
                let mut b = Batch::default();
                b.put(meta_key(b"schema"), SCHEMA_VERSION.to_be_bytes().to_vec());
                b.put(meta_key(b"incarnation"), new_incarnation());
                layout.kv.apply(b)?;
                layout.kv.flush()?;
            }
        }
        Ok(layout)
    }

    /// The underlying store.
    pub fn kv(&self) -> &Arc<dyn Kv> {
        &self.kv
    }

    /// The stored record with this id.
    pub fn record(&self, id: &RecordId) -> Result<Option<StoredRecord>, Error> {
        let key = prefixed(RECORD, &record_key(id));
        let Some(bytes) = self.kv.get(&key)? else {
            return Ok(None);
        };
        decode_record(&key, &bytes).map(Some)
    }

    /// The stored record with this id, and its state as stored: the signed
    /// envelopes a link sends as they are, without encoding them again.
    pub fn record_and_state(
        &self,
        id: &RecordId,
    ) -> Result<Option<(StoredRecord, pb::RecordState)>, Error> {
        let key = prefixed(RECORD, &record_key(id));
        let Some(bytes) = self.kv.get(&key)? else {
            return Ok(None);
        };
        decode_stored(&key, &bytes).map(Some)
    }

    /// The log sequence of the last change of the record with this id, read
    /// without decoding the record (its state is skipped over).
    pub fn record_seq(&self, id: &RecordId) -> Result<Option<u64>, Error> {
        /// A `StoredRecord` with every field but the sequence left unread.
        #[derive(Clone, PartialEq, prost::Message)]
        struct SeqOnly {
            #[prost(uint64, tag = "3")]
            seq: u64,
        }
        let key = prefixed(RECORD, &record_key(id));
        let Some(bytes) = self.kv.get(&key)? else {
            return Ok(None);
        };
        SeqOnly::decode(bytes.as_slice())
            .map(|s| Some(s.seq))
            .map_err(|e| Error::Corrupt {
                key: hex(&key),
                reason: e.to_string(),
            })
    }

    /// Writes a record's merged state with its sections' signatures, changed
    /// at `seq` by a change from `source`; returns the record's public digest
    /// (made from the same encoding, for the scope digests).
    pub fn put_record(
        &self,
        batch: &mut Batch,
        record: &Record,
        signatures: &Signatures,
        seq: u64,
        source: Option<Code>,
    ) -> Digest {
        let (state, digest) = wuji_proto::signed_state_with_digest(record, signatures);
        let v = stored_state(state, seq, source);
        batch.put(prefixed(RECORD, &record_key(&record.id)), v);
        digest
    }

    /// Holds back a peer's state of a record stamped ahead of this node's
    /// clock until `due_ms` (wall time), with its signatures and the peer.
    pub fn put_held(
        &self,
        batch: &mut Batch,
        record: &Record,
        signatures: &Signatures,
        due_ms: u64,
        source: Option<Code>,
    ) {
        let v = stored_value(record, signatures, due_ms, source);
        batch.put(prefixed(HELD, &record_key(&record.id)), v);
    }

    /// Forgets a held-back state.
    pub fn delete_held(&self, batch: &mut Batch, id: &RecordId) {
        batch.delete(prefixed(HELD, &record_key(id)));
    }

    /// Every held-back state; `seq` is the wall time (ms) it is due.
    pub fn held(&self) -> Result<Vec<StoredRecord>, Error> {
        let mut out = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = self.kv.scan(&[HELD], after.as_deref(), 256)?;
            let done = page.len() < 256;
            for (k, v) in page {
                out.push(decode_record(&k, &v)?);
                after = Some(k);
            }
            if done {
                return Ok(out);
            }
        }
    }

    /// Records whose key starts with `prefix` (a kind byte, then home bytes),
    /// after the record key `after`, up to `limit`.
    pub fn records(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, Error> {
        let after = after.map(|a| prefixed(RECORD, a));
        self.kv
            .scan(&prefixed(RECORD, prefix), after.as_deref(), limit)?
            .into_iter()
            .map(|(k, v)| decode_record(&k, &v))
            .collect()
    }

    /// Appends the log entry at `seq`: the records one batch changed, the
    /// peer they came from (`None` for local writes), and the notices for
    /// the change feed.
    pub fn put_log(
        &self,
        batch: &mut Batch,
        seq: u64,
        ids: &[RecordId],
        source: Option<Code>,
        notices: Vec<pb::Notice>,
    ) {
        let v = pb::LogEntry {
            format: VALUE_FORMAT,
            records: ids.iter().map(|i| record_id_to_pb(*i)).collect(),
            source: source.map(|c| c.value()).unwrap_or(0),
            notices,
        };
        batch.put(prefixed(LOG, &seq.to_be_bytes()), v.encode_to_vec());
    }

    /// Log entries after `seq`, up to `limit`, in order.
    pub fn log_after(&self, seq: u64, limit: usize) -> Result<Vec<LogEntry>, Error> {
        let after = prefixed(LOG, &seq.to_be_bytes());
        let mut out = Vec::new();
        for (k, v) in self.kv.scan(&[LOG], Some(&after), limit)? {
            let s = u64::from_be_bytes(k[1..9].try_into().map_err(|_| Error::Corrupt {
                key: hex(&k),
                reason: "log key".into(),
            })?);
            let e = pb::LogEntry::decode(v.as_slice()).map_err(|e| Error::Corrupt {
                key: hex(&k),
                reason: e.to_string(),
            })?;
            let ids = e
                .records
                .iter()
                .map(|r| {
                    record_id_from_pb(r).map_err(|e| Error::Corrupt {
                        key: hex(&k),
                        reason: e.to_string(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            out.push(LogEntry {
                seq: s,
                ids,
                source: Code::from_value(e.source).ok(),
                notices: e.notices,
            });
        }
        Ok(out)
    }

    /// The highest log sequence written (0 if none).
    pub fn last_seq(&self) -> Result<u64, Error> {
        Ok(self
            .kv
            .last(&[LOG])?
            .and_then(|(k, _)| {
                k.get(1..9)
                    .map(|b| u64::from_be_bytes(b.try_into().unwrap_or([0; 8])))
            })
            .unwrap_or(0))
    }

    /// Adds an index entry: `value` for the record `id` in index `index`.
    pub fn put_index(&self, batch: &mut Batch, entry: &[u8]) {
        batch.put(entry.to_vec(), Vec::new());
    }

    /// Removes an index entry.
    pub fn delete_index(&self, batch: &mut Batch, entry: &[u8]) {
        batch.delete(entry.to_vec());
    }

    /// Index entries starting with `prefix` (from [`index_entry`] without the
    /// record key, or shorter), after the entry `after`, up to `limit`: each
    /// entry key with its record id.
    pub fn scan_index(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, RecordId)>, Error> {
        self.kv
            .scan(prefix, after, limit)?
            .into_iter()
            .map(|(k, _)| {
                let id = record_id(&k[k.len().saturating_sub(RECORD_KEY_LEN)..])?;
                Ok((k, id))
            })
            .collect()
    }

    /// A peer's checkpoint: the highest of its sequences durably applied here,
    /// and the peer's store incarnation those sequences count in.
    pub fn checkpoint(&self, peer: Code) -> Result<(u64, Vec<u8>), Error> {
        let v = self
            .kv
            .get(&prefixed(CHECKPOINT, &peer.value().to_be_bytes()))?;
        Ok(match v {
            Some(b) if b.len() >= 8 => (
                u64::from_be_bytes(b[..8].try_into().unwrap_or([0; 8])),
                b[8..].to_vec(),
            ),
            _ => (0, Vec::new()),
        })
    }

    /// Sets a peer's checkpoint in its incarnation.
    pub fn put_checkpoint(&self, batch: &mut Batch, peer: Code, seq: u64, incarnation: &[u8]) {
        let mut v = seq.to_be_bytes().to_vec();
        v.extend_from_slice(incarnation);
        batch.put(prefixed(CHECKPOINT, &peer.value().to_be_bytes()), v);
    }

    /// This store's incarnation: made once, when the store is created.
    pub fn incarnation(&self) -> Result<Vec<u8>, Error> {
        Ok(self.meta(b"incarnation")?.unwrap_or_default())
    }

    /// A metadata value.
    pub fn meta(&self, name: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        self.kv.get(&meta_key(name))
    }

    /// Keeps a certificate (DER) of node `code`, the source of a signing key
    /// (`key`: an id of that key; a node may have had several).
    pub fn put_node_cert(&self, code: Code, key: &[u8], der: &[u8]) -> Result<(), Error> {
        let mut k = code.value().to_be_bytes().to_vec();
        k.extend_from_slice(key);
        let mut b = Batch::default();
        b.put(prefixed(CERT, &k), der.to_vec());
        self.kv.apply(b)
    }

    /// Every node certificate kept, by code.
    pub fn node_certs(&self) -> Result<Vec<(Code, Vec<u8>)>, Error> {
        let mut out = Vec::new();
        for (k, v) in self.kv.scan(&[CERT], None, usize::MAX)? {
            let code = k
                .get(1..5)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_be_bytes)
                .and_then(|c| Code::from_value(c).ok());
            if let Some(code) = code {
                out.push((code, v));
            }
        }
        Ok(out)
    }

    /// Sets a metadata value.
    pub fn put_meta(&self, batch: &mut Batch, name: &[u8], value: Vec<u8>) {
        batch.put(meta_key(name), value);
    }
}

/// An index entry key: `I`, the index number, its value bytes, the record key.
pub fn index_entry(index: u8, value: &[u8], id: &RecordId) -> Vec<u8> {
    let mut k = Vec::with_capacity(2 + value.len() + RECORD_KEY_LEN);
    k.push(INDEX);
    k.push(index);
    k.extend_from_slice(value);
    k.extend_from_slice(&record_key(id));
    k
}

/// The prefix of all entries of `index` whose value starts with `value`.
pub fn index_prefix(index: u8, value: &[u8]) -> Vec<u8> {
    let mut k = vec![INDEX, index];
    k.extend_from_slice(value);
    k
}

/// 16 bytes unlikely to repeat: the creation time in nanoseconds and the process id.
pub(crate) fn new_incarnation() -> Vec<u8> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut v = (nanos as u64).to_be_bytes().to_vec();
    v.extend_from_slice(&u64::from(std::process::id()).to_be_bytes());
    v
}

pub(crate) fn meta_key(name: &[u8]) -> Vec<u8> {
    prefixed(META, name)
}

pub(crate) fn prefixed(p: u8, rest: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + rest.len());
    k.push(p);
    k.extend_from_slice(rest);
    k
}

/// The stored form of a record (under `R`, and held back under `H`).
fn stored_value(
    record: &Record,
    signatures: &Signatures,
    seq: u64,
    source: Option<Code>,
) -> Vec<u8> {
    stored_state(record_to_signed_state(record, signatures), seq, source)
}

fn stored_state(state: pb::RecordState, seq: u64, source: Option<Code>) -> Vec<u8> {
    pb::StoredRecord {
        format: VALUE_FORMAT,
        state: Some(state),
        seq,
        source: source.map(|c| c.value()).unwrap_or(0),
    }
    .encode_to_vec()
}

fn decode_record(key: &[u8], bytes: &[u8]) -> Result<StoredRecord, Error> {
    decode_stored(key, bytes).map(|(s, _)| s)
}

fn decode_stored(key: &[u8], bytes: &[u8]) -> Result<(StoredRecord, pb::RecordState), Error> {
    let corrupt = |reason: String| Error::Corrupt {
        key: hex(key),
        reason,
    };
    let v = pb::StoredRecord::decode(bytes).map_err(|e| corrupt(e.to_string()))?;
    if v.format > VALUE_FORMAT {
        return Err(corrupt(format!(
            "value format {} is newer than this build",
            v.format
        )));
    }
    let state = v.state.ok_or_else(|| corrupt("no state".into()))?;
    let (record, signatures) =
        record_from_signed_state(&state).map_err(|e| corrupt(e.to_string()))?;
    Ok((
        StoredRecord {
            record,
            seq: v.seq,
            source: Code::from_value(v.source).ok(),
            signatures,
        },
        state,
    ))
}
