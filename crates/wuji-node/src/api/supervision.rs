//! The `Supervision` service: open an item with weighted milestones, confirm
//! milestones, report progress from covered nodes, get, list.

use super::{Source, code, date, get, id, list, new_id, step, write_one};
use crate::{Error, Node, Op};
use tonic::{Request, Response, Status};
use wuji_model::suggestion::SupervisionMode;
use wuji_model::supervision::{self, NewItem};
use wuji_model::{RecordKind, Uuid};
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

#[tonic::async_trait]
impl pb::supervision_server::Supervision for Service {
    async fn open_item(
        &self,
        req: Request<pb::OpenItemRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        use SupervisionMode::*;
        let mode = [Key, Led, Special, Joint, Coordinated, Livelihood]
            .get((r.mode as usize).wrapping_sub(1))
            .copied()
            .ok_or_else(|| {
                Error::bad(
                    "enum-value",
                    format!("mode {}: 1 key .. 6 livelihood", r.mode),
                )
            })?;
        let suggestion = if r.suggestion.is_empty() {
            None
        } else {
            Some(
                Uuid::from_slice(&r.suggestion)
                    .map_err(|e| Error::bad("record-id", format!("suggestion: {e}")))?,
            )
        };
        let covers = r
            .covers
            .iter()
            .map(|c| code("covers", *c))
            .collect::<Result<Vec<_>, _>>()?;
        let milestones = r
            .milestones
            .iter()
            .map(|m| {
                Ok((
                    m.title.clone(),
                    m.weight,
                    date("milestone due_on", &m.due_on)?,
                ))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let item = NewItem {
            mode,
            title: r.title,
            suggestion,
            lead_supervisor: r.lead_supervisor,
            covers,
            milestones,
        };
        let rid = new_id(&self.node, RecordKind::Supervision);
        write_one(
            &self.node,
            Op::new(rid, move |ctx, _| Ok(supervision::open(ctx, rid, &item)?)),
        )
        .await
    }

    async fn confirm_milestone(
        &self,
        req: Request<pb::MilestoneRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        step(
            &self.node,
            RecordKind::Supervision,
            "supervision item",
            r.id.as_ref(),
            move |c, rec| supervision::confirm_milestone(c, rec, r.milestone),
        )
        .await
    }

    async fn report_on_item(
        &self,
        req: Request<pb::ItemReportRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        step(
            &self.node,
            RecordKind::Supervision,
            "supervision item",
            r.id.as_ref(),
            move |c, rec| supervision::report(c, rec, &r.text, &r.done),
        )
        .await
    }

    async fn get_item(&self, req: Request<pb::Get>) -> Result<Response<pb::RecordReply>, Status> {
        let rid = id(RecordKind::Supervision, req.get_ref().id.as_ref())?;
        Ok(Response::new(get(&self.node, "supervision item", &rid)?))
    }

    async fn list_items(
        &self,
        req: Request<pb::ListItemsRequest>,
    ) -> Result<Response<pb::RecordList>, Status> {
        let r = req.into_inner();
        Ok(Response::new(list(
            &self.node,
            Source::Kind(RecordKind::Supervision),
            r.page.as_ref(),
            |_| true,
        )?))
    }
}
