//! The change feed over real gRPC on real sled stores: watchers from the start
//! of the log and from now while another client writes, a watcher cut off and
//! resumed with its cursor, a reader of a township watching at its county,
//! stale and malformed cursors, the day's reminders on a test clock, and
//! intake by a platform's work-order id.

mod common;

use common::tls::{Pki, endpoint, tls_node};
use common::*;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tonic::Code as G;
use tonic::transport::Channel;
use wuji_node::clock::TestClock;
use wuji_pki::{ClientRole, Validity};
use wuji_proto::pb::{self, feed_client::FeedClient, suggestions_client::SuggestionsClient};

type Events = tonic::Streaming<pb::WatchEvent>;

async fn watch(ch: &Channel, cursor: &str, kinds: &[&str]) -> Events {
    wuji_node::test_util::watch(ch, cursor, kinds).await
}

/// The next event that is not a heartbeat, within 20 s.
async fn next(s: &mut Events) -> pb::WatchEvent {
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(20), s.message())
            .await
            .expect("no event within 20 s")
            .unwrap()
            .expect("the stream ended");
        if !matches!(ev.event, Some(pb::watch_event::Event::Heartbeat(_))) {
            return ev;
        }
    }
}

/// The id and title of a change event.
fn change(ev: &pb::WatchEvent) -> (String, String) {
    match &ev.event {
        Some(pb::watch_event::Event::Change(r)) => (r.view["id"].clone(), r.view["title"].clone()),
        other => panic!("not a change: {other:?}"),
    }
}

