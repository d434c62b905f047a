//! The access rule of every call, as a tower layer in front of all services:
//! the caller's identity (from its certificate) against the method called.
//!
//! | caller | may call |
//! |---|---|
//! | any certificate of the federation | health, reflection |
//! | a node | `Sync.Link` (its code is then checked against its greeting), `Sync.Digest`; reads of the API if it is this node or above it |
//! | a reader of node N | reads (`Get*`, `List*`, `Status`, `Sync.Digest`, `Feed.Watch`) on N and on nodes inside N's region; `Feed.Watch` also on the nodes above N (what N's node would hold) |
//! | an operator of node N | reads and writes on N only |
//!
//! Without TLS (dev mode, loopback only) nobody is identified and every call is
//! let through; the node warned when it started and on every connection.

use super::{ClientRole, Identity, Peer};
use crate::telemetry::Telemetry;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tonic::codegen::http;
use tracing::Instrument;
use wuji_division::Code;

/// The layer, for `Server::builder().layer(..)`.
#[derive(Debug, Clone)]
pub struct AccessLayer {
    node: Code,
    telemetry: Telemetry,
}

impl AccessLayer {
    /// Access rules of `node`; refusals are counted in `telemetry`.
    pub fn new(node: Code, telemetry: Telemetry) -> AccessLayer {
        AccessLayer { node, telemetry }
    }
}

impl<S> tower::Layer<S> for AccessLayer {
    type Service = Access<S>;
    fn layer(&self, inner: S) -> Access<S> {
        Access {
            inner,
            node: self.node,
            telemetry: self.telemetry.clone(),
        }
    }
}

/// The service the layer wraps around the server's routes.
#[derive(Debug, Clone)]
pub struct Access<S> {
    inner: S,
    node: Code,
    telemetry: Telemetry,
}

/// True for calls that only read.
fn is_read(service: &str, method: &str) -> bool {
    method.starts_with("Get")
        || method.starts_with("List")
        || (service == "wuji.v1.Node" && (method == "Status" || method == "DrillDown"))
        || (service == "wuji.v1.Sync" && method == "Digest")
        || (service == "wuji.v1.Feed" && method == "Watch")
}

/// Whether `who` may call `path` on `node`: the refusal's rule and message if not.
pub fn decide(
    node: Code,
    who: Option<&Identity>,
    path: &str,
) -> Result<(), (&'static str, String)> {
    let Some(who) = who else {
        return Ok(()); // dev mode: plaintext on loopback
    };
    let (service, method) = path
        .trim_start_matches('/')
        .split_once('/')
        .unwrap_or((path, ""));
    if service.starts_with("grpc.health.") || service.starts_with("grpc.reflection.") {
        return Ok(());
    }
    let read = is_read(service, method);
    match who {
        Identity::Node(peer) => {
            if service == "wuji.v1.Sync" {
                return Ok(()); // Link checks the code against the greeting
            }
            if read && peer.contains(node) {
                return Ok(());
            }
            Err((
                "node-certificate-on-api",
                format!(
                    "{who} may not call {path} here: nodes read the API of their own region only and never write through it"
                ),
            ))
        }
        Identity::Client { node: n, role, .. } => {
            if service == "wuji.v1.Sync" && method == "Link" {
                return Err((
                    "link-needs-node-certificate",
                    format!("{who} is not a node"),
                ));
            }
            // A reader of a region below may watch here: the feed sends
            // it only what that region's node would hold.
            let watch_below = service == "wuji.v1.Feed" && node.contains(*n);
            let here = match role {
                ClientRole::Operator => *n == node,
                ClientRole::Reader => n.contains(node) || watch_below,
            };
            if !here {
                return Err((
                    "client-for-another-node",
                    format!("{who} is not for node {node}"),
                ));
            }
            if !read && *role == ClientRole::Reader {
                return Err((
                    "reader-may-not-write",
                    format!("{who} may only read; {path} writes"),
                ));
            }
            Ok(())
        }
    }
}

