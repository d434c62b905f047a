//! The `Node` service: this node's summary, the summaries it holds from its
//! subtree (they flow up like every record, as far as the horizon), the state
//! and lag of its links, and drill-down below what it holds.

use crate::{Node, index::kind_byte};
use tonic::{Request, Response, Status};
use wuji_division::Code;
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

/// The chunks of a backup file, as streamed.
type BackupStream =
    std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<pb::BackupChunk, Status>> + Send>>;

/// Bytes of a backup file per chunk.
const BACKUP_CHUNK: usize = 1 << 20;

#[tonic::async_trait]
impl pb::node_server::Node for Service {
    type BackupStream = BackupStream;

    async fn backup(
        &self,
        _req: Request<pb::BackupRequest>,
    ) -> Result<Response<BackupStream>, Status> {
        let bytes = self.node.backup().await.map_err(Status::from)?;
        let chunks: Vec<Result<pb::BackupChunk, Status>> = bytes
            .chunks(BACKUP_CHUNK)
            .map(|c| Ok(pb::BackupChunk { data: c.to_vec() }))
            .collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(chunks))))
    }

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
        let page = r.page.unwrap_or_default();
        let (recs, next) = self.drill(region, r.kind, page).await?;
        Ok(Response::new(pb::RecordList {
            records: recs
                .iter()
                .map(|rec| super::reply(&self.node, rec, 0))
                .collect(),
            next,
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
        req: Request<pb::StatusRequest>,
    ) -> Result<Response<pb::StatusReply>, Status> {
        let me = self.node.code();
        let region = match req.into_inner().region {
            0 => me,
            r => super::code("region", r)?,
        };
        let records = if region == me {
            self.node
                .scan_kind(kind_byte(RecordKind::Summary), None, usize::MAX, |_| true)
                .map_err(Status::from)?
                .0
        } else {
            self.drill_summaries(region).await?
        };
        let holder = self.node.horizon();
        let mut own = None;
        let mut below = Vec::new();
        for r in records {
            let s = self.row(&r);
            if r.id.home == region {
                own = Some(s);
            } else if r.id.home.is_inside(region)
                && wuji_model::routing::visible_to(&r, region, holder)
            {
                // (A summary held from before the horizon was narrowed is
                // no longer updated there: not shown as if current.)
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
                code: region.value(),
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

/// Most summaries one drilled status reads (pages of 500): a county's
/// townships, or a city's counties, with room to spare.
const MOST_DRILLED: usize = 5_000;

impl Service {
    /// One summary as a status row, with 超期 and 临期 counted for today.
    fn row(&self, r: &wuji_model::Record) -> pb::NodeSummary {
        let mut counts = summary::counts(r);
        let today = self.node.today();
        let overdue = summary::overdue(&counts, today);
        let due_soon = summary::due_within(&counts, today, 15);
        counts.insert("suggestion.overdue".into(), overdue);
        counts.insert("suggestion.due_soon".into(), due_soon);
        pb::NodeSummary {
            code: r.id.home.value(),
            counts: counts.into_iter().collect(),
        }
    }

    /// One page of the records of `kind` that the node of `region`, below
    /// this one, holds: asked down the tree, each level relaying.
    async fn drill(
        &self,
        region: Code,
        kind: i32,
        page: pb::Page,
    ) -> Result<(Vec<wuji_model::Record>, String), Status> {
        let me = self.node.code();
        if !region.is_inside(me) || region == me {
            return Err(Status::from(crate::Error::bad(
                "drill-outside-region",
                format!("{region} is not below {me}: a node drills down into its own region only"),
            )));
        }
        let answer = self
            .node
            .inner
            .links
            .drill
            .ask(pb::DrillRequest {
                id: 0,
                region: region.value(),
                kind,
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
            records.push(
                wuji_proto::record_from_state(s)
                    .map_err(|e| Status::from(crate::Error::bad("drill-answer", e)))?,
            );
        }
        Ok((records, answer.next))
    }

    /// Every summary the node of `region` holds, page by page.
    async fn drill_summaries(&self, region: Code) -> Result<Vec<wuji_model::Record>, Status> {
        let mut out = Vec::new();
        let mut after = String::new();
        loop {
            let page = pb::Page {
                limit: 500,
                after: std::mem::take(&mut after),
            };
            let (recs, next) = self
                .drill(region, pb::RecordKind::Summary as i32, page)
                .await?;
            out.extend(recs);
            if next.is_empty() || out.len() >= MOST_DRILLED {
                return Ok(out);
            }
            after = next;
        }
    }
}
