//! Replication between real nodes over real sockets (in one process): a city,
//! a county and two of its townships. Suggestions flow up and reach every
//! ancestor but never a sibling; answers flow back to the origin; assignments
//! flow down to their targets only; a restarted node catches up.

mod common;

use common::*;
use tonic::transport::Channel;
use wuji_division::Code;
use wuji_node::config::ParentConfig;
use wuji_proto::pb::{
    self, assignments_client::AssignmentsClient, suggestions_client::SuggestionsClient,
};

/// The suggestion's derived fields on a node, or None if the node does not have it.
async fn seen(ch: &Channel, id: &str) -> Option<std::collections::HashMap<String, String>> {
    let mut s = SuggestionsClient::new(ch.clone());
    s.get_suggestion(pb::Get { id: rid(id) })
        .await
        .ok()
        .map(|r| r.into_inner().view.into_iter().collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_flow_up_to_ancestors_back_to_the_origin_and_never_to_siblings() {
    let city = TestNode::start("320100", |_| {}).await;
    let county = child("320114", &city.addr, "320100").await;
    let town_a = child("320114001", &county.addr, "320114").await;
    let town_b = child("320114002", &county.addr, "320114").await;

    // A suggestion submitted at township A and escalated to the county.
    enrol(&town_a.channel, &["P"]).await;
    let mut a = SuggestionsClient::new(town_a.channel.clone());
    let v = a
        .submit(pb::SubmitRequest {
            lead: "P".into(),
            title: "路灯".into(),
            text: "不亮".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .view;
    let id = v["id"].clone();
    a.escalate(pb::ForwardRequest {
        id: rid(&id),
        to: 320_114,
        reason: "镇无力解决".into(),
    })
    .await
    .unwrap();
    eventually("the county has it, escalated", || async {
        seen(&county.channel, &id)
            .await
            .is_some_and(|v| v["handler"] == "320114")
    })
    .await;
    eventually("the city has it", || async {
        seen(&city.channel, &id).await.is_some()
    })
    .await;

    // The county handles it; the answer reaches the origin township.
    let mut c = SuggestionsClient::new(county.channel.clone());
    c.register(pb::RegisterRequest {
        id: rid(&id),
        number: "雨2026-9".into(),
    })
    .await
    .unwrap();
    c.assign(pb::AssignRequest {
        id: rid(&id),
        units: vec![pb::Unit {
            name: "城管局".into(),
            role: 0,
        }],
    })
    .await
    .unwrap();
    c.answer_suggestion(pb::AnswerRequest {
        id: rid(&id),
        unit: "城管局".into(),
        class: 0,
        text: "已修复".into(),
        promises: vec![],
    })
    .await
    .unwrap();
    eventually("the answer reaches township A", || async {
        seen(&town_a.channel, &id)
            .await
            .is_some_and(|v| v["status"] == "answered" && v["answer_text"] == "已修复")
    })
    .await;
    // The deputy's feedback at the origin flows up; the county closes.
    a.feedback(pb::FeedbackRequest {
        id: rid(&id),
        rating: 2,
        ..Default::default()
    })
    .await
    .unwrap();
    eventually("the rating reaches the county", || async {
        seen(&county.channel, &id)
            .await
            .is_some_and(|v| v.get("rating").is_some_and(|r| r == "satisfied"))
    })
    .await;
    c.close(pb::Get { id: rid(&id) }).await.unwrap();
    eventually("closed everywhere", || async {
        seen(&town_a.channel, &id)
            .await
            .is_some_and(|v| v["status"] == "closed")
            && seen(&city.channel, &id)
                .await
                .is_some_and(|v| v["status"] == "closed")
    })
    .await;
    // The sibling township never received it.
    assert!(
        seen(&town_b.channel, &id).await.is_none(),
        "a sibling saw another township's suggestion"
    );

    // An assignment from the city to township A only.
    let mut ca = AssignmentsClient::new(city.channel.clone());
    let x = ca
        .issue_assignment(pb::IssueRequest {
            title: "接待日".into(),
            text: "每月16日".into(),
            targets: vec![320_114_001],
            due_on: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .view;
    let xid = x["id"].clone();
    let has = |ch: Channel, xid: String| async move {
        AssignmentsClient::new(ch)
            .get_assignment(pb::Get { id: rid(&xid) })
            .await
            .ok()
            .map(|r| r.into_inner().view)
    };
    eventually("township A receives the assignment", || {
        has(town_a.channel.clone(), xid.clone()).map_is_some()
    })
    .await;
    let mut aa = AssignmentsClient::new(town_a.channel.clone());
    aa.report_progress(pb::ReportRequest {
        id: rid(&xid),
        text: "已完成".into(),
        done: true,
    })
    .await
    .unwrap();
    eventually("the report reaches the city", || async {
        has(city.channel.clone(), xid.clone())
            .await
            .is_some_and(|v| v["done"] == "1/1")
    })
    .await;
    assert!(
        has(town_b.channel.clone(), xid.clone()).await.is_none(),
        "township B is not a target"
    );

    for n in [town_a, town_b, county, city] {
        n.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_that_was_down_catches_up_and_writes_below_never_wait_for_it() {
    let city = TestNode::start("320100", |_| {}).await;
    let county = child("320114", &city.addr, "320100").await;
    let town = child("320114001", &county.addr, "320114").await;
    let first = submit(&town.channel, "一").await;
    // The town handles its own: detail goes to the county (sync.horizon = 1).
    eventually("the county has the first", || async {
        seen(&county.channel, &first).await.is_some()
    })
    .await;

    // The county goes down; the township keeps taking writes.
    let county_addr = county.addr.clone();
    let county_dir = county.stop().await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(submit(&town.channel, &format!("停机 {i}")).await);
    }
    // Back on the same address and directory: the township redials, both catch up.
    let mut cfg = wuji_node::Config::new(Code::parse("320114").unwrap());
    cfg.node.data_dir = county_dir.path().join("data");
    cfg.parent = Some(ParentConfig {
        code: Code::parse("320100").unwrap(),
        addr: city.addr.clone(),
    });
    let county = TestNode::start_at(county_dir, cfg, &county_addr).await;
    for id in &ids {
        eventually(
            "the county has every write made while it was down",
            || async { seen(&county.channel, id).await.is_some() },
        )
        .await;
    }
    // And the city counts them, in the county's summary.
    eventually("the city counts every write", || async {
        pb::node_client::NodeClient::new(city.channel.clone())
            .status(pb::StatusRequest::default())
            .await
            .unwrap()
            .into_inner()
            .below
            .iter()
            .any(|b| b.code == 320_114 && b.counts.get("suggestion.total") == Some(&21))
    })
    .await;
    for n in [town, county, city] {
        n.stop().await;
    }
}

/// Opens a link by hand with the given hello (speaking protocol versions
/// `min..=max`) and returns the first reply.
async fn hello_reply(
    ch: &Channel,
    node: u32,
    parent: u32,
    (min, max): (u32, u32),
) -> pb::sync_message::Msg {
    use pb::sync_message::Msg;
    let hello = pb::SyncMessage {
        msg: Some(Msg::Hello(pb::Hello {
            protocol_version: max,
            min_protocol_version: min,
            node,
            parent,
            resume_from: 0,
            software: "test".into(),
            horizon: wuji_model::routing::Horizon::default().to_wire(),
            ..Default::default()
        })),
    };
    let mut c = pb::sync_client::SyncClient::new(ch.clone());
    let mut inbound = c
        .link(tokio_stream::iter(vec![hello]))
        .await
        .unwrap()
        .into_inner();
    inbound
        .message()
        .await
        .unwrap()
        .expect("a reply")
        .msg
        .expect("a message")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_from_outside_the_region_naming_another_parent_or_speaking_an_old_protocol_are_refused()
 {
    use pb::sync_message::Msg;
    let county = TestNode::start("320114", |_| {}).await;
    let ours = wuji_proto::PROTOCOL_VERSION;
    for (node, parent, versions, rule) in [
        (320_115_001, 320_114, (1, ours), "peer-inside-region"), // a township of another county
        (320_100, 320_114, (1, ours), "peer-inside-region"), // its own city, pretending to be a child
        (320_114_002, 320_100, (1, ours), "peer-names-parent"), // a grandchild skipping its parent... names the city
        (320_114_001, 320_114, (0, 0), "protocol-version"),     // older than any this node accepts
        (
            320_114_001,
            320_114,
            (ours + 1, ours + 2),
            "protocol-version",
        ), // a newer node that no longer speaks ours
        (999_999, 320_114, (1, ours), "peer-code"),
    ] {
        match hello_reply(&county.channel, node, parent, versions).await {
            Msg::Refusal(r) => {
                assert_eq!(r.rule, rule, "{node}: {}", r.message);
                if rule == "protocol-version" {
                    // Both ends' versions are named.
                    let both = format!(
                        "peer speaks {}..{}, this node 1..{ours}",
                        versions.0, versions.1
                    );
                    assert!(r.message.contains(&both), "{}", r.message);
                }
            }
            other => panic!("{node} was not refused: {other:?}"),
        }
    }
    // A proper child is greeted back.
    assert!(
        matches!(hello_reply(&county.channel, 320_114_001, 320_114, (1, ours)).await, Msg::Hello(h) if h.node == 320_114)
    );
    // Each refusal is counted by its rule, as status and the metrics show it.
    let status = pb::node_client::NodeClient::new(county.channel.clone())
        .status(pb::StatusRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.refusals.get("protocol-version"), Some(&2));
    assert_eq!(status.refusals.get("peer-inside-region"), Some(&2));
    county.stop().await;
}

trait MapIsSome {
    fn map_is_some(self) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>;
}

impl<F, T> MapIsSome for F
where
    F: std::future::Future<Output = Option<T>> + Send + 'static,
{
    fn map_is_some(self) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> {
        Box::pin(async move { self.await.is_some() })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_up_after_a_partition_sends_each_changed_record_once() {
    // The county is down while the township changes 600 suggestions three times
    // each, one commit per change: 1,800 log entries over more than one batch.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let county_addr = format!("127.0.0.1:{port}");
    let town = child("320114001", &county_addr, "320114").await;
    let mut t = SuggestionsClient::new(town.channel.clone());
    let mut ids = Vec::new();
    for i in 0..600 {
        ids.push(submit(&town.channel, &format!("断网 {i}")).await);
    }
    for id in &ids {
        t.register(pb::RegisterRequest {
            id: rid(id),
            number: "N".into(),
        })
        .await
        .unwrap();
    }
    for id in &ids {
        t.assign(pb::AssignRequest {
            id: rid(id),
            units: vec![pb::Unit {
                name: "局".into(),
                role: 0,
            }],
        })
        .await
        .unwrap();
    }
    // The county comes up; the township redials and catches it up.
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = wuji_node::Config::new(Code::parse("320114").unwrap());
    cfg.node.data_dir = dir.path().join("data");
    let county = TestNode::start_at(dir, cfg, &county_addr).await;
    let status = |ch: Channel| async move {
        pb::node_client::NodeClient::new(ch)
            .status(pb::StatusRequest::default())
            .await
            .unwrap()
            .into_inner()
    };
    eventually("the county is caught up", || async {
        let s = status(town.channel.clone()).await;
        s.links
            .iter()
            .any(|l| l.peer == 320_114 && l.connected && l.lag == 0)
            && seen(&county.channel, &ids[599])
                .await
                .is_some_and(|v| v["status"] == "assigned")
    })
    .await;
    for id in &ids {
        assert!(
            seen(&county.channel, id)
                .await
                .is_some_and(|v| v["status"] == "assigned"),
            "{id}"
        );
    }
    let s = status(town.channel.clone()).await;
    let sent = s.links.iter().find(|l| l.peer == 320_114).unwrap().sent;
    // 600 suggestions, their lead deputy and the township's summary record,
    // each once.
    assert_eq!(sent, 602, "records sent to catch up the county");
    for n in [town, county] {
        n.stop().await;
    }
}

/// Restarts `code` on its directory and address with the default horizon.
async fn restart_narrowed(
    code: &str,
    dir: tempfile::TempDir,
    addr: &str,
    parent: Option<(&str, &str)>,
) -> TestNode {
    let mut cfg = wuji_node::Config::new(Code::parse(code).unwrap());
    cfg.node.data_dir = dir.path().join("data");
    cfg.parent = parent.map(|(c, a)| ParentConfig {
        code: Code::parse(c).unwrap(),
        addr: a.into(),
    });
    TestNode::start_at(dir, cfg, addr).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn narrowing_the_horizon_keeps_what_was_held_and_the_links_still_agree_without_repairs() {
    use wuji_model::routing::Horizon;
    let all = |c: &mut wuji_node::Config| c.sync.horizon = Horizon::All;
    let city = TestNode::start("320100", all).await;
    let (ca, pa) = (city.addr.clone(), Code::parse("320100").unwrap());
    let county = TestNode::start("320114", move |c| {
        all(c);
        c.parent = Some(ParentConfig { code: pa, addr: ca });
    })
    .await;
    let (ta, pt) = (county.addr.clone(), Code::parse("320114").unwrap());
    let town = TestNode::start("320114001", move |c| {
        all(c);
        c.parent = Some(ParentConfig { code: pt, addr: ta });
    })
    .await;
    // Under `all` the city holds the town's own opinion and its summary.
    let first = submit(&town.channel, "加装电梯").await;
    eventually("the city holds the town's opinion", || async {
        seen(&city.channel, &first).await.is_some()
    })
    .await;
    eventually("the city holds the town's summary", || async {
        summary_of(&city.channel, 320_114_001)
            .await
            .contains_key("suggestion.total")
    })
    .await;

    // Every node restarts with the default horizon, 1.
    let addrs = (city.addr.clone(), county.addr.clone(), town.addr.clone());
    let (town_dir, county_dir, city_dir) =
        (town.stop().await, county.stop().await, city.stop().await);
    let city = restart_narrowed("320100", city_dir, &addrs.0, None).await;
    let county = restart_narrowed("320114", county_dir, &addrs.1, Some(("320100", &addrs.0))).await;
    let town = restart_narrowed("320114001", town_dir, &addrs.2, Some(("320114", &addrs.1))).await;
    let second = submit(&town.channel, "修路").await;
    eventually("the county has the new opinion", || async {
        seen(&county.channel, &second).await.is_some()
    })
    .await;
    // The county checks its link: the city holds what it is entitled to, so
    // the digests agree and nothing is resent, although the city keeps what
    // it held before (nothing is lost; it is just no longer updated).
    let up = || async {
        pb::node_client::NodeClient::new(county.channel.clone())
            .status(pb::StatusRequest::default())
            .await
            .unwrap()
            .into_inner()
            .links
            .into_iter()
            .find(|l| l.peer == 320_100)
    };
    eventually("the county checked its link to the city", || async {
        up().await.is_some_and(|l| l.connected && l.checks >= 1)
    })
    .await;
    let all_kinds = wuji_proto::pb::RecordKind::Unspecified;
    let child_says =
        wuji_node::test_util::digest_for(&county.channel, 320_114, all_kinds, true).await;
    let parent_has =
        wuji_node::test_util::digest_for(&city.channel, 320_114, all_kinds, false).await;
    assert_eq!(child_says, parent_has, "the link's two ends agree");
    let l = up().await.unwrap();
    assert_eq!(l.repaired, 0, "nothing resent on the narrowed link: {l:?}");
    assert!(
        seen(&city.channel, &first).await.is_some(),
        "kept at the city"
    );
    assert!(
        seen(&city.channel, &second).await.is_none(),
        "beyond the new horizon"
    );
    for n in [town, county, city] {
        n.stop().await;
    }
}
