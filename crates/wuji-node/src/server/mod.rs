//! The node as a server: [`run`] reads the files the configuration names,
//! opens sled, builds the TLS connector and starts a [`Node`] from those
//! parts, then serves the API, sync, health and reflection over gRPC until
//! `shutdown` resolves; then it stops accepting, answers every queued write
//! and flushes.

mod files;
mod router;

use crate::clock::SystemClock;
use crate::node::{Parts, Running, Settings};
use crate::sync::{Connector, TcpConnector};
use crate::telemetry::Telemetry;
use crate::trust::tls::TlsFiles;
use crate::{Config, ConfigError, Error};
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

pub use files::{load_calendar, load_identity, open_store};

/// Runs a node on `listener` until `shutdown` resolves.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    config.validate()?;
    let code = config.code();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let kv = open_store(&config)?;
    let identity = match &config.tls {
        Some(t) => Some(load_identity(t, code)?),
        None => None,
    };
    let calendar = load_calendar(&config.calendar.dir)?;
    let tls = config.tls.as_ref().map(TlsFiles::from);
    let addr = listener.local_addr()?;
    let server_tls = match &tls {
        Some(f) => Some(crate::trust::tls::server_config(f, provider.clone())?),
        None if addr.ip().is_loopback() => {
            tracing::warn!(node = %code, %addr, "PLAINTEXT DEV MODE: no [tls] configured; connections are neither encrypted nor authenticated (allowed on loopback only)");
            None
        }
        None => return Err(ConfigError::PlaintextOffLoopback { addr }.into()),
    };
    let connector = config.parent.as_ref().map(|p| {
        Arc::new(TcpConnector::new(
            p.addr.clone(),
            tls.clone(),
            provider.clone(),
        )) as Arc<dyn Connector>
    });
    let parts = Parts {
        kv: Arc::new(kv),
        clock: Arc::new(SystemClock),
        identity,
        connector,
        telemetry: Telemetry::default(),
    };
    let running = crate::node::start(parts, Settings::from_config(&config, calendar))?;
    for notice in running.node().calendar().notices(running.node().today()) {
        tracing::warn!(node = %code, "{notice}");
    }
    tracing::info!(node = %code, level = code.level().en(), %addr, data = %config.node.data_dir.display(), tls = server_tls.is_some(), "node serving");
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let ops = match &config.ops {
        o if o.enabled => {
            let ops_listener =
                TcpListener::bind(&o.listen)
                    .await
                    .map_err(|error| ConfigError::Bind {
                        addr: o.listen.clone(),
                        what: "ops.listen",
                        error,
                    })?;
            let ops_addr = ops_listener.local_addr()?;
            tracing::info!(node = %code, addr = %ops_addr, "ops listener: /metrics /healthz /readyz");
            let info = crate::ops::OpsInfo::from_config(&config);
            let node = running.node().clone();
            let mut stopping = stopping.clone();
            let stopped = async move {
                let _ = stopping.wait_for(|s| *s).await;
            };
            Some(tokio::spawn(async move {
                // A failing ops listener stops nothing else: the node goes on serving.
                if let Err(e) = crate::ops::serve(ops_listener, node, info, stopped).await {
                    tracing::error!(node = %code, error = %e, "ops listener stopped");
                }
            }))
        }
        _ => None,
    };
    // The ops listener holds a handle on the node: it stops with the
    // shutdown signal, before the node waits for its handles to go.
    let result = serve(
        listener,
        running,
        server_tls,
        config.api.max_message_bytes,
        async move {
            shutdown.await;
            let _ = stop.send(true);
        },
    )
    .await;
    if let Some(ops) = ops {
        let _ = ops.await;
    }
    result
}

/// Serves a started node on `listener` (over TLS with `tls`), every service
/// taking messages up to `limit` bytes, until `shutdown` resolves; then stops
/// the node. Links from children and the API share the listener.
pub async fn serve(
    listener: TcpListener,
    running: Running,
    tls: Option<Arc<rustls::ServerConfig>>,
    limit: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let routes = router::routes(running.node(), limit).await?;
    let stop_links = running.link_stopper();
    let incoming = crate::trust::tls::incoming(listener, tls, running.node().telemetry().clone());
    let served = routes
        .serve_with_incoming_shutdown(incoming, async move {
            shutdown.await;
            // Open link streams would keep the server waiting: end them now.
            let _ = stop_links.send(true);
        })
        .await;
    running.stop().await?;
    Ok(served?)
}
