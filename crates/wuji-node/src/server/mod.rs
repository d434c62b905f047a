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
pub(crate) use router::guarded;

/// Runs a node on `listener` until `shutdown` resolves.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    run_with(listener, config, shutdown, Vec::new()).await
}

/// Runs a node on `listener` with `sidecars` beside it (besides the ops
/// listener, which `[ops]` starts) until `shutdown` resolves.
pub async fn run_with(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
    sidecars: Vec<Sidecar>,
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
    let mut sidecars = sidecars;
    if config.ops.enabled {
        sidecars.insert(0, ops_sidecar(&config).await?);
    }
    if config.gateway.enabled {
        sidecars.push(gateway_sidecar(&config, server_tls.clone()).await?);
    }
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
    let tasks: Vec<_> = sidecars
        .into_iter()
        .map(|start| {
            let mut stopping = stopping.clone();
            let stopped: Stopping = Box::pin(async move {
                let _ = stopping.wait_for(|s| *s).await;
            });
            tokio::spawn(start(running.node().clone(), stopped))
        })
        .collect();
    // The sidecars hold handles on the node: they stop with the shutdown
    // signal, before the node waits for its handles to go.
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
    for t in tasks {
        let _ = t.await;
    }
    result
}

/// A future that resolves when the node is shutting down.
pub type Stopping = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// A server run beside the gRPC listener over the same node (the ops
/// listener, the console): given the started node and a future that
/// resolves at shutdown, the task to run until then. Its listener is bound
/// before the node starts, so that a taken address fails the start.
pub type Sidecar = Box<
    dyn FnOnce(crate::Node, Stopping) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send,
>;

/// The JSON gateway of `config` as a sidecar, its address bound: TLS as
/// the gRPC listener's (client certificates required), plain on loopback
/// in dev mode only.
async fn gateway_sidecar(
    config: &Config,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Result<Sidecar, Error> {
    let code = config.code();
    let g = &config.gateway;
    let listener = TcpListener::bind(&g.listen)
        .await
        .map_err(|error| ConfigError::Bind {
            addr: g.listen.clone(),
            what: "gateway.listen",
            error,
        })?;
    let addr = listener.local_addr()?;
    if tls.is_none() && !addr.ip().is_loopback() {
        return Err(ConfigError::PlaintextOffLoopback { addr }.into());
    }
    let limit = config.api.max_message_bytes;
    Ok(Box::new(move |node, stopped| {
        Box::pin(async move {
            let listener =
                match crate::gateway::Listener::new(listener, tls, node.telemetry().clone()) {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!(node = %code, error = %e, "gateway not started");
                        return;
                    }
                };
            tracing::info!(node = %code, %addr, "JSON gateway: POST /wuji.v1.<Service>/<Call>, GET / lists them");
            if let Err(e) = crate::gateway::serve(listener, node, limit, stopped).await {
                tracing::error!(node = %code, error = %e, "gateway stopped");
            }
        })
    }))
}

/// The ops listener of `config` as a sidecar, its address bound.
async fn ops_sidecar(config: &Config) -> Result<Sidecar, Error> {
    let code = config.code();
    let o = &config.ops;
    let listener = TcpListener::bind(&o.listen)
        .await
        .map_err(|error| ConfigError::Bind {
            addr: o.listen.clone(),
            what: "ops.listen",
            error,
        })?;
    let addr = listener.local_addr()?;
    let info = crate::ops::OpsInfo::from_config(config);
    Ok(Box::new(move |node, stopped| {
        Box::pin(async move {
            tracing::info!(node = %code, %addr, "ops listener: /metrics /healthz /readyz");
            // A failing ops listener stops nothing else: the node goes on serving.
            if let Err(e) = crate::ops::serve(listener, node, info, stopped).await {
                tracing::error!(node = %code, error = %e, "ops listener stopped");
            }
        })
    }))
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
