//! The one error type of the node, and its mapping to gRPC status.

use wuji_model::RecordId;

/// Why a node operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The model refused the action (the rule is in the message).
    #[error(transparent)]
    Model(#[from] wuji_model::Error),
    /// A request field could not be read.
    #[error("{message}")]
    Invalid {
        /// The rule broken (`division-code`, `date`, `enum-value`, ...).
        rule: &'static str,
        /// What is wrong, for the operator.
        message: String,
    },
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
    /// An invalid-argument error of no more particular rule.
    pub fn invalid(msg: impl std::fmt::Display) -> Error {
        Error::bad("invalid-request", msg)
    }

    /// An invalid-argument error breaking `rule`.
    pub fn bad(rule: &'static str, msg: impl std::fmt::Display) -> Error {
        Error::Invalid {
            rule,
            message: msg.to_string(),
        }
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
        use tonic::Code;
        let (code, rule) = match &e {
            Error::Model(m) => return wuji_proto::to_status(m),
            Error::Invalid { rule, .. } => (Code::InvalidArgument, *rule),
            Error::NotFound { .. } => (Code::NotFound, "not-found"),
            Error::ShuttingDown => (Code::Unavailable, "shutting-down"),
            Error::Store(_) | Error::Config(_) | Error::Serve(_) => (Code::Internal, "internal"),
        };
        let zh = wuji_proto::rule_zh(rule)
            .map(|lead| format!("{lead}：{e}"))
            .unwrap_or_default();
        wuji_proto::refusal_zh(code, rule, e.to_string(), zh)
    }
}
