//! Every call of the Suggestions service over real gRPC (port 0) on a real sled
//! directory, read back, including lists by every filter and paging.

mod common;

use common::*;
use tonic::Code as G;
use wuji_proto::pb::suggestions_client::SuggestionsClient;
use wuji_proto::pb::{self};

#[tokio::test]
async fn every_suggestion_call_round_trips_and_reads_back() {
    let node = TestNode::start("320114", |_| {}).await;
    enrol(&node.channel, &["P-1", "P-2"]).await;
    let mut s = SuggestionsClient::new(node.channel.clone());
    let v = view(
        s.submit(pb::SubmitRequest {
            kind: 0,
            lead: "P-1".into(),
            cosigners: vec!["P-2".into()],
            category: "交通".into(),
            title: "增设公交站点".into(),
            text: "出行不便".into(),
            during_session: true,
            external_id: String::new(),
            from_opinion: None,
        })
        .await
        .unwrap(),
    );
    assert_eq!(v["status"], "submitted");
    assert_eq!(v["cosigners"], "P-2");
    let id = vid(&v);
    let v = view(
        s.register(pb::RegisterRequest {
            id: id.clone(),
            number: "N-1".into(),
        })
        .await
        .unwrap(),
    );
    assert_eq!(
        (v["status"].as_str(), v["number"].as_str()),
        ("registered", "N-1")
    );
    let units = vec![
        pb::Unit {
            name: "交通局".into(),
            role: 0,
        },
        pb::Unit {
            name: "规划局".into(),
            role: 1,
        },
        pb::Unit {
            name: "城管局".into(),
            role: 1,
        },
    ];
    let v = view(
        s.assign(pb::AssignRequest {
            id: id.clone(),
            units,
        })
        .await
        .unwrap(),
    );
    assert_eq!(v["status"], "assigned");
    assert!(!v["deadline"].is_empty());
    let v = view(
        s.co_view(pb::CoViewRequest {
            id: id.clone(),
            unit: "规划局".into(),
            text: "同意".into(),
        })
        .await
        .unwrap(),
    );
    assert_eq!(v["co_views"], "1");
    let v = view(
        s.return_to_sender(pb::ReturnRequest {
            id: id.clone(),
            unit: "城管局".into(),
            reason: "非本单位职责".into(),
        })
        .await
        .unwrap(),
    );
    assert_eq!(v["returns"], "1");
    assert!(!v["units"].contains("城管局"));
    let before = view(s.get_suggestion(get(&v)).await.unwrap())["deadline"].clone();
    let v = view(
        s.extend(pb::ExtendRequest {
            id: id.clone(),
            months: 2,
        })
        .await
        .unwrap(),
    );
    assert_ne!(v["deadline"], before);
    let v = view(
        s.answer_suggestion(pb::AnswerRequest {
            id: id.clone(),
            unit: "交通局".into(),
            class: 1,
            text: "已列入计划".into(),
            promises: vec!["年内建成".into()],
        })
        .await
        .unwrap(),
    );
    assert_eq!(
        (v["status"].as_str(), v["answer_class"].as_str()),
        ("answered", "B")
    );
    let v = view(
        s.feedback(pb::FeedbackRequest {
            id: id.clone(),
            handler: 0,
            answer: None,
            rating: 0,
            comment: "慢".into(),
        })
        .await
        .unwrap(),
    );
    assert_eq!(v["status"], "awaiting_rehandling");
    let v = view(s.rehandle(get(&v)).await.unwrap());
    assert_eq!(
        (v["status"].as_str(), v["round"].as_str()),
        ("assigned", "2")
    );
    s.answer_suggestion(pb::AnswerRequest {
        id: id.clone(),
        unit: "交通局".into(),
        class: 0,
        text: "已建成".into(),
        promises: vec![],
    })
    .await
    .unwrap();
    s.feedback(pb::FeedbackRequest {
        id: id.clone(),
        handler: 0,
        answer: None,
        rating: 2,
        comment: String::new(),
    })
    .await
    .unwrap();
    let v = view(
        s.supervise(pb::SuperviseRequest {
            id: id.clone(),
            mode: 1,
            lead_supervisor: "城建委".into(),
            note: "跟踪".into(),
        })
        .await
        .unwrap(),
    );
    assert_eq!(v["supervision"], "320114:key");
    let v = view(s.close(get(&v)).await.unwrap());
    assert_eq!(v["status"], "closed");
    let read = view(s.get_suggestion(get(&v)).await.unwrap());
    assert_eq!(read["status"], "closed");
    assert_eq!(read["round"], "2");
    // The full history, oldest first, every step: DATE, NODE, EVENT, DETAIL.
    let h: Vec<Vec<&str>> = read["history"]
        .lines()
        .map(|l| l.split('\t').collect())
        .collect();
    assert!(h.iter().all(|e| e.len() == 4 && e[1] == "320114"), "{h:?}");
    assert_eq!(h[0][2], "submitted", "{h:?}");
    assert!(h[0][3].contains("增设公交站点"), "{h:?}");
    for (event, detail) in [
        ("registered", "N-1"),
        ("assigned", "交通局(lead)"),
        ("co_view", "规划局"),
        ("returned", "城管局"),
        ("answered", "B 1"),
        ("feedback", "dissatisfied"),
        ("rehandled", "2"),
        ("answered", "A 2"),
        ("supervision_note", "跟踪"),
        ("closed", ""),
    ] {
        assert!(
            h.iter().any(|e| e[2] == event && e[3].contains(detail)),
            "{event} {detail} in {h:?}"
        );
    }
    assert_eq!(h.last().unwrap()[2], "closed", "{h:?}");

    // Withdraw, merge, escalate and transfer on fresh suggestions.
    let sub = |t: &str| pb::SubmitRequest {
        lead: "P-1".into(),
        title: t.into(),
        text: "x".into(),
        ..Default::default()
    };
    let w = view(s.submit(sub("撤回")).await.unwrap());
    assert_eq!(
        view(s.withdraw(get(&w)).await.unwrap())["status"],
        "withdrawn"
    );
    // 并案: into a closed suggestion or one this node does not hold, refused;
    // into an open one, the merged suggestion's deputy rates its answer.
    let m = view(s.submit(sub("并案")).await.unwrap());
    let closed = uuid::Uuid::parse_str(read["id"].split_once(':').unwrap().1).unwrap();
    let merge = |into: Option<pb::RecordId>, bytes: Vec<u8>| pb::MergeRequest {
        id: vid(&m),
        into: bytes,
        into_id: into,
    };
    let e = s.merge_into(merge(None, closed.as_bytes().to_vec())).await;
    assert_eq!(code_of(e), (G::InvalidArgument, "merge-target".into()));
    let missing = rid(&format!("320114:{}", uuid::Uuid::now_v7()));
    let e = s.merge_into(merge(missing, vec![])).await;
    assert_eq!(code_of(e), (G::NotFound, "not-found".into()));
    let j = view(s.submit(sub("被并案")).await.unwrap());
    s.register(pb::RegisterRequest {
        id: vid(&j),
        number: "N-9".into(),
    })
    .await
    .unwrap();
    let unit = pb::Unit {
        name: "交通局".into(),
        role: 0,
    };
    s.assign(pb::AssignRequest {
        id: vid(&j),
        units: vec![unit],
    })
    .await
    .unwrap();
    s.answer_suggestion(pb::AnswerRequest {
        id: vid(&j),
        unit: "交通局".into(),
        class: 0,
        text: "一并解决".into(),
        promises: vec![],
    })
    .await
    .unwrap();
    let mv = view(s.merge_into(merge(vid(&j), vec![])).await.unwrap());
    assert_eq!(mv["status"], "merged");
    assert_eq!(mv["merged_into"], j["id"]);
    assert_eq!(
        mv["answer_text"], "一并解决",
        "the joined answer is its answer"
    );
    let e = s.close(get(&mv)).await;
    assert_eq!(
        code_of(e),
        (G::FailedPrecondition, "rating-required".into())
    );
    let rated = view(
        s.feedback(pb::FeedbackRequest {
            id: vid(&m),
            rating: 2,
            ..Default::default()
        })
        .await
        .unwrap(),
    );
    assert_eq!(
        (rated["status"].as_str(), rated["rating"].as_str()),
        ("merged", "satisfied")
    );
    assert_eq!(view(s.close(get(&mv)).await.unwrap())["status"], "closed");
    let e = view(s.submit(sub("上报")).await.unwrap());
    let ev = view(
        s.escalate(pb::ForwardRequest {
            id: vid(&e),
            to: 0,
            reason: "跨区".into(),
        })
        .await
        .unwrap(),
    );
    assert_eq!(ev["handler"], "320100", "defaults to the parent");
    let t = view(s.submit(sub("转办")).await.unwrap());
    let tv = view(
        s.transfer(pb::ForwardRequest {
            id: vid(&t),
            to: 320_114_001,
            reason: "属地".into(),
        })
        .await
        .unwrap(),
    );
    assert_eq!(tv["handler"], "320114001");
    // Every step has its history line: 延期 above, and 撤回, 并案, 上报, 转办.
    let has = |v: &View, event: &str, detail: &str| {
        v["history"].lines().any(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            f.len() == 4 && f[2] == event && f[3].contains(detail)
        })
    };
    assert!(has(&read, "extended", ""), "{}", read["history"]);
    let wv = view(s.get_suggestion(get(&w)).await.unwrap());
    assert!(has(&wv, "withdrawn", ""), "{}", wv["history"]);
    let mv = view(s.get_suggestion(get(&mv)).await.unwrap());
    assert!(has(&mv, "merged", &j["id"]), "{}", mv["history"]);
    assert!(has(&mv, "closed", ""), "{}", mv["history"]);
    assert!(has(&ev, "escalated", "320100 跨区"), "{}", ev["history"]);
    assert!(
        has(&tv, "transferred", "320114001 属地"),
        "{}",
        tv["history"]
    );

    // Lists by status, handler, category, area, overdue, date range, with paging.
    let list = |req: pb::ListSuggestionsRequest| {
        let mut s = s.clone();
        async move { s.list_suggestions(req).await.unwrap().into_inner() }
    };
    let all = list(pb::ListSuggestionsRequest::default()).await;
    assert_eq!(all.records.len(), 6);
    let closed = list(pb::ListSuggestionsRequest {
        status: vec!["closed".into()],
        ..Default::default()
    })
    .await;
    assert_eq!(closed.records.len(), 2, "the first, and the merged one");
    let zh = list(pb::ListSuggestionsRequest {
        status: vec!["已撤回".into()],
        ..Default::default()
    })
    .await;
    assert_eq!(zh.records.len(), 1);
    let by_handler = list(pb::ListSuggestionsRequest {
        handler: 320_100,
        ..Default::default()
    })
    .await;
    assert_eq!(by_handler.records.len(), 1);
    let by_cat = list(pb::ListSuggestionsRequest {
        category: "交通".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(by_cat.records.len(), 1);
    let by_area = list(pb::ListSuggestionsRequest {
        area: 320_100,
        ..Default::default()
    })
    .await;
    assert_eq!(by_area.records.len(), 6);
    let elsewhere = list(pb::ListSuggestionsRequest {
        area: 320_115,
        ..Default::default()
    })
    .await;
    assert_eq!(elsewhere.records.len(), 0);
    let overdue = list(pb::ListSuggestionsRequest {
        overdue_only: true,
        ..Default::default()
    })
    .await;
    assert_eq!(overdue.records.len(), 0);
    let dated = list(pb::ListSuggestionsRequest {
        from: "2020-01-01".into(),
        to: "2099-12-31".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(dated.records.len(), 6);
    let old = list(pb::ListSuggestionsRequest {
        to: "2020-01-01".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(old.records.len(), 0);
    let p1 = list(pb::ListSuggestionsRequest {
        page: Some(pb::Page {
            limit: 2,
            after: String::new(),
        }),
        ..Default::default()
    })
    .await;
    assert_eq!(p1.records.len(), 2);
    let p2 = list(pb::ListSuggestionsRequest {
        page: Some(pb::Page {
            limit: 10,
            after: p1.next.clone(),
        }),
        ..Default::default()
    })
    .await;
    assert_eq!(p2.records.len(), 4);
    assert!(p2.next.is_empty());
    node.stop().await;
}
