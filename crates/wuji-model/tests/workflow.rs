//! Workflow rules of a suggestion, an assignment, a supervision item and a deputy:
//! every legal step, and each illegal one refused with the rule it breaks.

mod common;
use common::*;
use jiff::civil::date;
use wuji_crdt::Stamp;
use wuji_model::deputy::{self, DeputyStatus, NewDeputy};
use wuji_model::suggestion::view::{self, Status};
use wuji_model::suggestion::workflow::{self as wf, Draft};
use wuji_model::suggestion::{AnswerClass, AnswerRef, HandlingUnit, Satisfaction, UnitRole};
use wuji_model::{Error, Record, RecordId, RecordKind, Uuid, assignment, authority, supervision};

#[test]
fn a_suggestion_escalated_twice_answered_rated_rehandled_and_closed() {
    let mut w = World::new();
    let mut rec = submitted(&mut w);
    let v = view::view(&rec, &w.rules);
    assert_eq!((v.status, v.handler), (Status::Submitted, c("320114001")));

    // The township registers it, then escalates to the county.
    step!(
        rec,
        wf::register(&w.ctx("320114001", D0), &rec, "雨花2026-001")
    );
    assert_eq!(view::view(&rec, &w.rules).status, Status::Registered);
    step!(
        rec,
        wf::escalate(&w.ctx("320114001", D0), &rec, c("320114"), "需区级协调")
    );
    let v = view::view(&rec, &w.rules);
    assert_eq!((v.status, v.handler), (Status::Submitted, c("320114")));
    // The township can no longer act on it.
    assert_eq!(
        rule(wf::register(&w.ctx("320114001", D0), &rec, "x")),
        "current-handler"
    );

    // County registers and escalates to the city.
    step!(
        rec,
        wf::register(&w.ctx("320114", D0), &rec, "雨区2026-017")
    );
    step!(
        rec,
        wf::escalate(&w.ctx("320114", D0), &rec, c("320100"), "跨区线路")
    );
    assert_eq!(view::current_handler(&rec), c("320100"));

    // The city registers and assigns; the three-month deadline starts.
    let d1 = date(2026, 3, 5);
    step!(rec, wf::register(&w.ctx("320100", d1), &rec, "宁2026-0042"));
    step!(
        rec,
        wf::assign(
            &w.ctx("320100", d1),
            &rec,
            &[lead("市交通运输局"), co("市规划资源局")]
        )
    );
    let v = view::view(&rec, &w.rules);
    assert_eq!((v.status, v.round), (Status::Assigned, 1));
    assert_eq!(v.deadline, Some(date(2026, 6, 5)));
    assert!(!v.is_overdue(date(2026, 6, 5)));
    assert!(v.is_overdue(date(2026, 6, 6)));

    // Co-unit view, then the lead answers B with a promise.
    step!(
        rec,
        wf::co_view(&w.ctx("320100", d1), &rec, "市规划资源局", "同意增设")
    );
    step!(
        rec,
        wf::answer(
            &w.ctx("320100", date(2026, 5, 20)),
            &rec,
            "市交通运输局",
            AnswerClass::B,
            "已列入年度计划",
            &["年内增设站点".into()]
        ),
    );
    let v = view::view(&rec, &w.rules);
    assert_eq!(v.status, Status::Answered);
    assert!(
        !v.is_overdue(date(2026, 7, 1)),
        "an answered round is not overdue"
    );
    let answer = v.latest_answer.unwrap();
    assert_eq!(answer.handler, c("320100"));

    // The deputy, at the origin township, is dissatisfied; the city re-handles.
    assert_eq!(
        rule(wf::feedback(
            &w.ctx("320100", d1),
            &rec,
            answer,
            Satisfaction::Satisfied,
            ""
        )),
        "home-only"
    );
    step!(
        rec,
        wf::feedback(
            &w.ctx("320114001", date(2026, 5, 25)),
            &rec,
            answer,
            Satisfaction::Dissatisfied,
            "进度太慢"
        )
    );
    assert_eq!(
        view::view(&rec, &w.rules).status,
        Status::AwaitingRehandling
    );
    assert_eq!(
        rule(wf::close(&w.ctx("320100", d1), &rec)),
        "close-needs-satisfaction"
    );
    assert_eq!(
        rule(wf::answer(
            &w.ctx("320100", d1),
            &rec,
            "市交通运输局",
            AnswerClass::A,
            "x",
            &[]
        )),
        "stage-order"
    );
    step!(rec, wf::rehandle(&w.ctx("320100", date(2026, 6, 1)), &rec));
    let v = view::view(&rec, &w.rules);
    assert_eq!((v.status, v.round), (Status::Assigned, 2));
    assert_eq!(
        v.deadline,
        Some(date(2026, 8, 3)),
        "re-handling: two months; 08-01 is a Saturday, so the Monday after"
    );

    // Second answer A, rated satisfied, closed.
    step!(
        rec,
        wf::answer(
            &w.ctx("320100", date(2026, 7, 1)),
            &rec,
            "市交通运输局",
            AnswerClass::A,
            "站点已建成",
            &[]
        )
    );
    let answer2 = view::view(&rec, &w.rules).latest_answer.unwrap();
    assert_ne!(answer, answer2);
    step!(
        rec,
        wf::feedback(
            &w.ctx("320114001", date(2026, 7, 3)),
            &rec,
            answer2,
            Satisfaction::Satisfied,
            ""
        )
    );
    step!(rec, wf::close(&w.ctx("320100", date(2026, 7, 4)), &rec));
    assert_eq!(view::view(&rec, &w.rules).status, Status::Closed);

    // Nothing more: closed is final.
    assert_eq!(
        rule(wf::withdraw(&w.ctx("320114001", d1), &rec)),
        "final-status"
    );
    assert_eq!(
        rule(wf::rehandle(&w.ctx("320100", d1), &rec)),
        "final-status"
    );
    assert_eq!(
        rule(wf::escalate(&w.ctx("320100", d1), &rec, c("320000"), "x")),
        "final-status"
    );
}

