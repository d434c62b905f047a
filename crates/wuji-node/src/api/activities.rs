//! The `Activities` service: record a deputy activity where it was organised
//! (谁组织谁登记), amend who took part, void; list; and a deputy's 履职档案
//! and points for a year at the deputy's own congress.

use super::{Source, code, get, id, list, new_id, reply, step, write_one};
use crate::{Error, Node, Op, index};
use tonic::{Request, Response, Status};
use wuji_model::activity::{self, ActivityType, NewActivity, Participant};
use wuji_model::{Date, Record, RecordKind};
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

/// Deputies as a request names them (congress and person id).
pub fn participants(field: &str, ps: &[pb::Participant]) -> Result<Vec<Participant>, Error> {
    ps.iter()
        .map(|p| {
            Ok(Participant {
                congress: code(field, p.congress)?,
                person: p.person_id.trim().to_string(),
            })
        })
        .collect()
}

/// The index prefix of one deputy's activities.
fn deputy_prefix(congress: wuji_model::Code, person: &str) -> Vec<u8> {
    let mut v = congress.value().to_be_bytes().to_vec();
    v.extend_from_slice(person.trim().as_bytes());
    v.push(0);
    index_prefix(index::PARTICIPANT, &v)
}

/// Every activity of one deputy held by `node`.
pub fn of_deputy(
    node: &Node,
    congress: wuji_model::Code,
    person: &str,
) -> Result<Vec<Record>, Error> {
    let prefix = deputy_prefix(congress, person);
    let (mut out, mut after) = (Vec::new(), None);
    loop {
        let (recs, next) =
            node.scan(&prefix, after, 1_000, |r| r.id.kind == RecordKind::Activity)?;
        out.extend(recs);
        match next {
            Some(k) => after = Some(k),
            None => return Ok(out),
        }
    }
}

#[tonic::async_trait]
impl pb::activities_server::Activities for Service {
    async fn record_activity(
        &self,
        req: Request<pb::RecordActivityRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let kind = ActivityType::parse(&r.kind).ok_or_else(|| {
            Error::bad(
                "enum-value",
                format!(
                    "kind {:?}: one of reception, inspection, research, attendance, training, contact, report, other (接待群众, 视察, 专题调研, 列席会议, 培训, 联系群众, 向选民报告履职, 其他活动)",
                    r.kind
                ),
            )
        })?;
        let held_on = super::date("held_on", &r.held_on)?
            .ok_or_else(|| Error::bad("date", "held_on is required (YYYY-MM-DD)"))?;
        let n = NewActivity {
            kind,
            title: r.title,
            held_on,
            place: r.place,
            text: r.text,
            participants: participants("participants", &r.participants)?,
        };
        let rid = new_id(&self.node, RecordKind::Activity);
        write_one(
            &self.node,
            Op::new(rid, move |ctx, _| Ok(activity::record(ctx, rid, &n)?)),
        )
        .await
    }

    async fn amend_participants(
        &self,
        req: Request<pb::AmendParticipantsRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let add = participants("add", &r.add)?;
        let remove = participants("remove", &r.remove)?;
        step(
            &self.node,
            RecordKind::Activity,
            "activity",
            r.id.as_ref(),
            move |c, rec| activity::amend_participants(c, rec, &add, &remove),
        )
        .await
    }

    async fn void_activity(
        &self,
        req: Request<pb::Get>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        step(
            &self.node,
            RecordKind::Activity,
            "activity",
            req.get_ref().id.as_ref(),
            activity::void,
        )
        .await
    }

    async fn get_activity(
        &self,
        req: Request<pb::Get>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let rid = id(RecordKind::Activity, req.get_ref().id.as_ref())?;
        Ok(Response::new(get(&self.node, "activity", &rid)?))
    }

    async fn list_activities(
        &self,
        req: Request<pb::ListActivitiesRequest>,
    ) -> Result<Response<pb::RecordList>, Status> {
        let r = req.into_inner();
        let source = if r.person_id.trim().is_empty() {
            Source::Kind(RecordKind::Activity)
        } else {
            let congress = if r.congress == 0 {
                self.node.code()
            } else {
                code("congress", r.congress)?
            };
            Source::Index(deputy_prefix(congress, &r.person_id))
        };
        Ok(Response::new(list(
            &self.node,
            source,
            r.page.as_ref(),
            |rec| rec.id.kind == RecordKind::Activity,
        )?))
    }

