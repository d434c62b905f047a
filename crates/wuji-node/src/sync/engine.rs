//! The link engine: greeting, then shipping the log one way and applying
//! batches the other way, over an outbound channel and an inbound stream.

use super::batch::split;
use super::check;
use super::greeting::{check_hello, hello, refusal};
use crate::Error;
use crate::commit::Committer;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_stream::{Stream, StreamExt};
use wuji_division::Code;
use wuji_model::{RecordId, routing};
use wuji_proto::pb::{self, sync_message::Msg};
use wuji_proto::record_to_signed_state;
use wuji_store::Layout;

/// Oldest protocol version this build still speaks.
pub const MIN_PROTOCOL_VERSION: u32 = 1;
/// Records per batch at most (a record changed many times still crosses once).
pub(crate) const BATCH_RECORDS: usize = 500;
/// Log entries read at a time; each record changed within them is sent once.
const WINDOW_ENTRIES: usize = 1024;
/// A keep-alive is sent when nothing else was for this long.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The state of one link, for `wuji status`.
#[derive(Debug, Clone, Default)]
pub struct LinkInfo {
    /// "parent" (the peer is this node's parent) or "child".
    pub role: &'static str,
    /// Whether the link is up.
    pub connected: bool,
    /// Highest log sequence of this node the peer acknowledged.
    pub acked: u64,
    /// Record states sent to the peer since this node started.
    pub sent: u64,
    /// When the last batch from the peer arrived.
    pub last_received: Option<std::time::Instant>,
    /// Digest checks this node started on the link (children only).
    pub checks: u64,
    /// Records this node resent to the peer because digests differed.
    pub repaired: u64,
    /// Owners whose certificates were sent on the current link.
    pub certs_sent: BTreeSet<Code>,
}

/// Every link of a node, by peer.
pub type Links = std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<Code, LinkInfo>>>;

/// What a link needs from its node.
#[derive(Clone)]
pub struct LinkCtx {
    /// This node.
    pub node: Code,
    /// Its configured parent, if any.
    pub parent: Option<Code>,
    /// The store (log, records, checkpoints).
    pub layout: Layout,
    /// The writer.
    pub committer: Committer,
    /// Largest message.
    pub max_message: usize,
    /// Turns true when the node stops; every link then ends.
    pub stop: tokio::sync::watch::Receiver<bool>,
    /// The state of every link.
    pub links: Links,
    /// TLS files for dialing the parent (`None`: plaintext dev mode).
    pub tls: Option<crate::trust::tls::TlsFiles>,
    /// If not empty, the only children that may link.
    pub children: Vec<Code>,
    /// Refusals by rule, shown by `wuji status`.
    pub refusals: crate::trust::Refusals,
    /// Section signatures: keys, certificates (`None` in plaintext dev mode).
    pub signing: Option<super::verify::Signing>,
    /// Digest differences in regions larger than this are narrowed first.
    pub narrow_above: u64,
}

/// Which end of the link this node is.
#[derive(Debug, Clone, Copy)]
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

/// The greeting received from the peer.
#[derive(Debug, Clone)]
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
}

/// Runs one link until either side closes or fails.
pub async fn run_link<S>(
    ctx: LinkCtx,
    role: Role,
    tx: mpsc::Sender<pb::SyncMessage>,
    mut rx: S,
) -> Result<(), Error>
where
    S: Stream<Item = Result<pb::SyncMessage, String>> + Unpin + Send,
{
    let closed = || Error::Serve("the peer closed the link".into());
    // Greeting: the dialer speaks first, with its checkpoint of the parent.
    let greeting = match role {
        Role::Child { parent } => {
            let cp = ctx.layout.checkpoint(parent)?;
            tx.send(hello(&ctx, cp)?).await.map_err(|_| closed())?;
            receive_hello(&ctx, role, &tx, &mut rx).await?
        }
        Role::Parent { .. } => {
            let g = receive_hello(&ctx, role, &tx, &mut rx).await?;
            let cp = ctx.layout.checkpoint(g.peer)?;
            tx.send(hello(&ctx, cp)?).await.map_err(|_| closed())?;
            g
        }
    };
    tracing::info!(peer = %greeting.peer, resume_from = greeting.resume_from, "link up");
    let role_name = match role {
        Role::Child { .. } => "parent",
        Role::Parent { .. } => "child",
    };
    if let Ok(mut l) = ctx.links.lock() {
        let e = l.entry(greeting.peer).or_default();
        e.role = role_name;
        e.connected = true;
        e.acked = greeting.resume_from;
        e.certs_sent.clear();
    }
    let _down = LinkDown {
        links: ctx.links.clone(),
        peer: greeting.peer,
    };
    let mut stop = ctx.stop.clone();
    let sender = ship(ctx.clone(), greeting.clone(), tx.clone());
    let prober = async {
        match role {
            Role::Child { .. } => check::prober(ctx.clone(), greeting.peer, tx.clone()).await,
            Role::Parent { .. } => std::future::pending().await,
        }
    };
    let receiver = receive(
        ctx.clone(),
        role,
        greeting.peer,
        greeting.incarnation,
        tx.clone(),
        rx,
    );
    tokio::select! {
        r = sender => r,
        r = receiver => r,
        r = prober => r,
        _ = stop.wait_for(|s| *s) => Ok(()),
    }
}