#[test]
fn submission_is_checked() {
    let mut w = World::new();
    let id = sid("320114001");
    let ctx = w.ctx("320114001", D0);
    let empty = Draft {
        title: "  ".into(),
        ..draft()
    };
    assert_eq!(rule(wf::submit(&ctx, id, &empty)), "text-required");
    let long = Draft {
        text: "长".repeat(20_001),
        ..draft()
    };
    assert_eq!(rule(wf::submit(&ctx, id, &long)), "text-length");
    let ctx = w.ctx("320114002", D0);
    assert_eq!(rule(wf::submit(&ctx, id, &draft())), "home-only");
    let wrong = RecordId {
        kind: RecordKind::Deputy,
        ..id
    };
    assert_eq!(
        rule(wf::submit(&w.ctx("320114001", D0), wrong, &draft())),
        "record-kind"
    );
}

#[test]
fn registration_assignment_and_units_follow_their_rules() {
    let mut w = World::new();
    let mut rec = submitted(&mut w);
    let t = "320114001";
    assert_eq!(
        rule(wf::assign(&w.ctx(t, D0), &rec, &[lead("a")])),
        "stage-order"
    );
    step!(rec, wf::register(&w.ctx(t, D0), &rec, "N-1"));
    assert_eq!(
        rule(wf::register(&w.ctx(t, D0), &rec, "N-2")),
        "register-once"
    );
    assert_eq!(rule(wf::assign(&w.ctx(t, D0), &rec, &[])), "handling-units");
    assert_eq!(
        rule(wf::assign(&w.ctx(t, D0), &rec, &[co("a")])),
        "handling-units"
    );
    assert_eq!(
        rule(wf::assign(&w.ctx(t, D0), &rec, &[lead("a"), lead("b")])),
        "handling-units"
    );
    let mixed = [
        HandlingUnit {
            name: "a".into(),
            role: UnitRole::Separate,
        },
        co("b"),
    ];
    assert_eq!(
        rule(wf::assign(&w.ctx(t, D0), &rec, &mixed)),
        "handling-units"
    );
    assert_eq!(
        rule(wf::answer(
            &w.ctx(t, D0),
            &rec,
            "a",
            AnswerClass::A,
            "x",
            &[]
        )),
        "stage-order"
    );
    step!(
        rec,
        wf::assign(&w.ctx(t, D0), &rec, &[lead("镇城管办"), co("镇社会事业局")])
    );
    assert_eq!(
        rule(wf::co_view(&w.ctx(t, D0), &rec, "镇城管办", "x")),
        "unit-role"
    );
    assert_eq!(
        rule(wf::answer(
            &w.ctx(t, D0),
            &rec,
            "镇社会事业局",
            AnswerClass::A,
            "x",
            &[]
        )),
        "unit-role"
    );
    assert_eq!(rule(wf::extend(&w.ctx(t, D0), &rec, 4)), "extension-limit");
    assert_eq!(rule(wf::extend(&w.ctx(t, D0), &rec, 0)), "extension-limit");
    step!(rec, wf::extend(&w.ctx(t, D0), &rec, 3));
    assert_eq!(
        view::view(&rec, &w.rules).deadline,
        Some(date(2026, 9, 2)),
        "3 + 3 months"
    );
    assert_eq!(rule(wf::close(&w.ctx(t, D0), &rec)), "stage-order");
    assert_eq!(
        rule(wf::rehandle(&w.ctx(t, D0), &rec)),
        "rehandle-needs-dissatisfied"
    );
    assert_eq!(
        rule(wf::merge_into(&w.ctx(t, D0), &rec, rec.id)),
        "merge-other"
    );
    assert_eq!(
        rule(wf::escalate(&w.ctx(t, D0), &rec, c("320114002"), "x")),
        "escalate-upwards"
    );
    assert_eq!(
        rule(wf::transfer(&w.ctx(t, D0), &rec, c("320114"), "x")),
        "transfer-downwards"
    );
    assert_eq!(
        rule(wf::escalate(&w.ctx(t, D0), &rec, c("320114"), " ")),
        "text-required"
    );
}

