//! The link driver: it runs a [`LinkState`] over an outbound channel and an
//! inbound stream, doing the reads, writes and sends the state machine asks
//! for: the greeting, shipping the log, applying the peer's batches.

use super::batch::split;
use super::check;
use super::ctx::{LinkCtx, Outbound};
use super::decode::Failed;
use super::state::{LinkState, Local, Role, Step, WINDOW_ENTRIES, refusal_message};
use crate::{Error, LinkError, Op};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio_stream::{Stream, StreamExt};
use tracing::Instrument;
use wuji_division::Code;
use wuji_model::{RecordId, routing};
use wuji_proto::pb::{self, sync_message::Msg};
use wuji_proto::record_to_signed_state;
use wuji_store::Layout;

async fn send(tx: &Outbound, m: pb::SyncMessage) -> Result<(), Error> {
    tx.send(m).await.map_err(|_| LinkError::Closed.into())
}

/// Runs one link until either side closes or fails.
pub async fn run_link<S>(ctx: LinkCtx, role: Role, tx: Outbound, rx: S) -> Result<(), Error>
where
    S: Stream<Item = Result<pb::SyncMessage, String>> + Unpin + Send,
{
    let span = ctx.telemetry.link_span(ctx.node(), role.peer_is());
    drive(ctx, role, tx, rx).instrument(span).await
}

async fn drive<S>(ctx: LinkCtx, role: Role, tx: Outbound, mut rx: S) -> Result<(), Error>
where
    S: Stream<Item = Result<pb::SyncMessage, String>> + Unpin + Send,
{
    let mut state = ctx.state(role);
    // Greeting: the dialer speaks first, with its checkpoint of the parent.
    let hello = |cp| -> Result<pb::SyncMessage, Error> {
        Ok(state.hello(
            cp,
            ctx.layout.incarnation()?,
            ctx.committer.durable(),
            ctx.clock.now_ms(),
        ))
    };
    if let Role::Child { parent } = role {
        send(&tx, hello(ctx.layout.checkpoint(parent)?)?).await?;
    }
    let first = tokio::time::timeout(Duration::from_secs(30), rx.next())
        .await
        .map_err(|_| LinkError::NoGreeting)?;
    let first = match first {
        Some(Ok(m)) => m,
        Some(Err(e)) => return Err(LinkError::Transport(e).into()),
        None => return Err(LinkError::ClosedBeforeGreeting.into()),
    };
    let (h, peer) = match state.first(first) {
        Ok(checked) => checked,
        Err(step) => return end(&ctx, &tx, *step).await,
    };
    if let Role::Parent { .. } = role {
        send(&tx, hello(ctx.layout.checkpoint(peer)?)?).await?;
    }
    let local = Local {
        incarnation: ctx.layout.incarnation()?,
        durable: ctx.committer.durable(),
        held: ctx.layout.checkpoint(peer)?,
    };
    let their_ms = h.now_ms;
    let g = state.greet(h, peer, &local).clone();
    tracing::Span::current().record("peer", tracing::field::display(peer));
    tracing::info!(%peer, resume_from = g.resume_from, "link up");
    let _down = ctx.telemetry.link_up(peer, role.peer_is(), g.resume_from);
    let offset = (their_ms != 0).then(|| their_ms as i64 - ctx.clock.now_ms() as i64);
    ctx.telemetry.on_link(peer, |e| e.clock_offset_ms = offset);
    let _route = match role {
        Role::Parent { .. } => Some(ctx.drill.child_up(peer, tx.clone())),
        Role::Child { .. } => None,
    };
    let mut stop = ctx.stop.clone();
    let sender = ship(&ctx, &state, g.resume_from, &tx);
    let prober = async {
        match role {
            Role::Child { .. } => check::prober(ctx.clone(), peer, tx.clone()).await,
            Role::Parent { .. } => std::future::pending().await,
        }
    };
    let receiver = receive(&ctx, &state, g.incarnation.clone(), &tx, rx);
    // `biased`: branches are polled in this order, not at random, so a run
    // on a paused clock replays alike (the simulator); stopping comes first.
    tokio::select! {
        biased;
        _ = stop.wait_for(|s| *s) => Ok(()),
        r = receiver => r,
        r = sender => r,
        r = prober => r,
    }
}

