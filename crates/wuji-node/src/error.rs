//! The node's errors: one `Error` with a typed variant per kind of failure
//! (configuration, link, store, model, ...) and its mapping to gRPC status.

use std::path::PathBuf;
use wuji_division::Code;
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
    /// The configuration, or a file it names, is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A sync link failed or was refused.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The node is shutting down.
    #[error("the node is shutting down")]
    ShuttingDown,
    /// A background task of the node panicked or was cancelled.
    #[error("a node task failed: {0}")]
    Task(tokio::task::JoinError),
    /// The gRPC server failed.
    #[error("server: {0}")]
    Transport(tonic::transport::Error),
    /// The reflection service could not be built.
    #[error("server: reflection: {0}")]
    Reflection(tonic_reflection::server::Error),
    /// The listener failed.
    #[error("server: {0}")]
    Io(std::io::Error),
    /// A write was acknowledged without the record it wrote (a bug).
    #[error("the committer returned no record")]
    NoRecord,
}

/// What is wrong with a node's configuration or the files it names.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read.
    #[error("cannot read {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why (in the message, not a source: it would be printed twice).
        error: std::io::Error,
    },
    /// The data directory could not be created.
    #[error("cannot create {}: {error}", path.display())]
    Create {
        /// The directory.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A config file (with the environment variables applied) is not valid.
    #[error("{origin}: {message}")]
    Parse {
        /// The file, and the variables applied to it.
        origin: String,
        /// What the parser said.
        message: String,
    },
    /// A value breaks a rule the types alone do not express.
    #[error("{message}")]
    Invalid {
        /// The key (`parent.code`, `sync.children`, `store.cache_mb`, ...).
        field: &'static str,
        /// What is wrong, for the operator.
        message: String,
    },
    /// A certificate, key or revocation list file is not usable.
    #[error("{}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The certificate is another node's.
    #[error("{} is the certificate of {other}, not of this node {node}", cert.display())]
    OtherNode {
        /// The certificate file.
        cert: PathBuf,
        /// Whose it is.
        other: Code,
        /// This node.
        node: Code,
    },
    /// The signing key does not belong to the certificate.
    #[error("{} is not the signing key of {}", key.display(), cert.display())]
    KeyMismatch {
        /// The signing key file.
        key: PathBuf,
        /// The certificate file.
        cert: PathBuf,
    },
    /// The data directory holds another node's store.
    #[error("{} holds the store of node {other}, not {node}: point data_dir elsewhere", dir.display())]
    OtherStore {
        /// The data directory.
        dir: PathBuf,
        /// The node whose store it is.
        other: String,
        /// This node.
        node: Code,
    },
    /// Plaintext is allowed on loopback addresses only.
    #[error(
        "{addr} is not a loopback address and no [tls] is configured: set [tls] (wuji ca issue, wuji init --tls-dir) or listen on 127.0.0.1 for development"
    )]
    PlaintextOffLoopback {
        /// The address listened on.
        addr: std::net::SocketAddr,
    },
    /// An address of the configuration could not be listened on.
    #[error("{what} = {addr}: cannot listen there: {error}")]
    Bind {
        /// The address.
        addr: String,
        /// Its key.
        what: &'static str,
        /// Why.
        error: std::io::Error,
    },
    /// rustls refused the TLS material.
    #[error("TLS: {0}")]
    Tls(rustls::Error),
    /// A certificate verifier could not be built.
    #[error("TLS {side} verifier: {message}")]
    Verifier {
        /// "client" or "server".
        side: &'static str,
        /// Why.
        message: String,
    },
}

impl ConfigError {
    /// A value of `field` breaking a rule.
    pub fn invalid(field: &'static str, message: impl std::fmt::Display) -> ConfigError {
        ConfigError::Invalid {
            field,
            message: message.to_string(),
        }
    }

    /// A file of the configuration that is not usable.
    pub fn file(path: &std::path::Path, message: impl std::fmt::Display) -> ConfigError {
        ConfigError::File {
            path: path.to_path_buf(),
            message: message.to_string(),
        }
    }
}

/// Why a sync link ended or was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The peer, or the channel to it, closed.
    #[error("the peer closed the link")]
    Closed,
    /// The peer sent nothing for the greeting's timeout.
    #[error("no greeting within 30 s")]
    NoGreeting,
    /// The peer closed before greeting.
    #[error("the peer closed before greeting")]
    ClosedBeforeGreeting,
    /// The first message was not a greeting.
    #[error("the first message was not a greeting")]
    NotGreeting,
    /// This node refused the peer (its rule and why).
    #[error("link refused [{rule}]: {message}")]
    Refused {
        /// The rule.
        rule: String,
        /// Why.
        message: String,
    },
    /// The peer refused this node.
    #[error("refused by the peer [{rule}]: {message}")]
    RefusedByPeer {
        /// The rule.
        rule: String,
        /// Why.
        message: String,
    },
    /// A message that the protocol does not allow at this point.
    #[error("unexpected message on the link")]
    Unexpected,
    /// A digest probe or verdict names a region the link may not check.
    #[error("{what} {message}")]
    Scope {
        /// "digest probe" or "digest verdict".
        what: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The transport under the link failed (what it said).
    #[error("{0}")]
    Transport(String),
    /// The parent could not be reached.
    #[error("cannot reach the parent: {0}")]
    Unreachable(String),
    /// The parent's gRPC service refused the call.
    #[error("the parent refused the link: {0}")]
    Rejected(String),
    /// A certificate sent on the link is not accepted.
    #[error("{0}")]
    Certificate(String),
}

// The errors below are shown in the message itself, not as a source, so that a
// caller printing the chain (anyhow's `{:#}`) does not print them twice.
macro_rules! shown_in_message {
    ($($t:ty => $v:ident),* $(,)?) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Error {
                Error::$v(e)
            }
        }
    )*};
}
shown_in_message!(
    tokio::task::JoinError => Task,
    tonic::transport::Error => Transport,
    tonic_reflection::server::Error => Reflection,
    std::io::Error => Io,
);

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
            Error::Store(_)
            | Error::Config(_)
            | Error::Link(_)
            | Error::Task(_)
            | Error::Transport(_)
            | Error::Reflection(_)
            | Error::Io(_)
            | Error::NoRecord => (Code::Internal, "internal"),
        };
        let zh = wuji_proto::rule_zh(rule)
            .map(|lead| format!("{lead}：{e}"))
            .unwrap_or_default();
        wuji_proto::refusal_zh(code, rule, e.to_string(), zh)
    }
}
