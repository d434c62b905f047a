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
