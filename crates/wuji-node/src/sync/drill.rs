//! Drill-down through the tree: an ancestor asks the node of a region below
//! it for the records that node holds, over the links that already exist (the
//! child dialed; the parent asks down the same stream). Each node on the way
//! answers for itself or relays towards the region, so an ancestor beyond the
//! routing horizon sees the detail on demand without holding it. Records are
//! cut to what the asker may hold (no personal field above the owner's parent).

use super::ctx::{LinkCtx, Outbound};
use crate::{Error, LinkError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::oneshot;
use wuji_division::Code;
use wuji_model::routing::{self, Horizon};
use wuji_proto::pb::{self, sync_message::Msg};
use wuji_proto::record_to_signed_state;

/// How long an answer from below may take (each level relays in turn).
const ANSWER_WITHIN: Duration = Duration::from_secs(30);
/// Most records in one answer.
const MOST: u32 = 500;

/// The links to this node's children that are up, and the questions asked
/// down them that are waiting for an answer.
#[derive(Clone, Default)]
pub struct Drill(Arc<Mutex<Inner>>);

#[derive(Default)]
struct Inner {
    children: HashMap<Code, Outbound>,
    waiting: HashMap<u64, oneshot::Sender<pb::DrillReply>>,
    next: u64,
}

/// Removes a child's link from the drill-down routes when the link ends.
pub struct ChildLink {
    drill: Drill,
    peer: Code,
}

impl Drop for ChildLink {
    fn drop(&mut self) {
        self.drill.lock().children.remove(&self.peer);
    }
}

impl Drill {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The link to the child `peer` is up; questions towards it go on `tx`
    /// until the returned guard is dropped.
    pub fn child_up(&self, peer: Code, tx: Outbound) -> ChildLink {
        self.lock().children.insert(peer, tx);
        ChildLink {
            drill: self.clone(),
            peer,
        }
    }

    /// An answer arrived from a child.
    pub fn answered(&self, r: pb::DrillReply) {
        if let Some(tx) = self.lock().waiting.remove(&r.id) {
            let _ = tx.send(r);
        }
    }

    /// Asks the node of `req.region` (below this node) through the child
    /// whose region holds it; the answer, or why there is none.
    pub async fn ask(&self, mut req: pb::DrillRequest) -> Result<pb::DrillReply, Error> {
        let region = Code::from_value(req.region).map_err(|_| LinkError::Unexpected)?;
        let (id, tx, answer) = {
            let mut inner = self.lock();
            let Some(tx) = inner
                .children
                .iter()
                .find(|(c, _)| c.contains(region))
                .map(|(_, tx)| tx.clone())
            else {
                return Ok(refused(req.id, format!("no link towards {region} is up")));
            };
            inner.next += 1;
            let id = inner.next;
            let (send, answer) = oneshot::channel();
            inner.waiting.insert(id, send);
            (id, tx, answer)
        };
        let asked = req.id;
        req.id = id;
        let sent = tx
            .send(pb::SyncMessage {
                msg: Some(Msg::Drill(req)),
            })
            .await;
        let closed = || refused(0, format!("the link towards {region} closed"));
        let mut r = match sent {
            Err(_) => closed(),
            Ok(()) => match tokio::time::timeout(ANSWER_WITHIN, answer).await {
                Ok(Ok(r)) => r,
                Ok(Err(_)) => closed(),
                Err(_) => refused(0, format!("{region} did not answer in time")),
            },
        };
        self.lock().waiting.remove(&id);
        r.id = asked;
        Ok(r)
    }
}

fn refused(id: u64, error: String) -> pb::DrillReply {
    pb::DrillReply {
        id,
        error,
        ..Default::default()
    }
}

/// The child's side: answers a question from the parent for this node, or
/// relays it towards the region, and sends the answer back up on `tx`. The
/// asker must be the parent or above it (never fewer fields cut than for the
/// parent).
pub async fn answer(ctx: LinkCtx, parent: Code, req: pb::DrillRequest, tx: Outbound) {
    let id = req.id;
    let asker_ok = Code::from_value(req.asker).is_ok_and(|a| a.contains(parent));
    let reply = if !asker_ok {
        refused(
            id,
            format!("the asker {} is not {parent} or above it", req.asker),
        )
    } else if req.region == ctx.node().value() {
        list(&ctx, &req).unwrap_or_else(|e| refused(id, e.to_string()))
    } else {
        match Code::from_value(req.region) {
            Ok(r) if r.is_inside(ctx.node()) => ctx
                .drill
                .ask(req)
                .await
                .unwrap_or_else(|e| refused(id, e.to_string())),
            _ => refused(id, format!("{} is not below {}", req.region, ctx.node())),
        }
    };
    let _ = tx
        .send(pb::SyncMessage {
            msg: Some(Msg::Drilled(reply)),
        })
        .await;
}

/// One page of the records of the asked kind this node holds, as the asker
/// may hold them.
fn list(ctx: &LinkCtx, req: &pb::DrillRequest) -> Result<pb::DrillReply, Error> {
    let kind = match pb::RecordKind::try_from(req.kind) {
        Ok(pb::RecordKind::Unspecified) => pb::RecordKind::Suggestion,
        Ok(k) => k,
        Err(_) => return Ok(refused(req.id, format!("kind {} is unknown", req.kind))),
    } as u8;
    let asker = Code::from_value(req.asker).map_err(|_| LinkError::Unexpected)?;
    let limit = if req.limit == 0 {
        50
    } else {
        req.limit.min(MOST)
    } as usize;
    let after = if req.after.is_empty() {
        None
    } else {
        match crate::api::from_hex(&req.after) {
            Some(a) => Some(a),
            None => return Ok(refused(req.id, "a page token that is not one".into())),
        }
    };
    let page = ctx.layout.records(&[kind], after.as_deref(), limit)?;
    let next = if page.len() == limit {
        page.last()
            .map(|s| crate::api::to_hex(&wuji_store::layout::record_key(&s.record.id)))
            .unwrap_or_default()
    } else {
        String::new()
    };
    let records = page
        .iter()
        .filter_map(|s| {
            routing::for_recipient(&s.record, asker, Horizon::All)
                .map(|r| record_to_signed_state(&r, &s.signatures))
        })
        .collect();
    Ok(pb::DrillReply {
        id: req.id,
        records,
        next,
        error: String::new(),
    })
}
