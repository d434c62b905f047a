//! The committer: the one task that writes. Requests queue on a channel; the
//! committer takes as many as are waiting (group commit), runs each step against
//! the latest state of its records, checks authority, merges, writes one atomic
//! batch (records, index changes, one log entry, the clock) and flushes it, and
//! only then answers every request of the batch. Nothing is acknowledged before
//! it is on disk; a request whose step fails changes nothing.

use crate::{Error, index};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use wuji_crdt::{Hlc, HlcClock, WriterId};
use wuji_division::Code;
use wuji_model::calendar::Calendar;
use wuji_model::{Ctx, Date, Record, RecordId, Rules, authority};
use wuji_store::{Batch, Layout};

/// A write's step: the delta, computed from the record's current state.
pub type Step = Box<dyn FnOnce(&Ctx, Option<&Record>) -> Result<Record, Error> + Send>;

/// One write: a record id and the step that computes its delta from the record's
/// current state (`None` if the record does not exist yet).
pub struct Op {
    /// The record written.
    pub id: RecordId,
    /// Computes the delta.
    pub step: Step,
}

impl Op {
    /// An op from a step closure.
    pub fn new(
        id: RecordId,
        step: impl FnOnce(&Ctx, Option<&Record>) -> Result<Record, Error> + Send + 'static,
    ) -> Op {
        Op {
            id,
            step: Box::new(step),
        }
    }
}

/// What a committed request returns: the records as merged and the log sequence.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The records after the write, in the order of the request's ops.
    pub records: Vec<Record>,
    /// The log sequence of the batch that made them durable.
    pub seq: u64,
}

struct Request {
    ops: Vec<Op>,
    reply: oneshot::Sender<Result<Committed, Error>>,
}

/// The handle through which API calls submit writes.
#[derive(Clone)]
pub struct Committer {
    tx: mpsc::Sender<Request>,
}

struct State {
    node: Code,
    layout: Layout,
    rules: Rules,
    calendar: Calendar,
    clock: HlcClock,
    seq: u64,
    max_batch: usize,
}

impl Committer {
    /// Starts the committer task for `node` over `layout`. It ends when every
    /// handle is dropped, after finishing the requests already queued.
    pub fn start(
        node: Code,
        layout: Layout,
        rules: Rules,
        calendar: Calendar,
        max_ahead_ms: u64,
        max_batch: usize,
    ) -> Result<(Committer, tokio::task::JoinHandle<()>), Error> {
        let seq = layout.last_seq()?;
        let last = layout
            .meta(b"hlc")?
            .and_then(|b| b.try_into().ok().map(u64::from_be_bytes))
            .unwrap_or(0);
        let clock = HlcClock::resume(Hlc(last), max_ahead_ms);
        let (tx, rx) = mpsc::channel(max_batch.max(1) * 4);
        let state = State {
            node,
            layout,
            rules,
            calendar,
            clock,
            seq,
            max_batch: max_batch.max(1),
        };
        let task = tokio::spawn(run(state, rx));
        Ok((Committer { tx }, task))
    }

    /// Submits ops that succeed or fail together; resolves once durable.
    pub async fn submit(&self, ops: Vec<Op>) -> Result<Committed, Error> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request { ops, reply })
            .await
            .map_err(|_| Error::ShuttingDown)?;
        rx.await.map_err(|_| Error::ShuttingDown)?
    }
}

