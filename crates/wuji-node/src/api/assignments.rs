//! The `Assignments` service: issue to regions below, acknowledge, report, get,
//! and list what this node issued or received.

use super::{Source, code, date, get, id, list, new_id, step, write_one};
use crate::{Node, Op};
use tonic::{Request, Response, Status};
use wuji_model::{RecordKind, assignment};
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
impl pb::assignments_server::Assignments for Service {
    async fn issue_assignment(
        &self,
        req: Request<pb::IssueRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let targets = r
            .targets
            .iter()
            .map(|t| code("targets", *t))
            .collect::<Result<Vec<_>, _>>()?;
        let due = date("due_on", &r.due_on)?;
        let rid = new_id(&self.node, RecordKind::Assignment);
        write_one(
            &self.node,
            Op::new(rid, move |ctx, _| {
                Ok(assignment::issue(
                    ctx, rid, &r.title, &r.text, &targets, due,
                )?)
            }),
        )
        .await
    }

    async fn acknowledge(
        &self,
        req: Request<pb::Get>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        step(
            &self.node,
            RecordKind::Assignment,
            "assignment",
            req.get_ref().id.as_ref(),
            assignment::acknowledge,
        )
        .await
    }

    async fn report_progress(
        &self,
        req: Request<pb::ReportRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        step(
            &self.node,
            RecordKind::Assignment,
            "assignment",
            r.id.as_ref(),
            move |c, rec| assignment::report(c, rec, &r.text, r.done),
        )
        .await
    }

    async fn get_assignment(
        &self,
        req: Request<pb::Get>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let rid = id(RecordKind::Assignment, req.get_ref().id.as_ref())?;
        Ok(Response::new(get(&self.node, "assignment", &rid)?))
    }

    async fn list_assignments(
        &self,
        req: Request<pb::ListAssignmentsRequest>,
    ) -> Result<Response<pb::RecordList>, Status> {
        let r = req.into_inner();
        let me = self.node.code();
        let issued = r.issued;
        let out = list(
            &self.node,
            Source::Kind(RecordKind::Assignment),
            r.page.as_ref(),
            move |rec| {
                if issued {
                    rec.id.home == me
                } else {
                    rec.id.home != me && assignment::is_target(rec, me)
                }
            },
        )?;
        Ok(Response::new(out))
    }
}
