//! The records offices keep besides suggestions: the promise ledger of an
//! answer, deputy activities with their points, vacancies and by-elections:
//! every legal step, each illegal one refused with its rule, routing and
//! summary counts on the real codes.

mod common;
use common::*;
use jiff::civil::date;
use wuji_model::activity::{self, ActivityType, NewActivity, Participant};
use wuji_model::routing::{self, Horizon};
use wuji_model::suggestion::promises::{self, PromiseState, Update};
use wuji_model::suggestion::view::{self, Status};
use wuji_model::suggestion::workflow as wf;
use wuji_model::suggestion::{AnswerClass, Satisfaction};
use wuji_model::vacancy::{self, Ground, NewVacancy};
use wuji_model::{Record, RecordId, RecordKind, Uuid, summary};

fn rid(kind: RecordKind, home: &str, n: u128) -> RecordId {
    RecordId {
        kind,
        home: c(home),
        uuid: Uuid::from_u128(n),
    }
}

/// A suggestion of 雨花街道 escalated to 雨花台区, answered there with one
/// promise and closed after a satisfied rating.
fn closed_with_a_promise(w: &mut World) -> Record {
    let mut rec = registered_at(w, "320114001", 1);
    step!(
        rec,
        wf::escalate(&w.ctx("320114001", D0), &rec, c("320114"), "需区级协调")
    );
    step!(rec, wf::register(&w.ctx("320114", D0), &rec, "雨区-1"));
    step!(
        rec,
        wf::assign(&w.ctx("320114", D0), &rec, &[lead("区交通局")])
    );
    step!(
        rec,
        wf::answer(
            &w.ctx("320114", date(2026, 4, 1)),
            &rec,
            "区交通局",
            AnswerClass::B,
            "已列入计划",
            &["六月底前增设站点".into()]
        )
    );
    let answer = view::view(&rec, &w.rules).latest_answer.unwrap();
    step!(
        rec,
        wf::feedback(
            &w.ctx("320114001", date(2026, 4, 3)),
            &rec,
            answer,
            Satisfaction::Satisfied,
            ""
        )
    );
    step!(rec, wf::close(&w.ctx("320114", date(2026, 4, 5)), &rec));
    assert_eq!(view::view(&rec, &w.rules).status, Status::Closed);
    rec
}

#[test]
fn an_answers_promises_become_a_ledger_kept_after_closing() {
    let mut w = World::new();
    let mut rec = closed_with_a_promise(&mut w);
    // The answer's promise is entry 1 of the county's ledger, its unit the
    // answering unit, no due date yet.
    let l = promises::ledger(&rec, date(2026, 7, 1));
    assert_eq!(l.len(), 1);
    assert_eq!(
        (l[0].keeper, l[0].number, l[0].unit.as_str()),
        (c("320114"), 1, "区交通局")
    );
    assert!(!l[0].overdue, "no due date, never overdue");

    // After 办结 the county sets the due date and adds a second promise.
    let upd = Update {
        due_on: Some(date(2026, 6, 30)),
        ..Update::default()
    };
    step!(
        rec,
        promises::update(&w.ctx("320114", date(2026, 4, 6)), &rec, 1, &upd)
    );
    step!(
        rec,
        promises::add(
            &w.ctx("320114", date(2026, 4, 6)),
            &rec,
            "年底前完成候车亭改造",
            "区城管局",
            Some(date(2026, 12, 31))
        )
    );
    let l = promises::ledger(&rec, date(2026, 7, 1));
    assert_eq!(l.len(), 2);
    assert!(l[0].overdue && !l[1].overdue, "{l:?}");
    // Summary counts: two pending, one due on 6-30 overdue on 7-1.
    let counts = summary::own_counts_of(&rec, &w.rules, c("320114"));
    assert_eq!(counts.get("promise.pending"), Some(&2));
    let held: std::collections::BTreeMap<String, u64> =
        counts.iter().map(|(k, v)| (k.clone(), *v as u64)).collect();
    assert_eq!(summary::promises_overdue(&held, date(2026, 7, 1)), 1);
    assert_eq!(summary::promises_overdue(&held, date(2026, 6, 30)), 0);

    // Done: no longer overdue; never back.
    let done = Update {
        state: Some(PromiseState::Done),
        note: Some("站点已启用".into()),
        ..Update::default()
    };
    step!(
        rec,
        promises::update(&w.ctx("320114", date(2026, 7, 2)), &rec, 1, &done)
    );
    let l = promises::ledger(&rec, date(2026, 7, 3));
    assert_eq!(l[0].state, PromiseState::Done);
    assert!(!l[0].overdue);
    let back = Update {
        state: Some(PromiseState::InProgress),
        ..Update::default()
    };
    assert_eq!(
        rule(promises::update(
            &w.ctx("320114", date(2026, 7, 3)),
            &rec,
            1,
            &back
        )),
        "promise-state-step"
    );
    assert_eq!(
        rule(promises::update(
            &w.ctx("320114", date(2026, 7, 3)),
            &rec,
            9,
            &done
        )),
        "promise-exists"
    );
    // Only the node that answered keeps the ledger; the origin reads it.
    assert_eq!(
        rule(promises::add(
            &w.ctx("320114001", date(2026, 7, 3)),
            &rec,
            "x",
            "y",
            None
        )),
        "promise-keeper"
    );
    // The deputy's congress holds the suggestion, so it sees the same ledger.
    assert!(routing::visible_to(
        &rec,
        c("320114001"),
        Horizon::default()
    ));
}

