//! The client API: one tonic service per area (deputies, suggestions,
//! assignments, supervision, activities, vacancies, directory). Every write goes through the committer as a
//! workflow step; reads come straight from the store. This module holds what
//! the services share: parsing of ids, codes and dates, replies, and paging.

pub mod activities;
pub mod assign_list;
pub mod assignments;
pub mod contacts;
pub mod deputies;
pub mod directory;
pub mod promises;
pub mod status;
pub mod suggestions;
pub mod supervision;
pub mod vacancies;

use crate::{Error, Node, views};
use tonic::Status;
use wuji_division::Code;
use wuji_model::{Date, Record, RecordId, RecordKind, Uuid};
use wuji_proto::{pb, record_id_from_pb, record_to_state};

/// A request's record id; the kind may be left unspecified and is then `kind`.
pub fn id(kind: RecordKind, p: Option<&pb::RecordId>) -> Result<RecordId, Error> {
    let mut p = p
        .cloned()
        .ok_or_else(|| Error::bad("record-id", "id is required"))?;
    let want = wuji_proto::record_id_to_pb(RecordId {
        kind,
        home: Code::NATIONAL,
        uuid: Uuid::nil(),
    })
    .kind;
    if p.kind == 0 {
        p.kind = want;
    }
    if p.kind != want {
        return Err(Error::bad(
            "record-id",
            format!("the id is not of a {kind:?} record"),
        ));
    }
    record_id_from_pb(&p).map_err(|e| Error::bad("record-id", format!("id: {e}")))
}

/// A new id made here, at this node.
pub fn new_id(node: &Node, kind: RecordKind) -> RecordId {
    RecordId {
        kind,
        home: node.code(),
        uuid: node.new_uuid(),
    }
}

/// A division code from a request field.
pub fn code(field: &str, v: u32) -> Result<Code, Error> {
    Code::from_value(v).map_err(|e| Error::bad("division-code", format!("{field}: {e}")))
}

/// An optional date "YYYY-MM-DD" from a request field ("" for none).
pub fn date(field: &str, s: &str) -> Result<Option<Date>, Error> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<Date>().map(Some).map_err(|e| {
        Error::bad(
            "date",
            format!("{field}: {s:?} is not a date YYYY-MM-DD ({e})"),
        )
    })
}

/// The reply for one record.
pub fn reply(node: &Node, rec: &Record, seq: u64) -> pb::RecordReply {
    let mut view = views::fields(rec, node.rules(), node.today());
    // 并案: the answer of the suggestion it joined is its answer.
    if let Some(t) = wuji_model::suggestion::workflow::merged_target(rec)
        && let Ok(Some(joined)) = node.read(&t)
    {
        let j = views::fields(&joined, node.rules(), node.today());
        for k in [
            "answer_class",
            "answer_text",
            "answer_unit",
            "promises",
            "latest_answer",
        ] {
            if let Some(v) = j.get(k) {
                view.insert(k.to_string(), v.clone());
            }
        }
        view.insert("joined_status".into(), j["status"].clone());
    }
    // 群众意见 taken up by a deputy as a 建议: the opinion shows that
    // suggestion and where it stands (the citizen is answered from it).
    if rec
        .origin(rec.id.home)
        .is_some_and(|o| *o.kind.get() == wuji_model::suggestion::SuggestionKind::CitizenOpinion)
    {
        let key = wuji_store::layout::record_key(&rec.id);
        let prefix = wuji_store::layout::index_prefix(crate::index::FROM_OPINION, &key);
        if let Ok((found, _)) = node.scan(&prefix, None, 8, |_| true) {
            let ids: Vec<String> = found
                .iter()
                .map(|s| format!("{}:{}", s.id.home, s.id.uuid))
                .collect();
            if let Some(s) = found.first() {
                let v = views::fields(s, node.rules(), node.today());
                view.insert("taken_up_as".into(), ids.join(","));
                view.insert("taken_up_status".into(), v["status"].clone());
                view.insert("taken_up_status_zh".into(), v["status_zh"].clone());
                if let Some(a) = v.get("answer_text") {
                    view.insert("taken_up_answer".into(), a.clone());
                }
            }
        }
    }
    pb::RecordReply {
        state: Some(record_to_state(rec)),
        view: view.into_iter().collect(),
        seq,
    }
}