/// Ends the link as the state machine decided: counts and sends a refusal.
async fn end(ctx: &LinkCtx, tx: &Outbound, step: Step) -> Result<(), Error> {
    match step {
        Step::End(e, refusal) => {
            if let LinkError::Refused { rule, message } = &e {
                tracing::warn!(%rule, %message, "link refused");
                ctx.telemetry.refused(rule);
            }
            if let Some(m) = refusal {
                let _ = tx.send(m).await;
            }
            Err(e.into())
        }
        _ => Err(LinkError::Unexpected.into()),
    }
}

/// Ships this node's log to the peer from its checkpoint, then every new commit.
///
/// A slice with nothing for the peer is not sent at once: the next batch with
/// records carries its checkpoint, or, when the link is quiet for the
/// keep-alive period, an empty batch does in place of the keep-alive. (Each
/// commit at a parent used to send every child a batch: 386,540 of the
/// 417,103 batches of the simulator's city month held no record. A restart
/// meanwhile only costs a rescan of entries that hold nothing for the peer.)
async fn ship(ctx: &LinkCtx, state: &LinkState, from: u64, tx: &Outbound) -> Result<(), Error> {
    let mut from = from;
    let mut seq = ctx.committer.watch();
    // The slices with nothing for the peer not yet told (from, to).
    let mut owed: Option<(u64, u64)> = None;
    let peer = state.peer().ok_or(LinkError::Unexpected)?;
    let mut told = from;
    ctx.telemetry.shipped(peer, from, told);
    loop {
        // Only what the committer announced as flushed leaves the node: an
        // entry read between the committer's append and its flush could be
        // lost here by a crash and yet be kept by the peer.
        let durable = *seq.borrow_and_update();
        let entries = durable_window(&ctx.layout, from, durable)?;
        if entries.is_empty() {
            let wait = ctx.conf.keep_alive;
            tokio::select! {
                biased;
                changed = seq.changed() => {
                    if changed.is_err() {
                        return Ok(()); // the node is stopping
                    }
                }
                _ = tokio::time::sleep(wait) => match owed.take() {
                    Some((f, t)) => {
                        send(tx, empty_batch(f, t)).await?;
                        told = t;
                        ctx.telemetry.shipped(peer, from, told);
                    }
                    None => {
                        let ka = pb::SyncMessage { msg: Some(Msg::KeepAlive(pb::KeepAlive { hlc: 0 })) };
                        send(tx, ka).await?;
                    }
                },
            }
            continue;
        }
        for slice in state.plan(&entries, from) {
            if send_slice(ctx, state, tx, &slice.ids, slice.from, slice.to).await? {
                owed = None;
                told = slice.to;
            } else {
                owed = Some((owed.map_or(slice.from, |o| o.0), slice.to));
            }
            from = slice.to;
            ctx.telemetry.shipped(peer, from, told);
        }
    }
}

/// A batch that only moves the peer's checkpoint of this node to `to`.
fn empty_batch(from: u64, to: u64) -> pb::SyncMessage {
    pb::SyncMessage {
        msg: Some(Msg::Batch(pb::Batch {
            from_seq: from,
            to_seq: to,
            records: Vec::new(),
            repair: false,
            certificates: Vec::new(),
        })),
    }
}

/// The log entries after `from` up to the durable position, a window at a time.
pub(crate) fn durable_window(
    layout: &Layout,
    from: u64,
    durable: u64,
) -> Result<Vec<wuji_store::LogEntry>, Error> {
    if from >= durable {
        return Ok(Vec::new());
    }
    let mut entries = layout.log_after(from, WINDOW_ENTRIES)?;
    entries.retain(|e| e.seq <= durable);
    Ok(entries)
}

