//! 答复承诺事项台账 over the API: add and follow up a promise at the node that
//! answered (after 办结 too), and list the ledger entries this node holds (the
//! handler's and the deputy's congress's alike), or the overdue ones only.

use super::{date, step};
use crate::{Error, Node, index};
use tonic::{Response, Status};
use wuji_model::suggestion::promises::{self, PromiseState, Update};
use wuji_model::suggestion::view;
use wuji_model::{Record, RecordKind};
use wuji_proto::{pb, record_id_to_pb};
use wuji_store::layout::index_prefix;

/// `AddPromise`.
pub async fn add(
    node: &Node,
    r: pb::AddPromiseRequest,
) -> Result<Response<pb::RecordReply>, Status> {
    let due = date("due_on", &r.due_on)?;
    step(
        node,
        RecordKind::Suggestion,
        "suggestion",
        r.id.as_ref(),
        move |c, rec| promises::add(c, rec, &r.text, &r.unit, due),
    )
    .await
}

/// `UpdatePromise`.
pub async fn update(
    node: &Node,
    r: pb::UpdatePromiseRequest,
) -> Result<Response<pb::RecordReply>, Status> {
    let state = match r.state.trim() {
        "" => None,
        s => Some(PromiseState::parse(s).ok_or_else(|| {
            Error::bad(
                "enum-value",
                format!("state {s:?}: pending, in_progress or done (未落实, 落实中, 已落实)"),
            )
        })?),
    };
    let text = |s: &str| (!s.trim().is_empty()).then(|| s.to_string());
    let u = Update {
        state,
        due_on: date("due_on", &r.due_on)?,
        unit: text(&r.unit),
        note: text(&r.note),
    };
    let number = r.number;
    step(
        node,
        RecordKind::Suggestion,
        "suggestion",
        r.id.as_ref(),
        move |c, rec| promises::update(c, rec, number, &u),
    )
    .await
}

/// The ledger rows of one suggestion as of today.
pub fn rows(node: &Node, rec: &Record, overdue_only: bool) -> Vec<pb::PromiseEntry> {
    let v = view::view(rec, node.rules());
    let title = rec
        .origin(rec.id.home)
        .map(|o| o.title.get().clone())
        .unwrap_or_default();
    promises::ledger(rec, node.today())
        .into_iter()
        .filter(|e| !overdue_only || e.overdue)
        .map(|e| pb::PromiseEntry {
            suggestion: Some(record_id_to_pb(rec.id)),
            title: title.clone(),
            keeper: e.keeper.value(),
            number: e.number,
            text: e.text,
            unit: e.unit,
            due_on: e.due_on.map(|d| d.to_string()).unwrap_or_default(),
            state: e.state.en().into(),
            overdue: e.overdue,
            status: crate::views::snake(&format!("{:?}", v.status)),
        })
        .collect()
}

/// `ListPromises`: a page of suggestions with promises, as their entries.
pub fn list(node: &Node, r: &pb::ListPromisesRequest) -> Result<pb::PromiseList, Error> {
    let prefix = if r.overdue {
        index_prefix(index::PROMISES_OPEN, &[])
    } else {
        index_prefix(index::PROMISES, &[])
    };
    let overdue = r.overdue;
    let today = node.today();
    let (recs, next) =
        super::records(node, super::Source::Index(prefix), r.page.as_ref(), |rec| {
            rec.id.kind == RecordKind::Suggestion
                && (!overdue || promises::ledger(rec, today).iter().any(|e| e.overdue))
        })?;
    Ok(pb::PromiseList {
        entries: recs
            .iter()
            .flat_map(|rec| rows(node, rec, overdue))
            .collect(),
        next: next.map(|k| super::to_hex(&k)).unwrap_or_default(),
    })
}
