//! The child's side of a link: dial the parent, run the link, and on any failure
//! wait with exponential backoff and jitter (the `backoff` crate, kept to this
//! one module) before dialing again. A parent that is down never blocks local
//! writes: they queue in the log and cross when the link is back.

use super::engine::{LinkCtx, Role, run_link};
use backoff::backoff::Backoff;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use wuji_division::Code;
use wuji_proto::pb::sync_client::SyncClient;

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

/// Keeps a link to the parent at `addr` until `stop` turns true.
pub async fn dial_parent(ctx: LinkCtx, parent: Code, addr: String) {
    let mut stop: watch::Receiver<bool> = ctx.stop.clone();
    let mut wait = policy();
    loop {
        if *stop.borrow() {
            return;
        }
        let started = std::time::Instant::now();
        let outcome = tokio::select! {
            r = link_once(&ctx, parent, &addr) => r,
            _ = stop.changed() => return,
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
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => return,
        }
    }
}

async fn link_once(ctx: &LinkCtx, parent: Code, addr: &str) -> Result<(), crate::Error> {
    let host = addr
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    // Over TLS the connector below does TLS itself; the endpoint stays http.
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{host}"))
        .map_err(|e| crate::Error::Config(format!("parent.addr {addr}: {e}")))?
        .connect_timeout(Duration::from_secs(5))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(15))
        .keep_alive_timeout(Duration::from_secs(10))
        .keep_alive_while_idle(true);
    let channel = match &ctx.tls {
        Some(files) => {
            let cfg = crate::trust::tls::client_config(files)?;
            crate::trust::tls::connect(endpoint, host.to_string(), parent, cfg).await
        }
        None => endpoint.connect().await,
    }
    .map_err(|e| crate::Error::Serve(format!("cannot reach the parent: {e:?}")))?;
    let (tx, rx) = mpsc::channel(64);
    let mut client = SyncClient::new(channel)
        .max_decoding_message_size(ctx.max_message)
        .max_encoding_message_size(ctx.max_message);
    let inbound = client
        .link(ReceiverStream::new(rx))
        .await
        .map_err(|e| crate::Error::Serve(format!("the parent refused the link: {}", e.message())))?
        .into_inner();
    run_link(
        ctx.clone(),
        Role::Child { parent },
        tx,
        inbound.map(|m| m.map_err(|e| e.message().to_string())),
    )
    .await
}
