//! The child's side of a link: dial the parent through the node's connector, run the link, and on any failure
//! wait with exponential backoff (the `backoff` crate, kept to this one
//! module) and jitter before dialing again. The jitter is a hash of the node's
//! code and the attempt, not a random draw: children of one parent still
//! spread their redials, and a simulated run replays alike. A parent that is down never blocks local
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
        randomization_factor: 0.0, // jitter: see `jitter`
        max_elapsed_time: None,
        ..Default::default()
    }
}

/// Keeps a link to the parent through `connector` until `stop` turns true.
pub async fn dial_parent(ctx: LinkCtx, parent: Code, connector: Arc<dyn Connector>) {
    let mut stop: watch::Receiver<bool> = ctx.stop.clone();
    let mut wait = policy();
    let addr = connector.describe();
    let mut attempt = 0u64;
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
        attempt += 1;
        let pause = jitter(
            wait.next_backoff().unwrap_or(Duration::from_secs(30)),
            ctx.node(),
            attempt,
        );
        tokio::select! {
            biased;
            _ = stop.changed() => return,
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

/// `pause` scaled by a factor in [0.7, 1.3) drawn from a hash of `node` and
/// `attempt` (SplitMix64's finaliser).
fn jitter(pause: Duration, node: Code, attempt: u64) -> Duration {
    let mut z = (u64::from(node.value()) << 32 ^ attempt).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let unit = (z >> 11) as f64 / (1u64 << 53) as f64;
    pause.mul_f64(0.7 + 0.6 * unit)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_thirty_percent_and_spreads_nodes() {
        let base = Duration::from_secs(10);
        let mut seen = std::collections::BTreeSet::new();
        for n in 1..=50u32 {
            let code = Code::parse(&format!("3201{n:02}")).unwrap_or(Code::NATIONAL);
            let p = jitter(base, code, 1);
            assert!(
                p >= Duration::from_secs(7) && p < Duration::from_secs(13),
                "{p:?}"
            );
            assert_eq!(
                p,
                jitter(base, code, 1),
                "the same node and attempt wait alike"
            );
            seen.insert(p.as_millis() / 100);
        }
        assert!(
            seen.len() > 20,
            "children of one parent redial at different times: {seen:?}"
        );
    }
}
