//! The one error type of the store.

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database refused or failed (disk full, corruption, IO).
    #[error("storage: {0}")]
    Db(String),
    /// The data directory is locked by another process.
    #[error("the data directory {dir} is in use by another wuji process ({reason})")]
    Locked {
        /// The directory.
        dir: String,
        /// What sled said.
        reason: String,
    },
    /// A stored value could not be decoded.
    #[error("stored value under {key} is unreadable: {reason}")]
    Corrupt {
        /// The key, as hex.
        key: String,
        /// What failed.
        reason: String,
    },
    /// A backup file could not be read or restored.
    #[error("backup: {0}")]
    Backup(String),
    /// The store was written by a newer wuji.
    #[error("the store has schema version {found}; this wuji reads up to {known}")]
    Schema {
        /// On disk.
        found: u32,
        /// Known to this build.
        known: u32,
    },
}

impl From<sled::Error> for Error {
    fn from(e: sled::Error) -> Self {
        Error::Db(e.to_string())
    }
}
