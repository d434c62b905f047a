//! The parent's side of a link, as a gRPC service: each `Link` call from a child
//! runs the engine; `Digest` reports the digest of the records in a scope.

use super::connect::Inbound;
use super::ctx::LinkCtx;
use super::engine::run_link;
use super::state::Role;
use crate::Error;
use std::pin::Pin;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};
use wuji_division::Code;
use wuji_proto::pb;

/// The `Sync` service of a node.
pub struct SyncService {
    ctx: LinkCtx,
}

impl SyncService {
    /// Serves links for `ctx`'s node.
    pub fn new(ctx: LinkCtx) -> SyncService {
        SyncService { ctx }
    }
}

/// Runs the parent's side of a link from a child (whose certificate names
/// `certified`) in its own task; returns the messages for the child.
pub fn accept(ctx: LinkCtx, certified: Option<Code>, inbound: Inbound) -> Inbound {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        if let Err(e) = run_link(ctx, Role::Parent { certified }, tx, inbound).await {
            tracing::info!(error = %e, "link from a child ended");
        }
    });
    Box::pin(ReceiverStream::new(rx).map(Ok))
}

type Out = Pin<Box<dyn Stream<Item = Result<pb::SyncMessage, Status>> + Send>>;

#[tonic::async_trait]
impl pb::sync_server::Sync for SyncService {
    type LinkStream = Out;

    async fn link(
        &self,
        req: Request<Streaming<pb::SyncMessage>>,
    ) -> Result<Response<Out>, Status> {
        let certified = match req
            .extensions()
            .get::<crate::trust::Peer>()
            .and_then(|p| p.identity.clone())
        {
            Some(crate::trust::Identity::Node(c)) => Some(c),
            _ => None,
        };
        let telemetry = self.ctx.telemetry.clone();
        let inbound = req.into_inner().map(move |m| {
            m.map_err(|e| {
                // tonic refuses what it cannot take: too large, not protobuf.
                let rule = match e.code() {
                    tonic::Code::OutOfRange | tonic::Code::ResourceExhausted => {
                        Some("message-too-large")
                    }
                    tonic::Code::Internal if e.message().contains("decode") => {
                        Some("malformed-message")
                    }
                    _ => None,
                };
                if let Some(rule) = rule {
                    tracing::warn!(rule, error = %e.message(), "link message refused");
                    telemetry.refused(rule);
                }
                e.message().to_string()
            })
        });
        let out = accept(self.ctx.clone(), certified, Box::pin(inbound));
        Ok(Response::new(Box::pin(
            out.map(|m| m.map_err(Status::internal)),
        )))
    }

    async fn digest(
        &self,
        req: Request<pb::DigestRequest>,
    ) -> Result<Response<pb::DigestReply>, Status> {
        let r = req.into_inner();
        let scope = if r.scope == 0 {
            Code::NATIONAL
        } else {
            Code::from_value(r.scope)
                .map_err(|e| Status::from(Error::bad("division-code", format!("scope: {e}"))))?
        };
        // An unknown kind would read an empty table and answer the all-zero
        // digest, so that any two nodes would seem to agree: refuse it.
        let kind = match pb::RecordKind::try_from(r.kind) {
            Ok(pb::RecordKind::Unspecified) => None,
            Ok(k) => u8::try_from(k as i32).ok(),
            Err(_) => {
                return Err(wuji_proto::refusal(
                    tonic::Code::InvalidArgument,
                    "unknown-kind",
                    format!(
                        "kind: {} is not a record kind (1 deputy, 2 suggestion, 3 assignment, 4 supervision, 5 summary; 0 all)",
                        r.kind
                    ),
                ));
            }
        };
        let layout = &self.ctx.layout;
        let sd = if r.for_parent {
            layout.parent_scope_digest(scope, kind)
        } else {
            layout.own_scope_digest(scope, kind)
        }
        .map_err(|e| Status::from(Error::from(e)))?;
        let (total, n) = (sd.digest, sd.records);
        Ok(Response::new(pb::DigestReply {
            scope: scope.value(),
            kind: r.kind,
            records: n,
            digest: total.0.to_vec(),
            now_ms: self.ctx.clock.now_ms(),
        }))
    }
}
