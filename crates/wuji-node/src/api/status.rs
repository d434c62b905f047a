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
        let req = req.into_inner();
        let region = match req.region {
            0 => me,
            r => super::code("region", r)?,
        };
        let records = if region == me && req.depth > 0 {
            self.near(region, req.depth).map_err(Status::from)?
        } else if region == me {
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
    /// The summaries this node holds of `region` and the regions at most
    /// `depth` levels below it in the division tree, read by their ids.
    fn near(&self, region: Code, depth: u32) -> Result<Vec<wuji_model::Record>, crate::Error> {
        let tree = wuji_division::embedded();
        let mut out = Vec::new();
        let mut level = vec![region];
        for d in 0..=depth {
            let mut next = Vec::new();
            for code in level {
                if let Some(r) = self.node.read(&summary::id(code))? {
                    out.push(r);
                }
                if d < depth {
                    next.extend(tree.children(code).iter().copied());
                }
            }
            level = next;
        }
        Ok(out)
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use pb::node_server::Node as _;
    use wuji_crdt::{Hlc, Stamp, WriterId};

    /// A national node holding every summary below it (horizon all), with
    /// the summaries of 江苏, 南京, 雨花台区 and 雨花街道.
    async fn national() -> (crate::Running, Service) {
        let mut settings = crate::Settings::new(Code::NATIONAL);
        settings.horizon = wuji_model::routing::Horizon::All;
        let running = crate::start(crate::Parts::in_memory(), settings).unwrap();
        let node = running.node().clone();
        let (rules, cal) = (
            wuji_model::Rules::default(),
            wuji_model::calendar::Calendar::builtin(),
        );
        let mut ops = Vec::new();
        for (i, code) in ["320000", "320100", "320114", "320114001"]
            .iter()
            .enumerate()
        {
            let ctx = wuji_model::Ctx {
                node: Code::parse(code).unwrap(),
                at: Stamp::new(Hlc((1_764_720_000_000 + i as u64) << 16), WriterId(1)),
                today: wuji_model::Date::constant(2026, 12, 6),
                rules: &rules,
                calendar: &cal,
            };
            let counts = [("suggestion.total".to_string(), 4 - i as i64)].into();
            let rec = summary::publish(&ctx, None, &counts).unwrap();
            ops.push(crate::Op::remote(rec, Default::default()));
        }
        let c = node.write(ops).await.unwrap();
        assert!(c.refused.is_empty(), "{:?}", c.refused);
        (running, Service::new(node))
    }

    async fn below(s: &Service, depth: u32) -> Vec<u32> {
        let r = s
            .status(Request::new(pb::StatusRequest { region: 0, depth }))
            .await
            .unwrap()
            .into_inner();
        let mut v: Vec<u32> = r.below.iter().map(|b| b.code).collect();
        v.sort();
        v
    }

    #[tokio::test]
    async fn depth_lists_the_regions_that_many_levels_below_and_zero_all() {
        let (_running, s) = national().await;
        assert_eq!(
            below(&s, 0).await,
            vec![320_000, 320_100, 320_114, 320_114_001]
        );
        assert_eq!(below(&s, 1).await, vec![320_000]);
        assert_eq!(below(&s, 2).await, vec![320_000, 320_100]);
        assert_eq!(
            below(&s, 9).await,
            vec![320_000, 320_100, 320_114, 320_114_001]
        );
    }
}
