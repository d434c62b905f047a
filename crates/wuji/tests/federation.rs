//! The federation as a user starts it: `wuji federation up` runs 13 node
//! processes across all five levels (with a municipality without a city level
//! and a city without counties); the scenarios of replication are checked
//! against those separate processes over real sockets.

use wuji_proto::pb::node_client::NodeClient;
use wuji_proto::pb::suggestions_client::SuggestionsClient;
use wuji_proto::pb::{
    self, assignments_client::AssignmentsClient, deputies_client::DeputiesClient,
};

mod common;

use common::*;

const ALL: [&str; 13] = [
    "100000",
    "320000",
    "320100",
    "320114",
    "320114001",
    "320114002",
    "320115",
    "320115001",
    "110000",
    "110101",
    "440000",
    "441900",
    "441900003",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replication_across_five_levels_in_separate_processes() {
    let f = up().await;

    // 1. The seeded suggestion from 雨花街道 was escalated to 雨花台区; escalate it
    //    on to 南京市, answer it there: the answer reaches the origin township.
    let town = "320114001";
    eventually(
        "the county has the seeded suggestion and handles it",
        || async {
            let l = f.suggestions("320114").await;
            l.len() == 1 && l[0]["handler"] == "320114"
        },
    )
    .await;
    let id = f.suggestions("320114").await[0]["id"].clone();
    f.escalate("320114", &id, 320_100, "跨区线路").await;
    eventually("the city handles it", || async {
        f.suggestion("320100", &id)
            .await
            .is_some_and(|v| v["handler"] == "320100")
    })
    .await;
    let mut city = SuggestionsClient::new(f.ch("320100").await);
    city.register(pb::RegisterRequest {
        id: rid(&id),
        number: "宁2026-0042".into(),
    })
    .await
    .unwrap();
    city.assign(pb::AssignRequest {
        id: rid(&id),
        units: vec![pb::Unit {
            name: "市交通运输局".into(),
            role: 0,
        }],
    })
    .await
    .unwrap();
    city.answer_suggestion(pb::AnswerRequest {
        id: rid(&id),
        unit: "市交通运输局".into(),
        class: 1,
        text: "已列入年度计划".into(),
        promises: vec!["年内增设".into()],
    })
    .await
    .unwrap();
    eventually("the answer reaches the origin township", || async {
        f.suggestion(town, &id).await.is_some_and(|v| {
            v.get("answer_text").is_some_and(|t| t == "已列入年度计划") && v["handler"] == "320100"
        })
    })
    .await;
    // The city handles it: its parent, the province, holds it in full
    // (sync.horizon = 1); the national node only counts it.
    eventually("the province has it, answered", || async {
        f.suggestion("320000", &id)
            .await
            .is_some_and(|v| v["status"] == "answered")
    })
    .await;
    for other in [
        "100000",
        "320114002",
        "320115",
        "320115001",
        "110000",
        "110101",
        "440000",
        "441900",
        "441900003",
    ] {
        assert!(
            f.suggestion(other, &id).await.is_none(),
            "{other} must not see a suggestion from {town}"
        );
    }

    // 1b. Detail goes as far as it is needed: a town opinion handled at its
    //     county reaches the city but not the province, which counts it in
    //     the city's summary; a 督办 from the province brings it up in full.
    f.enrol(town, "YH-009").await;
    let oid = f.submit(town, "YH-009", "老旧小区加装电梯").await;
    let city_count = || async {
        NodeClient::new(f.ch("320000").await)
            .status(pb::StatusRequest::default())
            .await
            .unwrap()
            .into_inner()
            .below
            .iter()
            .find(|b| b.code == 320_100)
            .and_then(|b| b.counts.get("suggestion.total").copied())
            .unwrap_or(0)
    };
    eventually("the county holds the opinion", || async {
        f.suggestion("320114", &oid).await.is_some()
    })
    .await;
    let before = city_count().await;
    f.escalate(town, &oid, 320_114, "涉及区级规划").await;
    eventually("the city holds it, handled at the county", || async {
        f.suggestion("320100", &oid)
            .await
            .is_some_and(|v| v["handler"] == "320114")
    })
    .await;
    eventually("the province counts it in the city's summary", || async {
        city_count().await >= before.max(1)
    })
    .await;
    assert!(
        f.suggestion("320000", &oid).await.is_none(),
        "the province is beyond the horizon of a county's work"
    );
    assert!(f.suggestion("100000", &oid).await.is_none());
    // Drill-down: the province asks the county through the city, and sees
    // the opinion without holding it afterwards.
    let drilled = NodeClient::new(f.ch("320000").await)
        .drill_down(pb::DrillDownRequest {
            region: 320_114,
            kind: 0,
            page: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        drilled
            .records
            .iter()
            .any(|r| r.view["id"] == oid && r.view["title"] == "老旧小区加装电梯"),
        "the county's answer, relayed by the city, has the opinion"
    );
    assert!(
        f.suggestion("320000", &oid).await.is_none(),
        "drilled, not stored"
    );
    // The national node, four levels above, through `wuji suggestion drill`.
    let out = f.wuji_as_reader("100000", &["suggestion", "drill", town, "--json"]);
    let out = String::from_utf8_lossy(&out);
    assert!(out.contains(&oid), "{out}");
    // Outside its region a node may not drill.
    let e = NodeClient::new(f.ch("320000").await)
        .drill_down(pb::DrillDownRequest {
            region: 110_101,
            kind: 0,
            page: None,
        })
        .await
        .unwrap_err();
    assert_eq!(
        wuji_proto::error_detail(&e).unwrap().rule,
        "drill-outside-region"
    );
    let mut p = SuggestionsClient::new(f.ch("320000").await);
    p.supervise(pb::SuperviseRequest {
        id: rid(&oid),
        note: "省人大常委会督办".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    eventually("the 督办 brings it to the province in full", || async {
        f.suggestion("320000", &oid).await.is_some_and(|v| {
            v.get("title").is_some_and(|t| t == "老旧小区加装电梯")
                && v.get("handler").is_some_and(|h| h == "320114")
        })
    })
    .await;
    eventually("and the 督办 reaches the town that raised it", || async {
        f.suggestion(town, &oid)
            .await
            .is_some_and(|v| v.values().any(|x| x.contains("省人大常委会督办")))
    })
    .await;
    assert!(
        f.suggestion("100000", &oid).await.is_none(),
        "the national node still only counts it"
    );

    // 2. The province's assignment reached its two target townships and no other
    //    node; their reports flow back to the province.
    let mut prov = AssignmentsClient::new(f.ch("320000").await);
    let xs = prov
        .list_assignments(pb::ListAssignmentsRequest {
            issued: true,
            page: None,
        })
        .await
        .unwrap()
        .into_inner();
    let xid = xs.records[0].view["id"].clone();
    for t in ["320114001", "320114002"] {
        let mut a = AssignmentsClient::new(f.ch(t).await);
        eventually("a target has the assignment", || {
            let mut a = a.clone();
            let xid = xid.clone();
            async move { a.get_assignment(pb::Get { id: rid(&xid) }).await.is_ok() }
        })
        .await;
        a.report_progress(pb::ReportRequest {
            id: rid(&xid),
            text: format!("{t} 已完成"),
            done: true,
        })
        .await
        .unwrap();
    }
    eventually("both reports reach the province", || {
        let mut p = prov.clone();
        let xid = xid.clone();
        async move {
            p.get_assignment(pb::Get { id: rid(&xid) })
                .await
                .is_ok_and(|r| r.into_inner().view["done"] == "2/2")
        }
    })
    .await;
    // The issuer's ancestors see it too (DESIGN §3: the issuer is an `up`
    // anchor) and the city and county on the way relay it; nodes off that path
    // never receive it.
    for other in ["320115", "320115001", "110000", "110101", "441900003"] {
        let mut a = AssignmentsClient::new(f.ch(other).await);
        assert!(
            a.get_assignment(pb::Get { id: rid(&xid) }).await.is_err(),
            "{other} must not receive the assignment"
        );
    }

    // 3. The national deputy attached to 雨花台区 is seen below it, not elsewhere below.
    let f = &f;
    let names = |code: &'static str| async move {
        let mut d = DeputiesClient::new(f.ch(code).await);
        d.list_deputies(pb::ListDeputiesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .records
            .iter()
            .map(|r| r.view["name"].clone())
            .collect::<Vec<_>>()
    };
    eventually("雨花街道 sees the national deputy", || async {
        names("320114001").await.contains(&"王建国".to_string())
    })
    .await;
    assert!(names("320114002").await.contains(&"王建国".to_string()));
    for other in ["320115001", "110101", "441900003"] {
        assert!(
            !names(other).await.contains(&"王建国".to_string()),
            "{other} is not under 雨花台区"
        );
    }

    // 4. A transfer down gives the child the whole record (its history too).
    let mut c = SuggestionsClient::new(f.ch("320114").await);
    let v = c
        .submit(pb::SubmitRequest {
            lead: "YH-002".into(),
            title: "区级受理".into(),
            text: "x".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .view;
    let tid = v["id"].clone();
    c.register(pb::RegisterRequest {
        id: rid(&tid),
        number: "雨区-7".into(),
    })
    .await
    .unwrap();
    c.transfer(pb::ForwardRequest {
        id: rid(&tid),
        to: 320_114_002,
        reason: "属地办理".into(),
    })
    .await
    .unwrap();
    eventually("the township receives the whole record", || async {
        f.suggestion("320114002", &tid).await.is_some_and(|v| {
            v["handler"] == "320114002" && v["history"].contains("\tregistered\t雨区-7")
        })
    })
    .await;
    assert!(
        f.suggestion("320114001", &tid).await.is_none(),
        "only the township it was transferred to"
    );

    // 5. Skipped levels: 东城区 sits directly under 北京市; 东莞's town under 东莞市.
    f.enrol("110101", "BJ-1").await;
    let bid = f.submit("110101", "BJ-1", "胡同停车").await;
    eventually("the municipality sees 东城区's suggestion", || async {
        f.suggestion("110000", &bid).await.is_some()
    })
    .await;
    eventually("东莞's town suggestion reaches the city", || async {
        f.suggestions("441900").await.len() == 1
    })
    .await;
    assert!(
        f.suggestion("100000", &bid).await.is_none(),
        "two levels above 东城区: counted, not held"
    );
    assert!(
        f.suggestions("440000").await.is_empty(),
        "two levels above 东莞's town: counted, not held"
    );
    assert!(
        f.suggestions("320000")
            .await
            .iter()
            .all(|v| !v["home"].starts_with("44")),
        "江苏 never sees 广东"
    );

    // 6. Node summaries: each node counts its own records and its children's
    //    summaries and publishes the result to its parent (the horizon: the
    //    default, 1, takes a summary one level up); the national node's count
    //    equals a recount of every node's own records, and the county's
    //    summary reaches its city with the county's own count.
    let status = |code: &'static str| async move {
        NodeClient::new(f.ch(code).await)
            .status(pb::StatusRequest::default())
            .await
            .unwrap()
            .into_inner()
    };
    let total = |s: &pb::NodeSummary| s.counts.get("suggestion.total").copied().unwrap_or(0);
    eventually("the summaries agree with the records", || async {
        let nat = status("100000").await;
        let city = status("320100").await;
        let county = status("320114").await;
        let held = f.homed_total().await;
        let county_held = f.suggestions("320114").await.len() as u64;
        total(nat.own.as_ref().unwrap()) == held
            && total(county.own.as_ref().unwrap()) == county_held
            && city
                .below
                .iter()
                .any(|b| b.code == 320_114 && total(b) == county_held)
    })
    .await;
    let nat = status("100000").await;
    let own = nat.own.as_ref().unwrap();
    assert!(
        nat.below.iter().all(
            |b| wuji_division::Code::from_value(b.code).unwrap().parent()
                == Some(wuji_division::Code::NATIONAL)
        ),
        "the national node holds its children's summaries, no deeper: {:?}",
        nat.below.iter().map(|b| b.code).collect::<Vec<_>>()
    );
    // Further down it drills: `wuji status --region` at the national node
    // shows 南京 and the counties whose summaries 南京 holds.
    let text = f.wuji_as_reader("100000", &["status", "--region", "320100"]);
    let text = String::from_utf8_lossy(&text);
    assert!(
        text.lines()
            .next()
            .unwrap_or_default()
            .contains("下钻至 320100")
            && text.contains("雨花台区人大常委会"),
        "{text}"
    );
    let out = f.wuji_as_reader("100000", &["status", "--json", "--region", "320100"]);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["summary"]["code"], 320_100, "{v}");
    let county_row = v["below"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["code"] == 320_114)
        .unwrap_or_else(|| panic!("雨花台区 drilled: {v}"));
    assert_eq!(
        county_row["counts"]["suggestion.total"].as_u64(),
        Some(f.suggestions("320114").await.len() as u64),
        "{v}"
    );
    // By handler: the national summary names the province each is handled
    // in (3 in 江苏: the seeded one, the one of 1b and the county's own) ...
    assert_eq!(
        own.counts.get("suggestion.handler.320000"),
        Some(&3),
        "handled in 江苏: {:?}",
        own.counts
    );
    assert!(
        !own.counts.contains_key("suggestion.handler.320100"),
        "no key per handler below the province at the national node"
    );
    // ... 江苏's names 南京市 for all three; 南京市's names itself for the one it
    // handles.
    let js = status("320000").await;
    assert_eq!(
        js.own
            .as_ref()
            .unwrap()
            .counts
            .get("suggestion.handler.320100"),
        Some(&3)
    );
    let row = js.below.iter().find(|b| b.code == 320_100).unwrap();
    assert_eq!(
        row.counts.get("suggestion.handler.320100"),
        Some(&1),
        "handled by 南京市 itself: {:?}",
        row.counts
    );
    assert!(
        [&nat, &js]
            .iter()
            .all(|s| std::iter::once(s.own.as_ref().unwrap())
                .chain(&s.below)
                .all(|b| b.counts.keys().all(|k| !k.contains("YH-0")))),
        "a summary holds nothing per deputy: its size does not grow with time"
    );
    assert_eq!(own.counts.get("suggestion.overdue"), Some(&0));
    let children: Vec<u32> = nat
        .links
        .iter()
        .filter(|l| l.role == "child" && l.connected)
        .map(|l| l.peer)
        .collect();
    assert_eq!(
        children,
        [110_000, 320_000, 440_000],
        "the national node's links"
    );
    // 7. `wuji status` at the province: each node's own figures add up to the
    //    province's subtree figure, suggestions and deputies alike.
    let out = f.wuji_as_reader("320000", &["status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let rows: Vec<&serde_json::Value> = std::iter::once(&v["summary"])
        .chain(v["below"].as_array().unwrap())
        .collect();
    assert_eq!(
        rows.len(),
        2,
        "江苏 and the one city of its that runs a node: {v}"
    );
    for key in ["suggestion.total", "deputy.total"] {
        let own: u64 = rows.iter().map(|r| r["own"][key].as_u64().unwrap()).sum();
        let subtree = v["summary"]["counts"][key].as_u64().unwrap();
        assert!(subtree > 0, "{key}: {v}");
        assert_eq!(
            own, subtree,
            "{key}: the own column sums to the subtree: {v}"
        );
    }
    let _ = ALL;
}
