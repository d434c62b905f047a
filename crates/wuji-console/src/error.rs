//! The console's one error type.

/// What can go wrong in the console.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The accounts file could not be read or written.
    #[error("{path}: {error}")]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The accounts file is not valid.
    #[error("{path}: {message}")]
    Accounts {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A request to change the accounts that cannot be done.
    #[error("{0}")]
    Refused(String),
    /// The listener failed.
    #[error("console listener: {0}")]
    Io(#[from] std::io::Error),
    /// A page could not be rendered.
    #[error("page: {0}")]
    Render(#[from] askama::Error),
}
