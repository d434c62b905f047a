//! A node as a handle: what the API services and tests call (reads, writes
//! through the committer, the clock, telemetry, links from children), over
//! whatever parts it was started with ([`start`]).

mod start;

pub use start::{Identity, Parts, Running, Settings, start};

use crate::Error;
use crate::clock::Clock;
use crate::commit::{Committed, Committer, Op};
use crate::sync::{Inbound, LinkCtx, SyncService};
use crate::telemetry::Telemetry;
use std::sync::Arc;
use wuji_division::Code;
use wuji_model::calendar::Calendar;
use wuji_model::{Record, RecordId, Rules};
use wuji_store::Layout;

/// A handle on a running node, shared by the API services.
#[derive(Clone)]
pub struct Node {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) code: Code,
    pub(crate) layout: Layout,
    pub(crate) committer: Committer,
    pub(crate) rules: Rules,
    pub(crate) calendar: Arc<std::sync::RwLock<Calendar>>,
    pub(crate) max_page: u32,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) telemetry: Telemetry,
    pub(crate) tls: bool,
    pub(crate) links: LinkCtx,
    /// Held while a submission by a platform's id looks for that id and
    /// writes: intake by external id, one at a time.
    pub(crate) intake: tokio::sync::Mutex<()>,
}

impl Node {
    /// A node on an in-memory store with no links and no signing key, for
    /// fuzzing the API services and for tests of pure request handling. Must
    /// be called inside a tokio runtime (it starts the committer).
    pub fn in_memory(code: Code, rules: Rules) -> Result<Node, Error> {
        let mut settings = Settings::new(code);
        settings.rules = rules;
        Ok(start(Parts::in_memory(), settings)?.node().clone())
    }

    /// The latest durable log sequence: nothing above it leaves the node.
    pub fn durable(&self) -> u64 {
        self.inner.committer.durable()
    }

    /// The durable log sequence as it moves, after every batch's flush.
    pub fn watch_seq(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.committer.watch()
    }

    /// Writes the reminders of `day` for the change feed (see
    /// [`crate::feed::sweep`]).
    pub async fn remind(
        &self,
        day: wuji_model::Date,
        notices: Vec<wuji_proto::pb::Notice>,
    ) -> Result<crate::commit::Committed, Error> {
        self.inner.committer.remind(day, notices).await
    }