#[test]
fn a_return_is_allowed_within_seven_working_days_across_the_national_day() {
    let mut w = World::new();
    let mut rec = submitted(&mut w);
    let t = "320114001";
    let assigned = date(2026, 9, 24);
    step!(rec, wf::register(&w.ctx(t, assigned), &rec, "N-1"));
    step!(
        rec,
        wf::assign(
            &w.ctx(t, assigned),
            &rec,
            &[lead("镇水利站"), co("镇农服中心")]
        )
    );
    // 7 working days after Thu 09-24, across 中秋 and 国庆 with 调休, is Mon 10-12.
    let late = wf::return_unit(
        &w.ctx(t, date(2026, 10, 13)),
        &rec,
        "镇水利站",
        "不属本单位职责",
    );
    match late {
        Err(Error::ReturnTooLate {
            last_day, days: 7, ..
        }) => assert_eq!(last_day, date(2026, 10, 12)),
        other => panic!("expected ReturnTooLate, got {other:?}"),
    }
    assert_eq!(
        rule(wf::return_unit(
            &w.ctx(t, date(2026, 10, 12)),
            &rec,
            "别的单位",
            "x"
        )),
        "unit-role"
    );
    step!(
        rec,
        wf::return_unit(
            &w.ctx(t, date(2026, 10, 12)),
            &rec,
            "镇水利站",
            "不属本单位职责"
        )
    );
    let h = rec.handling(c(t)).unwrap();
    assert!(h.units.iter().all(|u| u.name != "镇水利站"));
    assert_eq!(h.returns.len(), 1);
    // The lead returned it: 待重新交办, its clock stopped (never overdue).
    let v = view::view(&rec, &w.rules);
    assert_eq!(v.status, Status::AwaitingReassignment);
    assert!(!v.is_overdue(date(2027, 6, 1)));
    assert_eq!(
        rule(wf::answer(
            &w.ctx(t, date(2026, 10, 14)),
            &rec,
            "镇农服中心",
            AnswerClass::A,
            "x",
            &[]
        )),
        "unit-role",
        "a co-unit cannot answer in the lead's place"
    );
    // Assigned again: the new lead's clock starts on 10-13 (three months:
    // Wed 2027-01-13).
    step!(
        rec,
        wf::assign(&w.ctx(t, date(2026, 10, 13)), &rec, &[lead("镇农服中心")])
    );
    let v = view::view(&rec, &w.rules);
    assert_eq!(
        (v.status, v.deadline),
        (Status::Assigned, Some(date(2027, 1, 13)))
    );
    // A change of units while the lead stays keeps the round's 答复期限.
    step!(
        rec,
        wf::assign(
            &w.ctx(t, date(2026, 11, 2)),
            &rec,
            &[lead("镇农服中心"), co("镇水利站")]
        )
    );
    assert_eq!(view::view(&rec, &w.rules).deadline, Some(date(2027, 1, 13)));
    // A co-unit's 退办 leaves the lead answering: still 办理中.
    step!(
        rec,
        wf::return_unit(&w.ctx(t, date(2026, 11, 3)), &rec, "镇水利站", "x")
    );
    assert_eq!(view::view(&rec, &w.rules).status, Status::Assigned);
}

