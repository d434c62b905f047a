//! A batch with nothing in it (a parent's commit that carries nothing for
//! this child) is acknowledged at once without a commit; its checkpoint is
//! stored with the next batch that holds records, and at least every 64th
//! empty batch, so a crash costs the peer at most a short rescan.

mod common;

use std::time::Duration;
use tokio_stream::StreamExt;
use wuji_division::Code;
use wuji_proto::pb::{self, sync_message::Msg};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_batches_are_acknowledged_without_storing_each_checkpoint() {
    let county = Code::parse("320114").unwrap();
    let town = Code::parse("320114001").unwrap();
    let common::ParentEnd {
        layout,
        to_parent: to_county,
        from_parent: mut from_county,
        link,
        stop: _stop,
        ..
    } = common::parent_end(county, town).await;
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
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let rec = wuji_proto::record_to_state(&common::submitted_at(town, "有内容的", now));
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
