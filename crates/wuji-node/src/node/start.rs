//! Starting a node from parts: a key-value store, a clock, an optional
//! identity (signing key and certificates, already loaded), a connector to
//! the parent and a telemetry handle, with its settings. Nothing here reads a
//! file or opens a socket, and nothing is global: several nodes run in one
//! process (the simulator, the in-process chain tests).

use super::{Inner, Node};
use crate::clock::{Clock, SystemClock};
use crate::commit::{Committer, CommitterParts};
use crate::sync::verify::Signing;
use crate::sync::{Connector, LinkConf, LinkCtx};
use crate::telemetry::Telemetry;
use crate::{Config, ConfigError, Error};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::task::JoinHandle;
use wuji_division::Code;
use wuji_model::Rules;
use wuji_model::calendar::Calendar;
use wuji_pki::SignKey;
use wuji_store::{Kv, Layout, MemKv};

/// A node's identity in the federation, already read and checked: it signs
/// the sections it writes and checks those of its peers.
pub struct Identity {
    /// The section signing key.
    pub signer: Arc<SignKey>,
    /// The CA bundle (DER).
    pub cas: Vec<Vec<u8>>,
    /// This node's certificate (DER).
    pub own: Vec<u8>,
    /// Serial numbers of revoked certificates.
    pub revoked: Vec<Vec<u8>>,
}

/// What a node is built from.
pub struct Parts {
    /// The store underneath (sled on a server, memory in tests and the simulator).
    pub kv: Arc<dyn Kv>,
    /// Wall time and today's date.
    pub clock: Arc<dyn Clock>,
    /// Signing and checking sections (`None`: plaintext dev mode).
    pub identity: Option<Identity>,
    /// How this node reaches its parent (`None`: it does not dial).
    pub connector: Option<Arc<dyn Connector>>,
    /// Counters, gauges and spans.
    pub telemetry: Telemetry,
}

impl Parts {
    /// An in-memory store, the system clock, no identity, no connector.
    pub fn in_memory() -> Parts {
        Parts {
            kv: Arc::new(MemKv::new()),
            clock: Arc::new(SystemClock),
            identity: None,
            connector: None,
            telemetry: Telemetry::default(),
        }
    }
}

/// How a node behaves: what its configuration says, with codes parsed and
/// files already read.
#[derive(Debug, Clone)]
pub struct Settings {
    /// This node.
    pub code: Code,
    /// The node it dials, if any.
    pub parent: Option<Code>,
    /// If not empty, the only children that may link.
    pub children: Vec<Code>,
    /// Handling rules.
    pub rules: Rules,
    /// The working-day calendar (shipped and configured years).
    pub calendar: Calendar,
    /// How far ahead of this node's clock a peer's stamp may be.
    pub max_ahead_ms: u64,
    /// Most requests in one group commit.
    pub max_batch: usize,
    /// Largest message on the API and the links.
    pub max_message: usize,
    /// Largest page of a list call.
    pub max_page: u32,
    /// Digest differences in larger regions are narrowed first.
    pub narrow_above: u64,
    /// Check the signatures of peers' sections (with an identity).
    pub verify_signatures: bool,
    /// Whether the API is served over TLS (reported by `wuji status`).
    pub tls: bool,
    /// Where the store lives, for messages (`None`: in memory).
    pub data_dir: Option<PathBuf>,
    /// A quiet link sends a keep-alive this often.
    pub keep_alive: std::time::Duration,
    /// A quiet link's child compares digests this often.
    pub check_every: std::time::Duration,
    /// The federation's routing horizon (`sync.horizon`).
    pub horizon: wuji_model::routing::Horizon,
    /// For the simulator only: merge peers' states wrongly (keep what is
    /// held), to show that its checks catch a broken merge rule.
    pub broken_merge: bool,
    /// How often the node looks whether the date changed, to make the day's
    /// reminders (临期, 超期) for the change feed; `None`: never (the
    /// simulator, and nodes in memory).
    pub reminders: Option<std::time::Duration>,
}

impl Settings {
    /// The settings of `config`, with `calendar`.
    pub fn from_config(config: &Config, calendar: Calendar) -> Settings {
        Settings {
            code: config.code(),
            parent: config.parent.as_ref().map(|p| p.code),
            children: config.sync.children.clone(),
            rules: config.rules.clone(),
            calendar,
            max_ahead_ms: config.clock.max_ahead_ms,
            max_batch: config.store.max_batch,
            max_message: config.api.max_message_bytes,
            max_page: config.api.max_page,
            narrow_above: config.sync.narrow_above,
            verify_signatures: config.sync.verify_signatures,
            tls: config.tls.is_some(),
            data_dir: Some(config.node.data_dir.clone()),
            broken_merge: false,
            horizon: config.sync.horizon,
            keep_alive: crate::sync::state::KEEP_ALIVE,
            check_every: crate::sync::state::CHECK_EVERY,
            reminders: Some(std::time::Duration::from_secs(1)),
        }
    }

    /// Every default, for `code`, with the shipped calendars.
    pub fn new(code: Code) -> Settings {
        let mut s = Settings::from_config(&Config::new(code), Calendar::builtin());
        s.data_dir = None;
        s.reminders = None;
        s
    }
}