#[test]
fn withdrawal_ends_handling_everywhere_and_a_merged_item_takes_no_handling_steps() {
    let mut w = World::new();
    let mut rec = submitted(&mut w);
    step!(
        rec,
        wf::escalate(&w.ctx("320114001", D0), &rec, c("320114"), "上报")
    );
    step!(rec, wf::register(&w.ctx("320114", D0), &rec, "N"));
    assert_eq!(rule(wf::withdraw(&w.ctx("320114", D0), &rec)), "home-only");
    let mut merged = rec.clone();
    step!(rec, wf::withdraw(&w.ctx("320114001", D0), &rec));
    assert_eq!(view::view(&rec, &w.rules).status, Status::Withdrawn);
    assert_eq!(
        rule(wf::assign(&w.ctx("320114", D0), &rec, &[lead("a")])),
        "final-status"
    );
    assert_eq!(
        rule(wf::withdraw(&w.ctx("320114001", D0), &rec)),
        "final-status"
    );

    step!(
        merged,
        wf::merge_into(
            &w.ctx("320114", D0),
            &merged,
            RecordId {
                uuid: Uuid::from_u128(2),
                ..merged.id
            }
        )
    );
    assert_eq!(view::view(&merged, &w.rules).status, Status::Merged);
    assert_eq!(
        rule(wf::register(&w.ctx("320114", D0), &merged, "x")),
        "final-status"
    );
}

#[test]
fn a_transfer_down_and_back_up_keeps_every_handler_in_the_chain() {
    let mut w = World::new();
    let id = sid("320114");
    let mut rec = Record::new(id);
    step!(rec, wf::submit(&w.ctx("320114", D0), id, &draft()));
    step!(
        rec,
        wf::transfer(&w.ctx("320114", D0), &rec, c("320114001"), "属地办理")
    );
    assert_eq!(view::current_handler(&rec), c("320114001"));
    step!(
        rec,
        wf::escalate(&w.ctx("320114001", D0), &rec, c("320114"), "镇无力解决")
    );
    assert_eq!(
        view::current_handler(&rec),
        c("320114"),
        "a later forward wins"
    );
    step!(
        rec,
        wf::transfer(&w.ctx("320114", D0), &rec, c("320114002"), "改由邻镇")
    );
    assert_eq!(view::current_handler(&rec), c("320114002"));
    let chain = view::handling_chain(&rec);
    assert!(chain.contains(&c("320114001")) && chain.contains(&c("320114002")));
    for (k, _) in rec.sections() {
        assert!(authority::check(&rec, *k).is_ok(), "{k:?} still authorised");
    }
}

#[test]
fn feedback_needs_a_real_answer() {
    let mut w = World::new();
    let rec = submitted(&mut w);
    let bogus = AnswerRef {
        handler: c("320114001"),
        at: Stamp::default(),
    };
    assert_eq!(
        rule(wf::feedback(
            &w.ctx("320114001", D0),
            &rec,
            bogus,
            Satisfaction::Basic,
            ""
        )),
        "answer-exists"
    );
}

#[test]
fn assignments_reach_targets_and_only_targets_respond() {
    let mut w = World::new();
    let id = RecordId {
        kind: RecordKind::Assignment,
        home: c("320000"),
        uuid: Uuid::from_u128(3),
    };
    let targets = [c("320114001"), c("320114002")];
    let ctx = w.ctx("320000", D0);
    assert_eq!(
        rule(assignment::issue(&ctx, id, "t", "x", &[], None)),
        "targets-required"
    );
    assert_eq!(
        rule(assignment::issue(&ctx, id, "t", "x", &[c("330100")], None)),
        "inside-region"
    );
    assert_eq!(
        rule(assignment::issue(&ctx, id, "t", "x", &[c("320000")], None)),
        "inside-region"
    );
    assert_eq!(
        rule(assignment::issue(
            &ctx,
            id,
            "t",
            "x",
            &targets,
            Some(date(2026, 1, 1))
        )),
        "due-date"
    );
    let mut rec = Record::new(id);
    step!(
        rec,
        assignment::issue(
            &w.ctx("320000", D0),
            id,
            "代表接待日",
            "每月16日接待选民",
            &targets,
            Some(date(2026, 4, 30))
        )
    );
    assert_eq!(
        rule(assignment::acknowledge(&w.ctx("320115", D0), &rec)),
        "target-only"
    );
    step!(rec, assignment::acknowledge(&w.ctx("320114001", D0), &rec));
    assert_eq!(
        rule(assignment::acknowledge(&w.ctx("320114001", D0), &rec)),
        "acknowledge-once"
    );
    step!(
        rec,
        assignment::report(&w.ctx("320114001", D0), &rec, "已完成", true)
    );
    assert_eq!(
        rule(assignment::report(
            &w.ctx("320114001", D0),
            &rec,
            "再报",
            false
        )),
        "report-after-done"
    );
    step!(
        rec,
        assignment::report(&w.ctx("320114002", D0), &rec, "进行中", false)
    );
    assert_eq!(assignment::done_count(&rec), (1, 2));
}

