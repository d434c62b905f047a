//! The one error type of the node, and its mapping to gRPC status.

use wuji_model::RecordId;

/// Why a node operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The model refused the action (the rule is in the message).
    #[error(transparent)]
    Model(#[from] wuji_model::Error),
    /// A request field could not be read.
    #[error("{0}")]
    Invalid(String),
    /// No record with that id on this node.
    #[error("no {kind} with id {id} on this node")]
    NotFound {
        /// What was looked for.
        kind: &'static str,
        /// Its id, as `home:uuid`.
        id: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] wuji_store::Error),
    /// Configuration is wrong.
    #[error("{0}")]
    Config(String),
    /// The node is shutting down.
    #[error("the node is shutting down")]
    ShuttingDown,
    /// Serving failed.
    #[error("server: {0}")]
    Serve(String),
}

impl Error {
    /// An invalid-argument error.
    pub fn invalid(msg: impl std::fmt::Display) -> Error {
        Error::Invalid(msg.to_string())
    }

    /// A not-found error for a record.
    pub fn not_found(kind: &'static str, id: &RecordId) -> Error {
        Error::NotFound {
            kind,
            id: format!("{}:{}", id.home, id.uuid),
        }
    }
}

impl From<Error> for tonic::Status {
    fn from(e: Error) -> tonic::Status {
        match &e {
            Error::Model(m) => wuji_proto::to_status(m),
            Error::Invalid(_) => tonic::Status::invalid_argument(e.to_string()),
            Error::NotFound { .. } => tonic::Status::not_found(e.to_string()),
            Error::ShuttingDown => tonic::Status::unavailable(e.to_string()),
            Error::Store(_) | Error::Config(_) | Error::Serve(_) => {
                tonic::Status::internal(e.to_string())
            }
        }
    }
}
