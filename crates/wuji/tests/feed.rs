//! The change feed across a multi-process federation (`wuji federation up`,
//! every node its own process, mutual TLS): an assignment issued at the city
//! comes to a target township's watchers as a change and an arrival notice
//! within a second of the township holding it; a suggestion escalated from a
//! township arrives at its county's watchers as such.

mod common;

use std::time::{Duration, Instant};
use wuji_proto::pb::{self, assignments_client::AssignmentsClient};

type Events = tonic::Streaming<pb::WatchEvent>;

async fn watch(ch: tonic::transport::Channel, kinds: &[&str]) -> Events {
    wuji_node::test_util::watch(&ch, "", kinds).await
}

/// Events until `want` says one is the last wanted, each with when it came.
async fn until(
    s: &mut Events,
    mut want: impl FnMut(&pb::WatchEvent) -> bool,
) -> Vec<(pb::WatchEvent, Instant)> {
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ev = tokio::time::timeout(left, s.message())
            .await
            .expect("the events did not come within 60 s")
            .unwrap()
            .expect("the stream ended");
        let done = want(&ev);
        out.push((ev, Instant::now()));
        if done {
            return out;
        }
    }
}

fn notice(ev: &pb::WatchEvent) -> Option<&pb::Notice> {
    match &ev.event {
        Some(pb::watch_event::Event::Notice(n)) => Some(n),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assignment_from_the_city_reaches_a_townships_watcher_within_a_second_of_arriving() {
    let f = common::up().await;
    let town = f.ch("320114001").await;
    let mut feed = watch(town.clone(), &["assignment"]).await;
    // Poll the township for the assignment, to know when it arrived there.
    let issued = Instant::now();
    let r = AssignmentsClient::new(f.ch("320100").await)
        .issue_assignment(pb::IssueRequest {
            title: "汛期安全检查".into(),
            text: "请各街道组织代表开展汛期安全检查".into(),
            targets: vec![320_114_001],
            due_on: "2027-06-30".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let id = r.view["id"].clone();
    let (home, uuid) = id.split_once(':').unwrap();
    let get = pb::Get {
        id: Some(pb::RecordId {
            kind: 0,
            home: home.parse().unwrap(),
            uuid: uuid::Uuid::parse_str(uuid).unwrap().as_bytes().to_vec(),
        }),
    };
    let poll = {
        let town = town.clone();
        tokio::spawn(async move {
            let mut a = AssignmentsClient::new(town);
            loop {
                if a.get_assignment(get.clone()).await.is_ok() {
                    return Instant::now();
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let events = until(&mut feed, |ev| {
        notice(ev).is_some_and(|n| n.kind == "arrived")
            && ev.record.as_ref().is_some_and(|r| r.view["id"] == id)
    })
    .await;
    let arrived = poll.await.unwrap();
    let (change, changed_at) = events
        .iter()
        .find(|(ev, _)| matches!(&ev.event, Some(pb::watch_event::Event::Change(r)) if r.view["id"] == id))
        .expect("the assignment as a change");
    let (last, noticed_at) = events.last().unwrap();
    let n = notice(last).unwrap();
    assert_eq!((n.what.as_str(), n.from), ("assignment", 320_100), "{n:?}");
    assert_eq!(last.record.as_ref().unwrap().view["id"], id);
    assert!(change.seq <= last.seq, "in log order");
    // Within a second of its arrival (seen by polling, which may see it a
    // little after the watcher does).
    for (what, at) in [("change", changed_at), ("notice", noticed_at)] {
        let after = at.saturating_duration_since(arrived);
        println!(
            "{what}: {:?} after issuing, {:?} after the township held it",
            at.duration_since(issued),
            after
        );
        assert!(
            after <= Duration::from_secs(1),
            "{what} {after:?} after arriving"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suggestion_escalated_from_a_township_arrives_on_its_countys_feed() {
    let f = common::up().await;
    let mut county = watch(f.ch("320114").await, &["suggestion"]).await;
    f.enrol("320114002", "SH-9").await;
    let id = f
        .submit("320114002", "SH-9", "社区卫生服务站夜间门诊")
        .await;
    f.escalate("320114002", &id, 320_114, "需区卫健委统筹")
        .await;
    // (The federation's own sample escalation from 雨花街道 may arrive
    // meanwhile: the one wanted is this suggestion's.)
    let events = until(&mut county, |ev| {
        notice(ev).is_some_and(|n| n.kind == "arrived")
            && ev.record.as_ref().is_some_and(|r| r.view["id"] == id)
    })
    .await;
    let n = notice(&events.last().unwrap().0).unwrap();
    assert_eq!(
        (n.what.as_str(), n.from),
        ("escalated", 320_114_002),
        "{n:?}"
    );
    assert_eq!(
        events.last().unwrap().0.record.as_ref().unwrap().view["id"],
        id
    );
}
