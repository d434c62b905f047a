//! Digest checks on a link. When the link is quiet (everything this child sent
//! is acknowledged and nothing arrived for a moment) the child sends its digests
//! of its own region, one per record kind; the parent compares them with its
//! own (both are kept with the records, so this costs no scan) and answers with
//! the kinds that differ. Both sides then resend their records of those kinds in
//! that region as repair batches; a difference in a region holding more than
//! `sync.narrow_above` records is first narrowed, region by region down the
//! division tree (each region below, and the records homed exactly at the
//! region), so one lost record does not resend a province. The merge makes a resend harmless, so a check
//! that races with a change in flight only costs bytes. This catches what the
//! log cannot see: a store restored from a backup that then wrote past its old
//! checkpoints, or records lost without the log knowing.

use super::batch::split;
use super::engine::{BATCH_RECORDS, LinkCtx, certs_for};
use crate::Error;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use wuji_division::Code;
use wuji_model::routing;
use wuji_proto::pb::{self, sync_message::Msg};
use wuji_proto::record_to_signed_state;

/// Record kinds compared (their key bytes: deputy to summary).
const KINDS: [u8; 5] = [1, 2, 3, 4, 5];
/// How long a link must be quiet before a check.
const QUIET: Duration = Duration::from_secs(1);
/// A link checks once when it comes up and quiets, then this often.
const CHECK_EVERY: Duration = Duration::from_secs(600);

/// The digest of kind byte `k` in `scope`: its whole region, or exactly at it.
fn digest_of(
    ctx: &LinkCtx,
    scope: Code,
    k: u8,
    exact: bool,
) -> Result<wuji_store::ScopeDigest, Error> {
    Ok(if exact {
        ctx.layout.exact_digest(scope, k)?
    } else {
        ctx.layout.scope_digest_of_kind(scope, k)?
    })
}

/// This node's digests of `kinds` in `scope` (the region, or exactly at it).
pub fn probe_for(
    ctx: &LinkCtx,
    scope: Code,
    kinds: &[u8],
    exact: bool,
) -> Result<pb::SyncMessage, Error> {
    let mut out = Vec::with_capacity(kinds.len());
    for &k in kinds {
        let sd = digest_of(ctx, scope, k, exact)?;
        out.push(pb::KindDigest {
            kind: i32::from(k),
            digest: sd.digest.0.to_vec(),
            records: sd.records,
        });
    }
    Ok(pb::SyncMessage {
        msg: Some(Msg::Probe(pb::DigestProbe {
            scope: scope.value(),
            kinds: out,
            exact,
        })),
    })
}

/// The child's digests of its whole region, every kind.
pub fn probe(ctx: &LinkCtx) -> Result<pb::SyncMessage, Error> {
    probe_for(ctx, ctx.node, &KINDS, false)
}

/// The parent's verdict on a child's probe: kinds to resend now, and kinds to
/// narrow (a difference in a region with more than `narrow_above` records).
pub fn verdict(ctx: &LinkCtx, peer: Code, p: &pb::DigestProbe) -> Result<pb::DigestVerdict, Error> {
    let scope =
        Code::from_value(p.scope).map_err(|e| Error::Serve(format!("digest probe: {e}")))?;
    if !peer.contains(scope) {
        return Err(Error::Serve(format!(
            "digest probe for {scope} from {peer}: a child checks only its own region"
        )));
    }
    let mut v = pb::DigestVerdict {
        scope: p.scope,
        exact: p.exact,
        ..Default::default()
    };
    let mut subs = std::collections::BTreeSet::new();
    for d in &p.kinds {
        let Some(k) = u8::try_from(d.kind).ok().filter(|k| KINDS.contains(k)) else {
            continue;
        };
        let mine = digest_of(ctx, scope, k, p.exact)?;
        if d.digest == mine.digest.0 && d.records == mine.records {
            continue;
        }
        let big = d.records.max(mine.records) > ctx.narrow_above;
        let township = scope.level() == wuji_division::Level::Township;
        if big && !p.exact && !township {
            v.narrow.push(d.kind);
            subs.extend(ctx.layout.sub_scopes(scope, k)?);
        } else {
            v.differ.push(d.kind);
        }
    }
    v.subs = subs.into_iter().map(Code::value).collect();
    Ok(v)
}

