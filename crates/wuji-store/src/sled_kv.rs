//! The sled implementation: one tree, one `sled::Batch` per apply (atomic).

use crate::{Batch, Entry, Error, Kv};
use std::path::Path;

/// A sled database used as one ordered keyspace.
#[derive(Debug, Clone)]
pub struct SledKv {
    db: sled::Db,
}

impl SledKv {
    /// Opens (or creates) the database in `dir` with a page cache of `cache_bytes`.
    ///
    /// A directory still locked is retried for up to 3 s: after the last handle of
    /// a database is dropped, sled's background flusher holds the lock a moment
    /// longer. A lock held by another process is reported after that.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<SledKv, Error> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        loop {
            match Self::open_once(dir, cache_bytes) {
                Err(Error::Locked { .. }) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(25));
                }
                other => return other,
            }
        }
    }

    fn open_once(dir: &Path, cache_bytes: u64) -> Result<SledKv, Error> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            .mode(sled::Mode::HighThroughput)
            .open()
            .map_err(|e| match e {
                sled::Error::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock => {
                    Error::Locked {
                        dir: dir.display().to_string(),
                        reason: io.to_string(),
                    }
                }
                sled::Error::Io(io) if io.to_string().contains("lock") => Error::Locked {
                    dir: dir.display().to_string(),
                    reason: io.to_string(),
                },
                other => Error::from(other),
            })?;
        Ok(SledKv { db })
    }

    /// Flushes asynchronously (for callers on an async runtime).
    pub async fn flush_async(&self) -> Result<(), Error> {
        self.db.flush_async().await?;
        Ok(())
    }
}

impl Kv for SledKv {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.db.get(key)?.map(|v| v.to_vec()))
    }

    fn apply(&self, batch: Batch) -> Result<(), Error> {
        let mut b = sled::Batch::default();
        for (k, v) in batch.puts {
            b.insert(k, v);
        }
        for k in batch.deletes {
            b.remove(k);
        }
        self.db.apply_batch(b)?;
        Ok(())
    }

    fn flush(&self) -> Result<(), Error> {
        self.db.flush()?;
        Ok(())
    }

    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Result<Vec<Entry>, Error> {
        let mut out = Vec::new();
        // Start at the later of the prefix and the key just after `after`.
        let start = match after {
            Some(a) => {
                let mut next = a.to_vec();
                next.push(0);
                next.max(prefix.to_vec())
            }
            None => prefix.to_vec(),
        };
        for kv in self.db.range(start..) {
            let (k, v) = kv?;
            if !k.starts_with(prefix) || out.len() >= limit {
                break;
            }
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    fn last(&self, prefix: &[u8]) -> Result<Option<Entry>, Error> {
        Ok(self
            .db
            .scan_prefix(prefix)
            .next_back()
            .transpose()?
            .map(|(k, v)| (k.to_vec(), v.to_vec())))
    }

    fn size_on_disk(&self) -> Result<u64, Error> {
        Ok(self.db.size_on_disk()?)
    }
}
