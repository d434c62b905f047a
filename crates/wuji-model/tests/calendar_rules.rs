//! Working-day rules under official and provisional calendars: 退办 windows
//! across 春节 2027, 答复期限 moved off holidays and fixed by the node that set
//! them, late returns in a provisional year accepted instead of refused.

mod common;
use common::*;
use jiff::civil::date;
use wuji_model::calendar::Calendar;
use wuji_model::suggestion::view;
use wuji_model::suggestion::workflow as wf;
use wuji_model::{Error, Record, Rules};

const T: &str = "320114001";

/// A suggestion registered and assigned at the township on `on`.
fn assigned_on(w: &mut World, on: jiff::civil::Date) -> Record {
    let mut rec = submitted(w);
    step!(rec, wf::register(&w.ctx(T, on), &rec, "N-1"));
    step!(
        rec,
        wf::assign(&w.ctx(T, on), &rec, &[lead("镇水利站"), co("镇农服中心")])
    );
    rec
}

#[test]
fn a_return_window_over_the_2027_spring_festival_counts_it_as_days_off() {
    let mut w = World::new();
    // Assigned Wed 2027-02-03. Working days: Thu 02-04 (1); 除夕 02-05 to 初三
    // 02-08 off with the weekend; 02-09..02-12 (2..5); Mon 02-15 (6), Tue 02-16 (7).
    let rec = assigned_on(&mut w, date(2027, 2, 3));
    let win = wf::return_window(&w.ctx(T, date(2027, 2, 16)), &rec).unwrap();
    assert_eq!(win.date, date(2027, 2, 16));
    assert_eq!(win.provisional.into_iter().collect::<Vec<_>>(), vec![2027]);
    let ok = wf::return_unit(
        &w.ctx(T, date(2027, 2, 16)),
        &rec,
        "镇水利站",
        "不属本单位职责",
    );
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn a_late_return_refused_only_by_a_provisional_year_is_accepted() {
    let mut w = World::new();
    let rec = assigned_on(&mut w, date(2027, 2, 3));
    // 02-18 is past the provisional last day 02-16: accepted (the official
    // calendar may give more days off), the window says why.
    let late = wf::return_unit(&w.ctx(T, date(2027, 2, 18)), &rec, "镇水利站", "x");
    assert!(late.is_ok(), "{late:?}");
    // With the official 2027 calendar loaded, the same return is refused.
    w.cal = Calendar::with_files([(
        "2027.toml",
        "year = 2027\nsource = \"test\"\n[[holiday]]\nname = \"春节\"\n\
         from = \"2027-02-05\"\nto = \"2027-02-08\"\n",
    )])
    .unwrap();
    match wf::return_unit(&w.ctx(T, date(2027, 2, 18)), &rec, "镇水利站", "x") {
        Err(Error::ReturnTooLate { last_day, .. }) => assert_eq!(last_day, date(2027, 2, 16)),
        other => panic!("expected ReturnTooLate, got {other:?}"),
    }
}

#[test]
fn a_deadline_on_the_national_day_moves_to_the_next_working_day() {
    let mut w = World::new();
    // 交办 2026-07-01 + 3 months = 10-01, in 国庆 (10-01..10-07): Thu 10-08.
    let rec = assigned_on(&mut w, date(2026, 7, 1));
    let v = view::view(&rec, &w.rules);
    assert_eq!(v.deadline, Some(date(2026, 10, 8)));
    assert!(!v.deadline_provisional);
    assert!(!v.is_overdue(date(2026, 10, 8)) && v.is_overdue(date(2026, 10, 9)));
}

#[test]
fn a_deadline_is_fixed_by_the_node_that_set_it_and_says_when_provisional() {
    let mut w = World::new();
    // 交办 2026-12-01 + 3 months = Mon 2027-03-01, a year without official file.
    let rec = assigned_on(&mut w, date(2026, 12, 1));
    let v = view::view(&rec, &w.rules);
    assert_eq!(v.deadline, Some(date(2027, 3, 1)));
    assert!(v.deadline_provisional);
    // Another node with other rules shows the same date and flag.
    let other = Rules {
        answer_months: 6,
        ..Rules::default()
    };
    let seen = view::view(&rec, &other);
    assert_eq!(
        (seen.deadline, seen.deadline_provisional),
        (v.deadline, true)
    );
    // 延期 by two months fixes the date again: 2027-05-01 is 劳动节, so 05-03.
    let mut rec = rec;
    step!(rec, wf::extend(&w.ctx(T, date(2027, 1, 10)), &rec, 2));
    assert_eq!(view::view(&rec, &other).deadline, Some(date(2027, 5, 3)));
}

#[test]
fn a_provisional_deadline_is_fixed_again_by_its_node_once_the_official_calendar_is_in() {
    let mut w = World::new();
    // 交办 2026-12-01: 2027-03-01, provisional.
    let mut rec = assigned_on(&mut w, date(2026, 12, 1));
    assert!(
        wf::refix_deadline(&w.ctx(T, date(2026, 12, 2)), &rec).is_none(),
        "still provisional, same date"
    );
    // The official 2027 calendar makes 03-01 a day off: Tue 03-02, no longer provisional.
    let text = "year = 2027\nsource = \"test\"\n[[holiday]]\nname = \"t\"\nfrom = \"2027-03-01\"\nto = \"2027-03-01\"\n";
    w.cal = Calendar::with_files([("2027.toml", text)]).unwrap();
    step!(
        rec,
        Ok(wf::refix_deadline(&w.ctx(T, date(2026, 12, 2)), &rec).unwrap())
    );
    let v = view::view(&rec, &w.rules);
    assert_eq!(
        (v.deadline, v.deadline_provisional),
        (Some(date(2027, 3, 2)), false)
    );
    // Only the node that fixed it fixes it again; nothing more to do now.
    assert!(wf::refix_deadline(&w.ctx("320114", date(2026, 12, 2)), &rec).is_none());
    assert!(wf::refix_deadline(&w.ctx(T, date(2026, 12, 2)), &rec).is_none());
    // Only the national node publishes a calendar.
    let e = wuji_model::published::publish(&w.ctx(T, date(2026, 12, 2)), "2027.toml", text);
    assert_eq!(e.unwrap_err().rule(), "home-only");
    let p = wuji_model::published::publish(&w.ctx("100000", date(2026, 12, 2)), "2027.toml", text);
    assert_eq!(p.unwrap().id, wuji_model::published::record_id(2027));
}
