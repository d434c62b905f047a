//! The link protocol as a state machine without IO (the shape of automerge's
//! `generate_sync_message` / `receive_sync_message`): it checks greetings,
//! decides where shipping resumes, plans which records each batch of a log
//! window carries, sorts incoming messages into what the driver must do, and
//! decides digest verdicts and repairs. It reads no store and awaits nothing:
//! the driver ([`super::engine`], [`super::check`]) reads, writes and sends.

use crate::LinkError;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;
use wuji_division::Code;
use wuji_model::routing::{self, Horizon};
use wuji_model::{RecordId, RecordKind};
use wuji_proto::PROTOCOL_VERSION;
use wuji_proto::pb::{self, sync_message::Msg};
use wuji_store::LogEntry;
use wuji_store::layout::kind_byte;

mod repair;
#[cfg(test)]
mod tests;

pub use repair::{Repair, Verdict};

/// Oldest protocol version this build still speaks.
pub const MIN_PROTOCOL_VERSION: u32 = 1;
/// Records per batch at most (a record changed many times still crosses once).
pub const BATCH_RECORDS: usize = 500;
/// Log entries read at a time; each record changed within them is sent once.
pub const WINDOW_ENTRIES: usize = 1024;
/// Record kinds compared by digest checks (the published calendars are the
/// national node's alone and cross with the log).
const COMPARED: [RecordKind; 10] = [
    RecordKind::Deputy,
    RecordKind::Suggestion,
    RecordKind::Assignment,
    RecordKind::Supervision,
    RecordKind::Summary,
    RecordKind::Activity,
    RecordKind::Vacancy,
    RecordKind::Directory,
    RecordKind::Contact,
    RecordKind::Seats,
];

/// The key bytes of the kinds compared by digest checks (a node of protocol
/// 1 leaves the kinds it does not know out of its verdicts).
pub fn kinds() -> [u8; 10] {
    COMPARED.map(kind_byte)
}
/// How long a link must be quiet before a check.
pub const QUIET: Duration = Duration::from_secs(1);
/// A link checks once when it comes up and quiets, then this often.
pub const CHECK_EVERY: Duration = Duration::from_secs(600);

/// What a link knows of its own node.
#[derive(Debug, Clone)]
pub struct LinkConf {
    /// This node.
    pub node: Code,
    /// Its configured parent, if any.
    pub parent: Option<Code>,
    /// If not empty, the only children that may link.
    pub children: Vec<Code>,
    /// Digest differences in regions larger than this are narrowed first.
    pub narrow_above: u64,
    /// A quiet link sends a keep-alive this often ([`KEEP_ALIVE`] on a
    /// server; the simulator's in-memory links need few).
    pub keep_alive: std::time::Duration,
    /// A quiet link's child compares digests this often ([`CHECK_EVERY`] on
    /// a server).
    pub check_every: std::time::Duration,
    /// The federation's routing horizon; a peer must state the same.
    pub horizon: Horizon,
}

/// How often a quiet link sends a keep-alive on a server.
pub const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(15);

/// Which end of the link this node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// This node dialed its configured parent.
    Child {
        /// The parent's code.
        parent: Code,
    },
    /// This node accepted a child.
    Parent {
        /// The node code in the child's certificate (`None` in dev mode).
        certified: Option<Code>,
    },
}

impl Role {
    /// What the peer is to this node: "parent" or "child".
    pub fn peer_is(self) -> &'static str {
        match self {
            Role::Child { .. } => "parent",
            Role::Parent { .. } => "child",
        }
    }
}

/// The greeting received from the peer, as this node took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    /// The peer's code.
    pub peer: Code,
    /// Where to start sending: the peer's checkpoint of this node, or 0 if it
    /// counts in another incarnation of this store or beyond its log (a node
    /// rebuilt from empty or restored from a backup).
    pub resume_from: u64,
    /// The peer's store incarnation (its checkpoints here are kept with it).
    pub incarnation: Vec<u8>,
    /// The peer lost data since the last link (rebuilt from empty, or restored
    /// from a backup): send it what came from it too, up to now.
    pub lost_data: bool,
    /// The newest protocol version the peer speaks.
    pub protocol: u32,
}

