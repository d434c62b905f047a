//! The operations listener (`[ops]`, off by default): `/metrics` in the
//! Prometheus text format, `/healthz` (the process answers and its store
//! reads) and `/readyz` (store open, clock sane, parent linked or none
//! configured), over plain HTTP on its own address, loopback by default.

mod metrics;

use crate::node::Node;
use crate::{Config, Error};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use wuji_division::Code;

pub use metrics::registry;

/// What the ops listener knows of the node besides its handle: from the
/// configuration and the files it named.
#[derive(Debug, Clone, Default)]
pub struct OpsInfo {
    /// The parent this node links to, if one is configured.
    pub parent: Option<Code>,
    /// Clock offsets beyond this (ms) make the node not ready.
    pub max_offset_ms: u64,
    /// When the node's certificate expires (Unix seconds), with TLS.
    pub cert_not_after: Option<i64>,
    /// The store's directory (for the free space of its filesystem).
    pub data_dir: Option<std::path::PathBuf>,
}

impl OpsInfo {
    /// The ops view of `config`; the certificate is read from its file.
    pub fn from_config(config: &Config) -> OpsInfo {
        let cert_not_after = config.tls.as_ref().and_then(|t| {
            let pem = std::fs::read_to_string(&t.cert).ok()?;
            let der = wuji_pki::pem_certs(&pem).ok()?.into_iter().next()?;
            wuji_pki::not_after_of(&der).ok()
        });
        OpsInfo {
            parent: config.parent.as_ref().map(|p| p.code),
            max_offset_ms: config.clock.max_ahead_ms,
            cert_not_after,
            data_dir: Some(config.node.data_dir.clone()),
        }
    }
}

struct Ops {
    node: Node,
    info: OpsInfo,
    registry: prometheus_client::registry::Registry,
}

/// Serves the ops endpoints of `node` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    node: Node,
    info: OpsInfo,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let registry = registry(&node, &info);
    let ops = Arc::new(Ops {
        node,
        info,
        registry,
    });
    let app = axum::Router::new()
        .route("/metrics", axum::routing::get(metrics_page))
        .route("/healthz", axum::routing::get(healthz))
        .route("/readyz", axum::routing::get(readyz))
        .with_state(ops);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

async fn metrics_page(State(ops): State<Arc<Ops>>) -> impl IntoResponse {
    let mut out = String::new();
    match prometheus_client::encoding::text::encode(&mut out, &ops.registry) {
        Ok(()) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            out,
        ),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("metrics could not be encoded: {e}\n"),
        ),
    }
}

async fn healthz(State(ops): State<Arc<Ops>>) -> impl IntoResponse {
    match ops.node.layout().last_seq() {
        Ok(seq) => (
            StatusCode::OK,
            format!("ok: node {} log at {seq}\n", ops.node.code()),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("store unreadable: {e}\n"),
        ),
    }
}

async fn readyz(State(ops): State<Arc<Ops>>) -> impl IntoResponse {
    let checks = readiness(&ops.node, &ops.info);
    let ready = checks.iter().all(|c| c.ok);
    let mut body = format!(
        "{} {}\n",
        ops.node.code(),
        if ready { "ready" } else { "not ready" }
    );
    for c in &checks {
        body.push_str(&format!(
            "{} {}: {}\n",
            if c.ok { "ok  " } else { "FAIL" },
            c.name,
            c.detail
        ));
    }
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, body)
}

/// One readiness condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// `store`, `clock` or `parent`.
    pub name: &'static str,
    /// Whether it holds.
    pub ok: bool,
    /// What was seen.
    pub detail: String,
}

/// The readiness conditions of `node`: the store reads, the clock is sane
/// (a plausible date, and within `max_offset_ms` of every linked peer's), and
/// the parent is linked, if one is configured.
pub fn readiness(node: &Node, info: &OpsInfo) -> Vec<Check> {
    let mut out = Vec::new();
    out.push(match node.layout().last_seq() {
        Ok(seq) => Check {
            name: "store",
            ok: true,
            detail: format!("open, log at {seq}"),
        },
        Err(e) => Check {
            name: "store",
            ok: false,
            detail: e.to_string(),
        },
    });
    let year = node.today().year();
    let links = node.telemetry().links();
    let worst = links
        .iter()
        .filter(|(_, l)| l.connected)
        .filter_map(|(p, l)| l.clock_offset_ms.map(|o| (*p, o)))
        .max_by_key(|(_, o)| o.unsigned_abs());
    out.push(match worst {
        _ if !(2024..2100).contains(&year) => Check {
            name: "clock",
            ok: false,
            detail: format!("the system clock says {year}"),
        },
        Some((peer, o)) if o.unsigned_abs() > info.max_offset_ms => Check {
            name: "clock",
            ok: false,
            detail: format!(
                "{peer}'s clock is {:+.1} s from this node's (more than {} s)",
                o as f64 / 1000.0,
                info.max_offset_ms / 1000
            ),
        },
        Some((peer, o)) => Check {
            name: "clock",
            ok: true,
            detail: format!("largest offset {:+.1} s ({peer})", o as f64 / 1000.0),
        },
        None => Check {
            name: "clock",
            ok: true,
            detail: "no linked peer stated its time".into(),
        },
    });
    if let Some(parent) = info.parent {
        let up = links.get(&parent).is_some_and(|l| l.connected);
        out.push(Check {
            name: "parent",
            ok: up,
            detail: if up {
                format!("linked to {parent}")
            } else {
                format!("not linked to {parent}")
            },
        });
    }
    out
}
