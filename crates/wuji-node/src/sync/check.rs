//! Digest checks on a link. When the link is quiet (everything this child sent
//! is acknowledged and nothing arrived for a moment) the child sends its digests
//! of its own region, one per record kind; the parent compares them with its
//! own (both are kept with the records, so this costs no scan) and answers with
//! the kinds that differ. Both sides then resend their records of those kinds in
//! that region as repair batches. The merge makes a resend harmless, so a check
//! that races with a change in flight only costs bytes. This catches what the
//! log cannot see: a store restored from a backup that then wrote past its old
//! checkpoints, or records lost without the log knowing.

use super::engine::{BATCH_RECORDS, LinkCtx, certs_for, split};
use crate::Error;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use wuji_division::Code;
use wuji_model::routing;
use wuji_proto::pb::{self, sync_message::Msg};
use wuji_proto::{Digest, record_to_signed_state};

/// Record kinds compared (their key bytes: deputy to summary).
const KINDS: [u8; 5] = [1, 2, 3, 4, 5];
/// How long a link must be quiet before a check.
const QUIET: Duration = Duration::from_secs(1);
/// A link checks once when it comes up and quiets, then this often.
const CHECK_EVERY: Duration = Duration::from_secs(600);

/// The child's digests of its region.
pub fn probe(ctx: &LinkCtx) -> Result<pb::SyncMessage, Error> {
    let mut kinds = Vec::with_capacity(KINDS.len());
    for k in KINDS {
        let sd = ctx.layout.scope_digest_of_kind(ctx.node, k)?;
        kinds.push(pb::KindDigest {
            kind: i32::from(k),
            digest: sd.digest.0.to_vec(),
            records: sd.records,
        });
    }
    Ok(pb::SyncMessage {
        msg: Some(Msg::Probe(pb::DigestProbe {
            scope: ctx.node.value(),
            kinds,
        })),
    })
}

/// The parent's verdict on a child's probe: the kinds whose digests differ.
pub fn verdict(ctx: &LinkCtx, peer: Code, p: &pb::DigestProbe) -> Result<Vec<u8>, Error> {
    if p.scope != peer.value() {
        return Err(Error::Serve(format!(
            "digest probe for {} from {peer}: a child checks only its own region",
            p.scope
        )));
    }
    let mut differ = Vec::new();
    for k in KINDS {
        let mine = ctx.layout.scope_digest_of_kind(peer, k)?;
        let theirs = p.kinds.iter().find(|d| d.kind == i32::from(k));
        let same = theirs.is_some_and(|d| d.digest == mine.digest.0 && d.records == mine.records)
            || (theirs.is_none() && mine.records == 0 && mine.digest == Digest::default());
        if !same {
            differ.push(k);
        }
    }
    Ok(differ)
}

/// Sends this node's records of `kinds` homed in `scope` to `peer` as repair
/// batches; returns how many records it sent.
pub async fn resend(
    ctx: LinkCtx,
    peer: Code,
    scope: Code,
    kinds: Vec<u8>,
    tx: mpsc::Sender<pb::SyncMessage>,
) -> Result<u64, Error> {
    let mut sent = 0u64;
    for k in kinds {
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = ctx.layout.records(&[k], after.as_deref(), BATCH_RECORDS)?;
            let last = page.len() < BATCH_RECORDS;
            let mut records = Vec::new();
            for s in page {
                after = Some(wuji_store::layout::record_key(&s.record.id).to_vec());
                if !scope.contains(s.record.id.home) {
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
    kinds: Vec<u8>,
    tx: &mpsc::Sender<pb::SyncMessage>,
) {
    if kinds.is_empty() {
        return;
    }
    tracing::warn!(%peer, %scope, ?kinds, "digests differ: resending these kinds both ways");
    let (ctx, tx) = (ctx.clone(), tx.clone());
    tokio::spawn(async move {
        match resend(ctx, peer, scope, kinds, tx).await {
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
