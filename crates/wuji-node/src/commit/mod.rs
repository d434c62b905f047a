//! The committer: the one task that writes. Requests queue on a channel; the
//! committer takes as many as are waiting (group commit), runs each local step
//! against the latest state of its records and checks authority, or applies a
//! peer's merged state section by section (refused sections are logged and
//! dropped), skips writes that change nothing, writes one atomic batch (records,
//! index changes, log entries by source, peer checkpoints, the clock), flushes
//! it, and only then answers every request of the batch and announces the new
//! log position to the sync links. Nothing is acknowledged before it is on disk.

mod calendars;
mod counts;
mod digests;
mod held;
mod prior;
mod run;
mod write;

pub use prior::Prior;

use crate::Error;
use crate::clock::Clock;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use tokio::sync::{mpsc, oneshot, watch};
use wuji_crdt::{Hlc, HlcClock, WriterId};
use wuji_division::Code;
use wuji_model::calendar::Calendar;
use wuji_model::routing::Horizon;
use wuji_model::{Ctx, Date, Record, RecordId, Rules};
use wuji_pki::SignKey;
use wuji_proto::Signatures;
use wuji_store::Layout;

/// A write's step: the delta, computed from the record's current state.
pub type Step = Box<dyn FnOnce(&Ctx, Option<&Record>) -> Result<Record, Error> + Send>;

enum Change {
    Local(Step),
    /// A peer's merged state, the (already verified) signatures it carried,
    /// and the stored version where a link read it ahead.
    Remote(Record, Signatures, Option<Prior>),
}

/// One write: a record id and either a local step or a peer's merged state.
pub struct Op {
    /// The record written.
    pub id: RecordId,
    change: Change,
}

impl Op {
    /// A local write: `step` computes the delta from the record's current state.
    pub fn new(
        id: RecordId,
        step: impl FnOnce(&Ctx, Option<&Record>) -> Result<Record, Error> + Send + 'static,
    ) -> Op {
        Op {
            id,
            change: Change::Local(Box::new(step)),
        }
    }

    /// A peer's merged state of a record, applied section by section, with the
    /// signatures of its sections (checked by the caller; empty in dev mode).
    pub fn remote(record: Record, signatures: Signatures) -> Op {
        Op {
            id: record.id,
            change: Change::Remote(record, signatures, None),
        }
    }

    /// [`Op::remote`] with the stored version a sync link read ahead; the
    /// committer uses it if no batch since changed the record.
    pub fn remote_read(record: Record, signatures: Signatures, prior: Prior) -> Op {
        Op {
            id: record.id,
            change: Change::Remote(record, signatures, Some(prior)),
        }
    }
}

/// What a committed request returns: the records as merged and the log sequence.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The records after the write, in the order of the request's ops.
    pub records: Vec<Record>,
    /// The log sequence after the batch that made them durable.
    pub seq: u64,
    /// The rule of every section of peers' states that was refused (remote
    /// requests only): `section-refused` for authority, `clock-ahead`, ...
    pub refused: Vec<&'static str>,
}

struct Request {
    ops: Vec<Op>,
    /// The peer a remote request came from.
    source: Option<Code>,
    /// A peer checkpoint (peer, sequence, its incarnation) to store with this
    /// request's changes.
    checkpoint: Option<(Code, u64, Vec<u8>)>,
    /// The day's reminders for the change feed, kept in a log entry of
    /// their own with the day they were made for.
    reminders: Option<(Date, Vec<wuji_proto::pb::Notice>)>,
    reply: oneshot::Sender<Result<Committed, Error>>,
}

/// What the committer starts with.
pub struct CommitterParts {
    /// This node.
    pub node: Code,
    /// Its store.
    pub layout: Layout,
    /// The handling rules.
    pub rules: Rules,
    /// The working-day calendar (the published years in the store are added).
    pub calendar: Calendar,
    /// Wall time for the HLC and today's date.
    pub clock: Arc<dyn Clock>,
    /// How far ahead of this clock a peer's stamp may be.
    pub max_ahead_ms: u64,
    /// Most requests in one group commit.
    pub max_batch: usize,
    /// Signs the sections this node writes (`None` in plaintext dev mode).
    pub signer: Option<Arc<SignKey>>,
    /// A deliberately broken merge (the simulator shows its checks catch it):
    /// a peer's version of a section this node already holds is ignored.
    pub broken_merge: bool,
    /// The federation's routing horizon: what this node may hold, and what its
    /// parent may (the digests a link compares).
    pub horizon: Horizon,
    /// The node it links up to, if any.
    pub parent: Option<Code>,
    /// Nodes below that link here across a level running no node
    /// (`sync.children` that are not division children): their summaries
    /// count here as a child's do.
    pub adopted: Vec<Code>,
    /// Where batch sizes, flush times and commit times are counted.
    pub telemetry: crate::Telemetry,
}