impl<S, B> tower::Service<http::Request<B>> for Access<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let peer = req.extensions().get::<Peer>();
        let who = peer.and_then(|p| p.identity.as_ref());
        match decide(self.node, who, req.uri().path()) {
            Ok(()) => {
                // The ready service answers this call; a clone waits for the next.
                let clone = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, clone);
                let span = self.telemetry.call_span(
                    self.node,
                    req.uri().path(),
                    peer.and_then(|p| p.addr),
                );
                let telemetry = self.telemetry.clone();
                let method = req.uri().path().to_string();
                let started = std::time::Instant::now();
                Box::pin(
                    async move {
                        let mut resp = inner.call(req).await?;
                        let code = with_detail(resp.headers_mut());
                        // An unknown path is not a label of its own: a
                        // scanner would make as many as it tried.
                        let method = match code {
                            tonic::Code::Unimplemented => "other",
                            _ => method.as_str(),
                        };
                        telemetry.live().call(method, code, started.elapsed());
                        Ok(resp)
                    }
                    .instrument(span),
                )
            }
            Err((rule, message)) => {
                let addr = peer.and_then(|p| p.addr);
                tracing::warn!(peer = ?addr, rule, %message, "call refused");
                self.telemetry.refused(rule);
                let zh = wuji_proto::rule_zh(rule)
                    .map(|lead| format!("{lead}：{message}"))
                    .unwrap_or_default();
                let status =
                    wuji_proto::refusal_zh(tonic::Code::PermissionDenied, rule, message, zh);
                // (Counted by rule as a refusal too; the path, which may be
                // anything, is not a label.)
                self.telemetry.live().call(
                    "refused",
                    tonic::Code::PermissionDenied,
                    std::time::Duration::ZERO,
                );
                Box::pin(async move { Ok(status.into_http()) })
            }
        }
    }
}

/// Gives a refusal that the gRPC stack made itself (a message over the size
/// limit, a request it could not decode, an unknown method) the same
/// `ErrorDetail` as wuji's own, with a rule named after its code. Returns
/// the call's code as far as the headers tell (an error is sent in them; a
/// success, or a stream's later error, only in the trailers: `Ok`).
fn with_detail(headers: &mut http::HeaderMap) -> tonic::Code {
    let Some(status) = tonic::Status::from_header_map(headers) else {
        return tonic::Code::Ok;
    };
    if status.code() == tonic::Code::Ok || !status.details().is_empty() {
        return status.code();
    }
    let rule = wuji_proto::rule_of_code(status.code());
    let _ = wuji_proto::refusal(status.code(), rule, status.message()).add_header(headers);
    status.code()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_access_table() {
        let county = Code::parse("320114").unwrap();
        let town = Code::parse("320114001").unwrap();
        let other = Code::parse("320115").unwrap();
        let op = |n| Identity::Client {
            node: n,
            role: ClientRole::Operator,
            name: "x".into(),
        };
        let rd = |n| Identity::Client {
            node: n,
            role: ClientRole::Reader,
            name: "x".into(),
        };
        let write = "/wuji.v1.Suggestions/Submit";
        let read = "/wuji.v1.Suggestions/ListSuggestions";
        assert!(decide(county, Some(&op(county)), write).is_ok());
        assert_eq!(
            decide(county, Some(&op(other)), write).unwrap_err().0,
            "client-for-another-node"
        );
        assert_eq!(
            decide(town, Some(&op(county)), read).unwrap_err().0,
            "client-for-another-node"
        );
        assert_eq!(
            decide(county, Some(&rd(county)), write).unwrap_err().0,
            "reader-may-not-write"
        );
        assert!(
            decide(town, Some(&rd(county)), read).is_ok(),
            "a reader reads below its node"
        );
        assert!(
            decide(county, Some(&rd(town)), read).is_err(),
            "but not above"
        );
        assert!(decide(county, Some(&rd(county)), "/wuji.v1.Node/Status").is_ok());
        assert!(decide(county, Some(&rd(county)), "/wuji.v1.Sync/Digest").is_ok());
        assert_eq!(
            decide(county, Some(&rd(county)), "/wuji.v1.Sync/Link")
                .unwrap_err()
                .0,
            "link-needs-node-certificate"
        );
        assert!(decide(county, Some(&Identity::Node(town)), "/wuji.v1.Sync/Link").is_ok());
        assert!(
            decide(town, Some(&Identity::Node(county)), read).is_ok(),
            "a parent reads below"
        );
        assert!(
            decide(county, Some(&Identity::Node(town)), read).is_err(),
            "a child does not read above"
        );
        assert!(
            decide(county, Some(&Identity::Node(county)), write).is_err(),
            "nodes never write through the API"
        );
        assert!(decide(county, Some(&rd(other)), "/grpc.health.v1.Health/Check").is_ok());
        assert!(decide(county, None, write).is_ok(), "dev mode");
    }
}
