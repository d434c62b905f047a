//! The `Vacancies` service: 出缺 of a seat of this congress, the 补选 set and
//! held, get, list (open ones only on request).

use super::{Source, get, id, list, new_id, step, write_one};
use crate::{Error, Node, Op};
use tonic::{Request, Response, Status};
use wuji_model::vacancy::{self, Ground, NewVacancy};
use wuji_model::{Date, RecordKind};
use wuji_proto::pb;

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

fn required(field: &str, s: &str) -> Result<Date, Error> {
    super::date(field, s)?
        .ok_or_else(|| Error::bad("date", format!("{field} is required (YYYY-MM-DD)")))
}

#[tonic::async_trait]
impl pb::vacancies_server::Vacancies for Service {
    async fn record_vacancy(
        &self,
        req: Request<pb::RecordVacancyRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let ground = Ground::parse(&r.ground).ok_or_else(|| {
            Error::bad(
                "enum-value",
                format!(
                    "ground {:?}: one of resigned, moved_away, recalled, died, terminated (辞职, 调离, 罢免, 死亡, 资格终止)",
                    r.ground
                ),
            )
        })?;
        let n = NewVacancy {
            person: r.person_id,
            name: r.name,
            electoral_unit: r.electoral_unit,
            ground,
            vacated_on: required("vacated_on", &r.vacated_on)?,
        };
        let rid = new_id(&self.node, RecordKind::Vacancy);
        write_one(
            &self.node,
            Op::new(rid, move |ctx, _| Ok(vacancy::record(ctx, rid, &n)?)),
        )
        .await
    }

    async fn schedule_by_election(
        &self,
        req: Request<pb::ScheduleRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let on = required("election_on", &r.election_on)?;
        step(
            &self.node,
            RecordKind::Vacancy,
            "vacancy",
            r.id.as_ref(),
            move |c, rec| vacancy::schedule(c, rec, on),
        )
        .await
    }

    async fn fill_vacancy(
        &self,
        req: Request<pb::FillRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let on = required("filled_on", &r.filled_on)?;
        step(
            &self.node,
            RecordKind::Vacancy,
            "vacancy",
            r.id.as_ref(),
            move |c, rec| vacancy::fill(c, rec, &r.person_id, on),
        )
        .await
    }

    async fn get_vacancy(
        &self,
        req: Request<pb::Get>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let rid = id(RecordKind::Vacancy, req.get_ref().id.as_ref())?;
        Ok(Response::new(get(&self.node, "vacancy", &rid)?))
    }

    async fn set_quota(
        &self,
        req: Request<pb::SetQuotaRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let quota = req.into_inner().quota;
        let rid = vacancy::seats_id(self.node.code());
        write_one(
            &self.node,
            Op::new(rid, move |ctx, _| Ok(vacancy::set_quota(ctx, quota)?)),
        )
        .await
    }

    async fn get_seats(
        &self,
        _req: Request<pb::SeatsRequest>,
    ) -> Result<Response<pb::SeatsReply>, Status> {
        let node = &self.node;
        let me = node.code();
        let row = |code: wuji_model::Code| -> Result<pb::SeatRow, Error> {
            let quota = node
                .read(&vacancy::seats_id(code))?
                .and_then(|r| r.seats(code).map(|s| *s.quota.get()))
                .unwrap_or(0);
            let counts = node
                .read(&wuji_model::summary::id(code))?
                .map(|r| wuji_model::summary::counts(&r))
                .unwrap_or_default();
            let n = |k: &str| counts.get(k).copied().unwrap_or(0);
            Ok(pb::SeatRow {
                congress: code.value(),
                quota,
                in_office: n(&format!("deputy.{}.in_office", code.level().en())),
                vacant: n("vacancy.open") + n("vacancy.scheduled"),
            })
        };
        let mut rows = vec![row(me)?];
        // The congresses below whose seat records this node holds.
        let (below, _) = node.scan_kind(
            crate::index::kind_byte(RecordKind::Seats),
            None,
            10_000,
            |r| r.id.home != me,
        )?;
        for r in below {
            rows.push(row(r.id.home)?);
        }
        Ok(Response::new(pb::SeatsReply { rows }))
    }

    async fn list_vacancies(
        &self,
        req: Request<pb::ListVacanciesRequest>,
    ) -> Result<Response<pb::RecordList>, Status> {
        let r = req.into_inner();
        let open = r.open;
        Ok(Response::new(list(
            &self.node,
            Source::Kind(RecordKind::Vacancy),
            r.page.as_ref(),
            move |rec| {
                rec.id.kind == RecordKind::Vacancy
                    && (!open || vacancy::state(rec) != vacancy::State::Filled)
            },
        )?))
    }
}
