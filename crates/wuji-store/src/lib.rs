//! Storage of a wuji node: a narrow, ordered key-value trait ([`Kv`]) with a sled
//! implementation for nodes and an in-memory one for tests and the simulator, and
//! the typed layout on top ([`layout`]): records, the change log, indexes, peer
//! checkpoints and node metadata in one keyspace, so one batch is atomic.

pub mod backup;
pub mod digests;
mod error;
pub mod layout;
mod mem;
mod sled_kv;

pub use digests::{DigestChanges, ScopeDigest, Subsets};
pub use error::Error;
pub use layout::{Layout, LogEntry, StoredRecord};
pub use mem::MemKv;
pub use sled_kv::SledKv;

/// A key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

/// An atomic group of writes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Keys to set, in order.
    pub puts: Vec<(Vec<u8>, Vec<u8>)>,
    /// Keys to remove (applied after the puts).
    pub deletes: Vec<Vec<u8>>,
}

impl Batch {
    /// Sets `key` to `value`.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.puts.push((key, value));
    }

    /// Removes `key`.
    pub fn delete(&mut self, key: Vec<u8>) {
        self.deletes.push(key);
    }

    /// True if the batch writes nothing.
    pub fn is_empty(&self) -> bool {
        self.puts.is_empty() && self.deletes.is_empty()
    }
}

/// An ordered key-value store: the only thing a node needs from its storage.
///
/// `apply` is atomic (all of a batch or none of it is visible, also after a
/// crash); `flush` makes everything applied so far durable. Nothing may be
/// acknowledged to anyone between `apply` and the end of `flush`.
pub trait Kv: Send + Sync + 'static {
    /// The value at `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error>;
    /// Applies a batch atomically.
    fn apply(&self, batch: Batch) -> Result<(), Error>;
    /// Makes every applied batch durable.
    fn flush(&self) -> Result<(), Error>;
    /// Up to `limit` entries whose key starts with `prefix` and is greater than
    /// `after` (if given), in key order.
    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Result<Vec<Entry>, Error>;
    /// The entry with the greatest key starting with `prefix`.
    fn last(&self, prefix: &[u8]) -> Result<Option<Entry>, Error>;
    /// Bytes used on disk (0 in memory).
    fn size_on_disk(&self) -> Result<u64, Error>;
    /// Whether `apply` and `flush` may wait on IO: then a node runs them on
    /// the blocking pool; a store that says no (in memory) is written inline,
    /// so a simulation needs no thread besides its own.
    fn blocks(&self) -> bool {
        true
    }
}
