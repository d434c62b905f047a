//! The `Directory` service: a congress's register of 家站点, 代表小组, 网格
//! and 承办单位 (add, update, members, close, get, list, those without a
//! deputy), the units 交办 may name, and the figures per unit.

use super::{Source, get, id, list, new_id, step, write_one};
use crate::{Error, Node, Op, index};
use std::collections::BTreeMap;
use tonic::{Request, Response, Status};
use wuji_model::directory::{self, EntryKind, NewEntry};
use wuji_model::suggestion::{Satisfaction, UnitRole, view};
use wuji_model::{Record, RecordKind};
use wuji_proto::pb;
use wuji_store::layout::index_prefix;

/// The service.
pub struct Service {
    node: Node,
}

impl Service {
    /// Serves `node`.
    pub fn new(node: Node) -> Service {
        Service { node }
    }
}

fn kind(s: &str) -> Result<EntryKind, Error> {
    EntryKind::parse(s).ok_or_else(|| {
        Error::bad(
            "enum-value",
            format!(
                "kind {s:?}: one of home, station, point, group, grid, unit (代表之家, 代表联络站, 代表联络点, 代表小组, 网格, 承办单位)"
            ),
        )
    })
}

/// The open entries of `kind` this node keeps itself.
pub fn own_entries(node: &Node, kind: EntryKind) -> Result<Vec<Record>, Error> {
    let me = node.code();
    let prefix = index_prefix(index::DIRECTORY, &[kind as u8]);
    let (mut out, mut after) = (Vec::new(), None);
    loop {
        let (recs, next) = node.scan(&prefix, after, 1_000, |r| {
            r.id.home == me && directory::open(r).is_some()
        })?;
        out.extend(recs);
        match next {
            Some(k) => after = Some(k),
            None => return Ok(out),
        }
    }
}

/// Refuses a 交办 to a unit outside this node's register, once the register
/// lists any unit (`unit-unknown`, naming the unit).
pub fn check_units<'a>(node: &Node, names: impl Iterator<Item = &'a str>) -> Result<(), Error> {
    let units = own_entries(node, EntryKind::Unit)?;
    if units.is_empty() {
        return Ok(());
    }
    let known: Vec<String> = units
        .iter()
        .filter_map(|r| r.directory(r.id.home).map(|e| e.name.get().clone()))
        .collect();
    for n in names {
        if !known.iter().any(|k| k == n.trim()) {
            return Err(Error::bad(
                "unit-unknown",
                format!(
                    "{} is not a 承办单位 in this congress's register; add it (wuji directory add --kind unit) or choose one of: {}",
                    n.trim(),
                    known.join("、")
                ),
            ));
        }
    }
    Ok(())
}

/// The figures per unit of the suggestions this node handles.
pub fn unit_figures(node: &Node) -> Result<Vec<pb::UnitFigure>, Error> {
    let me = node.code();
    let today = node.today();
    let prefix = index_prefix(index::STATUS_HANDLER, &me.value().to_be_bytes());
    let mut by: BTreeMap<String, pb::UnitFigure> = BTreeMap::new();
    let mut after = None;
    loop {
        let (recs, next) = node.scan(&prefix, after, 1_000, |r| {
            r.id.kind == RecordKind::Suggestion
        })?;
        for rec in &recs {
            let Some(h) = rec.handling(me) else { continue };
            let v = view::view(rec, node.rules());
            for u in h.units.iter().filter(|u| u.role != UnitRole::Co) {
                let f = by.entry(u.name.clone()).or_insert_with(|| pb::UnitFigure {
                    unit: u.name.clone(),
                    ..Default::default()
                });
                f.assigned += 1;
                if h.answers.iter().any(|(_, a)| a.unit == u.name) {
                    f.answered += 1;
                }
                if v.status == view::Status::Closed {
                    f.closed += 1;
                }
                if v.is_overdue(today) {
                    f.overdue += 1;
                }
                if let Some(r) = v.rating {
                    f.rated += 1;
                    if r == Satisfaction::Satisfied {
                        f.satisfied += 1;
                    }
                }
            }
        }
        match next {
            Some(k) => after = Some(k),
            None => break,
        }
    }
    // The register's units with nothing assigned yet show too.
    for r in own_entries(node, EntryKind::Unit)? {
        if let Some(e) = r.directory(r.id.home) {
            let name = e.name.get().clone();
            by.entry(name.clone()).or_insert_with(|| pb::UnitFigure {
                unit: name,
                ..Default::default()
            });
        }
    }
    Ok(by.into_values().collect())
}

#[tonic::async_trait]
impl pb::directory_server::Directory for Service {
    async fn add_entry(
        &self,
        req: Request<pb::AddEntryRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let n = NewEntry {
            kind: kind(&r.kind)?,
            name: r.name,
            address: r.address,
            detail: r.detail,
            leader: r.leader,
            members: super::activities::participants("members", &r.members)?,
        };
        let rid = new_id(&self.node, RecordKind::Directory);
        write_one(
            &self.node,
            Op::new(rid, move |ctx, _| Ok(directory::add(ctx, rid, &n)?)),
        )
        .await
    }

    async fn update_entry(
        &self,
        req: Request<pb::UpdateEntryRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        step(
            &self.node,
            RecordKind::Directory,
            "register entry",
            r.id.as_ref(),
            move |c, rec| {
                directory::update(
                    c,
                    rec,
                    r.address.as_deref(),
                    r.detail.as_deref(),
                    r.leader.as_deref(),
                )
            },
        )
        .await
    }

    async fn change_members(
        &self,
        req: Request<pb::AmendParticipantsRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let add = super::activities::participants("add", &r.add)?;
        let remove = super::activities::participants("remove", &r.remove)?;
        step(
            &self.node,
            RecordKind::Directory,
            "register entry",
            r.id.as_ref(),
            move |c, rec| directory::members(c, rec, &add, &remove),
        )
        .await
    }

    async fn close_entry(
        &self,
        req: Request<pb::Get>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        step(
            &self.node,
            RecordKind::Directory,
            "register entry",
            req.get_ref().id.as_ref(),
            directory::close,
        )
        .await
    }

    async fn get_entry(&self, req: Request<pb::Get>) -> Result<Response<pb::RecordReply>, Status> {
        let rid = id(RecordKind::Directory, req.get_ref().id.as_ref())?;
        Ok(Response::new(get(&self.node, "register entry", &rid)?))
    }

    async fn list_entries(
        &self,
        req: Request<pb::ListEntriesRequest>,
    ) -> Result<Response<pb::RecordList>, Status> {
        let r = req.into_inner();
        let source = if r.kind.trim().is_empty() {
            Source::Kind(RecordKind::Directory)
        } else {
            Source::Index(index_prefix(index::DIRECTORY, &[kind(&r.kind)? as u8]))
        };
        let empty = r.without_deputy;
        Ok(Response::new(list(
            &self.node,
            source,
            r.page.as_ref(),
            move |rec| {
                rec.id.kind == RecordKind::Directory
                    && directory::open(rec).is_some()
                    && (!empty || directory::without_deputy(rec))
            },
        )?))
    }

    async fn get_unit_figures(
        &self,
        _req: Request<pb::UnitFiguresRequest>,
    ) -> Result<Response<pb::UnitFigures>, Status> {
        Ok(Response::new(pb::UnitFigures {
            units: unit_figures(&self.node)?,
        }))
    }
}