/// The handle through which API calls and sync links submit writes.
#[derive(Clone)]
pub struct Committer {
    tx: mpsc::Sender<Request>,
    seq: watch::Receiver<u64>,
    calendar: Arc<RwLock<Calendar>>,
    /// Held while a batch is written, and by a reader that needs the store
    /// as one state (a backup).
    gate: Arc<tokio::sync::Mutex<()>>,
}

struct State {
    node: Code,
    layout: Layout,
    rules: Rules,
    /// The working-day calendar, updated when a published year arrives.
    calendar: Arc<RwLock<Calendar>>,
    clock: HlcClock,
    /// Where wall time and today's date are read.
    wall: Arc<dyn Clock>,
    seq: u64,
    max_batch: usize,
    announce: watch::Sender<u64>,
    /// Signs the sections this node writes (`None` in plaintext dev mode).
    signer: Option<Arc<SignKey>>,
    /// See [`CommitterParts::broken_merge`].
    broken_merge: bool,
    /// See [`CommitterParts::horizon`].
    horizon: Horizon,
    /// See [`CommitterParts::parent`].
    parent: Option<Code>,
    /// See [`CommitterParts::adopted`].
    adopted: Vec<Code>,
    /// How far ahead of the wall clock a peer's stamp may be.
    max_ahead_ms: u64,
    /// Peers' states stamped too far ahead, to hold back in this batch
    /// (state, signatures, peer, wall ms when due).
    holding: Vec<(Record, Signatures, Option<Code>, u64)>,
    /// Held-back states applied in this batch.
    releasing: Vec<RecordId>,
    /// When the earliest held-back state is due (wall ms).
    next_held: Option<u64>,
    /// See [`CommitterParts::telemetry`].
    telemetry: crate::Telemetry,
    /// How long the last batch's apply and flush took.
    last_flush: std::time::Duration,
    /// See [`Committer::quiesced`].
    gate: Arc<tokio::sync::Mutex<()>>,
    /// The records recent batches wrote (whether a link's read is current).
    written: prior::Written,
}

/// A record touched by a batch: its state before the batch, now, and where the
/// change came from (`None` once any local write touched it).
struct Touched {
    before: Option<Record>,
    now: Record,
    source: Option<Code>,
    /// Signatures of `now`'s sections (this node's own are signed at write).
    sigs: Signatures,
    /// `before`'s public digest, where a link computed it already.
    before_digest: Option<wuji_proto::Digest>,
}

