//! The in-memory implementation, for pure tests and the large-scale simulator.

use crate::{Batch, Entry, Error, Kv};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Mutex, RwLock};

/// An ordered map behind a lock. There is no disk, but `flush` still marks
/// what a crash keeps: [`MemKv::crash`] undoes every batch applied since the
/// last flush, as a power cut would on a real store.
#[derive(Debug, Default)]
pub struct MemKv {
    map: RwLock<BTreeMap<Vec<u8>, Vec<u8>>>,
    /// The previous values of the keys changed since the last flush, in order.
    undo: Mutex<Vec<Undo>>,
}

/// A key and the value it had before a batch changed it (`None`: absent).
type Undo = (Vec<u8>, Option<Vec<u8>>);

impl MemKv {
    /// An empty store.
    pub fn new() -> MemKv {
        MemKv::default()
    }

    /// Loses everything applied since the last flush; returns how many key
    /// changes were undone.
    pub fn crash(&self) -> usize {
        let mut m = self.map.write().expect("lock");
        let mut undo = self.undo.lock().expect("lock");
        let n = undo.len();
        for (k, old) in undo.drain(..).rev() {
            match old {
                Some(v) => m.insert(k, v),
                None => m.remove(&k),
            };
        }
        n
    }

    /// A copy of what a crash would keep now (a backup).
    pub fn snapshot(&self) -> MemKv {
        let copy = MemKv::new();
        *copy.map.write().expect("lock") = self.map.read().expect("lock").clone();
        copy.crash_copy(&self.undo.lock().expect("lock"));
        copy
    }

    /// Undoes `undo` on this copy, so it holds only what was flushed.
    fn crash_copy(&self, undo: &[Undo]) {
        self.undo.lock().expect("lock").extend(undo.iter().cloned());
        self.crash();
    }

    /// Keys and bytes held (keys plus values).
    pub fn size(&self) -> (usize, usize) {
        let m = self.map.read().expect("lock");
        (m.len(), m.iter().map(|(k, v)| k.len() + v.len()).sum())
    }
}

impl Kv for MemKv {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.map.read().expect("lock").get(key).cloned())
    }

    fn apply(&self, batch: Batch) -> Result<(), Error> {
        let mut m = self.map.write().expect("lock");
        let mut undo = self.undo.lock().expect("lock");
        for (k, v) in batch.puts {
            let old = m.insert(k.clone(), v);
            undo.push((k, old));
        }
        for k in batch.deletes {
            let old = m.remove(&k);
            undo.push((k, old));
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), Error> {
        self.undo.lock().expect("lock").clear();
        Ok(())
    }

    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Result<Vec<Entry>, Error> {
        let m = self.map.read().expect("lock");
        let start = match after {
            Some(a) if a >= prefix => Bound::Excluded(a.to_vec()),
            _ => Bound::Included(prefix.to_vec()),
        };
        Ok(m.range((start, Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn last(&self, prefix: &[u8]) -> Result<Option<Entry>, Error> {
        let m = self.map.read().expect("lock");
        // Seek from the end of the prefix's range instead of walking it.
        let end = match prefix_end(prefix) {
            Some(e) => Bound::Excluded(e),
            None => Bound::Unbounded,
        };
        Ok(m.range((Bound::Included(prefix.to_vec()), end))
            .next_back()
            .map(|(k, v)| (k.clone(), v.clone())))
    }

    fn size_on_disk(&self) -> Result<u64, Error> {
        Ok(0)
    }

    fn blocks(&self) -> bool {
        false
    }
}

/// The smallest key greater than every key starting with `prefix` (`None` if
/// there is none, i.e. the prefix is empty or all 0xFF).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}