/// Sends the current state of `ids` as the slice `from..to` of the log;
/// false (nothing sent) if none of it is for the peer.
async fn send_slice(
    ctx: &LinkCtx,
    state: &LinkState,
    tx: &Outbound,
    ids: &BTreeSet<RecordId>,
    from: u64,
    to: u64,
) -> Result<bool, Error> {
    let peer = state.peer().ok_or(LinkError::Unexpected)?;
    let mut records = Vec::with_capacity(ids.len());
    for id in ids {
        let Some((s, stored)) = ctx.layout.record_and_state(id)? else {
            continue;
        };
        if !state.sends_in_slice(to, s.seq, s.source) || !state.peer_reads(&s.record) {
            continue;
        }
        // A deputy's personal fields may be blanked for this peer; any other
        // record goes whole, as stored (its signed envelopes as they are).
        if id.kind == wuji_model::RecordKind::Deputy {
            if let Some(r) = routing::for_recipient(&s.record, peer, ctx.conf.horizon) {
                records.push(record_to_signed_state(&r, &s.signatures));
            }
        } else if routing::visible_to(&s.record, peer, ctx.conf.horizon) {
            records.push(stored);
        }
    }
    if records.is_empty() {
        return Ok(false);
    }
    let certificates = ctx.certs_for(peer, &records);
    ctx.telemetry.sent(peer, records.len() as u64);
    // Split into messages the peer accepts; only the last moves the checkpoint.
    let chunks = split(records, ctx.max_message / 2, ctx.max_message, peer);
    let last = chunks.len().saturating_sub(1);
    let mut certificates = Some(certificates);
    for (i, records) in chunks.into_iter().enumerate() {
        let n = records.len();
        let upto = if i == last { to } else { from };
        let batch = pb::SyncMessage {
            msg: Some(Msg::Batch(pb::Batch {
                from_seq: from,
                to_seq: upto,
                records,
                repair: false,
                certificates: certificates.take().unwrap_or_default(),
            })),
        };
        send(tx, batch).await?;
        tracing::debug!(%peer, from, to = upto, records = n, "sent batch");
    }
    Ok(true)
}

/// Learns the certificates of a batch, then decodes its records, reads their
/// stored versions (for the signature checks, and ahead for the committer),
/// and checks them; returns the committer's ops.
async fn admit(
    ctx: &LinkCtx,
    peer: Code,
    b: &mut pb::Batch,
    tx: &Outbound,
) -> Result<Vec<Op>, Error> {
    if let Some(signing) = &ctx.signing {
        for der in &b.certificates {
            if let Err(e) = signing.learn(Some(&ctx.layout), der) {
                tracing::warn!(%peer, rule = "bad-certificate", error = %e, "certificate refused");
                ctx.telemetry.refused("bad-certificate");
            }
        }
    }
    // Observed before the reads: the committer trusts a read only if no
    // batch written since changed its record.
    let as_of = ctx.committer.durable();
    let states = std::mem::take(&mut b.records);
    let records = match super::decode::decode(&ctx.layout, as_of, states).await {
        Ok(r) => r,
        Err(Failed::Store(e)) => return Err(e),
        Err(Failed::Malformed(e)) => {
            let m = format!(
                "malformed record in batch {}..{}: {e}",
                b.from_seq, b.to_seq
            );
            tracing::warn!(%peer, rule = "malformed-record", error = %m, "link refused");
            ctx.telemetry.refused("malformed-record");
            let _ = tx
                .send(refusal_message("malformed-record", m.clone()))
                .await;
            return Err(LinkError::Transport(m).into());
        }
    };
    let checked = super::verify::check(ctx.signing.as_ref(), &ctx.telemetry, peer, records).await?;
    Ok(checked
        .into_iter()
        .map(|(r, sigs, prior)| Op::remote_read(r, sigs, prior))
        .collect())
}

