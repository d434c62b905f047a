//! The JSON gateway: every call of the client API as JSON over HTTPS, for
//! systems without gRPC, on a listener of its own (`[gateway] listen`) with
//! the same mutual TLS and roles as the gRPC API. `POST /wuji.v1.Suggestions/Submit`
//! with the request message in the proto3 JSON mapping answers the reply
//! message in the same mapping; a server-streaming call (`Feed.Watch`)
//! answers Server-Sent Events, by `POST` with a JSON body or by `GET` with
//! the request's fields as query parameters (an `EventSource` reconnecting
//! with `Last-Event-ID` goes on from that cursor). A refusal is the gRPC
//! refusal as JSON (`code`, `rule`, `message`, `message_zh`) with an HTTP
//! status to match. Nothing here is written per call: messages are read and
//! written by the descriptor set compiled from `proto/`, and every call goes
//! through the node's own gRPC services behind their access rules ([`grpc`]).

mod grpc;
mod query;
mod sse;

use crate::Error;
use crate::trust::Peer;
use crate::trust::tls::Conn;
use axum::body::Bytes;
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use grpc::Guarded;
use http_body_util::BodyExt;
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MethodDescriptor};
use std::sync::Arc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;

/// The services a client may call over JSON (the links, reflection and
/// health are gRPC's own).
const SERVICES: [&str; 6] = [
    "wuji.v1.Deputies",
    "wuji.v1.Suggestions",
    "wuji.v1.Assignments",
    "wuji.v1.Supervision",
    "wuji.v1.Node",
    "wuji.v1.Feed",
];

/// What the handlers share.
pub struct Gateway {
    svc: Guarded,
    pool: DescriptorPool,
}

/// The gateway's routes over `node`'s services (messages up to `limit` bytes).
pub async fn router(node: &crate::Node, limit: usize) -> Result<axum::Router, Error> {
    let pool = DescriptorPool::decode(wuji_proto::FILE_DESCRIPTOR_SET)
        .map_err(|e| Error::invalid(format!("the compiled descriptor set: {e}")))?;
    let g = Arc::new(Gateway {
        svc: crate::server::guarded(node, limit).await?,
        pool,
    });
    Ok(axum::Router::new()
        .route("/", get(methods))
        .route("/{service}/{method}", get(call_get).post(call_post))
        .with_state(g))
}

/// A refusal of the gateway itself, before any call.
struct Refused(StatusCode, &'static str, String);

impl Refused {
    fn response(self) -> Response {
        refusal(self.0, self.1, self.2)
    }
}

/// A JSON refusal with `status`, as a gRPC refusal reads.
fn refusal(status: StatusCode, rule: &str, message: String) -> Response {
    let zh = wuji_proto::rule_zh(rule).map(|l| format!("{l}：{message}"));
    let body = serde_json::json!({
        "code": status_name(status),
        "rule": rule,
        "message": message,
        "message_zh": zh.unwrap_or_default(),
    });
    json(status, &body)
}

/// A JSON body with `status`.
fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn status_name(s: StatusCode) -> &'static str {
    s.canonical_reason().unwrap_or("Error")
}