    /// Turns `true` when the node is stopping: long-lived tasks holding a
    /// handle (a watcher, the reminders' sweep) end then.
    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.inner.links.stop.clone()
    }

    /// The lock of intake by external id (see [`Inner::intake`]).
    pub fn intake(&self) -> &tokio::sync::Mutex<()> {
        &self.inner.intake
    }

    /// This node's code.
    pub fn code(&self) -> Code {
        self.inner.code
    }

    /// The handling rules.
    pub fn rules(&self) -> &Rules {
        &self.inner.rules
    }

    /// The working-day calendar this node fixes deadlines with (it changes
    /// when the national node publishes a year).
    pub fn calendar(&self) -> std::sync::RwLockReadGuard<'_, Calendar> {
        self.inner
            .calendar
            .read()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The store.
    pub fn layout(&self) -> &Layout {
        &self.inner.layout
    }

    /// Today's date in China Standard Time, by the node's clock.
    pub fn today(&self) -> wuji_model::Date {
        self.inner.clock.today()
    }

    /// Wall-clock UTC milliseconds by the node's clock.
    pub fn now_ms(&self) -> u64 {
        self.inner.clock.now_ms()
    }

    /// A new record id from the node's clock (UUIDv7).
    pub fn new_uuid(&self) -> uuid::Uuid {
        self.inner.clock.new_uuid()
    }

    /// The node's counters and gauges.
    pub fn telemetry(&self) -> &Telemetry {
        &self.inner.telemetry
    }

    /// The federation's routing horizon, as this node was started with.
    pub fn horizon(&self) -> wuji_model::routing::Horizon {
        self.inner.links.conf.horizon
    }

    /// Whether the node's API is served over TLS.
    pub fn tls(&self) -> bool {
        self.inner.tls
    }

    /// The parent's side of a link from a child whose certificate names
    /// `certified`: runs it in its own task and returns the messages for the child.
    pub fn accept(&self, certified: Option<Code>, inbound: Inbound) -> Inbound {
        crate::sync::accept(self.inner.links.clone(), certified, inbound)
    }

    /// The sync service over gRPC.
    pub fn sync_service(&self) -> SyncService {
        SyncService::new(self.inner.links.clone())
    }

    /// Largest page size.
    pub fn max_page(&self) -> u32 {
        self.inner.max_page
    }

    /// Submits writes that succeed or fail together; resolves once durable.
    pub async fn write(&self, ops: Vec<Op>) -> Result<Committed, Error> {
        self.inner.committer.submit(ops).await
    }

    /// A backup file of the whole store as one state, taken between two
    /// group commits (writes wait while it is read; see `wuji_store::backup`).
    pub async fn backup(&self) -> Result<Vec<u8>, Error> {
        use wuji_store::backup;
        let layout = self.inner.layout.clone();
        let node = self.code().value();
        let created_ms = self.now_ms();
        let started = std::time::Instant::now();
        let bytes = self
            .inner
            .committer
            .quiesced(
                move || -> Result<(Vec<u8>, u64, usize), wuji_store::Error> {
                    let entries = backup::dump(layout.kv().as_ref())?;
                    let last_seq = layout.last_seq()?;
                    let header = backup::Header {
                        format: backup::FORMAT,
                        node,
                        created_ms,
                        last_seq,
                        entries: entries.len() as u64,
                        software: format!("wuji {}", env!("CARGO_PKG_VERSION")),
                    };
                    Ok((backup::encode(&header, &entries), last_seq, entries.len()))
                },
            )
            .await??;
        let (bytes, last_seq, entries) = bytes;
        tracing::info!(
            node = %self.code(),
            entries,
            bytes = bytes.len(),
            last_seq,
            writes_waited_ms = started.elapsed().as_millis() as u64,
            "backup taken"
        );
        Ok(bytes)
    }

    /// The current state of a record.
    pub fn read(&self, id: &RecordId) -> Result<Option<Record>, Error> {
        Ok(self.inner.layout.record(id)?.map(|s| s.record))
    }

    /// Records of one kind in key (creation) order after the record key `after`,
    /// filtered by `keep`, up to `limit`; also the last record key read if more may follow.
    pub fn scan_kind(
        &self,
        kind: u8,
        after: Option<Vec<u8>>,
        limit: usize,
        keep: impl Fn(&Record) -> bool,
    ) -> Result<(Vec<Record>, Option<Vec<u8>>), Error> {
        page(after, limit, keep, |cursor| {
            Ok(keyed(self.inner.layout.records(&[kind], cursor, PAGE)?))
        })
    }

    /// Records of one kind whose home is in one of `ranges` (ascending, not
    /// overlapping; see [`crate::index::home_ranges`]), in key order after the
    /// record key `after`, filtered by `keep`, up to `limit`; also the last
    /// record key read if more may follow.
    pub fn scan_homes(
        &self,
        kind: u8,
        ranges: &[(u32, u32)],
        after: Option<Vec<u8>>,
        limit: usize,
        keep: impl Fn(&Record) -> bool,
    ) -> Result<(Vec<Record>, Option<Vec<u8>>), Error> {
        page(after, limit, keep, |cursor| {
            let chunk = crate::index::homes_chunk(&self.inner.layout, kind, ranges, cursor, PAGE)?;
            Ok(keyed(chunk))
        })
    }

    /// Suggestions in `status` (by handler, then key) after the index key
    /// `after`, filtered by `keep`, up to `limit`; also the last index key
    /// read if more may follow.
    pub fn scan_status(
        &self,
        status: u8,
        after: Option<Vec<u8>>,
        limit: usize,
        keep: impl Fn(&Record) -> bool,
    ) -> Result<(Vec<Record>, Option<Vec<u8>>), Error> {
        page(after, limit, keep, |cursor| {
            crate::index::status_chunk(&self.inner.layout, status, cursor, PAGE)?
                .into_iter()
                .map(|(key, id)| Ok((key, self.read(&id)?)))
                .collect()
        })
    }

    /// Records under an index prefix after the index key `after`, filtered by
    /// `keep`, up to `limit`; also the last index key read if more may follow.
    pub fn scan(
        &self,
        prefix: &[u8],
        after: Option<Vec<u8>>,
        limit: usize,
        keep: impl Fn(&Record) -> bool,
    ) -> Result<(Vec<Record>, Option<Vec<u8>>), Error> {
        page(after, limit, keep, |cursor| {
            let chunk = self.inner.layout.scan_index(prefix, cursor, PAGE)?;
            chunk
                .into_iter()
                .map(|(key, id)| Ok((key, self.read(&id)?)))
                .collect()
        })
    }
}

/// Keys read from the store at a time by a scan.
const PAGE: usize = 256;

/// Stored records as a page's items: each with its record key.
fn keyed(chunk: Vec<wuji_store::StoredRecord>) -> Vec<(Vec<u8>, Option<Record>)> {
    chunk
        .into_iter()
        .map(|s| {
            let key = wuji_store::layout::record_key(&s.record.id).to_vec();
            (key, Some(s.record))
        })
        .collect()
}

/// Reads chunks of (key, record if still there) after `after` until `limit`
/// records pass `keep` or the chunks run out; returns them and the last key
/// read if more may follow.
fn page(
    after: Option<Vec<u8>>,
    limit: usize,
    keep: impl Fn(&Record) -> bool,
    mut chunk: impl FnMut(Option<&[u8]>) -> Result<Vec<(Vec<u8>, Option<Record>)>, Error>,
) -> Result<(Vec<Record>, Option<Vec<u8>>), Error> {
    let mut out = Vec::new();
    let mut cursor = after;
    loop {
        let items = chunk(cursor.as_deref())?;
        let exhausted = items.len() < PAGE;
        for (key, record) in items {
            cursor = Some(key);
            if let Some(r) = record.filter(|r| keep(r)) {
                out.push(r);
                if out.len() == limit {
                    return Ok((out, cursor));
                }
            }
        }
        if exhausted {
            return Ok((out, None));
        }
    }
}
