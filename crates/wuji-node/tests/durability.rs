//! Nothing leaves a node before it is on disk: a link ships only log entries
//! the committer has announced as flushed. The store here holds every flush at
//! a gate, so the committer sits between its append and its flush for as long
//! as the test wants; the link, played by the test as the parent, must not see
//! the record written in that gap until the gate opens.

mod common;

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use wuji_division::Code;
use wuji_node::sync::{Role, run_link};
use wuji_proto::pb::{self, sync_message::Msg};
use wuji_store::{Batch, Entry, Kv, MemKv};

/// An in-memory store whose `flush` waits while the gate is shut.
#[derive(Default)]
struct GatedKv {
    inner: MemKv,
    shut: Mutex<bool>,
    opened: Condvar,
    /// Batches applied so far (to see the committer reach its flush).
    applied: Mutex<usize>,
}

impl GatedKv {
    fn set_shut(&self, shut: bool) {
        *self.shut.lock().unwrap() = shut;
        self.opened.notify_all();
    }
}

impl Kv for GatedKv {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, wuji_store::Error> {
        self.inner.get(key)
    }
    fn apply(&self, batch: Batch) -> Result<(), wuji_store::Error> {
        self.inner.apply(batch)?;
        *self.applied.lock().unwrap() += 1;
        Ok(())
    }
    fn flush(&self) -> Result<(), wuji_store::Error> {
        let mut shut = self.shut.lock().unwrap();
        while *shut {
            shut = self.opened.wait(shut).unwrap();
        }
        Ok(())
    }
    fn scan(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, wuji_store::Error> {
        self.inner.scan(prefix, after, limit)
    }
    fn last(&self, prefix: &[u8]) -> Result<Option<Entry>, wuji_store::Error> {
        self.inner.last(prefix)
    }
    fn size_on_disk(&self) -> Result<u64, wuji_store::Error> {
        Ok(0)
    }
}

/// The titles of the records in the batches received within `wait`, and the
/// highest `to_seq` among them.
async fn batches(rx: &mut ReceiverStream<pb::SyncMessage>, wait: Duration) -> (Vec<String>, u64) {
    let mut titles = Vec::new();
    let mut to = 0;
    let deadline = tokio::time::Instant::now() + wait;
    while let Ok(Some(m)) = tokio::time::timeout_at(deadline, rx.next()).await {
        if let Some(Msg::Batch(b)) = m.msg {
            to = to.max(b.to_seq);
            for r in &b.records {
                let rec = wuji_proto::record_from_state(r).unwrap();
                if let Some(o) = rec.origin(rec.id.home) {
                    titles.push(o.title.get().clone());
                }
            }
        }
    }
    (titles, to)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_ships_nothing_past_the_flushed_position() {
    let county = Code::parse("320114").unwrap();
    let city = Code::parse("320100").unwrap();
    let kv = Arc::new(GatedKv::default());
    let (layout, committer) = common::start_committer(county, kv.clone());
    committer
        .submit(vec![common::new_suggestion(county, "已落盘")])
        .await
        .unwrap();
    let durable = committer.durable();

    // Hold the committer between its append and its flush.
    kv.set_shut(true);
    let before = *kv.applied.lock().unwrap();
    let pending = {
        let c = committer.clone();
        tokio::spawn(async move {
            c.submit(vec![common::new_suggestion(county, "未落盘")])
                .await
        })
    };
    while *kv.applied.lock().unwrap() == before {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        layout.last_seq().unwrap() > durable,
        "the second write is in the store, not yet flushed"
    );

    // The county links to its parent, which the test plays.
    let (to_parent, from_county) = mpsc::channel(64);
    let (to_county, from_parent) = mpsc::channel::<pb::SyncMessage>(64);
    let (ctx, _stop) = common::link_ctx(county, Some(city), layout.clone(), committer.clone());
    let inbound = ReceiverStream::new(from_parent).map(Ok::<_, String>);
    let link = tokio::spawn(run_link(
        ctx,
        Role::Child { parent: city },
        to_parent,
        inbound,
    ));
    let mut from_county = ReceiverStream::new(from_county);
    let Some(Msg::Hello(h)) = from_county.next().await.unwrap().msg else {
        panic!("the county greets first");
    };
    assert_eq!(
        h.last_seq, durable,
        "the greeting states the flushed position"
    );
    to_county
        .send(common::hello(city.value(), 320_000))
        .await
        .unwrap();

    let (titles, to) = batches(&mut from_county, Duration::from_millis(800)).await;
    assert_eq!(
        titles,
        vec!["已落盘".to_string()],
        "only the flushed write left the county"
    );
    assert!(to <= durable, "the batch claims {to}, flushed is {durable}");

    // Once flushed, the second write follows at once.
    kv.set_shut(false);
    pending.await.unwrap().unwrap();
    let (titles, to) = batches(&mut from_county, Duration::from_millis(800)).await;
    assert_eq!(titles, vec!["未落盘".to_string()]);
    assert_eq!(to, committer.durable());
    link.abort();
}