async fn run(mut st: State, mut rx: mpsc::Receiver<Request>) {
    while let Some(first) = rx.recv().await {
        let mut reqs = vec![first];
        while reqs.len() < st.max_batch {
            match rx.try_recv() {
                Ok(r) => reqs.push(r),
                Err(_) => break,
            }
        }
        let n = reqs.len();
        let outcome = st.commit(reqs).await;
        tracing::debug!(requests = n, "committed batch");
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
        let wall = now_ms();
        let today = today_cst();
        // Latest state of every record touched in this batch: (before, after).
        let mut touched: BTreeMap<RecordId, (Option<Record>, Record)> = BTreeMap::new();
        let mut results = Vec::with_capacity(reqs.len());
        for req in reqs {
            let r = self.run_ops(req.ops, wall, today, &mut touched);
            results.push((req.reply, r));
        }
        if touched.is_empty() {
            return results
                .into_iter()
                .map(|(tx, r)| {
                    (
                        tx,
                        r.map(|recs| Committed {
                            records: recs,
                            seq: self.seq,
                        }),
                    )
                })
                .collect();
        }
        let seq = self.seq + 1;
        let written = self.write(&touched, seq).await;
        match written {
            Ok(()) => {
                self.seq = seq;
                results
                    .into_iter()
                    .map(|(tx, r)| (tx, r.map(|recs| Committed { records: recs, seq })))
                    .collect()
            }
            Err(e) => {
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

    /// Runs one request's ops against the batch's latest states; all or nothing.
    fn run_ops(
        &mut self,
        ops: Vec<Op>,
        wall: u64,
        today: Date,
        touched: &mut BTreeMap<RecordId, (Option<Record>, Record)>,
    ) -> Result<Vec<Record>, Error> {
        let mut local: BTreeMap<RecordId, (Option<Record>, Record)> = BTreeMap::new();
        let mut out = Vec::with_capacity(ops.len());
        for op in ops {
            let current = match local.get(&op.id).or_else(|| touched.get(&op.id)) {
                Some((_, now)) => Some(now.clone()),
                None => self.layout.record(&op.id)?.map(|s| s.record),
            };
            let before = match touched.get(&op.id) {
                Some((b, _)) => b.clone(),
                None => local
                    .get(&op.id)
                    .map(|(b, _)| b.clone())
                    .unwrap_or_else(|| current.clone()),
            };
            let at = wuji_crdt::Stamp::new(
                self.clock
                    .tick(wall)
                    .map_err(|e| Error::invalid(e.to_string()))?,
                WriterId::new(self.node.value(), 0),
            );
            let ctx = Ctx {
                node: self.node,
                at,
                today,
                rules: &self.rules,
                calendar: &self.calendar,
            };
            let delta = (op.step)(&ctx, current.as_ref())?;
            if delta.id != op.id {
                return Err(Error::invalid("a step wrote another record"));
            }
            let merged = authority::apply_local(self.node, current.as_ref(), &delta)?;
            out.push(merged.clone());
            local.insert(op.id, (before, merged));
        }
        touched.extend(local);
        Ok(out)
    }

    async fn write(
        &self,
        touched: &BTreeMap<RecordId, (Option<Record>, Record)>,
        seq: u64,
    ) -> Result<(), Error> {
        let mut batch = Batch::default();
        let ids: Vec<RecordId> = touched.keys().copied().collect();
        for (before, after) in touched.values() {
            self.layout.put_record(&mut batch, after, seq);
            let old: BTreeSet<Vec<u8>> = before
                .as_ref()
                .map(|b| index::entries(b, &self.rules))
                .unwrap_or_default();
            let new = index::entries(after, &self.rules);
            for k in old.difference(&new) {
                self.layout.delete_index(&mut batch, k);
            }
            for k in new.difference(&old) {
                self.layout.put_index(&mut batch, k);
            }
        }
        self.layout.put_log(&mut batch, seq, &ids);
        self.layout.put_meta(
            &mut batch,
            b"hlc",
            self.clock.last().0.to_be_bytes().to_vec(),
        );
        let kv = Arc::clone(self.layout.kv());
        tokio::task::spawn_blocking(move || {
            kv.apply(batch)?;
            kv.flush()
        })
        .await
        .map_err(|e| Error::Serve(e.to_string()))??;
        Ok(())
    }
}

/// Wall-clock UTC milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Today's date in China Standard Time (UTC+8).
pub fn today_cst() -> Date {
    let days = ((now_ms() / 1000) as i64 + 8 * 3600).div_euclid(86_400);
    Date::constant(1970, 1, 1)
        .checked_add(jiff::Span::new().days(days))
        .unwrap_or(Date::constant(2026, 1, 1))
}