impl Committer {
    /// Starts the committer task. It ends when every handle is dropped,
    /// after finishing the requests already queued.
    pub fn start(parts: CommitterParts) -> Result<(Committer, tokio::task::JoinHandle<()>), Error> {
        let CommitterParts {
            node,
            layout,
            rules,
            calendar,
            clock,
            max_ahead_ms,
            max_batch,
            signer,
            broken_merge,
            horizon,
            parent,
            adopted,
            telemetry,
        } = parts;
        digests::prepare(&layout, node, parent, horizon)?;
        let (areas, reindexed) = crate::index::upgrade(&layout, &rules)?;
        if areas + reindexed > 0 {
            tracing::info!(
                area_entries = areas,
                suggestions_reindexed = reindexed,
                "suggestion index entries brought to this version's (one key for status and handler, none for the region)"
            );
        }
        let seq = layout.last_seq()?;
        let last = layout
            .meta(b"hlc")?
            .and_then(|b| b.try_into().ok().map(u64::from_be_bytes))
            .unwrap_or(0);
        let clock_part = clock;
        let clock = HlcClock::resume(Hlc(last), max_ahead_ms);
        let (tx, rx) = mpsc::channel(max_batch.max(1) * 4);
        let (announce, seq_rx) = watch::channel(seq);
        let mut calendar = calendar;
        calendars::load_published(&layout, &mut calendar)?;
        let calendar = Arc::new(RwLock::new(calendar));
        let state = State {
            node,
            layout,
            rules,
            calendar: calendar.clone(),
            clock,
            wall: clock_part,
            seq,
            max_batch: max_batch.max(1),
            announce,
            signer,
            broken_merge,
            horizon,
            parent,
            adopted,
            max_ahead_ms,
            holding: Vec::new(),
            releasing: Vec::new(),
            next_held: None,
            telemetry,
            last_flush: std::time::Duration::ZERO,
            gate: Arc::new(tokio::sync::Mutex::new(())),
            written: prior::Written::default(),
        };
        let mut state = state;
        state.next_held = state.layout.held()?.iter().map(|s| s.seq).min();
        let gate = state.gate.clone();
        let task = tokio::spawn(run(state, rx));
        Ok((
            Committer {
                tx,
                seq: seq_rx,
                calendar,
                gate,
            },
            task,
        ))
    }

    /// Submits local ops that succeed or fail together; resolves once durable.
    pub async fn submit(&self, ops: Vec<Op>) -> Result<Committed, Error> {
        self.send(ops, None, None).await
    }

    /// Applies a peer's batch ([`Op::remote`]s) and stores its checkpoint
    /// with it; resolves once durable.
    pub async fn apply_remote(
        &self,
        peer: Code,
        ops: Vec<Op>,
        checkpoint: u64,
        incarnation: Vec<u8>,
    ) -> Result<Committed, Error> {
        self.send(ops, Some(peer), Some((peer, checkpoint, incarnation)))
            .await
    }

    /// Applies records a peer resent after a digest check (no checkpoint moves).
    pub async fn apply_repair(&self, peer: Code, ops: Vec<Op>) -> Result<Committed, Error> {
        self.send(ops, Some(peer), None).await
    }

    /// Writes the reminders of `day` for the change feed (an entry of the
    /// log with no records), and that they were made: once a day.
    pub async fn remind(
        &self,
        day: Date,
        notices: Vec<wuji_proto::pb::Notice>,
    ) -> Result<Committed, Error> {
        self.request(Vec::new(), None, None, Some((day, notices)))
            .await
    }

    async fn send(
        &self,
        ops: Vec<Op>,
        source: Option<Code>,
        checkpoint: Option<(Code, u64, Vec<u8>)>,
    ) -> Result<Committed, Error> {
        self.request(ops, source, checkpoint, None).await
    }

    async fn request(
        &self,
        ops: Vec<Op>,
        source: Option<Code>,
        checkpoint: Option<(Code, u64, Vec<u8>)>,
        reminders: Option<(Date, Vec<wuji_proto::pb::Notice>)>,
    ) -> Result<Committed, Error> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request {
                ops,
                source,
                checkpoint,
                reminders,
                reply,
            })
            .await
            .map_err(|_| Error::ShuttingDown)?;
        rx.await.map_err(|_| Error::ShuttingDown)?
    }

    /// Runs `read` on the blocking pool while no batch is being written:
    /// what it reads of the store is one state, between two group commits
    /// (a backup). Writes wait meanwhile.
    pub async fn quiesced<T: Send + 'static>(
        &self,
        read: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        let _gate = self.gate.lock().await;
        Ok(tokio::task::spawn_blocking(read).await?)
    }

    /// The latest durable log sequence, updated after every batch's flush.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.seq.clone()
    }

    /// The latest durable log sequence. Entries above it may be in the store
    /// but not yet flushed: nothing above it may leave the node.
    pub fn durable(&self) -> u64 {
        *self.seq.borrow()
    }

    /// The working-day calendar the committer fixes deadlines with (the
    /// shipped and configured years plus every published one).
    pub fn calendar(&self) -> Arc<RwLock<Calendar>> {
        self.calendar.clone()
    }
}