fn reception(held_on: jiff::civil::Date, who: &[(&str, &str)]) -> NewActivity {
    NewActivity {
        kind: ActivityType::Reception,
        title: "代表接待日".into(),
        held_on,
        place: "雨花街道代表联络站".into(),
        text: "群众反映公交线路问题".into(),
        participants: who
            .iter()
            .map(|(congress, person)| Participant {
                congress: c(congress),
                person: person.to_string(),
            })
            .collect(),
    }
}

#[test]
fn an_activity_reaches_each_participants_congress_and_earns_its_points() {
    let mut w = World::new();
    let id = rid(RecordKind::Activity, "320114001", 2);
    let mut rec = Record::new(id);
    let day = date(2026, 3, 10);
    step!(
        rec,
        activity::record(
            &w.ctx("320114001", day),
            id,
            &reception(day, &[("320100", "C-7"), ("320114001", "T-1")])
        )
    );
    // Routing: the township, its county, the city (the city deputy's
    // congress) and the city's parent under the default horizon; not a
    // sibling township or the national node.
    let h = Horizon::default();
    for n in ["320114001", "320114", "320100", "320000"] {
        assert!(routing::visible_to(&rec, c(n), h), "{n}");
    }
    for n in ["320114002", "100000", "320115"] {
        assert!(!routing::visible_to(&rec, c(n), h), "{n}");
    }
    // The city's duty report of its deputy: one reception, the rules' points.
    let year = (date(2026, 1, 1), date(2026, 12, 31));
    let r = activity::duty_report([&rec], &w.rules, c("320100"), "C-7", year.0, year.1);
    assert_eq!(r.activities, 1);
    assert_eq!(
        r.points,
        activity::points(&w.rules, ActivityType::Reception)
    );
    assert!(r.points > 0);
    assert!(r.short.is_empty(), "the reception meets the yearly target");
    // Another congress's rules give other points.
    w.rules.duty.points.insert(ActivityType::Reception, 7);
    let r = activity::duty_report([&rec], &w.rules, c("320100"), "C-7", year.0, year.1);
    assert_eq!(r.points, 7);
    // A person of the same id at another congress is someone else.
    let r = activity::duty_report([&rec], &w.rules, c("320114"), "C-7", year.0, year.1);
    assert_eq!((r.activities, r.short.len()), (0, 1));

    // Summary counts at the organiser.
    let counts = summary::own_counts_of(&rec, &w.rules, c("320114001"));
    assert_eq!(counts.get("activity.kind.reception"), Some(&1));
    assert_eq!(counts.get("activity.participations"), Some(&2));

    // Removing the township deputy leaves the city deputy; removing both is refused.
    let t1 = Participant {
        congress: c("320114001"),
        person: "T-1".into(),
    };
    let c7 = Participant {
        congress: c("320100"),
        person: "C-7".into(),
    };
    assert_eq!(
        rule(activity::amend_participants(
            &w.ctx("320114001", day),
            &rec,
            &[],
            &[t1.clone(), c7.clone()]
        )),
        "participants-required"
    );
    step!(
        rec,
        activity::amend_participants(&w.ctx("320114001", day), &rec, &[], &[t1])
    );
    assert_eq!(activity::congresses(&rec), vec![c("320100")]);
    // Voided: it counts for nobody.
    step!(rec, activity::void(&w.ctx("320114001", day), &rec));
    let r = activity::duty_report([&rec], &w.rules, c("320100"), "C-7", year.0, year.1);
    assert_eq!(r.activities, 0);
    assert!(summary::own_counts_of(&rec, &w.rules, c("320114001")).is_empty());
}