/// Marks a link down when its engine ends, however it ends.
struct LinkDown {
    links: Links,
    peer: Code,
}

impl Drop for LinkDown {
    fn drop(&mut self) {
        if let Ok(mut l) = self.links.lock()
            && let Some(e) = l.get_mut(&self.peer)
        {
            e.connected = false;
        }
    }
}

async fn receive_hello<S>(
    ctx: &LinkCtx,
    role: Role,
    tx: &mpsc::Sender<pb::SyncMessage>,
    rx: &mut S,
) -> Result<Greeting, Error>
where
    S: Stream<Item = Result<pb::SyncMessage, String>> + Unpin + Send,
{
    let first = tokio::time::timeout(Duration::from_secs(30), rx.next())
        .await
        .map_err(|_| Error::Serve("no greeting within 30 s".into()))?;
    let msg = match first {
        Some(Ok(m)) => m,
        Some(Err(e)) => return Err(Error::Serve(e)),
        None => return Err(Error::Serve("the peer closed before greeting".into())),
    };
    match msg.msg {
        Some(Msg::Hello(h)) => match check_hello(ctx, role, &h) {
            Ok(peer) => {
                let mine = ctx.layout.incarnation()?;
                let last = ctx.committer.durable();
                let resume_from = if h.resume_incarnation != mine {
                    if h.resume_from > 0 {
                        tracing::info!(%peer, "the peer's checkpoint counts in another store of this node: shipping everything");
                    }
                    0
                } else if h.resume_from > last {
                    tracing::warn!(%peer, checkpoint = h.resume_from, last, "the peer is ahead of this log (restored from a backup?): shipping everything");
                    0
                } else {
                    h.resume_from
                };
                let (held, held_inc) = ctx.layout.checkpoint(peer)?;
                let lost_data = held > 0 && (held_inc != h.incarnation || held > h.last_seq);
                if lost_data {
                    tracing::warn!(%peer, held, peer_last = h.last_seq, "the peer lost data since the last link: sending back what came from it too");
                }
                Ok(Greeting {
                    peer,
                    resume_from,
                    incarnation: h.incarnation,
                    lost_data,
                })
            }
            Err((rule, message)) => {
                tracing::warn!(%rule, %message, "link refused");
                ctx.refusals.count(&rule);
                let _ = tx.send(refusal(&rule, message.clone())).await;
                Err(Error::Serve(format!("link refused [{rule}]: {message}")))
            }
        },
        Some(Msg::Refusal(r)) => Err(Error::Serve(format!(
            "refused by the peer [{}]: {}",
            r.rule, r.message
        ))),
        _ => Err(Error::Serve("the first message was not a greeting".into())),
    }
}