async fn run(mut st: State, mut rx: mpsc::Receiver<Request>) {
    loop {
        let first = match st.held_wait() {
            None => rx.recv().await,
            Some(wait) => tokio::select! {
                biased;
                r = rx.recv() => r,
                _ = tokio::time::sleep(wait) => {
                    st.release_due().await;
                    continue;
                }
            },
        };
        let Some(first) = first else { break };
        let mut reqs = vec![first];
        while reqs.len() < st.max_batch {
            match rx.try_recv() {
                Ok(r) => reqs.push(r),
                Err(_) => break,
            }
        }
        let n = reqs.len();
        let first = st.seq + 1;
        let outcome = st.commit(reqs).await;
        st.telemetry.committed(first, st.seq, n, st.last_flush);
        tracing::debug!(requests = n, seq = st.seq, "committed batch");
        for (reply, result) in outcome {
            let _ = reply.send(result);
        }
    }
    tracing::info!("committer stopped; every queued write was answered");
}

type Outcome = Vec<(
    oneshot::Sender<Result<Committed, Error>>,
    Result<Committed, Error>,
)>;

impl State {
    async fn commit(&mut self, reqs: Vec<Request>) -> Outcome {
        let wall = self.wall.now_ms();
        let today = self.wall.today();
        let mut touched: BTreeMap<RecordId, Touched> = BTreeMap::new();
        let mut checkpoints = Vec::new();
        let mut reminders = None;
        let mut results = Vec::with_capacity(reqs.len());
        for req in reqs {
            if req.reminders.is_some() {
                reminders = req.reminders;
            }
            let source = req.source;
            let r = self.run_ops(req.ops, source, wall, today, &mut touched);
            if r.is_ok()
                && let Some(cp) = req.checkpoint
            {
                checkpoints.push(cp);
            }
            results.push((req.reply, r));
        }
        if let Err(e) = self.summarise(&mut touched, wall, today) {
            tracing::error!(error = %e, "summary not updated");
        }
        let seq = if touched.is_empty()
            && checkpoints.is_empty()
            && self.holding.is_empty()
            && self.releasing.is_empty()
            && reminders.is_none()
        {
            Ok(self.seq)
        } else {
            self.write(&touched, &checkpoints, reminders, today).await
        };
        match seq {
            Ok(seq) => {
                self.written.note(self.seq, seq, touched.keys().copied());
                self.seq = seq;
                let _ = self.announce.send(seq);
                self.calendars_arrived(&touched, wall, today).await;
                results
                    .into_iter()
                    .map(|(tx, r)| {
                        (
                            tx,
                            r.map(|(records, refused)| Committed {
                                records,
                                seq,
                                refused,
                            }),
                        )
                    })
                    .collect()
            }
            Err(e) => {
                self.written.failed(self.seq);
                tracing::error!(error = %e, "batch not written; every write in it is refused");
                let msg = e.to_string();
                results
                    .into_iter()
                    .map(|(tx, r)| {
                        (
                            tx,
                            r.and_then(|_| Err(Error::Store(wuji_store::Error::Db(msg.clone())))),
                        )
                    })
                    .collect()
            }
        }
    }

    /// A new stamp of this node's clock for a write made now.
    fn stamp(&mut self, wall: u64) -> Result<wuji_crdt::Stamp, Error> {
        let hlc = self
            .clock
            .tick(wall)
            .map_err(|e| Error::invalid(e.to_string()))?;
        Ok(wuji_crdt::Stamp::new(
            hlc,
            WriterId::new(self.node.value(), 0),
        ))
    }

    /// The signatures of a touched record with this node's own sections signed
    /// afresh where they changed (or were never signed); borrowed when none
    /// is (a peer's record: its sections keep the signatures they came with).
    fn sign_own<'t>(&self, t: &'t Touched) -> Cow<'t, Signatures> {
        let mut sigs = Cow::Borrowed(&t.sigs);
        let Some(signer) = &self.signer else {
            return sigs;
        };
        for (key, section) in t.now.sections() {
            if key.owner != self.node {
                continue;
            }
            let changed = t.before.as_ref().and_then(|b| b.get(*key)) != Some(section);
            if changed || !sigs.contains_key(key) {
                let msg = wuji_proto::section_message(t.now.id, *key, section);
                sigs.to_mut().insert(*key, signer.sign(&msg));
            }
        }
        sigs
    }
}