#[test]
fn activities_are_refused_without_deputies_in_the_future_or_elsewhere() {
    let mut w = World::new();
    let id = rid(RecordKind::Activity, "320114001", 3);
    let day = date(2026, 3, 10);
    assert_eq!(
        rule(activity::record(
            &w.ctx("320114001", day),
            id,
            &reception(day, &[])
        )),
        "participants-required"
    );
    assert_eq!(
        rule(activity::record(
            &w.ctx("320114001", day),
            id,
            &reception(date(2026, 3, 11), &[("320100", "C-7")])
        )),
        "date-not-future"
    );
    assert_eq!(
        rule(activity::record(
            &w.ctx("320114", day),
            id,
            &reception(day, &[("320100", "C-7")])
        )),
        "home-only"
    );
    assert_eq!(
        rule(activity::record(
            &w.ctx("320114001", day),
            id,
            &reception(day, &[("320100", " ")])
        )),
        "text-required"
    );
    assert_eq!(
        ActivityType::parse("接待群众"),
        Some(ActivityType::Reception)
    );
    assert_eq!(ActivityType::parse("report"), Some(ActivityType::Report));
}

#[test]
fn a_vacancy_is_scheduled_filled_and_counted_up_the_tree() {
    let mut w = World::new();
    let id = rid(RecordKind::Vacancy, "320114", 4);
    let mut rec = Record::new(id);
    let day = date(2026, 3, 10);
    let n = NewVacancy {
        person: "X-9".into(),
        name: "王某".into(),
        electoral_unit: "第12选区".into(),
        ground: Ground::MovedAway,
        vacated_on: day,
    };
    step!(rec, vacancy::record(&w.ctx("320114", day), id, &n));
    assert_eq!(vacancy::state(&rec), vacancy::State::Open);
    let counts = summary::own_counts_of(&rec, &w.rules, c("320114"));
    assert_eq!(counts.get("vacancy.open"), Some(&1));
    // The county holds it and its parent the city too (the default horizon);
    // the city counts it through the county's summary in any case.
    assert!(routing::visible_to(&rec, c("320100"), Horizon::default()));
    assert!(!routing::visible_to(
        &rec,
        c("320114001"),
        Horizon::default()
    ));

    step!(
        rec,
        vacancy::schedule(&w.ctx("320114", day), &rec, date(2026, 5, 1))
    );
    assert_eq!(vacancy::state(&rec), vacancy::State::Scheduled);
    assert_eq!(
        rule(vacancy::fill(
            &w.ctx("320114", date(2026, 5, 1)),
            &rec,
            "Y-1",
            date(2026, 3, 1)
        )),
        "date-order"
    );
    assert_eq!(
        rule(vacancy::fill(
            &w.ctx("320114", date(2026, 5, 1)),
            &rec,
            "Y-1",
            date(2026, 5, 2)
        )),
        "date-not-future"
    );
    step!(
        rec,
        vacancy::fill(
            &w.ctx("320114", date(2026, 5, 1)),
            &rec,
            "Y-1",
            date(2026, 5, 1)
        )
    );
    assert_eq!(vacancy::state(&rec), vacancy::State::Filled);
    assert_eq!(
        rule(vacancy::schedule(
            &w.ctx("320114", date(2026, 5, 2)),
            &rec,
            date(2026, 6, 1)
        )),
        "vacancy-open"
    );
    assert_eq!(
        rule(vacancy::record(
            &w.ctx("320100", day),
            rid(RecordKind::Vacancy, "320114", 5),
            &n
        )),
        "home-only"
    );
    let future = NewVacancy {
        vacated_on: date(2026, 3, 11),
        ..n
    };
    assert_eq!(
        rule(vacancy::record(
            &w.ctx("320114", day),
            rid(RecordKind::Vacancy, "320114", 6),
            &future
        )),
        "date-not-future"
    );
    assert_eq!(Ground::parse("调离"), Some(Ground::MovedAway));
}