/// Counts, by rule, what the committer refused of a peer's batch.
fn count_refused(ctx: &LinkCtx, peer: Code, rules: &[&'static str]) {
    if !rules.is_empty() {
        tracing::warn!(%peer, refused = rules.len(), ?rules, "sections refused in a batch");
    }
    for rule in rules {
        ctx.telemetry.refused(rule);
    }
}

/// Empty batches acknowledged in a row before one's checkpoint is stored.
const EMPTY_UNSTORED: u32 = 64;

/// Admitted batches waiting for the committer: while one is applied (and
/// flushed), the next is decoded and its signatures checked.
const PIPELINE: usize = 2;

/// A peer's batch, decoded and checked, for the applier.
struct Admitted {
    records: Vec<Op>,
    to_seq: u64,
    certificates: bool,
    ids: Vec<RecordId>,
}

/// The records of admitted batches not applied yet. A batch that names one
/// of them waits until they are: its signature checks and its replay
/// detection compare with what is stored (`verify.rs`), as without the
/// pipeline. (A catch-up's batches name distinct records and never wait.)
#[derive(Default)]
struct InFlight {
    ids: std::sync::Mutex<std::collections::HashMap<RecordId, u32>>,
    applied: tokio::sync::Notify,
}

impl InFlight {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<RecordId, u32>> {
        self.ids.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until none of `ids` is in flight, then marks them in flight.
    async fn enter(&self, ids: &[RecordId]) {
        loop {
            let applied = self.applied.notified();
            tokio::pin!(applied);
            applied.as_mut().enable();
            {
                let mut m = self.lock();
                if !ids.iter().any(|i| m.contains_key(i)) {
                    for i in ids {
                        *m.entry(*i).or_insert(0) += 1;
                    }
                    return;
                }
            }
            applied.await;
        }
    }

    /// Marks `ids` applied.
    fn leave(&self, ids: &[RecordId]) {
        let mut m = self.lock();
        for i in ids {
            if let Some(n) = m.get_mut(i) {
                *n -= 1;
                if *n == 0 {
                    m.remove(i);
                }
            }
        }
        drop(m);
        self.applied.notify_waiters();
    }
}

/// Applies admitted batches in order and acknowledges each once durable.
async fn apply_in_order(
    ctx: &LinkCtx,
    peer: Code,
    incarnation: Vec<u8>,
    tx: &Outbound,
    mut rx: tokio::sync::mpsc::Receiver<Admitted>,
    in_flight: &InFlight,
) -> Result<(), Error> {
    // Empty batches acknowledged without storing their checkpoint.
    let mut unstored = 0u32;
    while let Some(b) = rx.recv().await {
        let n = b.records.len();
        // A batch with nothing in it only moves the peer's checkpoint: it
        // is acknowledged at once, without a commit (on sled, a flush), and
        // the checkpoint rides on the next batch that is stored. A crash
        // meanwhile only costs the peer a rescan of its log from the stored
        // checkpoint, which every `EMPTY_UNSTORED` empty batches bounds.
        // (Before, each commit at a parent cost every child a flush: ~27
        // batches per write in the simulator's city month.)
        if n == 0 && !b.certificates && unstored < EMPTY_UNSTORED {
            unstored += 1;
        } else {
            unstored = 0;
            let done = ctx
                .committer
                .apply_remote(peer, b.records, b.to_seq, incarnation.clone())
                .await?;
            count_refused(ctx, peer, &done.refused);
        }
        in_flight.leave(&b.ids);
        tracing::debug!(%peer, to = b.to_seq, records = n, "applied batch");
        let ack = pb::Ack { seq: b.to_seq };
        send(
            tx,
            pb::SyncMessage {
                msg: Some(Msg::Ack(ack)),
            },
        )
        .await?;
    }
    Ok(())
}

/// Applies the peer's batches; acknowledges each once durable. Decoding and
/// checking a batch (on the blocking pool) runs beside the apply of the one
/// before it: two cores share the work of a catch-up.
async fn receive<S>(
    ctx: &LinkCtx,
    state: &LinkState,
    incarnation: Vec<u8>,
    tx: &Outbound,
    rx: S,
) -> Result<(), Error>
where
    S: Stream<Item = Result<pb::SyncMessage, String>> + Unpin + Send,
{
    let peer = state.peer().ok_or(LinkError::Unexpected)?;
    let (to_apply, applying) = tokio::sync::mpsc::channel(PIPELINE);
    let in_flight = InFlight::default();
    let applier = apply_in_order(ctx, peer, incarnation, tx, applying, &in_flight);
    // The next message is taken off the connection while one is admitted:
    // HTTP/2 lets a sender run ahead only as far as the receiver has read
    // (1 MiB a stream by default), and a catch-up's batch is larger than
    // that, so without this the sender stalls while each batch is admitted.
    let (to_read, reading) = tokio::sync::mpsc::channel(READ_AHEAD);
    let pump = read_ahead(rx, to_read);
    let reader = async {
        let read = read_batches(
            ctx,
            state,
            peer,
            tx,
            tokio_stream::wrappers::ReceiverStream::new(reading),
            to_apply,
            &in_flight,
        );
        tokio::pin!(read, pump);
        tokio::select! {
            biased;
            read = &mut read => return read,
            // The connection's stream ended: what was read ahead is read.
            () = &mut pump => {}
        }
        read.await
    };
    tokio::pin!(applier, reader);
    tokio::select! {
        biased;
        // The applier fails (it ends on its own only once the reader has).
        applied = &mut applier => applied.and(Err(LinkError::Closed.into())),
        // The stream closed, or an error: what was admitted is applied first.
        read = &mut reader => {
            let applied = applier.await;
            read.and(applied)
        }
    }
}

/// Messages taken off the connection ahead of the one being admitted.
const READ_AHEAD: usize = 1;

/// Moves the connection's messages into `to` as they arrive, until the
/// stream ends or nobody reads `to` any more.
async fn read_ahead<S>(mut rx: S, to: tokio::sync::mpsc::Sender<Result<pb::SyncMessage, String>>)
where
    S: Stream<Item = Result<pb::SyncMessage, String>> + Unpin + Send,
{
    while let Some(m) = rx.next().await {
        if to.send(m).await.is_err() {
            return;
        }
    }
}

/// Reads the peer's messages: batches are admitted and handed to the applier.
async fn read_batches<S>(
    ctx: &LinkCtx,
    state: &LinkState,
    peer: Code,
    tx: &Outbound,
    mut rx: S,
    to_apply: tokio::sync::mpsc::Sender<Admitted>,
    in_flight: &InFlight,
) -> Result<(), Error>
where
    S: Stream<Item = Result<pb::SyncMessage, String>> + Unpin + Send,
{
    while let Some(msg) = rx.next().await {
        let msg = msg.map_err(LinkError::Transport)?;
        match state.receive(msg) {
            Step::Apply(mut b) => {
                let ids: Vec<RecordId> = b
                    .records
                    .iter()
                    .filter_map(|s| s.id.as_ref())
                    .filter_map(|p| wuji_proto::record_id_from_pb(p).ok())
                    .collect();
                in_flight.enter(&ids).await;
                let records = match admit(ctx, peer, &mut b, tx).await {
                    Ok(r) => r,
                    Err(e) => {
                        in_flight.leave(&ids);
                        return Err(e);
                    }
                };
                ctx.telemetry.batch_received(peer, records.len() as u64);
                let a = Admitted {
                    records,
                    to_seq: b.to_seq,
                    certificates: !b.certificates.is_empty(),
                    ids,
                };
                if to_apply.send(a).await.is_err() {
                    return Err(LinkError::Closed.into()); // the applier failed
                }
            }
            Step::Repair(mut b) => {
                let records = admit(ctx, peer, &mut b, tx).await?;
                let n = records.len();
                ctx.telemetry.batch_received(peer, n as u64);
                let done = ctx.committer.apply_repair(peer, records).await?;
                count_refused(ctx, peer, &done.refused);
                tracing::info!(%peer, records = n, refused = done.refused.len(), "applied repair batch");
            }
            Step::Acked(seq) => ctx.telemetry.acked(peer, seq),
            Step::Idle => {}
            Step::Probe(p) => check::answer_probe(ctx, state, &p, tx).await?,
            Step::Verdict(v) => check::on_verdict(ctx, state, &v, tx).await?,
            Step::Drill(q) => {
                tokio::spawn(super::drill::answer(ctx.clone(), peer, q, tx.clone()));
            }
            Step::Drilled(a) => ctx.drill.answered(a),
            step @ Step::End(..) => return end(ctx, tx, step).await,
        }
    }
    Ok(())
}