/// Whether a peer speaking `protocol` reads `rec` as this node sends it.
/// Protocol 2 added activities, vacancies, register entries and the promise ledger in handling
/// sections: a node of protocol 1 could not decode the first two and would
/// refuse the signature of a handling section whose ledger it drops, so such
/// records wait until it is upgraded (the digest check then finds and
/// repairs the difference).
pub fn peer_reads(protocol: u32, rec: &wuji_model::Record) -> bool {
    if protocol >= 2 {
        return true;
    }
    match rec.id.kind {
        RecordKind::Activity
        | RecordKind::Vacancy
        | RecordKind::Directory
        | RecordKind::Contact
        | RecordKind::Seats => false,
        RecordKind::Suggestion => {
            rec.handlings().all(|(_, h)| h.promises.is_empty())
                && rec
                    .origin(rec.id.home)
                    .is_none_or(|o| o.from_opinion.get().is_none())
        }
        _ => true,
    }
}

/// What this node's store says when a greeting arrives.
#[derive(Debug, Clone, Default)]
pub struct Local {
    /// This store's incarnation.
    pub incarnation: Vec<u8>,
    /// The latest durable log sequence.
    pub durable: u64,
    /// The checkpoint held of the peer's log, and the peer incarnation it counts in.
    pub held: (u64, Vec<u8>),
}

/// A refusal: the rule broken and why.
pub type Refusal = (String, String);

/// One batch planned from a log window: the records to send and the slice
/// of the log it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    /// Records whose current state the batch carries.
    pub ids: BTreeSet<RecordId>,
    /// The log position the slice starts after.
    pub from: u64,
    /// The log position the slice ends at.
    pub to: u64,
}

/// What the driver does with a message from the peer.
#[derive(Debug)]
pub enum Step {
    /// Apply a batch and acknowledge it.
    Apply(pb::Batch),
    /// Apply a repair batch (no checkpoint moves, no acknowledgement).
    Repair(pb::Batch),
    /// The peer acknowledged this node's log up to this sequence.
    Acked(u64),
    /// Nothing to do.
    Idle,
    /// Answer a digest probe (this node is the parent).
    Probe(pb::DigestProbe),
    /// Act on a verdict (this node is the child).
    Verdict(pb::DigestVerdict),
    /// Answer or relay a drill-down question (this node is the child).
    Drill(pb::DrillRequest),
    /// A drill-down answer (this node is the parent).
    Drilled(pb::DrillReply),
    /// The link ends with this error (after a refusal is sent, if `Some`).
    End(LinkError, Option<pb::SyncMessage>),
}

/// One link's protocol state.
#[derive(Debug, Clone)]
pub struct LinkState {
    conf: LinkConf,
    role: Role,
    greeting: Option<Greeting>,
    /// Entries that came from the peer are not echoed back, except, when the
    /// peer lost data, those logged up to this sequence.
    echo_until: u64,
}

fn refusal(rule: &str, message: String) -> Refusal {
    (rule.to_string(), message)
}

/// A `Refusal` message for the peer.
pub fn refusal_message(rule: &str, message: String) -> pb::SyncMessage {
    pb::SyncMessage {
        msg: Some(Msg::Refusal(pb::Refusal {
            rule: rule.to_string(),
            message,
        })),
    }
}

impl LinkState {
    /// A link of `conf`'s node in `role`, before the greeting.
    pub fn new(conf: LinkConf, role: Role) -> LinkState {
        LinkState {
            conf,
            role,
            greeting: None,
            echo_until: 0,
        }
    }

    /// This node's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The peer's greeting, once taken.
    pub fn greeting(&self) -> Option<&Greeting> {
        self.greeting.as_ref()
    }

    /// The peer, once greeted.
    pub fn peer(&self) -> Option<Code> {
        self.greeting.as_ref().map(|g| g.peer)
    }

    /// This node's `Hello`: its checkpoint of the peer and its own log, and
    /// its wall clock (`now_ms`).
    pub fn hello(
        &self,
        checkpoint: (u64, Vec<u8>),
        incarnation: Vec<u8>,
        last_seq: u64,
        now_ms: u64,
    ) -> pb::SyncMessage {
        let (resume_from, resume_incarnation) = checkpoint;
        pb::SyncMessage {
            msg: Some(Msg::Hello(pb::Hello {
                protocol_version: PROTOCOL_VERSION,
                min_protocol_version: MIN_PROTOCOL_VERSION,
                node: self.conf.node.value(),
                parent: self.conf.parent.map(|p| p.value()).unwrap_or(0),
                resume_from,
                software: format!("wuji {}", env!("CARGO_PKG_VERSION")),
                incarnation,
                resume_incarnation,
                last_seq,
                horizon: self.conf.horizon.to_wire(),
                now_ms,
            })),
        }
    }

