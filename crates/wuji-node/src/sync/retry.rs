//! The child's side of a link: dial the parent through the node's connector, run the link, and on any failure
//! wait with exponential backoff and jitter (the `backoff` crate, kept to this
//! one module) before dialing again. A parent that is down never blocks local
//! writes: they queue in the log and cross when the link is back.

use super::connect::Connector;
use super::ctx::LinkCtx;
use super::engine::run_link;
use super::state::Role;
use backoff::backoff::Backoff;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use wuji_division::Code;

fn policy() -> backoff::ExponentialBackoff {
    backoff::ExponentialBackoff {
        initial_interval: Duration::from_millis(200),
        max_interval: Duration::from_secs(30),
        multiplier: 2.0,
        randomization_factor: 0.3,
        max_elapsed_time: None,
        ..Default::default()
    }
}

/// Keeps a link to the parent through `connector` until `stop` turns true.
pub async fn dial_parent(ctx: LinkCtx, parent: Code, connector: Arc<dyn Connector>) {
    let mut stop: watch::Receiver<bool> = ctx.stop.clone();
    let mut wait = policy();
    let addr = connector.describe();
    loop {
        if *stop.borrow() {
            return;
        }
        let started = tokio::time::Instant::now();
        let outcome = tokio::select! {
            biased; // in a fixed order, so that a simulated run replays alike
            _ = stop.changed() => return,
            r = link_once(&ctx, parent, connector.as_ref()) => r,
        };
        match outcome {
            Ok(()) => tracing::info!(peer = %parent, "link to parent closed"),
            Err(e) => tracing::warn!(peer = %parent, %addr, error = %e, "link to parent failed"),
        }
        if started.elapsed() > Duration::from_secs(30) {
            wait.reset();
        }
        let pause = wait.next_backoff().unwrap_or(Duration::from_secs(30));
        tokio::select! {
            biased;
            _ = stop.changed() => return,
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

async fn link_once(
    ctx: &LinkCtx,
    parent: Code,
    connector: &dyn Connector,
) -> Result<(), crate::Error> {
    let (tx, rx) = connector
        .connect(ctx.node(), parent, ctx.max_message)
        .await?;
    run_link(ctx.clone(), Role::Child { parent }, tx, rx).await
}
