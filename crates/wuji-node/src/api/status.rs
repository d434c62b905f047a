//! The `Node` service: this node's summary, the summaries it holds from its
//! subtree (they flow up like every record), and the state and lag of its links.

use crate::{Node, index::kind_byte};
use tonic::{Request, Response, Status};
use wuji_model::{RecordKind, summary};
use wuji_proto::pb;

/// The service.
pub struct Service {
    node: Node,
}

impl Service {
    /// Serves `node`, with the links and refusals of its telemetry.
    pub fn new(node: Node) -> Service {
        Service { node }
    }
}

#[tonic::async_trait]
impl pb::node_server::Node for Service {
    async fn drill_down(
        &self,
        req: Request<pb::DrillDownRequest>,
    ) -> Result<Response<pb::RecordList>, Status> {
        let r = req.into_inner();
        let me = self.node.code();
        let region = super::code("region", r.region)?;
        let kind = match r.kind {
            0 => RecordKind::Suggestion,
            k => wuji_proto::enums::kind_from(k)
                .map_err(|e| Status::from(crate::Error::bad("kind", e)))?,
        };
        if region == me {
            return Ok(Response::new(super::list(
                &self.node,
                super::Source::Kind(kind),
                r.page.as_ref(),
                |_| true,
            )?));
        }
        if !region.is_inside(me) {
            return Err(Status::from(crate::Error::bad(
                "drill-outside-region",
                format!("{region} is not below {me}: a node drills down into its own region only"),
            )));
        }
        let page = r.page.unwrap_or_default();
        let answer = self
            .node
            .inner
            .links
            .drill
            .ask(pb::DrillRequest {
                id: 0,
                region: region.value(),
                kind: r.kind,
                limit: page.limit.min(self.node.max_page()),
                after: page.after,
                asker: me.value(),
            })
            .await
            .map_err(Status::from)?;
        if !answer.error.is_empty() {
            let zh = wuji_proto::rule_zh("drill-unanswered")
                .map(|lead| format!("{lead}：{}", answer.error))
                .unwrap_or_default();
            return Err(wuji_proto::refusal_zh(
                tonic::Code::Unavailable,
                "drill-unanswered",
                answer.error,
                zh,
            ));
        }
        let mut records = Vec::with_capacity(answer.records.len());
        for s in &answer.records {
            let rec = wuji_proto::record_from_state(s)
                .map_err(|e| Status::from(crate::Error::bad("drill-answer", e)))?;
            records.push(super::reply(&self.node, &rec, 0));
        }
        Ok(Response::new(pb::RecordList {
            records,
            next: answer.next,
        }))
    }

    async fn publish_calendar(
        &self,
        req: Request<pb::PublishCalendarRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let name = r.file.rsplit('/').next().unwrap_or_default().to_string();
        let year = wuji_model::calendar::Year::parse(&name, &r.text)
            .map_err(|e| Status::from(crate::Error::from(e)))?;
        let id = wuji_model::published::record_id(year.year);
        super::write_one(
            &self.node,
            crate::Op::new(id, move |ctx, _| {
                Ok(wuji_model::published::publish(ctx, &name, &r.text)?)
            }),
        )
        .await
    }

    async fn status(
        &self,
        _: Request<pb::StatusRequest>,
    ) -> Result<Response<pb::StatusReply>, Status> {
        let me = self.node.code();
        let (records, _) = self
            .node
            .scan_kind(kind_byte(RecordKind::Summary), None, usize::MAX, |_| true)
            .map_err(Status::from)?;
        let mut own = None;
        let mut below = Vec::new();
        for r in records {
            let mut counts = summary::counts(&r);
            let today = self.node.today();
            let overdue = summary::overdue(&counts, today);
            let due_soon = summary::due_within(&counts, today, 15);
            counts.insert("suggestion.overdue".into(), overdue);
            counts.insert("suggestion.due_soon".into(), due_soon);
            let s = pb::NodeSummary {
                code: r.id.home.value(),
                counts: counts.into_iter().collect(),
            };
            if r.id.home == me {
                own = Some(s);
            } else if r.id.home.is_inside(me) {
                below.push(s);
            }
        }
        let last_seq = self
            .node
            .layout()
            .last_seq()
            .map_err(|e| Status::from(crate::Error::from(e)))?;
        let telemetry = self.node.telemetry();
        let links = telemetry
            .links()
            .iter()
            .map(|(peer, i)| pb::LinkState {
                peer: peer.value(),
                role: i.role.to_string(),
                connected: i.connected,
                acked: i.acked,
                lag: last_seq.saturating_sub(i.acked),
                sent: i.sent,
                checks: i.checks,
                repaired: i.repaired,
            })
            .collect();
        Ok(Response::new(pb::StatusReply {
            node: me.value(),
            last_seq,
            own: Some(own.unwrap_or(pb::NodeSummary {
                code: me.value(),
                counts: Default::default(),
            })),
            below,
            links,
            refusals: telemetry.refusals().into_iter().collect(),
            tls: self.node.tls(),
            calendar_notices: self.node.calendar().notices(self.node.today()),
        }))
    }
}