/// Ships this node's log to the peer from its checkpoint, then every new commit.
async fn ship(ctx: LinkCtx, g: Greeting, tx: mpsc::Sender<pb::SyncMessage>) -> Result<(), Error> {
    let mut from = g.resume_from;
    let mut seq = ctx.committer.watch();
    // Entries that came from the peer are not echoed back, except, when the
    // peer lost data, those logged before this link.
    let echo_until = if g.lost_data {
        ctx.committer.durable()
    } else {
        0
    };
    loop {
        // Only what the committer announced as flushed leaves the node: an
        // entry read between the committer's append and its flush could be
        // lost here by a crash and yet be kept by the peer.
        let durable = *seq.borrow_and_update();
        let entries = durable_window(&ctx.layout, from, durable)?;
        if entries.is_empty() {
            tokio::select! {
                changed = seq.changed() => {
                    if changed.is_err() {
                        return Ok(()); // the node is stopping
                    }
                }
                _ = tokio::time::sleep(KEEP_ALIVE) => {
                    let ka = pb::SyncMessage { msg: Some(Msg::KeepAlive(pb::KeepAlive { hlc: 0 })) };
                    tx.send(ka).await.map_err(|_| Error::Serve("link closed".into()))?;
                }
            }
            continue;
        }
        let ships = |e: &wuji_store::LogEntry| e.source != Some(g.peer) || e.seq <= echo_until;
        // Within this window of the log, a record is sent at the last entry that
        // ships it (catch-up sends each changed record once, without reading it
        // at its earlier entries).
        let mut last: HashMap<RecordId, u64> = HashMap::new();
        for e in entries.iter().filter(|e| ships(e)) {
            for id in &e.ids {
                last.insert(*id, e.seq);
            }
        }
        let mut rest = entries.as_slice();
        while !rest.is_empty() {
            // One batch: the records of as many entries as fit BATCH_RECORDS.
            let mut ids: BTreeSet<RecordId> = BTreeSet::new();
            let mut to = from;
            while let Some((e, tail)) = rest.split_first() {
                rest = tail;
                if ships(e) {
                    ids.extend(e.ids.iter().filter(|id| last.get(id) == Some(&e.seq)));
                }
                to = e.seq;
                if ids.len() >= BATCH_RECORDS {
                    break;
                }
            }
            send_slice(&ctx, &g, &tx, &ids, from, to).await?;
            from = to;
        }
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

/// Sends the current state of `ids` as the slice `from..to` of the log.
async fn send_slice(
    ctx: &LinkCtx,
    g: &Greeting,
    tx: &mpsc::Sender<pb::SyncMessage>,
    ids: &BTreeSet<RecordId>,
    from: u64,
    to: u64,
) -> Result<(), Error> {
    let mut records = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(s) = ctx.layout.record(id)? else {
            continue;
        };
        // A record changed again after this window is sent there, once, with
        // the same current state, unless that later change came from the peer:
        // it is not sent back.
        if s.seq > to && s.source != Some(g.peer) {
            continue;
        }
        if let Some(r) = routing::for_recipient(&s.record, g.peer) {
            records.push(record_to_signed_state(&r, &s.signatures));
        }
    }
    let certificates = certs_for(ctx, g.peer, &records);
    if let Ok(mut l) = ctx.links.lock()
        && let Some(e) = l.get_mut(&g.peer)
    {
        e.sent += records.len() as u64;
    }
    // Split into messages the peer accepts; only the last moves the checkpoint.
    let chunks = split(records, ctx.max_message / 2, ctx.max_message, g.peer);
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
        tx.send(batch)
            .await
            .map_err(|_| Error::Serve("link closed".into()))?;
        tracing::debug!(peer = %g.peer, from, to = upto, records = n, "sent batch");
    }
    Ok(())
}

/// The certificates of the owners of sections in `records` that the peer has
/// not been sent on this link.
pub(crate) fn certs_for(ctx: &LinkCtx, peer: Code, records: &[pb::RecordState]) -> Vec<Vec<u8>> {
    let Some(signing) = &ctx.signing else {
        return Vec::new();
    };
    let owners = super::verify::owners(records);
    match ctx.links.lock() {
        Ok(mut l) => {
            let e = l.entry(peer).or_default();
            signing.certs_for(&owners, &mut e.certs_sent)
        }
        Err(_) => Vec::new(),
    }
}