/// A started node: its handle and what stopping it needs.
pub struct Running {
    node: Node,
    stop: tokio::sync::watch::Sender<bool>,
    dialer: Option<JoinHandle<()>>,
    committer: JoinHandle<()>,
}

/// Starts a node from `parts`: checks the store is this node's, starts the
/// committer and, with a connector and a parent, the link to the parent.
/// Must be called inside a tokio runtime.
pub fn start(parts: Parts, settings: Settings) -> Result<Running, Error> {
    let code = settings.code;
    let layout = Layout::open(parts.kv)?;
    check_identity(&layout, code, settings.data_dir.as_ref())?;
    let signing = match &parts.identity {
        Some(id) => {
            if !settings.verify_signatures {
                tracing::warn!(node = %code, "sync.verify_signatures = false: sections from peers are NOT checked");
            }
            let (cas, revoked) = (id.cas.clone(), id.revoked.clone());
            Some(Signing::load(
                &layout,
                cas,
                revoked,
                &id.own,
                settings.verify_signatures,
            )?)
        }
        None => None,
    };
    let (committer, task) = Committer::start(CommitterParts {
        node: code,
        layout: layout.clone(),
        rules: settings.rules.clone(),
        calendar: settings.calendar.clone(),
        clock: parts.clock.clone(),
        max_ahead_ms: settings.max_ahead_ms,
        max_batch: settings.max_batch,
        signer: parts.identity.as_ref().map(|i| i.signer.clone()),
        broken_merge: settings.broken_merge,
        horizon: settings.horizon,
        parent: settings.parent,
        adopted: settings
            .children
            .iter()
            .copied()
            .filter(|c| c.parent() != Some(code))
            .collect(),
        telemetry: parts.telemetry.clone(),
    })?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let links = LinkCtx {
        conf: LinkConf {
            keep_alive: settings.keep_alive,
            check_every: settings.check_every,
            horizon: settings.horizon,
            node: code,
            parent: settings.parent,
            children: settings.children.clone(),
            narrow_above: settings.narrow_above,
        },
        layout: layout.clone(),
        committer: committer.clone(),
        max_message: settings.max_message,
        stop: stopped,
        telemetry: parts.telemetry.clone(),
        clock: parts.clock.clone(),
        signing,
        drill: Default::default(),
    };
    let dialer = match (settings.parent, parts.connector) {
        (Some(parent), Some(c)) => Some(tokio::spawn(crate::sync::dial_parent(
            links.clone(),
            parent,
            c,
        ))),
        _ => None,
    };
    if settings.parent.is_none() && code != Code::NATIONAL {
        tracing::warn!(node = %code, "no parent configured: this node does not sync upwards");
    }
    let node = Node {
        inner: Arc::new(Inner {
            code,
            layout,
            calendar: committer.calendar(),
            committer,
            rules: settings.rules,
            max_page: settings.max_page,
            clock: parts.clock,
            telemetry: parts.telemetry,
            tls: settings.tls,
            links,
            intake: tokio::sync::Mutex::new(()),
        }),
    };
    if let Some(every) = settings.reminders {
        tokio::spawn(crate::feed::sweep::run(node.clone(), every));
    }
    Ok(Running {
        node,
        stop,
        dialer,
        committer: task,
    })
}

impl Running {
    /// The node's handle.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// Ends every link now (the first step of stopping).
    pub fn end_links(&self) {
        let _ = self.stop.send(true);
    }

    /// A sender that ends every link when `true` is sent on it.
    pub fn link_stopper(&self) -> tokio::sync::watch::Sender<bool> {
        self.stop.clone()
    }

    /// Stops the node: ends its links, answers every queued write and flushes.
    /// Every other handle on the node must be dropped first (the committer
    /// waits for them).
    pub async fn stop(self) -> Result<(), Error> {
        self.end_links();
        if let Some(d) = self.dialer {
            let _ = d.await;
        }
        let layout = self.node.layout().clone();
        let code = self.node.code();
        drop(self.node);
        self.committer.await?;
        layout.kv().flush()?;
        tracing::info!(node = %code, "node stopped; store flushed");
        Ok(())
    }
}

impl Running {
    /// Kills the node as a crash would: its tasks end where they stand,
    /// queued writes are not answered, nothing more is flushed; handles on
    /// it held elsewhere stay but every write through them fails. The
    /// simulator restarts it from what its store kept.
    pub fn crash(self) {
        self.end_links();
        if let Some(d) = self.dialer {
            d.abort();
        }
        self.committer.abort();
    }
}

/// Refuses a store that belongs to another node; records this node's
/// identity in a new one.
fn check_identity(layout: &Layout, code: Code, dir: Option<&PathBuf>) -> Result<(), Error> {
    match layout.meta(b"identity")? {
        Some(v) if v == code.to_string().as_bytes() => Ok(()),
        Some(v) => Err(ConfigError::OtherStore {
            dir: dir.cloned().unwrap_or_default(),
            other: String::from_utf8_lossy(&v).into_owned(),
            node: code,
        }
        .into()),
        None => {
            let mut b = wuji_store::Batch::default();
            layout.put_meta(&mut b, b"identity", code.to_string().into_bytes());
            layout.kv().apply(b)?;
            layout.kv().flush()?;
            Ok(())
        }
    }
}
