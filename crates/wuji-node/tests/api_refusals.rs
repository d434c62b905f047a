//! Every kind of bad input to the API is refused with the right code and the rule,
//! and reading back shows nothing was stored.

mod common;

use common::*;
use tonic::Code as G;
use wuji_proto::pb::suggestions_client::SuggestionsClient;
use wuji_proto::pb::{
    self, assignments_client::AssignmentsClient, deputies_client::DeputiesClient,
};

#[tokio::test]
async fn bad_input_is_refused_with_the_right_code_and_nothing_is_stored() {
    let node = TestNode::start("320114", |c| c.api.max_message_bytes = 64 * 1024).await;
    enrol(&node.channel, &["L-1"]).await;
    let mut s = SuggestionsClient::new(node.channel.clone());
    let mut d = DeputiesClient::new(node.channel.clone());
    let mut a = AssignmentsClient::new(node.channel.clone());
    let sub = |title: &str, text: &str| pb::SubmitRequest {
        lead: "L-1".into(),
        title: title.into(),
        text: text.into(),
        ..Default::default()
    };
    let v = view(s.submit(sub("路灯", "不亮")).await.unwrap());
    let id = vid(&v);
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
        ),
        (G::InvalidArgument, "person-id-unique".into())
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
                id: vid(&dv),
                area: 320_115
            })
            .await
        ),
        (G::InvalidArgument, "inside-region".into())
    );
    d.change_status(pb::ChangeStatusRequest {
        id: vid(&dv),
        status: 5,
    })
    .await
    .unwrap();
    let after_death = d.get_deputy(get(&dv)).await.unwrap().into_inner().state;
    assert_ne!(after_death, dbefore);
    assert_eq!(
        code_of(
            d.change_status(pb::ChangeStatusRequest {
                id: vid(&dv),
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
        2,
        "an import with a bad row stores nothing (P-1 and the lead L-1 only)"
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
async fn a_digest_of_an_unknown_kind_is_refused_not_answered_with_zeros() {
    let node = TestNode::start("320114", |_| {}).await;
    submit(&node.channel, "有一条").await;
    let mut c = pb::sync_client::SyncClient::new(node.channel.clone());
    let r = c
        .digest(pb::DigestRequest {
            scope: 320_114,
            kind: 99,
            ..Default::default()
        })
        .await;
    assert_eq!(code_of(r), (G::InvalidArgument, "unknown-kind".into()));
    let ok = c
        .digest(pb::DigestRequest {
            scope: 320_114,
            kind: pb::RecordKind::Suggestion as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.records, 1);
    node.stop().await;
}

#[tokio::test]
async fn invisible_titles_control_characters_and_numbers_out_of_range_are_refused() {
    let node = TestNode::start("320114", |_| {}).await;
    enrol(&node.channel, &["L-1"]).await;
    let mut s = SuggestionsClient::new(node.channel.clone());
    let mut d = DeputiesClient::new(node.channel.clone());
    for (title, rule) in [
        ("\u{200B}\u{200B}", "text-required"),
        ("标题\0后面", "text-control-character"),
        ("两行\n标题", "text-control-character"),
    ] {
        let r = s
            .submit(pb::SubmitRequest {
                lead: "L-1".into(),
                title: title.into(),
                text: "x".into(),
                ..Default::default()
            })
            .await;
        assert_eq!(code_of(r), (G::InvalidArgument, rule.into()), "{title:?}");
    }
    let r = d
        .enrol(pb::EnrolRequest {
            person_id: "P-9".into(),
            name: "王芳".into(),
            term: u32::MAX,
            ..Default::default()
        })
        .await;
    assert_eq!(code_of(r), (G::InvalidArgument, "number-range".into()));
    let listed = s
        .list_suggestions(pb::ListSuggestionsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .records
        .len()
        + d.list_deputies(pb::ListDeputiesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .records
            .len();
    assert_eq!(listed, 1, "nothing refused was stored (only the lead, L-1)");
    node.stop().await;
}

#[tokio::test]
async fn the_lead_deputy_and_co_signers_must_be_deputies_in_office_here() {
    let node = TestNode::start("320114", |_| {}).await;
    enrol(&node.channel, &["L-1", "L-2"]).await;
    let mut s = SuggestionsClient::new(node.channel.clone());
    let mut d = DeputiesClient::new(node.channel.clone());
    let sub = |lead: &str, cosigners: &[&str]| pb::SubmitRequest {
        lead: lead.into(),
        cosigners: cosigners.iter().map(|c| c.to_string()).collect(),
        title: "路灯".into(),
        text: "x".into(),
        ..Default::default()
    };
    // Unknown lead, unknown co-signer: refused, naming the person.
    for (req, who) in [
        (sub("X-9", &[]), "lead X-9"),
        (sub("L-1", &["Y-7"]), "cosigner Y-7"),
    ] {
        let e = s.submit(req).await.unwrap_err();
        assert_eq!(detail_rule(&e), "deputy-unknown", "{e:?}");
        assert!(e.message().contains(who), "{}", e.message());
        let zh = wuji_proto::error_detail(&e).unwrap().message_zh;
        assert!(
            zh.starts_with("本节点没有此代表") && zh.contains(who),
            "{zh}"
        );
    }
    // A deputy who resigned may no longer submit.
    let l2 = d
        .list_deputies(pb::ListDeputiesRequest {
            person_id: "L-2".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .records
        .remove(0);
    d.change_status(pb::ChangeStatusRequest {
        id: l2.state.unwrap().id,
        status: pb::DeputyStatus::Resigned as i32,
    })
    .await
    .unwrap();
    let e = s.submit(sub("L-2", &[])).await.unwrap_err();
    assert_eq!(detail_rule(&e), "deputy-not-in-office", "{e:?}");
    assert!(e.message().contains("辞职"), "{}", e.message());
    // Deputies in office submit; nothing refused was stored.
    s.submit(sub("L-1", &["L-1"])).await.unwrap();
    let n = s
        .list_suggestions(pb::ListSuggestionsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .records
        .len();
    assert_eq!(n, 1);
    node.stop().await;
}
