//! Digest checks on a link, the driver's side. When the link is quiet
//! (everything this child sent is acknowledged and nothing arrived for a
//! moment) the child sends its digests of its own region, one per record kind;
//! the parent compares them with its own (both are kept with the records, so
//! this costs no scan) and answers with the kinds that differ. Both sides then
//! resend their records of those kinds in that region as repair batches; a
//! difference in a region holding more than `sync.narrow_above` records is
//! first narrowed, region by region down the division tree (each region below,
//! and the records homed exactly at the region), so one lost record does not
//! resend a province. The merge makes a resend harmless, so a check that races
//! with a change in flight only costs bytes. This catches what the log cannot
//! see: a store restored from a backup that then wrote past its old
//! checkpoints, or records lost without the log knowing. The decisions are the
//! state machine's ([`super::state`]); this module reads, sends and resends.

use super::batch::split;
use super::ctx::LinkCtx;
use super::ctx::Outbound;
use super::state::{BATCH_RECORDS, LinkState, kinds};
use crate::{Error, LinkError};
use std::collections::BTreeMap;
use std::time::Instant;
use wuji_division::Code;
use wuji_model::routing;
use wuji_proto::pb::{self, sync_message::Msg};
use wuji_proto::record_to_signed_state;

async fn send(tx: &Outbound, m: pb::SyncMessage) -> Result<(), Error> {
    tx.send(m).await.map_err(|_| LinkError::Closed.into())
}

/// The parent's side: answers a child's probe with a verdict and resends its
/// own records of the kinds that differ.
pub async fn answer_probe(
    ctx: &LinkCtx,
    state: &LinkState,
    p: &pb::DigestProbe,
    tx: &Outbound,
) -> Result<(), Error> {
    let peer = state.peer().ok_or(LinkError::Unexpected)?;
    let (scope, kinds) = state.probe_scope(p)?;
    let mine: BTreeMap<u8, (Vec<u8>, u64)> = ctx
        .digests(scope, &kinds, p.exact, false)?
        .into_iter()
        .map(|(k, d, n)| (k, (d, n)))
        .collect();
    let mut v = state.verdict(p, &mine)?;
    let mut subs = std::collections::BTreeSet::new();
    for &k in &v.narrow {
        subs.extend(ctx.layout.sub_scopes(scope, k)?);
    }
    v.message.subs = subs.into_iter().map(Code::value).collect();
    send(
        tx,
        pb::SyncMessage {
            msg: Some(Msg::Verdict(v.message)),
        },
    )
    .await?;
    let protocol = state.greeting().map_or(1, |g| g.protocol);
    spawn_resend(ctx, peer, protocol, scope, p.exact, v.resend, tx);
    Ok(())
}

/// The child's side of a verdict: resend what differs, and probe each region
/// below a difference that was too large to resend whole (and the scope
/// itself, exactly).
pub async fn on_verdict(
    ctx: &LinkCtx,
    state: &LinkState,
    v: &pb::DigestVerdict,
    tx: &Outbound,
) -> Result<(), Error> {
    let peer = state.peer().ok_or(LinkError::Unexpected)?;
    let mut r = state.on_verdict(v)?;
    let protocol = state.greeting().map_or(1, |g| g.protocol);
    spawn_resend(ctx, peer, protocol, r.scope, r.exact, r.resend, tx);
    if r.narrow.is_empty() {
        return Ok(());
    }
    for &k in &r.narrow {
        r.subs.extend(ctx.layout.sub_scopes(r.scope, k)?);
    }
    tracing::info!(%peer, scope = %r.scope, regions = r.subs.len(), "narrowing a digest difference");
    for sub in r.subs {
        send(tx, ctx.probe(sub, &r.narrow, false)?).await?;
    }
    send(tx, ctx.probe(r.scope, &r.narrow, true)?).await
}

/// Sends this node's records of `kinds` homed in `scope` to `peer` as repair
/// batches; returns how many records it sent.
pub async fn resend(
    ctx: LinkCtx,
    peer: Code,
    protocol: u32,
    scope: Code,
    exact: bool,
    kinds: Vec<u8>,
    tx: Outbound,
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
                if !scope.contains(s.record.id.home)
                    || s.seq > durable
                    || !super::state::peer_reads(protocol, &s.record)
                {
                    continue;
                }
                if let Some(r) = routing::for_recipient(&s.record, peer, ctx.conf.horizon) {
                    records.push(record_to_signed_state(&r, &s.signatures));
                }
            }
            for records in split(records, ctx.max_message / 2, ctx.max_message, peer) {
                if records.is_empty() {
                    continue;
                }
                sent += records.len() as u64;
                let certificates = ctx.certs_for(peer, &records);
                let batch = pb::Batch {
                    from_seq: 0,
                    to_seq: 0,
                    records,
                    repair: true,
                    certificates,
                };
                send(
                    &tx,
                    pb::SyncMessage {
                        msg: Some(Msg::Batch(batch)),
                    },
                )
                .await?;
            }
            if last {
                break;
            }
        }
    }
    ctx.telemetry.repaired(peer, sent);
    Ok(sent)
}

/// Starts a resend in its own task, so the link keeps receiving meanwhile (two
/// sides resending inline could each wait for the other to read).
pub fn spawn_resend(
    ctx: &LinkCtx,
    peer: Code,
    protocol: u32,
    scope: Code,
    exact: bool,
    kinds: Vec<u8>,
    tx: &Outbound,
) {
    if kinds.is_empty() {
        return;
    }
    tracing::warn!(%peer, %scope, exact, ?kinds, "digests differ: resending these kinds both ways");
    let (ctx, tx) = (ctx.clone(), tx.clone());
    tokio::spawn(async move {
        match resend(ctx, peer, protocol, scope, exact, kinds, tx).await {
            Ok(n) => tracing::info!(%peer, records = n, "repair resend done"),
            Err(e) => tracing::info!(%peer, error = %e, "repair resend stopped"),
        }
    });
}

/// The child's side: probes whenever the link is quiet and a check is due.
pub async fn prober(ctx: LinkCtx, peer: Code, tx: Outbound) -> Result<(), Error> {
    let mut last_check: Option<Instant> = None;
    loop {
        let now = tokio::time::Instant::now().into_std();
        tokio::time::sleep(LinkState::probe_wait(ctx.conf.check_every, now, last_check)).await;
        // Entries that held nothing for the parent are not acknowledged one by
        // one: all is acknowledged once what was told is.
        let acked = ctx.telemetry.settled(peer);
        let received = ctx.telemetry.link(peer).and_then(|e| e.last_received);
        // tokio's clock: virtual under a paused runtime (the simulator).
        let now = tokio::time::Instant::now().into_std();
        if !LinkState::probe_due(
            ctx.conf.check_every,
            now,
            acked,
            ctx.layout.last_seq()?,
            received,
            last_check,
        ) {
            continue;
        }
        send(&tx, ctx.probe(ctx.node(), &kinds(), false)?).await?;
        ctx.telemetry.checked(peer);
        last_check = Some(now);
    }
}
