//! The one error type of this crate: why bytes from the wire are not a valid record.

/// Why a message could not be turned into domain types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Not valid protobuf for the expected message.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// Which message.
        what: &'static str,
        /// The decoder's complaint.
        reason: String,
    },
    /// A field holds a value outside its domain.
    #[error("{field}: {reason}")]
    BadField {
        /// Which field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A required field is missing.
    #[error("{0} is missing")]
    Missing(&'static str),
    /// A payload written in a format this build does not know.
    #[error("section payload format {found} is newer than this build understands ({known})")]
    UnknownFormat {
        /// The format on the wire.
        found: u32,
        /// The newest this build reads.
        known: u32,
    },
}

impl Error {
    pub(crate) fn bad(field: &'static str, reason: impl ToString) -> Error {
        Error::BadField {
            field,
            reason: reason.to_string(),
        }
    }
}
