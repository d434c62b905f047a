//! The client API over real gRPC (port 0) on a real sled directory: every call
//! round-trips; every kind of bad input is refused with the right code, and
//! reading back shows nothing was stored.

mod common;

use common::TestNode;
use std::collections::BTreeMap;
use tonic::Code as G;
use wuji_proto::pb::{
    self, assignments_client::AssignmentsClient, deputies_client::DeputiesClient,
};
use wuji_proto::pb::{
    suggestions_client::SuggestionsClient, supervision_client::SupervisionClient,
};

type View = BTreeMap<String, String>;

fn view(r: tonic::Response<pb::RecordReply>) -> View {
    r.into_inner().view.into_iter().collect()
}

fn rid(v: &View) -> Option<pb::RecordId> {
    let (home, uuid) = v["id"].split_once(':').unwrap();
    Some(pb::RecordId {
        kind: 0,
        home: home.parse().unwrap(),
        uuid: uuid::Uuid::parse_str(uuid).unwrap().as_bytes().to_vec(),
    })
}

fn get(v: &View) -> pb::Get {
    pb::Get { id: rid(v) }
}

fn code_of<T: std::fmt::Debug>(r: Result<T, tonic::Status>) -> (G, String) {
    let s = r.expect_err("should be refused");
    let rule = s
        .metadata()
        .get("wuji-rule")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (s.code(), rule)
}

#[tokio::test]
async fn every_suggestion_call_round_trips_and_reads_back() {
    let node = TestNode::start("320114", |_| {}).await;
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
        })
        .await
        .unwrap(),
    );
    assert_eq!(v["status"], "submitted");
    assert_eq!(v["cosigners"], "P-2");
    let id = rid(&v);
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
    // The full history, oldest first, as offices read it back.
    let h: Vec<&str> = read["history"].lines().collect();
    assert!(h[0].contains("submitted 增设公交站点"), "{h:?}");
    for want in [
        "registered N-1",
        "co-unit view from 规划局",
        "returned by 城管局",
        "answer B (round 1)",
        "feedback Dissatisfied",
        "answer A (round 2)",
        "supervision note: 跟踪",
    ] {
        assert!(h.iter().any(|e| e.contains(want)), "{want} in {h:?}");
    }

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
    let m = view(s.submit(sub("并案")).await.unwrap());
    let into = uuid::Uuid::parse_str(read["id"].split_once(':').unwrap().1).unwrap();
    let mv = view(
        s.merge_into(pb::MergeRequest {
            id: rid(&m),
            into: into.as_bytes().to_vec(),
        })
        .await
        .unwrap(),
    );
    assert_eq!(mv["status"], "merged");
    let e = view(s.submit(sub("上报")).await.unwrap());
    let ev = view(
        s.escalate(pb::ForwardRequest {
            id: rid(&e),
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
            id: rid(&t),
            to: 320_114_001,
            reason: "属地".into(),
        })
        .await
        .unwrap(),
    );
    assert_eq!(tv["handler"], "320114001");

    // Lists by status, handler, category, area, overdue, date range, with paging.
    let list = |req: pb::ListSuggestionsRequest| {
        let mut s = s.clone();
        async move { s.list_suggestions(req).await.unwrap().into_inner() }
    };
    let all = list(pb::ListSuggestionsRequest::default()).await;
    assert_eq!(all.records.len(), 5);
    let closed = list(pb::ListSuggestionsRequest {
        status: vec!["closed".into()],
        ..Default::default()
    })
    .await;
    assert_eq!(closed.records.len(), 1);
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
    assert_eq!(by_area.records.len(), 5);
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
    assert_eq!(dated.records.len(), 5);
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
    assert_eq!(p2.records.len(), 3);
    assert!(p2.next.is_empty());
    node.stop().await;
}