/// The child's side of a verdict: resend what differs, and probe each region
/// below a difference that was too large to resend whole (and the scope itself,
/// exactly).
pub async fn on_verdict(
    ctx: &LinkCtx,
    peer: Code,
    v: &pb::DigestVerdict,
    tx: &mpsc::Sender<pb::SyncMessage>,
) -> Result<(), Error> {
    let scope =
        Code::from_value(v.scope).map_err(|e| Error::Serve(format!("digest verdict: {e}")))?;
    let kinds =
        |ks: &[i32]| -> Vec<u8> { ks.iter().filter_map(|k| u8::try_from(*k).ok()).collect() };
    spawn_resend(ctx, peer, scope, v.exact, kinds(&v.differ), tx);
    let narrow = kinds(&v.narrow);
    if narrow.is_empty() {
        return Ok(());
    }
    let mut subs: std::collections::BTreeSet<Code> = v
        .subs
        .iter()
        .filter_map(|c| Code::from_value(*c).ok())
        .filter(|c| c.parent() == Some(scope))
        .collect();
    for &k in &narrow {
        subs.extend(ctx.layout.sub_scopes(scope, k)?);
    }
    tracing::info!(%peer, %scope, regions = subs.len(), "narrowing a digest difference");
    let send = |m| async {
        tx.send(m)
            .await
            .map_err(|_| Error::Serve("link closed".into()))
    };
    for sub in subs {
        send(probe_for(ctx, sub, &narrow, false)?).await?;
    }
    send(probe_for(ctx, scope, &narrow, true)?).await
}

/// Sends this node's records of `kinds` homed in `scope` to `peer` as repair
/// batches; returns how many records it sent.
pub async fn resend(
    ctx: LinkCtx,
    peer: Code,
    scope: Code,
    exact: bool,
    kinds: Vec<u8>,
    tx: mpsc::Sender<pb::SyncMessage>,
) -> Result<u64, Error> {
    let mut sent = 0u64;
    for k in kinds {
        // Exactly at the scope: the records whose key starts with kind and home.
        let mut prefix = vec![k];
        if exact {
            prefix.extend_from_slice(&scope.value().to_be_bytes());
        }
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = ctx
                .layout
                .records(&prefix, after.as_deref(), BATCH_RECORDS)?;
            let last = page.len() < BATCH_RECORDS;
            let mut records = Vec::new();
            // A record whose last change is not yet flushed leaves with the log
            // once it is, never before.
            let durable = ctx.committer.durable();
            for s in page {
                after = Some(wuji_store::layout::record_key(&s.record.id).to_vec());
                if !scope.contains(s.record.id.home) || s.seq > durable {
                    continue;
                }
                if let Some(r) = routing::for_recipient(&s.record, peer) {
                    records.push(record_to_signed_state(&r, &s.signatures));
                }
            }
            for records in split(records, ctx.max_message / 2, ctx.max_message, peer) {
                if records.is_empty() {
                    continue;
                }
                sent += records.len() as u64;
                let certificates = certs_for(&ctx, peer, &records);
                let batch = pb::SyncMessage {
                    msg: Some(Msg::Batch(pb::Batch {
                        from_seq: 0,
                        to_seq: 0,
                        records,
                        repair: true,
                        certificates,
                    })),
                };
                tx.send(batch)
                    .await
                    .map_err(|_| Error::Serve("link closed".into()))?;
            }
            if last {
                break;
            }
        }
    }
    if let Ok(mut l) = ctx.links.lock()
        && let Some(e) = l.get_mut(&peer)
    {
        e.repaired += sent;
    }
    Ok(sent)
}

/// Starts a resend in its own task, so the link keeps receiving meanwhile (two
/// sides resending inline could each wait for the other to read).
pub fn spawn_resend(
    ctx: &LinkCtx,
    peer: Code,
    scope: Code,
    exact: bool,
    kinds: Vec<u8>,
    tx: &mpsc::Sender<pb::SyncMessage>,
) {
    if kinds.is_empty() {
        return;
    }
    tracing::warn!(%peer, %scope, exact, ?kinds, "digests differ: resending these kinds both ways");
    let (ctx, tx) = (ctx.clone(), tx.clone());
    tokio::spawn(async move {
        match resend(ctx, peer, scope, exact, kinds, tx).await {
            Ok(n) => tracing::info!(%peer, records = n, "repair resend done"),
            Err(e) => tracing::info!(%peer, error = %e, "repair resend stopped"),
        }
    });
}

/// The child's side: probes whenever the link is quiet and a check is due.
pub async fn prober(
    ctx: LinkCtx,
    peer: Code,
    tx: mpsc::Sender<pb::SyncMessage>,
) -> Result<(), Error> {
    let mut last_check: Option<Instant> = None;
    loop {
        tokio::time::sleep(QUIET).await;
        if last_check.is_some_and(|t| t.elapsed() < CHECK_EVERY) {
            continue;
        }
        let (acked, received) = match ctx.links.lock() {
            Ok(l) => l
                .get(&peer)
                .map(|e| (e.acked, e.last_received))
                .unwrap_or_default(),
            Err(_) => continue,
        };
        let quiet = received.is_none_or(|t| t.elapsed() >= QUIET);
        if acked < ctx.layout.last_seq()? || !quiet {
            continue;
        }
        tx.send(probe(&ctx)?)
            .await
            .map_err(|_| Error::Serve("link closed".into()))?;
        if let Ok(mut l) = ctx.links.lock()
            && let Some(e) = l.get_mut(&peer)
        {
            e.checks += 1;
        }
        last_check = Some(Instant::now());
    }
}