/// Runs a write of one record and replies with it.
pub async fn write_one(
    node: &Node,
    op: crate::Op,
) -> Result<tonic::Response<pb::RecordReply>, Status> {
    let c = node.write(vec![op]).await?;
    let rec = c
        .records
        .into_iter()
        .next()
        .ok_or_else(|| Status::from(Error::NoRecord))?;
    Ok(tonic::Response::new(reply(node, &rec, c.seq)))
}

/// Runs a workflow step on an existing record of `kind` and replies with it.
pub async fn step(
    node: &Node,
    kind: RecordKind,
    what: &'static str,
    rid: Option<&pb::RecordId>,
    f: impl FnOnce(&wuji_model::Ctx, &Record) -> Result<Record, wuji_model::Error> + Send + 'static,
) -> Result<tonic::Response<pb::RecordReply>, Status> {
    let rid = id(kind, rid)?;
    write_one(
        node,
        crate::Op::new(rid, move |ctx, cur| Ok(f(ctx, existing(what, &rid, cur)?)?)),
    )
    .await
}

/// Reads one record or says it is not here.
pub fn get(node: &Node, what: &'static str, id: &RecordId) -> Result<pb::RecordReply, Error> {
    let rec = node.read(id)?.ok_or_else(|| Error::not_found(what, id))?;
    Ok(reply(node, &rec, 0))
}

/// The existing record a step works on, or not-found.
pub fn existing<'a>(
    what: &'static str,
    id: &RecordId,
    rec: Option<&'a Record>,
) -> Result<&'a Record, Error> {
    rec.ok_or_else(|| Error::not_found(what, id))
}

/// Where a list reads from: an index prefix, or every record of a kind.
pub enum Source {
    /// Entries under this index prefix.
    Index(Vec<u8>),
    /// All records of this kind, in creation order.
    Kind(RecordKind),
    /// The records of this kind homed in these ranges of codes
    /// ([`crate::index::home_ranges`]).
    Homes(RecordKind, Vec<(u32, u32)>),
    /// The suggestions in this status, by handler ([`crate::index::status_chunk`]).
    Status(u8),
}

/// A request's page: how many records at most, and after which key.
pub fn page_of(node: &Node, page: Option<&pb::Page>) -> Result<(usize, Option<Vec<u8>>), Error> {
    let (limit, after) = match page {
        Some(p) => (p.limit, p.after.clone()),
        None => (0, String::new()),
    };
    let limit = if limit == 0 {
        50
    } else {
        limit.min(node.max_page())
    } as usize;
    let after = if after.is_empty() {
        None
    } else {
        Some(from_hex(&after).ok_or_else(|| {
            Error::bad(
                "page-token",
                "page.after is not a token from a previous page",
            )
        })?)
    };
    Ok((limit, after))
}

/// Reads one page of records from a source, filtered; the key to go on from.
pub fn records(
    node: &Node,
    source: Source,
    page: Option<&pb::Page>,
    keep: impl Fn(&Record) -> bool,
) -> Result<(Vec<Record>, Option<Vec<u8>>), Error> {
    let (limit, after) = page_of(node, page)?;
    match source {
        Source::Index(prefix) => node.scan(&prefix, after, limit, keep),
        Source::Kind(k) => node.scan_kind(crate::index::kind_byte(k), after, limit, keep),
        Source::Status(status) => node.scan_status(status, after, limit, keep),
        Source::Homes(k, ranges) => {
            node.scan_homes(crate::index::kind_byte(k), &ranges, after, limit, keep)
        }
    }
}

/// Lists records from a source, filtered, as one page.
pub fn list(
    node: &Node,
    source: Source,
    page: Option<&pb::Page>,
    keep: impl Fn(&Record) -> bool,
) -> Result<pb::RecordList, Error> {
    let (recs, next) = records(node, source, page, keep)?;
    Ok(pb::RecordList {
        records: recs.iter().map(|r| reply(node, r, 0)).collect(),
        next: next.map(|k| to_hex(&k)).unwrap_or_default(),
    })
}

/// Bytes as lower-case hex (page tokens, password salts).
pub fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The bytes of a hex string, if it is one.
pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