#[tokio::test]
async fn deputies_assignments_and_supervision_round_trip() {
    let node = TestNode::start("320114", |_| {}).await;
    let mut d = DeputiesClient::new(node.channel.clone());
    let enrol = |pid: &str, name: &str| pb::EnrolRequest {
        person_id: pid.into(),
        name: name.into(),
        gender: 2,
        term: 18,
        group: "一组".into(),
        attached: vec![320_114_001],
        phone: "138".into(),
        ..Default::default()
    };
    let a = view(d.enrol(enrol("P-1", "陈静")).await.unwrap());
    let b = view(d.enrol(enrol("P-2", "王芳")).await.unwrap());
    assert_eq!(a["attached"], "320114001");
    let u = view(
        d.update(pb::EnrolRequest {
            id: rid(&a),
            station: "雨花站".into(),
            ..Default::default()
        })
        .await
        .unwrap(),
    );
    assert_eq!(
        (u["station"].as_str(), u["name"].as_str()),
        ("雨花站", "陈静")
    );
    let s = view(
        d.change_status(pb::ChangeStatusRequest {
            id: rid(&b),
            status: 1,
        })
        .await
        .unwrap(),
    );
    assert_eq!(s["status"], "suspended");
    let at = view(
        d.attach(pb::AttachRequest {
            id: rid(&a),
            area: 320_114_002,
        })
        .await
        .unwrap(),
    );
    assert_eq!(at["attached"], "320114001,320114002");
    let pl = view(
        d.place(pb::PlaceRequest {
            id: rid(&a),
            grid: "第3网格".into(),
            ..Default::default()
        })
        .await
        .unwrap(),
    );
    assert!(pl["placements"].contains("第3网格"));
    assert_eq!(
        view(d.get_deputy(get(&a)).await.unwrap())["station"],
        "雨花站"
    );
    let names = |l: pb::RecordList| {
        l.records
            .iter()
            .map(|r| r.view["name"].clone())
            .collect::<Vec<_>>()
    };
    let all = d
        .list_deputies(pb::ListDeputiesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        names(all),
        ["王芳", "陈静"],
        "roster order: 王 4 strokes, 陈 7"
    );
    let sus = d
        .list_deputies(pb::ListDeputiesRequest {
            status: vec![1],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(names(sus), ["王芳"]);
    let lvl = d
        .list_deputies(pb::ListDeputiesRequest {
            level: 4,
            area: 320_114_002,
            group: "一组".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(names(lvl), ["陈静"]);
    let who = d
        .list_deputies(pb::ListDeputiesRequest {
            person_id: "P-2".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(names(who), ["王芳"]);
    let imp = d
        .import(pb::ImportRequest {
            rows: vec![enrol("P-3", "丁一"), enrol("P-4", "曾国")],
            dry_run: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((imp.imported, imp.problems.len()), (2, 0));

    let mut asg = AssignmentsClient::new(node.channel.clone());
    let x = view(
        asg.issue_assignment(pb::IssueRequest {
            title: "接待日".into(),
            text: "每月16日".into(),
            targets: vec![320_114_001, 320_114_002],
            due_on: "2099-01-31".into(),
        })
        .await
        .unwrap(),
    );
    assert_eq!(
        (x["done"].as_str(), x["due_on"].as_str()),
        ("0/2", "2099-01-31")
    );
    let issued = asg
        .list_assignments(pb::ListAssignmentsRequest {
            issued: true,
            page: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(issued.records.len(), 1);
    let received = asg
        .list_assignments(pb::ListAssignmentsRequest {
            issued: false,
            page: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(received.records.len(), 0);
    assert_eq!(
        view(asg.get_assignment(get(&x)).await.unwrap())["targets"],
        "320114001,320114002"
    );

    let mut sup = SupervisionClient::new(node.channel.clone());
    let it = view(
        sup.open_item(pb::OpenItemRequest {
            mode: 6,
            title: "加装电梯".into(),
            lead_supervisor: "城建委".into(),
            covers: vec![320_114],
            milestones: vec![
                pb::NewMilestone {
                    title: "立项".into(),
                    weight: 1,
                    due_on: String::new(),
                },
                pb::NewMilestone {
                    title: "完工".into(),
                    weight: 3,
                    due_on: "2099-06-30".into(),
                },
            ],
            ..Default::default()
        })
        .await
        .unwrap(),
    );
    assert_eq!(it["progress"], "0.0%");
    let rep = view(
        sup.report_on_item(pb::ItemReportRequest {
            id: rid(&it),
            text: "已立项".into(),
            done: vec![1],
        })
        .await
        .unwrap(),
    );
    assert_eq!(rep["reports"], "1");
    let c = view(
        sup.confirm_milestone(pb::MilestoneRequest {
            id: rid(&it),
            milestone: 1,
        })
        .await
        .unwrap(),
    );
    assert_eq!(c["progress"], "25.0%");
    assert_eq!(
        sup.list_items(pb::ListItemsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .records
            .len(),
        1
    );
    assert_eq!(
        view(sup.get_item(get(&it)).await.unwrap())["mode"],
        "livelihood"
    );
    node.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_with_the_right_code_and_nothing_is_stored() {
    let node = TestNode::start("320114", |c| c.api.max_message_bytes = 64 * 1024).await;
    let mut s = SuggestionsClient::new(node.channel.clone());
    let mut d = DeputiesClient::new(node.channel.clone());
    let mut a = AssignmentsClient::new(node.channel.clone());
    let sub = |title: &str, text: &str| pb::SubmitRequest {
        lead: "P-1".into(),
        title: title.into(),
        text: text.into(),
        ..Default::default()
    };
    let v = view(s.submit(sub("路灯", "不亮")).await.unwrap());
    let id = rid(&v);
    let state = |s: &mut SuggestionsClient<tonic::transport::Channel>| {
        let mut s = s.clone();
        let g = get(&v);
        async move { s.get_suggestion(g).await.unwrap().into_inner().state }
    };
    let before = state(&mut s).await;
    let count = |s: &SuggestionsClient<tonic::transport::Channel>| {
        let mut s = s.clone();
        async move {
            s.list_suggestions(pb::ListSuggestionsRequest::default())
                .await
                .unwrap()
                .into_inner()
                .records
                .len()
        }
    };

    // Empty and oversize text.
    assert_eq!(
        code_of(s.submit(sub(" ", "x")).await),
        (G::InvalidArgument, "text-required".into())
    );
    assert_eq!(
        code_of(s.submit(sub("t", &"长".repeat(20_001))).await).0,
        G::InvalidArgument
    );
    // An oversize message is cut off before it reaches the model.
    assert_eq!(
        code_of(s.submit(sub("t", &"x".repeat(100_000))).await).0,
        G::OutOfRange
    );
    // Bad division codes.
    let fwd = |to: u32| pb::ForwardRequest {
        id: id.clone(),
        to,
        reason: "r".into(),
    };
    assert_eq!(
        code_of(s.escalate(fwd(999_999)).await).0,
        G::InvalidArgument
    );
    assert_eq!(
        code_of(s.escalate(fwd(110_100)).await).0,
        G::InvalidArgument
    );
    // Wrong level: a county cannot escalate to a township, nor transfer to its city.
    assert_eq!(
        code_of(s.escalate(fwd(320_114_001)).await),
        (G::InvalidArgument, "escalate-upwards".into())
    );
    assert_eq!(
        code_of(s.transfer(fwd(320_100)).await),
        (G::InvalidArgument, "transfer-downwards".into())
    );
    // Illegal state steps.
    assert_eq!(
        code_of(s.close(get(&v)).await),
        (G::FailedPrecondition, "stage-order".into())
    );
    assert_eq!(
        code_of(
            s.answer_suggestion(pb::AnswerRequest {
                id: id.clone(),
                unit: "u".into(),
                class: 0,
                text: "t".into(),
                promises: vec![]
            })
            .await
        )
        .0,
        G::FailedPrecondition
    );
    assert_eq!(code_of(s.rehandle(get(&v)).await).0, G::FailedPrecondition);
    // Unknown records.
    let ghost = pb::Get {
        id: Some(pb::RecordId {
            kind: 0,
            home: 320_114,
            uuid: vec![7; 16],
        }),
    };
    assert_eq!(
        code_of(s.get_suggestion(ghost.clone()).await).0,
        G::NotFound
    );
    assert_eq!(code_of(s.close(ghost.clone()).await).0, G::NotFound);
    assert_eq!(code_of(d.get_deputy(ghost.clone()).await).0, G::NotFound);
    assert_eq!(
        code_of(
            d.change_status(pb::ChangeStatusRequest {
                id: ghost.id.clone(),
                status: 2
            })
            .await
        )
        .0,
        G::NotFound
    );
    // Malformed ids and enum values.
    let bad_id = pb::Get {
        id: Some(pb::RecordId {
            kind: 0,
            home: 320_114,
            uuid: vec![1, 2],
        }),
    };
    assert_eq!(
        code_of(s.get_suggestion(bad_id).await).0,
        G::InvalidArgument
    );
    assert_eq!(
        code_of(s.get_suggestion(pb::Get { id: None }).await).0,
        G::InvalidArgument
    );
    assert_eq!(
        code_of(
            s.answer_suggestion(pb::AnswerRequest {
                id: id.clone(),
                unit: "u".into(),
                class: 9,
                text: "t".into(),
                promises: vec![]
            })
            .await
        )
        .0,
        G::InvalidArgument
    );

    assert_eq!(state(&mut s).await, before, "the suggestion is unchanged");
    assert_eq!(count(&s).await, 1, "no suggestion was added");

    // Deputies: duplicate person, area outside the region, illegal status step.
    let dv = view(
        d.enrol(pb::EnrolRequest {
            person_id: "P-1".into(),
            name: "王芳".into(),
            ..Default::default()
        })
        .await
        .unwrap(),
    );
    let dbefore = d.get_deputy(get(&dv)).await.unwrap().into_inner().state;
    assert_eq!(
        code_of(
            d.enrol(pb::EnrolRequest {
                person_id: "P-1".into(),
                name: "又一个".into(),
                ..Default::default()
            })
            .await
        )
        .0,
        G::InvalidArgument
    );
    assert_eq!(
        code_of(
            d.enrol(pb::EnrolRequest {
                person_id: "P-9".into(),
                name: "x".into(),
                attached: vec![330_100],
                ..Default::default()
            })
            .await
        ),
        (G::InvalidArgument, "inside-region".into())
    );
    assert_eq!(
        code_of(
            d.attach(pb::AttachRequest {
                id: rid(&dv),
                area: 320_115
            })
            .await
        ),
        (G::InvalidArgument, "inside-region".into())
    );
    d.change_status(pb::ChangeStatusRequest {
        id: rid(&dv),
        status: 5,
    })
    .await
    .unwrap();
    let after_death = d.get_deputy(get(&dv)).await.unwrap().into_inner().state;
    assert_ne!(after_death, dbefore);
    assert_eq!(
        code_of(
            d.change_status(pb::ChangeStatusRequest {
                id: rid(&dv),
                status: 0
            })
            .await
        ),
        (G::FailedPrecondition, "deputy-status-step".into())
    );
    assert_eq!(
        d.get_deputy(get(&dv)).await.unwrap().into_inner().state,
        after_death
    );
    let import = d
        .import(pb::ImportRequest {
            rows: vec![
                pb::EnrolRequest {
                    person_id: "P-5".into(),
                    name: "好".into(),
                    row: 2,
                    ..Default::default()
                },
                pb::EnrolRequest {
                    person_id: "P-1".into(),
                    name: "重".into(),
                    row: 3,
                    ..Default::default()
                },
                pb::EnrolRequest {
                    person_id: "".into(),
                    name: "空".into(),
                    row: 4,
                    ..Default::default()
                },
            ],
            dry_run: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(import.imported, 0);
    assert_eq!(
        import.problems.iter().map(|p| p.row).collect::<Vec<_>>(),
        [3, 4]
    );
    let roster = d
        .list_deputies(pb::ListDeputiesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        roster.records.len(),
        1,
        "an import with a bad row stores nothing"
    );

    // A write to a section this node does not own: the county acknowledging its
    // own assignment would write a target's response section.
    let x = view(
        a.issue_assignment(pb::IssueRequest {
            title: "t".into(),
            text: "x".into(),
            targets: vec![320_114_001],
            due_on: String::new(),
        })
        .await
        .unwrap(),
    );
    let xbefore = a.get_assignment(get(&x)).await.unwrap().into_inner().state;
    assert_eq!(
        code_of(a.acknowledge(get(&x)).await),
        (G::PermissionDenied, "target-only".into())
    );
    assert_eq!(
        code_of(
            a.issue_assignment(pb::IssueRequest {
                title: "t".into(),
                text: "x".into(),
                targets: vec![320_114],
                due_on: String::new()
            })
            .await
        )
        .0,
        G::InvalidArgument
    );
    assert_eq!(
        code_of(
            a.issue_assignment(pb::IssueRequest {
                title: "t".into(),
                text: "x".into(),
                targets: vec![320_114_001],
                due_on: "2026-13-01".into()
            })
            .await
        )
        .0,
        G::InvalidArgument
    );
    assert_eq!(
        a.get_assignment(get(&x)).await.unwrap().into_inner().state,
        xbefore
    );
    node.stop().await;
}

#[tokio::test]
async fn health_and_reflection_answer_standard_clients() {
    let node = TestNode::start("320114001", |_| {}).await;
    let mut h = tonic_health::pb::health_client::HealthClient::new(node.channel.clone());
    let overall = h
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(overall.into_inner().status, 1, "SERVING");
    let svc = h
        .check(tonic_health::pb::HealthCheckRequest {
            service: "wuji.v1.Suggestions".into(),
        })
        .await
        .unwrap();
    assert_eq!(svc.into_inner().status, 1);

    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let mut r = ServerReflectionClient::new(node.channel.clone());
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = r
        .server_reflection_info(tokio_stream::iter(vec![req]))
        .await
        .unwrap()
        .into_inner();
    let resp = stream.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = resp.message_response else {
        panic!("no service list")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for want in [
        "wuji.v1.Deputies",
        "wuji.v1.Suggestions",
        "wuji.v1.Assignments",
        "wuji.v1.Supervision",
        "grpc.health.v1.Health",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    use tonic_reflection::pb::v1alpha::{
        ServerReflectionRequest as AReq, server_reflection_client::ServerReflectionClient as Alpha,
        server_reflection_request::MessageRequest as AMsg,
    };
    let mut ra = Alpha::new(node.channel.clone());
    let req = AReq {
        host: String::new(),
        message_request: Some(AMsg::FileContainingSymbol("wuji.v1.Suggestions".into())),
    };
    let mut stream = ra
        .server_reflection_info(tokio_stream::iter(vec![req]))
        .await
        .unwrap()
        .into_inner();
    assert!(
        stream
            .message()
            .await
            .unwrap()
            .unwrap()
            .message_response
            .is_some()
    );
    node.stop().await;
}

#[tokio::test]
async fn a_restarted_node_has_everything_and_refuses_another_nodes_directory() {
    let node = TestNode::start("320114", |_| {}).await;
    let mut s = SuggestionsClient::new(node.channel.clone());
    let v = view(
        s.submit(pb::SubmitRequest {
            lead: "P".into(),
            title: "t".into(),
            text: "x".into(),
            ..Default::default()
        })
        .await
        .unwrap(),
    );
    let dir = node.stop().await;
    let mut config = wuji_node::Config::new(wuji_division::Code::parse("320114").unwrap());
    config.node.data_dir = dir.path().join("data");
    let node = TestNode::start_in(dir, config).await;
    let mut s = SuggestionsClient::new(node.channel.clone());
    assert_eq!(view(s.get_suggestion(get(&v)).await.unwrap())["title"], "t");
    let dir = node.stop().await;
    let mut other = wuji_node::Config::new(wuji_division::Code::parse("320115").unwrap());
    other.node.data_dir = dir.path().join("data");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let e = wuji_node::run(listener, other, async {}).await.unwrap_err();
    assert!(
        e.to_string().contains("holds the store of node 320114"),
        "{e}"
    );
}
