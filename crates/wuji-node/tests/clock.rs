//! A clock far ahead never wins: a record whose section is stamped more than
//! `clock.max_ahead_ms` ahead of the receiver arrives on a link from a child;
//! it is refused by the rule `clock-ahead` and counted, nothing of it is
//! stored, the rest of its batch is applied and acknowledged, and the node's
//! clock is not pulled forward, so the next API write is stamped now. The
//! refused state is held back (not dropped: the sender's checkpoint moved on)
//! and applied once the node's clock reaches it, across a restart.

mod common;

use std::time::Duration;
use tokio_stream::StreamExt;
use wuji_division::Code;
use wuji_model::calendar::Calendar;
use wuji_model::{Record, RecordId, Rules};
use wuji_proto::pb::{self, sync_message::Msg};
use wuji_store::MemKv;

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A suggestion submitted at `town`, stamped at `ms`.
fn submitted(town: Code, title: &str, ms: u64) -> Record {
    common::submitted_at(town, title, ms)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_section_from_the_future_is_refused_counted_and_not_stored_the_rest_is_applied() {
    let county = Code::parse("320114").unwrap();
    let town = Code::parse("320114001").unwrap();
    let common::ParentEnd {
        layout,
        committer,
        telemetry,
        to_parent: to_county,
        from_parent: mut from_county,
        link,
        stop: _stop,
        ..
    } = common::parent_end(county, town).await;

    let day_ahead = submitted(town, "明天的", now_ms() + 86_400_000);
    let years_ahead = submitted(town, "十年后的", now_ms() + 10 * 365 * 86_400_000);
    let present = submitted(town, "今天的", now_ms());
    let batch = pb::Batch {
        from_seq: 0,
        to_seq: 3,
        records: [&day_ahead, &present, &years_ahead]
            .into_iter()
            .map(wuji_proto::record_to_state)
            .collect(),
        repair: false,
        certificates: Vec::new(),
    };
    to_county
        .send(pb::SyncMessage {
            msg: Some(Msg::Batch(batch)),
        })
        .await
        .unwrap();
    let acked = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(m) = from_county.next().await {
            if let Some(Msg::Ack(a)) = m.msg {
                return a.seq;
            }
        }
        0
    })
    .await
    .unwrap();
    assert_eq!(acked, 3, "the batch is acknowledged: the link goes on");
    assert!(
        layout.record(&present.id).unwrap().is_some(),
        "the rest of the batch is applied"
    );
    assert!(
        layout.record(&day_ahead.id).unwrap().is_none(),
        "a section a day ahead is not stored"
    );
    assert!(layout.record(&years_ahead.id).unwrap().is_none());
    assert_eq!(telemetry.refusals().get("clock-ahead"), Some(&2));
    let held: Vec<RecordId> = layout.held().unwrap().iter().map(|s| s.record.id).collect();
    assert_eq!(held.len(), 2, "both are held back");
    assert!(held.contains(&day_ahead.id) && held.contains(&years_ahead.id));
    assert!(!link.is_finished(), "the link keeps going");

    // The clock was not pulled forward: a local write is stamped now.
    let done = committer
        .submit(vec![common::new_suggestion(county, "区里的")])
        .await
        .unwrap();
    let at = done.records[0]
        .sections()
        .map(|(_, s)| s.written_at().hlc.physical_ms())
        .max()
        .unwrap();
    assert!(
        at <= now_ms() + 1_000,
        "a local write is stamped at the present, not the refused future ({at})"
    );
    link.abort();
}

/// A state stamped two hours ahead waits, held back, until the node's clock
/// reaches it (less `max_ahead_ms`), survives a restart of the committer on
/// the same store, and is then applied and counted like any peer's state.
#[tokio::test(start_paused = true)]
async fn a_held_back_state_is_applied_when_the_clock_reaches_it_even_after_a_restart() {
    use std::sync::Arc;
    use wuji_node::clock::{Clock, TestClock};
    let county = Code::parse("320114").unwrap();
    let town = Code::parse("320114001").unwrap();
    let start = 1_796_263_200_000;
    let clock = TestClock::at(start);
    let kv = Arc::new(MemKv::new());
    let committer = |kv: Arc<MemKv>| {
        let layout = wuji_store::Layout::open(kv).unwrap();
        let (c, task) = wuji_node::Committer::start(wuji_node::CommitterParts {
            node: county,
            layout: layout.clone(),
            rules: Rules::default(),
            calendar: Calendar::builtin(),
            clock: Arc::new(clock.clone()),
            max_ahead_ms: 60_000,
            max_batch: 16,
            signer: None,
            broken_merge: false,
            horizon: Default::default(),
            parent: None,
            adopted: Vec::new(),
            telemetry: Default::default(),
        })
        .unwrap();
        (layout, c, task)
    };
    let (layout, c, task) = committer(kv.clone());
    let ahead = submitted(town, "两小时后的", start + 2 * 3_600_000);
    let done = c
        .apply_remote(
            town,
            vec![wuji_node::Op::remote(ahead.clone(), Default::default())],
            1,
            vec![1],
        )
        .await
        .unwrap();
    assert_eq!(done.refused, vec!["clock-ahead"]);
    assert!(layout.record(&ahead.id).unwrap().is_none());
    assert_eq!(layout.held().unwrap().len(), 1);
    drop(c);
    task.await.unwrap();

    // Restarted on the same store; an hour on, still too early.
    let (layout, c, _task) = committer(kv);
    clock.advance(3_600_000);
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert!(layout.record(&ahead.id).unwrap().is_none(), "not yet due");
    // Two hours on (less the minute allowed ahead), it is applied.
    clock.advance(3_600_000);
    tokio::time::sleep(Duration::from_secs(120)).await;
    let stored = layout.record(&ahead.id).unwrap().expect("applied once due");
    assert_eq!(stored.source, Some(town), "as the peer's state");
    assert!(layout.held().unwrap().is_empty(), "and no longer held");
    assert!(clock.now_ms() >= start + 2 * 3_600_000 - 60_000);
    drop(c);
}