    async fn review_report(
        &self,
        req: Request<pb::ReviewReportRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        use wuji_model::suggestion::Satisfaction::*;
        let rating = match r.rating.trim() {
            "satisfied" | "满意" | "3" => Satisfied,
            "basic" | "基本满意" | "2" => Basic,
            "dissatisfied" | "不满意" | "1" => Dissatisfied,
            other => {
                return Err(Error::bad(
                    "enum-value",
                    format!("rating {other:?}: satisfied, basic or dissatisfied (满意, 基本满意, 不满意)"),
                )
                .into());
            }
        };
        step(
            &self.node,
            RecordKind::Activity,
            "activity",
            r.id.as_ref(),
            move |c, rec| activity::review(c, rec, rating),
        )
        .await
    }

    async fn list_unreported(
        &self,
        req: Request<pb::ListUnreportedRequest>,
    ) -> Result<Response<pb::RecordList>, Status> {
        let r = req.into_inner();
        let node = &self.node;
        let me = node.code();
        let since = match super::date("since", &r.since)? {
            Some(d) => d,
            None => node
                .today()
                .checked_sub(jiff::Span::new().years(5))
                .map_err(|e| Error::bad("date", e.to_string()))?,
        };
        // This congress's deputies in office, a page of them, each without a
        // report held since `since`.
        let keep = |rec: &Record| {
            rec.id.home == me
                && rec.roster(me).is_some_and(|ro| {
                    ro.status.0.status == wuji_model::deputy::DeputyStatus::InOffice
                        && of_deputy(node, me, ro.person_id.get())
                            .map(|acts| {
                                activity::last_report(&acts, me, ro.person_id.get())
                                    .is_none_or(|d| d < since)
                            })
                            .unwrap_or(false)
                })
        };
        Ok(Response::new(list(
            node,
            Source::Kind(RecordKind::Deputy),
            r.page.as_ref(),
            keep,
        )?))
    }

    async fn get_duty_report(
        &self,
        req: Request<pb::DutyReportRequest>,
    ) -> Result<Response<pb::DutyReport>, Status> {
        let r = req.into_inner();
        let node = &self.node;
        let me = node.code();
        let person = r.person_id.trim().to_string();
        if person.is_empty() {
            return Err(Error::bad("text-required", "person_id is required").into());
        }
        let year = if r.year == 0 {
            node.today().year()
        } else {
            i16::try_from(r.year)
                .ok()
                .filter(|y| (2000..=2100).contains(y))
                .ok_or_else(|| Error::bad("number-range", format!("year {}", r.year)))?
        };
        let from = Date::new(year, 1, 1).map_err(|e| Error::bad("date", e.to_string()))?;
        let to = Date::new(year, 12, 31).map_err(|e| Error::bad("date", e.to_string()))?;
        let name = super::deputies::name_of(node, &person)?;
        let mut recs: Vec<Record> = of_deputy(node, me, &person)?
            .into_iter()
            .filter(|rec| {
                activity::live(rec)
                    .and_then(|a| *a.held_on.get())
                    .is_some_and(|d| d >= from && d <= to)
            })
            .collect();
        recs.sort_by_key(|rec| {
            std::cmp::Reverse(rec.activity(rec.id.home).and_then(|a| *a.held_on.get()))
        });
        let rules = node.rules();
        let rep = activity::duty_report(&recs, rules, me, &person, from, to);
        let kinds = ActivityType::ALL
            .into_iter()
            .filter_map(|k| {
                let (n, p) = rep.by_kind.get(&k).copied().unwrap_or((0, 0));
                let target = rules.duty.targets.get(&k).copied().unwrap_or(0);
                (n > 0 || target > 0).then(|| pb::DutyKind {
                    kind: k.en().into(),
                    kind_zh: k.zh().into(),
                    activities: n,
                    points: p,
                    target,
                })
            })
            .collect();
        Ok(Response::new(pb::DutyReport {
            congress: me.value(),
            person_id: person,
            name,
            year: i32::from(year),
            kinds,
            activities: rep.activities,
            points: rep.points,
            records: recs.iter().map(|rec| reply(node, rec, 0)).collect(),
        }))
    }
}