    /// Sorts the first message: the peer's hello (checked, returning the peer),
    /// or why the link ends.
    pub fn first(&self, msg: pb::SyncMessage) -> Result<(pb::Hello, Code), Box<Step>> {
        match msg.msg {
            Some(Msg::Hello(h)) => match self.check_hello(&h) {
                Ok(peer) => Ok((h, peer)),
                Err((rule, message)) => Err(Box::new(Step::End(
                    LinkError::Refused {
                        rule: rule.clone(),
                        message: message.clone(),
                    },
                    Some(refusal_message(&rule, message)),
                ))),
            },
            Some(Msg::Refusal(r)) => Err(Box::new(Step::End(
                LinkError::RefusedByPeer {
                    rule: r.rule,
                    message: r.message,
                },
                None,
            ))),
            _ => Err(Box::new(Step::End(LinkError::NotGreeting, None))),
        }
    }

    /// Checks a peer's hello for this link's role, then that both ends route
    /// with the same horizon; the reason it is refused otherwise.
    pub fn check_hello(&self, h: &pb::Hello) -> Result<Code, Refusal> {
        let peer = self.check_peer(h)?;
        let theirs = Horizon::from_wire(h.horizon);
        if theirs != self.conf.horizon {
            return Err(refusal(
                "horizon",
                format!(
                    "{peer} routes with sync.horizon = {theirs}, this node {} with {}: every node of a federation must state the same",
                    self.conf.node, self.conf.horizon
                ),
            ));
        }
        Ok(peer)
    }

    /// The identity part of [`LinkState::check_hello`].
    fn check_peer(&self, h: &pb::Hello) -> Result<Code, Refusal> {
        let node = self.conf.node;
        if h.protocol_version < MIN_PROTOCOL_VERSION || h.min_protocol_version > PROTOCOL_VERSION {
            return Err(refusal(
                "protocol-version",
                format!(
                    "peer speaks {}..{}, this node {}..{}",
                    h.min_protocol_version,
                    h.protocol_version,
                    MIN_PROTOCOL_VERSION,
                    PROTOCOL_VERSION
                ),
            ));
        }
        let peer = Code::from_value(h.node)
            .map_err(|e| refusal("peer-code", format!("peer code: {e}")))?;
        match self.role {
            Role::Child { parent } if peer != parent => Err(refusal(
                "peer-is-parent",
                format!("expected the parent {parent}, got {peer}"),
            )),
            Role::Child { .. } => Ok(peer),
            Role::Parent { certified } => {
                if let Some(c) = certified
                    && c != peer
                {
                    return Err(refusal(
                        "peer-certificate-code",
                        format!("the greeting says {peer} but the certificate is {c}'s"),
                    ));
                }
                if !peer.is_inside(node) {
                    return Err(refusal(
                        "peer-inside-region",
                        format!("{peer} is not inside {node}: only nodes below may link here"),
                    ));
                }
                if h.parent != node.value() {
                    return Err(refusal(
                        "peer-names-parent",
                        format!("{peer} names {} as its parent, not {node}", h.parent),
                    ));
                }
                let children = &self.conf.children;
                let listed = children.contains(&peer);
                if !listed && (!children.is_empty() || peer.parent() != Some(node)) {
                    return Err(refusal(
                        "peer-is-child",
                        format!(
                            "{peer} is not a child of {node} (its parent is {}){}",
                            peer.parent().map(|p| p.to_string()).unwrap_or_default(),
                            if children.is_empty() {
                                "; list it in sync.children if its own parent runs no node"
                            } else {
                                " and sync.children does not list it"
                            }
                        ),
                    ));
                }
                // A child linked across a level that runs no node must have
                // the records it sends up reach this node.
                if let Horizon::Levels(n) = self.conf.horizon
                    && let Some(steps) = peer.ancestors().position(|a| a == node)
                    && steps >= usize::from(n)
                {
                    return Err(refusal(
                        "horizon-skips-level",
                        format!(
                            "{peer} is {} levels below {node}, beyond sync.horizon = {n}: records handled there would never reach this node; set sync.horizon to {} or `all` on every node",
                            steps + 1,
                            steps + 1
                        ),
                    ));
                }
                Ok(peer)
            }
        }
    }