#[test]
fn supervision_items_weigh_confirmed_milestones() {
    let mut w = World::new();
    let id = RecordId {
        kind: RecordKind::Supervision,
        home: c("320100"),
        uuid: Uuid::from_u128(4),
    };
    let item = supervision::NewItem {
        mode: wuji_model::suggestion::SupervisionMode::Livelihood,
        title: "老旧小区加装电梯".into(),
        suggestion: None,
        lead_supervisor: "城建环保委".into(),
        covers: vec![c("320114")],
        milestones: vec![("立项".into(), 1, None), ("完工".into(), 3, None)],
    };
    let mut rec = Record::new(id);
    let bad = supervision::NewItem {
        milestones: vec![("x".into(), 0, None)],
        ..item.clone()
    };
    assert_eq!(
        rule(supervision::open(&w.ctx("320100", D0), id, &bad)),
        "milestone-weight"
    );
    step!(rec, supervision::open(&w.ctx("320100", D0), id, &item));
    assert_eq!(
        rule(supervision::report(&w.ctx("320115", D0), &rec, "x", &[])),
        "target-only"
    );
    assert_eq!(
        rule(supervision::report(
            &w.ctx("320114001", D0),
            &rec,
            "x",
            &[9]
        )),
        "milestone-exists"
    );
    step!(
        rec,
        supervision::report(&w.ctx("320114001", D0), &rec, "已立项", &[1])
    );
    assert_eq!(
        supervision::progress_permille(&rec),
        0,
        "claims count once confirmed"
    );
    step!(
        rec,
        supervision::confirm_milestone(&w.ctx("320100", D0), &rec, 1)
    );
    assert_eq!(supervision::progress_permille(&rec), 250);
    assert_eq!(
        rule(supervision::confirm_milestone(
            &w.ctx("320114", D0),
            &rec,
            2
        )),
        "home-only"
    );
}

#[test]
fn deputies_enrol_change_status_attach_and_get_placed() {
    let mut w = World::new();
    let id = RecordId {
        kind: RecordKind::Deputy,
        home: c("100000"),
        uuid: Uuid::from_u128(5),
    };
    let d = NewDeputy {
        person_id: "P-9".into(),
        name: "王某".into(),
        term: 14,
        attached: vec![c("320114")],
        phone: "13800000000".into(),
        ..NewDeputy::default()
    };
    assert_eq!(
        rule(deputy::enrol(&w.ctx("320000", D0), id, &d)),
        "home-only"
    );
    let mut rec = Record::new(id);
    step!(rec, deputy::enrol(&w.ctx("100000", D0), id, &d));
    // A township under the attached county places the national deputy in its grid.
    step!(
        rec,
        deputy::place(
            &w.ctx("320114001", D0),
            &rec,
            Some("雨花代表联络站"),
            Some("第3网格"),
            None
        )
    );
    assert_eq!(
        rule(deputy::place(
            &w.ctx("320115001", D0),
            &rec,
            None,
            Some("g"),
            None
        )),
        "inside-region"
    );
    step!(
        rec,
        deputy::change_status(&w.ctx("100000", D0), &rec, DeputyStatus::Suspended)
    );
    step!(
        rec,
        deputy::change_status(&w.ctx("100000", D0), &rec, DeputyStatus::InOffice)
    );
    step!(
        rec,
        deputy::change_status(&w.ctx("100000", D0), &rec, DeputyStatus::Resigned)
    );
    assert_eq!(
        rule(deputy::change_status(
            &w.ctx("100000", D0),
            &rec,
            DeputyStatus::InOffice
        )),
        "deputy-status-step"
    );
    step!(rec, deputy::attach(&w.ctx("100000", D0), &rec, c("110101")));
    assert!(
        rec.roster(c("100000"))
            .unwrap()
            .attached
            .contains(&c("110101"))
    );
}
