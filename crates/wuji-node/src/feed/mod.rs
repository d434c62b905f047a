//! The change feed (`Feed.Watch`): what changes on this node, read from its
//! log in order from a cursor, for the platforms offices already run. Each
//! log entry's records (each at its latest change: a record changed again
//! later is sent there) and notices (arrivals, the day's reminders) that the
//! caller may see and the filters keep; a heartbeat on a quiet stream. Only
//! what is durable leaves the node, as on the sync links.

pub mod cursor;
pub mod notices;
mod server;
pub mod sweep;
mod tail;
mod watcher;

pub use server::FeedServer;
use watcher::Watcher;

use crate::api::suggestions::status_named;
use crate::trust::{ClientRole, Identity, Peer};
use crate::{Error, Node};
use cursor::{Position, Refused, Start};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use wuji_division::Code;
use wuji_model::suggestion::view::{self, Status as S};
use wuji_model::{Record, RecordKind, routing};
use wuji_proto::pb;

/// Heartbeats when the watcher asks for none.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// The stream a watcher reads: `WatchEvent`s, encoded.
pub type WatchStream =
    Pin<Box<dyn tokio_stream::Stream<Item = Result<bytes::Bytes, Status>> + Send>>;

/// The service.
#[derive(Clone)]
pub struct Service {
    node: Node,
    tail: Arc<tail::Tail>,
}

impl Service {
    /// Serves `node`.
    pub fn new(node: Node) -> Service {
        Service {
            node,
            tail: Arc::default(),
        }
    }
}

/// What a watcher asked for, and what its certificate lets it see.
struct Filter {
    kinds: Vec<RecordKind>,
    statuses: Vec<S>,
    region: Option<Code>,
    notices_only: bool,
    /// A reader of a region below this node sees what that region's node
    /// would hold; everyone else who may watch here sees all of it.
    scope: Option<Code>,
}

fn kind_named(name: &str) -> Result<RecordKind, Error> {
    RecordKind::ALL
        .into_iter()
        .find(|k| format!("{k:?}").eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| {
            Error::bad(
                "watch-filter",
                format!(
                    "unknown kind {name:?}: deputy, suggestion, assignment, supervision, summary or calendar"
                ),
            )
        })
}

impl Filter {
    fn new(node: &Node, r: &pb::WatchRequest, who: Option<&Identity>) -> Result<Filter, Error> {
        let kinds = if r.kinds.is_empty() {
            RecordKind::ALL
                .into_iter()
                .filter(|k| *k != RecordKind::Summary)
                .collect()
        } else {
            r.kinds
                .iter()
                .map(|k| kind_named(k))
                .collect::<Result<_, _>>()?
        };
        let statuses = r
            .status
            .iter()
            .map(|s| status_named(s.trim()))
            .collect::<Result<_, _>>()?;
        let region = match r.region {
            0 => None,
            v => Some(crate::api::code("region", v)?),
        };
        let scope = match who {
            Some(Identity::Client {
                node: n,
                role: ClientRole::Reader,
                ..
            }) if *n != node.code() && node.code().contains(*n) => Some(*n),
            _ => None,
        };
        Ok(Filter {
            kinds,
            statuses,
            region,
            notices_only: r.notices_only,
            scope,
        })
    }

    /// True if the caller may see `rec` here.
    fn may_see(&self, node: &Node, rec: &Record) -> bool {
        self.scope
            .is_none_or(|s| routing::visible_to(rec, s, node.horizon()))
    }

    /// True if a change of the record `h` goes to the watcher.
    fn keeps(&self, node: &Node, h: &tail::Held) -> bool {
        let rec = &h.record;
        if self.notices_only || !self.kinds.contains(&rec.id.kind) || !self.may_see(node, rec) {
            return false;
        }
        let status_ok =
            self.statuses.is_empty() || h.status.is_none_or(|s| self.statuses.contains(&s));
        let region_ok = self
            .region
            .is_none_or(|g| g.contains(rec.id.home) || g.contains(h.handler));
        status_ok && region_ok
    }

    /// True if a notice about `rec` goes to the watcher.
    fn keeps_notice(&self, node: &Node, rec: &Record) -> bool {
        self.may_see(node, rec)
            && self.region.is_none_or(|g| {
                g.contains(rec.id.home)
                    || (rec.id.kind == RecordKind::Suggestion
                        && g.contains(view::current_handler(rec)))
            })
    }
}

/// The refusal of a stale cursor: the rule, what happened, and where to go on.
fn stale(node: &Node, why: &str) -> Result<Status, Error> {
    let l = node.layout();
    let now = cursor::encode(
        &l.incarnation()?,
        Position {
            seq: node.durable(),
            item: None,
        },
    );
    let message = format!(
        "{why}; list the records again (ListSuggestions, ListAssignments, ...), then watch from the cursor {now}"
    );
    let zh = format!(
        "{}：{message}",
        wuji_proto::rule_zh("cursor-stale").unwrap_or_default()
    );
    Ok(wuji_proto::refusal_zh(
        tonic::Code::FailedPrecondition,
        "cursor-stale",
        message,
        zh,
    ))
}

impl Service {
    /// Opens a watch: checks the request and the cursor, then starts the
    /// watcher's task.
    pub async fn watch(
        &self,
        req: Request<pb::WatchRequest>,
    ) -> Result<Response<WatchStream>, Status> {
        let who = req
            .extensions()
            .get::<Peer>()
            .and_then(|p| p.identity.clone());
        let r = req.into_inner();
        let node = self.node.clone();
        let filter = Filter::new(&node, &r, who.as_ref())?;
        let heartbeat = match r.heartbeat_seconds {
            0 => HEARTBEAT,
            s @ 1..=300 => Duration::from_secs(u64::from(s)),
            s => {
                return Err(Error::bad(
                    "watch-filter",
                    format!("heartbeat_seconds {s}: 1 to 300, or 0 for 15"),
                )
                .into());
            }
        };
        let incarnation = node.layout().incarnation().map_err(Error::from)?;
        let durable = node.durable();
        let from = match cursor::parse(&r.cursor, &incarnation, durable) {
            Ok(Start::Now) => Position {
                seq: durable,
                item: None,
            },
            Ok(Start::At(p)) => p,
            Err(Refused::Malformed(m)) => return Err(Error::bad("cursor", m).into()),
            Err(Refused::Stale(why)) => return Err(stale(&node, &why)?),
        };
        let (tx, rx) = mpsc::channel(64);
        let tail = self.tail.clone();
        tail.know_store(&incarnation);
        tokio::spawn(async move {
            let mut w = Watcher {
                stop: node.stopping(),
                tail,
                node,
                filter,
                incarnation,
                at: from,
                tx,
                heartbeat,
            };
            w.run_to_end().await;
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}
