//! A batch with nothing in it (a parent's commit that carries nothing for
//! this child) is acknowledged at once without a commit; its checkpoint is
//! stored with the next batch that holds records, and at least every 64th
//! empty batch, so a crash costs the peer at most a short rescan.

mod common;

use std::time::Duration;
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use wuji_division::Code;
use wuji_node::sync::{Role, run_link};
use wuji_proto::pb::{self, sync_message::Msg};
use wuji_store::MemKv;

fn batch(to_seq: u64, records: Vec<pb::RecordState>) -> pb::SyncMessage {
    pb::SyncMessage {
        msg: Some(Msg::Batch(pb::Batch {
            from_seq: to_seq - 1,
            to_seq,
            records,
            repair: false,
            certificates: Vec::new(),
        })),
    }
}

/// A suggestion submitted at `town` now.
fn submitted(town: Code) -> wuji_model::Record {
    use wuji_model::suggestion::workflow::{self, Draft};
    let (rules, cal) = (
        wuji_model::Rules::default(),
        wuji_model::calendar::Calendar::builtin(),
    );
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let ctx = wuji_model::Ctx {
        node: town,
        at: wuji_crdt::Stamp::new(
            wuji_crdt::Hlc(ms << 16),
            wuji_crdt::WriterId::new(town.value(), 0),
        ),
        today: jiff::civil::date(2026, 12, 3),
        rules: &rules,
        calendar: &cal,
    };
    let id = wuji_model::RecordId {
        kind: wuji_model::RecordKind::Suggestion,
        home: town,
        uuid: uuid::Uuid::now_v7(),
    };
    let draft = Draft {
        lead: "P-1".into(),
        title: "有内容的".into(),
        text: "x".into(),
        ..Draft::default()
    };
    workflow::submit(&ctx, id, &draft).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_batches_are_acknowledged_without_storing_each_checkpoint() {
    let county = Code::parse("320114").unwrap();
    let town = Code::parse("320114001").unwrap();
    let (layout, committer) = common::start_committer(county, std::sync::Arc::new(MemKv::new()));
    let (ctx, _stop) = common::link_ctx(county, None, layout.clone(), committer.clone());
    let (to_town, from_county) = mpsc::channel(256);
    let (to_county, from_town) = mpsc::channel::<pb::SyncMessage>(256);
    let inbound = ReceiverStream::new(from_town).map(Ok::<_, String>);
    let link = tokio::spawn(run_link(
        ctx,
        Role::Parent { certified: None },
        to_town,
        inbound,
    ));
    let mut from_county = ReceiverStream::new(from_county);
    to_county
        .send(common::hello(town.value(), county.value()))
        .await
        .unwrap();
    let Some(Msg::Hello(_)) = from_county.next().await.unwrap().msg else {
        panic!("the county answers the greeting");
    };
    let mut next_ack = async || loop {
        let m = tokio::time::timeout(Duration::from_secs(10), from_county.next())
            .await
            .expect("an acknowledgement in time")
            .expect("the link is open");
        if let Some(Msg::Ack(a)) = m.msg {
            return a.seq;
        }
    };
    for seq in 1..=3 {
        to_county.send(batch(seq, Vec::new())).await.unwrap();
        assert_eq!(next_ack().await, seq, "each empty batch is acknowledged");
    }
    assert_eq!(
        layout.checkpoint(town).unwrap().0,
        0,
        "no commit for an empty batch"
    );
    // A batch with a record stores its checkpoint (and so the empty ones').
    let rec = wuji_proto::record_to_state(&submitted(town));
    to_county.send(batch(4, vec![rec])).await.unwrap();
    assert_eq!(next_ack().await, 4);
    assert_eq!(layout.checkpoint(town).unwrap().0, 4);
    // A long run of empty batches stores one checkpoint every 64.
    for seq in 5..=(5 + 64) {
        to_county.send(batch(seq, Vec::new())).await.unwrap();
        assert_eq!(next_ack().await, seq);
    }
    assert_eq!(
        layout.checkpoint(town).unwrap().0,
        5 + 64,
        "the 65th in a row is stored"
    );
    link.abort();
}