    /// Takes a checked hello of `peer`: where shipping resumes and whether the
    /// peer lost data since the last link. The link is up from here.
    pub fn greet(&mut self, h: pb::Hello, peer: Code, local: &Local) -> &Greeting {
        let resume_from = if h.resume_incarnation != local.incarnation {
            if h.resume_from > 0 {
                tracing::info!(%peer, "the peer's checkpoint counts in another store of this node: shipping everything");
            }
            0
        } else if h.resume_from > local.durable {
            tracing::warn!(%peer, checkpoint = h.resume_from, last = local.durable, "the peer is ahead of this log (restored from a backup?): shipping everything");
            0
        } else {
            h.resume_from
        };
        let (held, held_inc) = &local.held;
        let lost_data = *held > 0 && (*held_inc != h.incarnation || *held > h.last_seq);
        if lost_data {
            tracing::warn!(%peer, held, peer_last = h.last_seq, "the peer lost data since the last link: sending back what came from it too");
        }
        self.echo_until = if lost_data { local.durable } else { 0 };
        self.greeting.insert(Greeting {
            peer,
            resume_from,
            incarnation: h.incarnation,
            lost_data,
            protocol: h.protocol_version,
        })
    }

    fn ships(&self, e: &LogEntry) -> bool {
        self.peer()
            .is_some_and(|p| e.source != Some(p) || e.seq <= self.echo_until)
    }

    /// Plans the batches of one log window read after `from`: within the
    /// window a record is sent at the last entry that ships it (catch-up sends
    /// each changed record once), and a batch holds the records of as many
    /// entries as fit [`BATCH_RECORDS`]. Entries that came from the peer are
    /// not echoed back.
    pub fn plan(&self, entries: &[LogEntry], from: u64) -> Vec<Slice> {
        let mut last: HashMap<RecordId, u64> = HashMap::new();
        for e in entries.iter().filter(|e| self.ships(e)) {
            for id in &e.ids {
                last.insert(*id, e.seq);
            }
        }
        let mut out = Vec::new();
        let mut rest = entries;
        let mut from = from;
        while !rest.is_empty() {
            let mut ids = BTreeSet::new();
            let mut to = from;
            while let Some((e, tail)) = rest.split_first() {
                rest = tail;
                if self.ships(e) {
                    ids.extend(e.ids.iter().filter(|id| {
                        last.get(id) == Some(&e.seq)
                            && self
                                .peer()
                                .is_none_or(|p| routing::may_see(id, p, self.conf.horizon))
                    }));
                }
                to = e.seq;
                if ids.len() >= BATCH_RECORDS {
                    break;
                }
            }
            out.push(Slice { ids, from, to });
            from = to;
        }
        out
    }

    /// Whether a record whose stored state was last changed at `seq` from
    /// `source` is sent in a slice ending at `to`: a record changed again
    /// after the slice is sent there, once, unless that later change came from
    /// the peer (it is not sent back).
    pub fn sends_in_slice(&self, to: u64, seq: u64, source: Option<Code>) -> bool {
        seq <= to || source == self.peer()
    }

    /// Whether the greeted peer reads `rec` ([`peer_reads`]).
    pub fn peer_reads(&self, rec: &wuji_model::Record) -> bool {
        self.greeting
            .as_ref()
            .is_some_and(|g| peer_reads(g.protocol, rec))
    }

    /// Sorts a message after the greeting into what the driver must do.
    pub fn receive(&self, msg: pb::SyncMessage) -> Step {
        let child = matches!(self.role, Role::Child { .. });
        match msg.msg {
            Some(Msg::Batch(b)) if b.repair => Step::Repair(b),
            Some(Msg::Batch(b)) => Step::Apply(b),
            Some(Msg::Ack(a)) => Step::Acked(a.seq),
            Some(Msg::KeepAlive(_)) => Step::Idle,
            Some(Msg::Probe(p)) if !child => Step::Probe(p),
            Some(Msg::Verdict(v)) if child => Step::Verdict(v),
            Some(Msg::Drill(q)) if child => Step::Drill(q),
            Some(Msg::Drilled(a)) if !child => Step::Drilled(a),
            Some(Msg::Refusal(r)) => Step::End(
                LinkError::RefusedByPeer {
                    rule: r.rule,
                    message: r.message,
                },
                None,
            ),
            Some(
                Msg::Hello(_) | Msg::Probe(_) | Msg::Verdict(_) | Msg::Drill(_) | Msg::Drilled(_),
            )
            | None => Step::End(
                LinkError::Unexpected,
                Some(refusal_message("protocol", "unexpected message".into())),
            ),
        }
    }
}