/// Learns the certificates of a batch, then decodes and checks its records.
async fn admit(
    ctx: &LinkCtx,
    peer: Code,
    b: &pb::Batch,
    tx: &mpsc::Sender<pb::SyncMessage>,
) -> Result<Vec<(wuji_model::Record, wuji_proto::Signatures)>, Error> {
    if let Some(signing) = &ctx.signing {
        for der in &b.certificates {
            if let Err(e) = signing.learn(Some(&ctx.layout), der) {
                tracing::warn!(%peer, rule = "bad-certificate", error = %e, "certificate refused");
                ctx.refusals.count("bad-certificate");
            }
        }
    }
    let mut records = Vec::with_capacity(b.records.len());
    for state in &b.records {
        match wuji_proto::record_from_signed_state(state) {
            Ok(r) => records.push(r),
            Err(e) => {
                let m = format!(
                    "malformed record in batch {}..{}: {e}",
                    b.from_seq, b.to_seq
                );
                tracing::warn!(%peer, rule = "malformed-record", error = %m, "link refused");
                ctx.refusals.count("malformed-record");
                let _ = tx.send(refusal("malformed-record", m.clone())).await;
                return Err(Error::Serve(m));
            }
        }
    }
    super::verify::check(
        ctx.signing.as_ref(),
        &ctx.layout,
        &ctx.refusals,
        peer,
        records,
    )
    .await
}

/// Counts, by rule, what the committer refused of a peer's batch.
fn count_refused(ctx: &LinkCtx, peer: Code, rules: &[&'static str]) {
    if !rules.is_empty() {
        tracing::warn!(%peer, refused = rules.len(), ?rules, "sections refused in a batch");
    }
    for rule in rules {
        ctx.refusals.count(rule);
    }
}

/// Applies the peer's batches; acknowledges each once durable.
async fn receive<S>(
    ctx: LinkCtx,
    role: Role,
    peer: Code,
    incarnation: Vec<u8>,
    tx: mpsc::Sender<pb::SyncMessage>,
    mut rx: S,
) -> Result<(), Error>
where
    S: Stream<Item = Result<pb::SyncMessage, String>> + Unpin + Send,
{
    while let Some(msg) = rx.next().await {
        let msg = msg.map_err(Error::Serve)?;
        match msg.msg {
            Some(Msg::Batch(b)) => {
                let records = admit(&ctx, peer, &b, &tx).await?;
                let n = records.len();
                if let Ok(mut l) = ctx.links.lock()
                    && let Some(e) = l.get_mut(&peer)
                {
                    e.last_received = Some(std::time::Instant::now());
                }
                if b.repair {
                    let done = ctx.committer.apply_repair(peer, records).await?;
                    count_refused(&ctx, peer, &done.refused);
                    tracing::info!(%peer, records = n, refused = done.refused.len(), "applied repair batch");
                    continue;
                }
                let done = ctx
                    .committer
                    .apply_remote(peer, records, b.to_seq, incarnation.clone())
                    .await?;
                count_refused(&ctx, peer, &done.refused);
                tracing::debug!(%peer, to = b.to_seq, records = n, "applied batch");
                let ack = pb::SyncMessage {
                    msg: Some(Msg::Ack(pb::Ack { seq: b.to_seq })),
                };
                tx.send(ack)
                    .await
                    .map_err(|_| Error::Serve("link closed".into()))?;
            }
            Some(Msg::Ack(a)) => {
                if let Ok(mut l) = ctx.links.lock()
                    && let Some(e) = l.get_mut(&peer)
                {
                    e.acked = e.acked.max(a.seq);
                }
            }
            Some(Msg::KeepAlive(_)) => {}
            Some(Msg::Probe(p)) if matches!(role, Role::Parent { .. }) => {
                let v = check::verdict(&ctx, peer, &p)?;
                let resend = v.differ.clone();
                let scope = Code::from_value(p.scope).map_err(|e| Error::Serve(e.to_string()))?;
                tx.send(pb::SyncMessage {
                    msg: Some(Msg::Verdict(v)),
                })
                .await
                .map_err(|_| Error::Serve("link closed".into()))?;
                let kinds = resend
                    .iter()
                    .filter_map(|k| u8::try_from(*k).ok())
                    .collect();
                check::spawn_resend(&ctx, peer, scope, p.exact, kinds, &tx);
            }
            Some(Msg::Verdict(v)) if matches!(role, Role::Child { .. }) => {
                check::on_verdict(&ctx, peer, &v, &tx).await?;
            }
            Some(Msg::Refusal(r)) => {
                return Err(Error::Serve(format!(
                    "refused by the peer [{}]: {}",
                    r.rule, r.message
                )));
            }
            Some(Msg::Hello(_) | Msg::Probe(_) | Msg::Verdict(_)) | None => {
                let _ = tx
                    .send(refusal("protocol", "unexpected message".into()))
                    .await;
                return Err(Error::Serve("unexpected message on the link".into()));
            }
        }
    }
    Ok(())
}