/// Reads `n` changes, checking the cursors move forward.
async fn changes(s: &mut Events, n: usize) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = Vec::new();
    while out.len() < n {
        let ev = next(s).await;
        let (id, title) = change(&ev);
        out.push((id, title, ev.cursor));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watchers_get_every_change_once_in_order_and_resume_from_a_cursor() {
    let node = TestNode::start("320114", |_| {}).await;
    enrol(&node.channel, &["P"]).await;
    let mut written = Vec::new();
    for i in 0..3 {
        written.push(submit(&node.channel, &format!("早前的建议{i}")).await);
    }
    let mut from_start = watch(&node.channel, "0", &["suggestion"]).await;
    let mut from_now = watch(&node.channel, "", &["suggestion"]).await;
    // Another client writes while both watch.
    let ch = node.channel.clone();
    let writer = tokio::spawn(async move {
        let mut ids = Vec::new();
        for i in 0..20 {
            ids.push(submit(&ch, &format!("新建议{i}")).await);
        }
        ids
    });
    let later = writer.await.unwrap();
    written.extend(later.iter().cloned());
    let a = changes(&mut from_start, 23).await;
    let b = changes(&mut from_now, 20).await;
    let ids = |v: &[(String, String, String)]| v.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(
        ids(&a),
        written,
        "from the start: every change once, in log order"
    );
    assert_eq!(
        ids(&b),
        later,
        "from now: what was written after, once, in order"
    );
    let unique: BTreeSet<_> = a.iter().map(|x| x.2.clone()).collect();
    assert_eq!(unique.len(), a.len(), "every event its own cursor");

    // A watcher cut off after 7 events, and more written meanwhile: resumed
    // from its last cursor it misses nothing and repeats nothing.
    let mut cut = watch(&node.channel, "0", &["suggestion"]).await;
    let first = changes(&mut cut, 7).await;
    drop(cut);
    for i in 0..5 {
        written.push(submit(&node.channel, &format!("断开时的建议{i}")).await);
    }
    let mut resumed = watch(&node.channel, &first[6].2, &["suggestion"]).await;
    let rest = changes(&mut resumed, written.len() - 7).await;
    let mut all = ids(&first);
    all.extend(ids(&rest));
    assert_eq!(all, written, "cut and resumed: the same changes, once each");

    // A record changed again is sent again, at its new place in the log.
    let mut s = SuggestionsClient::new(node.channel.clone());
    let v = s
        .register(pb::RegisterRequest {
            id: vid(&[("id".to_string(), written[0].clone())].into()),
            number: "雨人建〔2026〕1号".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.view["status"], "registered");
    let again = next(&mut resumed).await;
    assert_eq!(change(&again).0, written[0]);
    match again.event {
        Some(pb::watch_event::Event::Change(r)) => assert_eq!(r.view["status"], "registered"),
        _ => unreachable!(),
    }
    // From the start now, that record comes once, at its latest change.
    let mut fresh = watch(&node.channel, "0", &["suggestion"]).await;
    let whole = changes(&mut fresh, written.len()).await;
    let mut expect = written[1..].to_vec();
    expect.push(written[0].clone());
    assert_eq!(ids(&whole), expect);
}

#[tokio::test]
async fn stale_and_malformed_cursors_are_refused_with_their_rules() {
    let node = TestNode::start("320114", |_| {}).await;
    submit(&node.channel, "一条建议").await;
    let mut s = watch(&node.channel, "0", &[]).await;
    let cursor = next(&mut s).await.cursor;
    drop(s);
    let refused = |ch: &Channel, cursor: &str| {
        let ch = ch.clone();
        let cursor = cursor.to_string();
        async move {
            FeedClient::new(ch)
                .watch(pb::WatchRequest {
                    cursor,
                    ..Default::default()
                })
                .await
                .map(|_| ())
        }
    };
    let (code, rule) = code_of(refused(&node.channel, "not-a-cursor").await);
    assert_eq!((code, rule.as_str()), (G::InvalidArgument, "cursor"));
    // Beyond this node's log (a store restored from an older backup).
    let store = cursor.split('.').next().unwrap();
    let e = refused(&node.channel, &format!("{store}.999999"))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), detail_rule(&e).as_str()),
        (G::FailedPrecondition, "cursor-stale")
    );
    // The same node rebuilt from empty: another store.
    let config = {
        let mut c = wuji_node::Config::new(wuji_division::Code::parse("320114").unwrap());
        let dir = node.stop().await;
        c.node.data_dir = dir.path().join("rebuilt");
        (c, dir)
    };
    let rebuilt = TestNode::start_in(config.1, config.0).await;
    let e = refused(&rebuilt.channel, &cursor).await.unwrap_err();
    assert_eq!(detail_rule(&e), "cursor-stale");
    let d = wuji_proto::error_detail(&e).unwrap();
    assert!(d.message.contains("another store"), "{}", d.message);
    assert!(
        d.message.contains("list the records again"),
        "{}",
        d.message
    );
    assert!(
        d.message_zh.contains("重新获取全部记录"),
        "{}",
        d.message_zh
    );
    // The cursor it names is one this store takes.
    let named = d.message.rsplit(' ').next().unwrap();
    assert!(refused(&rebuilt.channel, named).await.is_ok(), "{named}");
    let e = FeedClient::new(rebuilt.channel.clone())
        .watch(pb::WatchRequest {
            kinds: vec!["petition".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(detail_rule(&e), "watch-filter");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_of_a_township_watching_at_its_county_sees_only_its_own() {
    let pki = Pki::new();
    let (county, op) = tls_node(&pki, "320114").await;
    let reader = |town: &str| {
        let id = pki.client(ClientRole::Reader, town, Validity::days(1));
        endpoint(&county.addr, "320114", &pki.ca_path(), Some(&id)).connect_lazy()
    };
    let (yuhua, saihong) = (reader("320114001"), reader("320114002"));
    let mut at_yuhua = watch(&yuhua, "0", &["assignment", "suggestion"]).await;
    let mut at_saihong = watch(&saihong, "0", &["assignment", "suggestion"]).await;
    let opc = op.connect_lazy();
    // The county's own suggestion, and one assignment to each township.
    enrol(&opc, &["P"]).await;
    submit(&opc, "区人大自己的建议").await;
    let mut a = pb::assignments_client::AssignmentsClient::new(opc.clone());
    let mut issued = Vec::new();
    for (town, title) in [
        (320_114_001, "雨花街道的任务"),
        (320_114_002, "赛虹桥街道的任务"),
    ] {
        let r = a
            .issue_assignment(pb::IssueRequest {
                title: title.into(),
                text: "请落实".into(),
                targets: vec![town],
                due_on: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        issued.push(r.view["id"].clone());
    }
    let first = next(&mut at_yuhua).await;
    let mine = |ev: &pb::WatchEvent| match &ev.event {
        Some(pb::watch_event::Event::Change(r)) => r.view["id"].clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(mine(&first), issued[0]);
    assert_eq!(mine(&next(&mut at_saihong).await), issued[1]);
    // Nothing else comes to either: a heartbeat follows, not a sibling's change.
    for s in [&mut at_yuhua, &mut at_saihong] {
        let ev = tokio::time::timeout(Duration::from_secs(20), s.message())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(
            matches!(ev.event, Some(pb::watch_event::Event::Heartbeat(_))),
            "{ev:?}"
        );
    }
    // Reading the county's lists stays refused to a township's reader.
    let e = SuggestionsClient::new(yuhua.clone())
        .list_suggestions(pb::ListSuggestionsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(detail_rule(&e), "client-for-another-node");
}

/// 2026-12-01 10:00 in Beijing.
const START_MS: u64 = 1_796_090_400_000;
const DAY_MS: u64 = 86_400_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_fifteen_working_days_ahead_gives_one_due_soon_notice_a_day() {
    use wuji_model::calendar::Calendar;
    let clock = TestClock::at(START_MS);
    let dir = tempfile::tempdir().unwrap();
    let code = wuji_division::Code::parse("320114").unwrap();
    let parts = wuji_node::Parts {
        kv: Arc::new(wuji_store::SledKv::open(dir.path(), 16 << 20).unwrap()),
        clock: Arc::new(clock.clone()),
        identity: None,
        connector: None,
        telemetry: wuji_node::Telemetry::default(),
    };
    let mut settings = wuji_node::Settings::new(code);
    settings.reminders = Some(Duration::from_millis(20));
    let running = wuji_node::start(parts, settings).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(wuji_node::serve(
        listener,
        running,
        None,
        4 << 20,
        std::future::pending(),
    ));
    let ch = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_lazy();
    enrol(&ch, &["P"]).await;
    let id = submit(&ch, "老旧小区加装电梯").await;
    let rid = vid(&[("id".to_string(), id.clone())].into());
    let mut s = SuggestionsClient::new(ch.clone());
    s.register(pb::RegisterRequest {
        id: rid.clone(),
        number: "1".into(),
    })
    .await
    .unwrap();
    let v = s
        .assign(pb::AssignRequest {
            id: rid.clone(),
            units: vec![pb::Unit {
                name: "区住建局".into(),
                role: 0,
            }],
        })
        .await
        .unwrap()
        .into_inner();
    let deadline: wuji_model::Date = v.view["deadline"].parse().unwrap();
    // The days on which 16 and 15 working days are left.
    let cal = Calendar::builtin();
    let mut day = wuji_node::clock::cst_date(START_MS);
    let mut ms = START_MS;
    let left = |d| cal.working_days_between(d, deadline);
    while left(day) > 16 || !cal.is_working_day(day).0 {
        day = day.tomorrow().unwrap();
        ms += DAY_MS;
    }
    assert_eq!(left(day), 16, "{day} → {deadline}");
    let mut feed = FeedClient::new(ch.clone())
        .watch(pb::WatchRequest {
            cursor: "0".into(),
            notices_only: true,
            heartbeat_seconds: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    // 16 working days left: nothing; the next working day, 15: 临期.
    clock.set(ms);
    let sixteen = day;
    let mut fifteen = day.tomorrow().unwrap();
    let mut ms15 = ms + DAY_MS;
    while !cal.is_working_day(fifteen).0 {
        fifteen = fifteen.tomorrow().unwrap();
        ms15 += DAY_MS;
    }
    // Let the sweep of the sixteenth day run before the clock moves on.
    tokio::time::sleep(Duration::from_millis(300)).await;
    clock.set(ms15);
    let ev = next(&mut feed).await;
    let n = match &ev.event {
        Some(pb::watch_event::Event::Notice(n)) => n.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        (n.kind.as_str(), n.what.as_str(), n.working_days),
        ("due_soon", "suggestion", 15),
        "the first notice is 15 working days before, not on {sixteen}"
    );
    assert_eq!(
        (n.on.clone(), n.deadline.clone()),
        (fifteen.to_string(), deadline.to_string())
    );
    assert_eq!(ev.record.unwrap().view["id"], id);
    // Later the same day: nothing more. The next day: one more.
    clock.set(ms15 + 3_600_000);
    tokio::time::sleep(Duration::from_millis(300)).await;
    clock.set(ms15 + DAY_MS);
    let n2 = match next(&mut feed).await.event {
        Some(pb::watch_event::Event::Notice(n)) => n,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        n2.on,
        fifteen.tomorrow().unwrap().to_string(),
        "one notice a day"
    );
    // Past the deadline: 超期, counted back in working days.
    let past = (deadline
        .tomorrow()
        .unwrap()
        .to_datetime(jiff::civil::time(10, 0, 0, 0)))
    .to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
    .unwrap()
    .timestamp()
    .as_millisecond() as u64;
    clock.set(past);
    let n3 = loop {
        if let Some(pb::watch_event::Event::Notice(n)) = next(&mut feed).await.event
            && n.kind == "overdue"
        {
            break n;
        }
    };
    assert!(n3.working_days <= 0, "{n3:?}");
    assert_eq!(n3.deadline, deadline.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_by_a_platforms_id_gives_one_record_however_often_and_at_once() {
    let node = TestNode::start("320114", |_| {}).await;
    enrol(&node.channel, &["P"]).await;
    let req = |title: &str| pb::SubmitRequest {
        lead: "P".into(),
        title: title.into(),
        text: "市民来电反映路灯不亮".into(),
        kind: 2,
        external_id: "12345:GD20261206001".into(),
        ..Default::default()
    };
    // Eight at once, then a retry.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (ch, r) = (node.channel.clone(), req("路灯不亮"));
        tasks.push(tokio::spawn(async move {
            SuggestionsClient::new(ch)
                .submit(r)
                .await
                .unwrap()
                .into_inner()
        }));
    }
    let mut ids = BTreeSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap().view["id"].clone());
    }
    let retry = SuggestionsClient::new(node.channel.clone())
        .submit(req("路灯不亮（重发）"))
        .await
        .unwrap()
        .into_inner();
    ids.insert(retry.view["id"].clone());
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(retry.view["title"], "路灯不亮", "the retry changed nothing");
    assert_eq!(retry.view["external_id"], "12345:GD20261206001");
    // Found by that id; another id is another record.
    let list = SuggestionsClient::new(node.channel.clone())
        .list_suggestions(pb::ListSuggestionsRequest {
            external_id: "12345:GD20261206001".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.records.len(), 1);
    assert_eq!(&list.records[0].view["id"], ids.first().unwrap());
    let mut other = req("另一件");
    other.external_id = "12345:GD20261206002".into();
    let o = SuggestionsClient::new(node.channel.clone())
        .submit(other)
        .await
        .unwrap()
        .into_inner();
    assert_ne!(&o.view["id"], ids.first().unwrap());
    let all = SuggestionsClient::new(node.channel.clone())
        .list_suggestions(pb::ListSuggestionsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.records.len(), 2);
    // A bad id is refused with its rule, and nothing is stored.
    let mut bad = req("x");
    bad.external_id = "12345:GD\u{7}".into();
    let (code, rule) = code_of(
        SuggestionsClient::new(node.channel.clone())
            .submit(bad)
            .await,
    );
    assert_eq!(
        (code, rule.as_str()),
        (G::InvalidArgument, "text-control-character")
    );
}
