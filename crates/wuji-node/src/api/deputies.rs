//! The `Deputies` service: enrol, update, status, attach, place, get, list in
//! roster order (姓氏笔画), and all-or-nothing import.

use super::{Source, code, existing, get, id, list, new_id, step, write_one};
use crate::index::{self, ROSTER};
use crate::{Error, Node, Op};
use std::collections::BTreeMap;
use tonic::{Request, Response, Status};
use wuji_crdt::{Hlc, Stamp, WriterId};
use wuji_model::deputy::{self, DeputyStatus, Gender, NewDeputy};
use wuji_model::{Ctx, RecordKind, calendar::Calendar};
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

fn new_deputy(r: &pb::EnrolRequest) -> Result<NewDeputy, Error> {
    let gender = match r.gender {
        0 => Gender::Unknown,
        1 => Gender::Male,
        2 => Gender::Female,
        g => {
            return Err(Error::invalid(format!(
                "gender {g}: use 0 unknown, 1 male, 2 female"
            )));
        }
    };
    Ok(NewDeputy {
        person_id: r.person_id.clone(),
        name: r.name.clone(),
        gender,
        term: r.term,
        electoral_unit: r.electoral_unit.clone(),
        delegation: r.delegation.clone(),
        group: r.group.clone(),
        station: r.station.clone(),
        attached: r
            .attached
            .iter()
            .map(|a| code("attached", *a))
            .collect::<Result<_, _>>()?,
        phone: r.phone.clone(),
        id_number: r.id_number.clone(),
        address: r.address.clone(),
    })
}

/// The deputy status named by a proto enum number.
pub fn status(n: i32) -> Result<DeputyStatus, Error> {
    use DeputyStatus::*;
    [
        InOffice, Suspended, Resigned, Recalled, Terminated, Deceased,
    ]
    .get(usize::try_from(n).unwrap_or(usize::MAX))
    .copied()
    .ok_or_else(|| Error::bad("enum-value", format!("status {n} is not a deputy status")))
}

impl Service {
    /// Problems with import rows, without writing anything.
    fn check_rows(&self, rows: &[pb::EnrolRequest]) -> (Vec<NewDeputy>, Vec<pb::RowProblem>) {
        let node = self.node.code();
        let rules = self.node.rules().clone();
        let cal = Calendar::default();
        let ctx = Ctx {
            node,
            at: Stamp::new(Hlc(1), WriterId::new(node.value(), 0)),
            today: self.node.today(),
            rules: &rules,
            calendar: &cal,
        };
        let mut seen: BTreeMap<String, u32> = BTreeMap::new();
        let mut good = Vec::new();
        let mut problems = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            let row = if r.row == 0 { i as u32 + 1 } else { r.row };
            let mut problem = |message: String| problems.push(pb::RowProblem { row, message });
            let d = match new_deputy(r) {
                Ok(d) => d,
                Err(e) => {
                    problem(e.to_string());
                    continue;
                }
            };
            let probe = new_id(&self.node, RecordKind::Deputy);
            if let Err(e) = deputy::enrol(&ctx, probe, &d) {
                problem(e.to_string());
                continue;
            }
            if let Some(first) = seen.insert(d.person_id.trim().to_string(), row) {
                problem(format!(
                    "person id {} is also in row {first}",
                    d.person_id.trim()
                ));
                continue;
            }
            match self.on_roster(d.person_id.trim()) {
                Ok(true) => problem(format!(
                    "person id {} is already on this congress's roster",
                    d.person_id.trim()
                )),
                Ok(false) => good.push(d),
                Err(e) => problem(e.to_string()),
            }
        }
        (good, problems)
    }

    fn on_roster(&self, person: &str) -> Result<bool, Error> {
        Ok(own_deputy(&self.node, person)?.is_some())
    }
}

/// The deputy `person` on this node's own roster, if there is one.
pub fn own_deputy(node: &Node, person: &str) -> Result<Option<wuji_model::Record>, Error> {
    let mut v = person.as_bytes().to_vec();
    v.push(0);
    let home = node.code();
    let (found, _) = node.scan(&index_prefix(index::PERSON, &v), None, 1, |r| {
        r.id.home == home && r.id.kind == RecordKind::Deputy
    })?;
    Ok(found.into_iter().next())
}

/// The name of the deputy `person` on this node's roster ("" if not on it).
pub fn name_of(node: &Node, person: &str) -> Result<String, Error> {
    Ok(own_deputy(node, person)?
        .and_then(|r| r.roster(r.id.home).map(|ro| ro.name.get().clone()))
        .unwrap_or_default())
}

#[tonic::async_trait]
impl pb::deputies_server::Deputies for Service {
    async fn enrol(
        &self,
        req: Request<pb::EnrolRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let d = new_deputy(&r)?;
        if self.on_roster(d.person_id.trim())? {
            return Err(Error::bad(
                "person-id-unique",
                format!(
                    "person id {} is already on this congress's roster",
                    d.person_id.trim()
                ),
            )
            .into());
        }
        let rid = new_id(&self.node, RecordKind::Deputy);
        write_one(
            &self.node,
            Op::new(rid, move |ctx, _| Ok(deputy::enrol(ctx, rid, &d)?)),
        )
        .await
    }