/// The HTTP status of a gRPC code.
fn http_status(c: tonic::Code) -> StatusCode {
    use tonic::Code as C;
    match c {
        C::Ok => StatusCode::OK,
        C::InvalidArgument | C::OutOfRange => StatusCode::BAD_REQUEST,
        C::Unauthenticated => StatusCode::UNAUTHORIZED,
        C::PermissionDenied => StatusCode::FORBIDDEN,
        C::NotFound | C::Unimplemented => StatusCode::NOT_FOUND,
        C::AlreadyExists | C::Aborted => StatusCode::CONFLICT,
        C::FailedPrecondition => StatusCode::PRECONDITION_FAILED,
        C::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        C::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        C::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        C::Cancelled | C::Unknown | C::Internal | C::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A gRPC refusal as JSON: its code's name, the rule and both messages.
pub fn status_json(s: &tonic::Status) -> serde_json::Value {
    let d = wuji_proto::error_detail(s);
    serde_json::json!({
        "code": format!("{:?}", s.code()),
        "rule": d.as_ref().map(|d| d.rule.clone()).unwrap_or_default(),
        "message": d.as_ref().map(|d| d.message.clone()).unwrap_or_else(|| s.message().to_string()),
        "message_zh": d.map(|d| d.message_zh).unwrap_or_default(),
    })
}

fn refused(s: &tonic::Status) -> Response {
    json(http_status(s.code()), &status_json(s))
}

impl Gateway {
    fn method(&self, service: &str, method: &str) -> Result<MethodDescriptor, Refused> {
        let unknown = || {
            Refused(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("no call /{service}/{method} over JSON: GET / lists them"),
            )
        };
        if !SERVICES.contains(&service) {
            return Err(unknown());
        }
        let m = self
            .pool
            .get_service_by_name(service)
            .and_then(|s| s.methods().find(|m| m.name() == method))
            .ok_or_else(unknown)?;
        if m.is_client_streaming() {
            return Err(unknown());
        }
        Ok(m)
    }
}

/// The request message from its JSON, encoded.
fn request(m: &MethodDescriptor, json: &[u8]) -> Result<Vec<u8>, Refused> {
    let json = if json.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        json
    };
    let mut de = serde_json::Deserializer::from_slice(json);
    let msg = DynamicMessage::deserialize(m.input(), &mut de)
        .and_then(|msg| de.end().map(|_| msg))
        .map_err(|e| {
            Refused(
                StatusCode::BAD_REQUEST,
                "json",
                format!("the body is not a {} in JSON: {e}", m.input().full_name()),
            )
        })?;
    Ok(msg.encode_to_vec())
}

/// `GET /`: the calls this gateway answers.
async fn methods(State(g): State<Arc<Gateway>>) -> Response {
    let list: Vec<serde_json::Value> = SERVICES
        .iter()
        .filter_map(|s| g.pool.get_service_by_name(s))
        .flat_map(|s| s.methods().collect::<Vec<_>>())
        .filter(|m| !m.is_client_streaming())
        .map(|m| {
            serde_json::json!({
                "path": format!("/{}/{}", m.parent_service().full_name(), m.name()),
                "request": m.input().full_name(),
                "reply": m.output().full_name(),
                "stream": m.is_server_streaming(),
            })
        })
        .collect();
    json(StatusCode::OK, &serde_json::json!({ "methods": list }))
}

async fn call_post(
    State(g): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    Path((service, method)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let m = match g.method(&service, &method) {
        Ok(m) => m,
        Err(r) => return r.response(),
    };
    match request(&m, &body) {
        Ok(msg) => answer(&g, &m, peer, msg).await,
        Err(r) => r.response(),
    }
}

async fn call_get(
    State(g): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    Path((service, method)): Path<(String, String)>,
    headers: HeaderMap,
    raw: axum::extract::RawQuery,
) -> Response {
    let m = match g.method(&service, &method) {
        Ok(m) => m,
        Err(r) => return r.response(),
    };
    if !m.is_server_streaming() {
        return refusal(
            StatusCode::METHOD_NOT_ALLOWED,
            "json",
            format!("/{service}/{method} is called by POST with a JSON body"),
        );
    }
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let json = match query::to_json(&m.input(), raw.0.as_deref().unwrap_or(""), last) {
        Ok(j) => j,
        Err(e) => return refusal(StatusCode::BAD_REQUEST, "json", e),
    };
    match request(&m, json.to_string().as_bytes()) {
        Ok(msg) => answer(&g, &m, peer, msg).await,
        Err(r) => r.response(),
    }
}

/// Calls the method and answers: one JSON reply, or a stream of events.
async fn answer(g: &Gateway, m: &MethodDescriptor, peer: Peer, msg: Vec<u8>) -> Response {
    let path = format!("/{}/{}", m.parent_service().full_name(), m.name());
    let resp = grpc::call(&g.svc, &path, peer, &msg).await;
    if m.is_server_streaming() {
        return sse::events(resp, m.output()).await;
    }
    let (parts, body) = resp.into_parts();
    let collected = match body.collect().await {
        Ok(c) => c,
        Err(s) => return refused(&s),
    };
    let trailers = collected.trailers().cloned();
    if let Some(s) = grpc::failure(&parts.headers, trailers.as_ref()) {
        return refused(&s);
    }
    let mut frames = grpc::Frames::default();
    frames.push(&collected.to_bytes());
    let decoded = frames
        .next_message()
        .ok_or_else(|| "an empty reply".to_string())
        .and_then(|b| DynamicMessage::decode(m.output(), b).map_err(|e| e.to_string()));
    match decoded.and_then(|d| serde_json::to_vec(&d).map_err(|e| e.to_string())) {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => refusal(StatusCode::INTERNAL_SERVER_ERROR, "internal", e),
    }
}

/// Accepted connections (TLS done, the client's identity read) as axum's listener.
pub struct Listener {
    conns: ReceiverStream<std::io::Result<Conn>>,
    local: std::net::SocketAddr,
}

impl Listener {
    /// Accepts on `listener`, over TLS with `tls` (a client certificate
    /// required), or plain on loopback in dev mode.
    pub fn new(
        listener: tokio::net::TcpListener,
        tls: Option<Arc<rustls::ServerConfig>>,
        telemetry: crate::Telemetry,
    ) -> std::io::Result<Listener> {
        let local = listener.local_addr()?;
        let tls = tls.map(|c| {
            let mut c = (*c).clone();
            c.alpn_protocols = vec![b"http/1.1".to_vec()];
            Arc::new(c)
        });
        Ok(Listener {
            conns: crate::trust::tls::incoming(listener, tls, telemetry),
            local,
        })
    }
}

impl axum::serve::Listener for Listener {
    type Io = Conn;
    type Addr = Peer;

    async fn accept(&mut self) -> (Conn, Peer) {
        loop {
            match self.conns.next().await {
                Some(Ok(c)) => {
                    let peer = tonic::transport::server::Connected::connect_info(&c);
                    return (c, peer);
                }
                Some(Err(e)) => tracing::warn!(error = %e, "gateway: accept failed"),
                None => std::future::pending::<()>().await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Peer> {
        Ok(Peer {
            addr: Some(self.local),
            identity: None,
        })
    }
}

impl Connected<axum::serve::IncomingStream<'_, Listener>> for Peer {
    fn connect_info(stream: axum::serve::IncomingStream<'_, Listener>) -> Peer {
        stream.remote_addr().clone()
    }
}

/// Serves the gateway of `node` on `listener` until `stopped` resolves.
pub async fn serve(
    listener: Listener,
    node: crate::Node,
    limit: usize,
    stopped: crate::server::Stopping,
) -> Result<(), Error> {
    let app = router(&node, limit).await?;
    drop(node);
    axum::serve(listener, app.into_make_service_with_connect_info::<Peer>())
        .with_graceful_shutdown(stopped)
        .await?;
    Ok(())
}