#[test]
fn a_report_on_duties_is_reviewed_and_dates_the_last_report() {
    let mut w = World::new();
    // The county (原选举单位 of city deputies) organises a city deputy's report.
    let id = rid(RecordKind::Activity, "320114", 7);
    let mut rec = Record::new(id);
    let day = date(2026, 6, 1);
    let mut n = reception(day, &[("320100", "C-7")]);
    n.kind = ActivityType::Report;
    n.title = "向原选举单位报告履职".into();
    step!(rec, activity::record(&w.ctx("320114", day), id, &n));
    step!(
        rec,
        activity::review(&w.ctx("320114", day), &rec, Satisfaction::Satisfied)
    );
    let counts = summary::own_counts_of(&rec, &w.rules, c("320114"));
    assert_eq!(counts.get("activity.review.satisfied"), Some(&1));
    assert_eq!(activity::last_report([&rec], c("320100"), "C-7"), Some(day));
    assert_eq!(activity::last_report([&rec], c("320100"), "C-8"), None);
    // The city holds it (the deputy's congress), where the review is seen.
    assert!(routing::visible_to(&rec, c("320100"), Horizon::default()));
    // A reception is not reviewed; only the organiser reviews.
    let rid2 = rid(RecordKind::Activity, "320114", 8);
    let mut other = Record::new(rid2);
    step!(
        other,
        activity::record(
            &w.ctx("320114", day),
            rid2,
            &reception(day, &[("320100", "C-7")])
        )
    );
    assert_eq!(
        rule(activity::review(
            &w.ctx("320114", day),
            &other,
            Satisfaction::Basic
        )),
        "review-of-report"
    );
    assert_eq!(
        rule(activity::review(
            &w.ctx("320100", day),
            &rec,
            Satisfaction::Basic
        )),
        "home-only"
    );
}

#[test]
fn a_congress_records_its_seats_once_and_they_are_counted() {
    let mut w = World::new();
    let day = date(2026, 3, 10);
    let mut rec = Record::new(vacancy::seats_id(c("320114")));
    step!(rec, vacancy::set_quota(&w.ctx("320114", day), 250));
    step!(rec, vacancy::set_quota(&w.ctx("320114", day), 260));
    let counts = summary::own_counts_of(&rec, &w.rules, c("320114"));
    assert_eq!(counts.get("seats.quota"), Some(&260));
    assert!(routing::visible_to(&rec, c("320100"), Horizon::default()));
    assert_eq!(
        vacancy::set_quota(&w.ctx("320114", day), 0)
            .unwrap_err()
            .rule(),
        "number-range"
    );
}