    async fn update(
        &self,
        req: Request<pb::EnrolRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let rid = id(RecordKind::Deputy, r.id.as_ref())?;
        let d = new_deputy(&r)?;
        write_one(
            &self.node,
            Op::new(rid, move |ctx, cur| {
                Ok(deputy::update(ctx, existing("deputy", &rid, cur)?, &d)?)
            }),
        )
        .await
    }

    async fn change_status(
        &self,
        req: Request<pb::ChangeStatusRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let to = status(r.status)?;
        step(
            &self.node,
            RecordKind::Deputy,
            "deputy",
            r.id.as_ref(),
            move |c, rec| deputy::change_status(c, rec, to),
        )
        .await
    }

    async fn attach(
        &self,
        req: Request<pb::AttachRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let area = code("area", r.area)?;
        step(
            &self.node,
            RecordKind::Deputy,
            "deputy",
            r.id.as_ref(),
            move |c, rec| deputy::attach(c, rec, area),
        )
        .await
    }

    async fn place(
        &self,
        req: Request<pb::PlaceRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let rid = id(RecordKind::Deputy, r.id.as_ref())?;
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.to_string());
        let (st, gr, gp) = (opt(&r.station), opt(&r.grid), opt(&r.group));
        if st.is_none() && gr.is_none() && gp.is_none() {
            return Err(Status::from(Error::bad(
                "placement-required",
                "give a station, a grid or a group",
            )));
        }
        write_one(
            &self.node,
            Op::new(rid, move |ctx, cur| {
                Ok(deputy::place(
                    ctx,
                    existing("deputy", &rid, cur)?,
                    st.as_deref(),
                    gr.as_deref(),
                    gp.as_deref(),
                )?)
            }),
        )
        .await
    }

    async fn get_deputy(&self, req: Request<pb::Get>) -> Result<Response<pb::RecordReply>, Status> {
        let rid = id(RecordKind::Deputy, req.get_ref().id.as_ref())?;
        Ok(Response::new(get(&self.node, "deputy", &rid)?))
    }

    async fn list_deputies(
        &self,
        req: Request<pb::ListDeputiesRequest>,
    ) -> Result<Response<pb::RecordList>, Status> {
        let r = req.into_inner();
        let area = if r.area == 0 {
            None
        } else {
            Some(code("area", r.area)?)
        };
        let statuses = r
            .status
            .iter()
            .map(|s| status(*s))
            .collect::<Result<Vec<_>, _>>()?;
        if r.level > 5 {
            return Err(Status::from(Error::bad(
                "number-range",
                "level: 1 national .. 5 township, 0 any",
            )));
        }
        let level = r.level;
        let group = r.group.trim().to_string();
        let person = r.person_id.trim().to_string();
        let prefix = if person.is_empty() {
            index_prefix(ROSTER, &[])
        } else {
            let mut v = person.as_bytes().to_vec();
            v.push(0);
            index_prefix(index::PERSON, &v)
        };
        let node = self.node.clone();
        let out = list(&node, Source::Index(prefix), r.page.as_ref(), move |rec| {
            if rec.id.kind != RecordKind::Deputy {
                return false;
            }
            let Some(ro) = rec.roster(rec.id.home) else {
                return false;
            };
            (level == 0 || u32::from(rec.id.home.level().depth()) + 1 == level)
                && area.is_none_or(|a| {
                    wuji_model::routing::anchors(rec)
                        .iter()
                        .any(|x| a.contains(x.code))
                })
                && (group.is_empty()
                    || ro.group.get() == &group
                    || rec.placements().any(|(_, p)| p.group.get() == &group))
                && (statuses.is_empty() || statuses.contains(&ro.status.0.status))
        })?;
        Ok(Response::new(out))
    }

    async fn import(
        &self,
        req: Request<pb::ImportRequest>,
    ) -> Result<Response<pb::ImportReply>, Status> {
        let r = req.into_inner();
        if r.rows.is_empty() {
            return Err(Status::from(Error::bad(
                "import-rows",
                "the import has no rows",
            )));
        }
        let (good, problems) = self.check_rows(&r.rows);
        if !problems.is_empty() || r.dry_run {
            return Ok(Response::new(pb::ImportReply {
                imported: 0,
                problems,
                ids: Vec::new(),
            }));
        }
        let ops: Vec<Op> = good
            .into_iter()
            .map(|d| {
                let rid = new_id(&self.node, RecordKind::Deputy);
                Op::new(rid, move |ctx, _| Ok(deputy::enrol(ctx, rid, &d)?))
            })
            .collect();
        let c = self.node.write(ops).await?;
        Ok(Response::new(pb::ImportReply {
            imported: c.records.len() as u32,
            problems: Vec::new(),
            ids: c
                .records
                .iter()
                .map(|r| wuji_proto::record_id_to_pb(r.id))
                .collect(),
        }))
    }
}
