//! Tests of the summary's counters: handlers and deadlines, overdue, restating.

use super::*;

#[test]
fn a_suggestion_counts_its_handler_and_running_deadline() {
    use crate::calendar::Calendar;
    use crate::suggestion::workflow::{self as wf, Draft};
    use crate::suggestion::{HandlingUnit, UnitRole};
    use wuji_crdt::{Hlc, WriterId};
    let (rules, cal) = (Rules::default(), Calendar::builtin());
    let node = Code::from_value(320_114).unwrap();
    let ctx = |t: u64| Ctx {
        node,
        at: Stamp::new(Hlc(t << 16), WriterId::new(node.value(), 0)),
        today: jiff::civil::date(2026, 3, 2),
        rules: &rules,
        calendar: &cal,
    };
    let rid = RecordId {
        kind: RecordKind::Suggestion,
        home: node,
        uuid: Uuid::from_u128(1),
    };
    let draft = Draft {
        lead: "P-1".into(),
        title: "t".into(),
        text: "x".into(),
        ..Draft::default()
    };
    let mut r = wf::submit(&ctx(1), rid, &draft).unwrap();
    let d = wf::register(&ctx(2), &r, "N").unwrap();
    wuji_crdt::Merge::merge(&mut r, &d);
    let unit = HandlingUnit {
        name: "局".into(),
        role: UnitRole::Lead,
    };
    let d = wf::assign(&ctx(3), &r, &[unit]).unwrap();
    wuji_crdt::Merge::merge(&mut r, &d);
    let c = contribution(&r, &rules, r.id.home);
    assert_eq!(c.get("suggestion.handler.320114"), Some(&1));
    // Nothing per deputy or month: a summary's size must not grow with time.
    assert!(!c.keys().any(|k| k.contains("P-1") || k.contains("2026-03")));
    // A node above holding the record adds nothing for it: it counts it
    // through its child's summary.
    assert!(contribution(&r, &rules, Code::NATIONAL).is_empty());
    // Above, the record counts in the holder's own figures.
    let above = own_counts_of(&r, &rules, Code::NATIONAL);
    assert_eq!(above.get("suggestion.total"), Some(&1));
    // Above, the handler is counted in the holder's child region it lies in.
    assert_eq!(above.get("suggestion.handler.320000"), Some(&1));
    let city = own_counts_of(&r, &rules, Code::parse("320100").unwrap());
    assert_eq!(city.get("suggestion.handler.320114"), Some(&1));
    assert!(!above.keys().any(|k| k == "suggestion.handler.320114"));
    // The county's summary counts it in the city's figures the same way,
    // and only there (not the province's, whose child is the city).
    let at = Stamp::new(Hlc(9 << 16), WriterId::new(320_114, 0));
    let county = Code::parse("320114").unwrap();
    let cx = Ctx {
        node: county,
        at,
        today: jiff::civil::date(2026, 3, 3),
        rules: &rules,
        calendar: &cal,
    };
    let changes: BTreeMap<String, i64> = c.clone();
    let s = publish(&cx, None, &changes).unwrap();
    let city_code = Code::parse("320100").unwrap();
    let from = contribution(&s, &rules, city_code);
    let want: BTreeMap<String, i64> = city.into_iter().filter(|(_, v)| *v != 0).collect();
    assert_eq!(from, want);
    assert!(contribution(&s, &rules, Code::parse("320000").unwrap()).is_empty());
    assert_eq!(c.get("suggestion.deadline.20260602"), Some(&1));
    let counts: BTreeMap<String, u64> = c.iter().map(|(k, v)| (k.clone(), *v as u64)).collect();
    assert_eq!(overdue(&counts, jiff::civil::date(2026, 6, 3)), 1);
}

#[test]
fn a_childs_change_counts_what_a_recount_of_both_versions_differs_by() {
    use crate::calendar::Calendar;
    use wuji_crdt::{Hlc, Merge, WriterId};
    let (rules, cal) = (Rules::default(), Calendar::builtin());
    let county = Code::parse("320114").unwrap();
    let cx = |t: u64| Ctx {
        node: county,
        at: Stamp::new(Hlc(t << 16), WriterId::new(county.value(), 0)),
        today: jiff::civil::date(2026, 3, 3),
        rules: &rules,
        calendar: &cal,
    };
    let m = |kv: &[(&str, i64)]| -> BTreeMap<String, i64> {
        kv.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    };
    let v1 = publish(
        &cx(1),
        None,
        &m(&[
            ("suggestion.total", 3),
            ("suggestion.handler.320114001", 2),
            ("suggestion.handler.320114", 1),
            ("suggestion.deadline.20260401", 2),
            ("deputy_month.P-1.2026-03", 1),
        ]),
    )
    .unwrap();
    let mut v2 = v1.clone();
    let d = publish(
        &cx(2),
        Some(&v1),
        &m(&[
            ("suggestion.total", 1),
            ("suggestion.handler.320114001", -2),
            ("suggestion.handler.320114002", 3),
            ("suggestion.deadline.20260401", -2),
            ("suggestion.status.closed", 1),
        ]),
    )
    .unwrap();
    v2.merge(&d);
    let city = Code::parse("320100").unwrap();
    for (before, now) in [(None, &v1), (Some(&v1), &v2), (Some(&v2), &v1)] {
        let mut diff = BTreeMap::new();
        add_difference(
            &mut diff,
            &before.map(|b| from_child(b, city)).unwrap_or_default(),
            &from_child(now, city),
        );
        assert_eq!(child_change(before, now, city), diff);
    }
    // Two handlers below the county moved; at the city both are the county.
    let c = child_change(Some(&v1), &v2, city);
    assert_eq!(c.get("suggestion.handler.320114"), Some(&1));
    assert_eq!(c.get("suggestion.deadline.20260401"), Some(&-2));
    assert!(counts_as_child(&v2, city, &[]));
    assert!(!counts_as_child(&v2, Code::parse("320000").unwrap(), &[]));
}

#[test]
fn overdue_counts_the_deadline_buckets_before_today() {
    let c = BTreeMap::from([
        ("suggestion.deadline.20260301".to_string(), 2),
        ("suggestion.deadline.20260310".to_string(), 1),
        ("suggestion.total".to_string(), 9),
    ]);
    assert_eq!(
        overdue(&c, jiff::civil::date(2026, 3, 1)),
        0,
        "due today is not overdue"
    );
    assert_eq!(overdue(&c, jiff::civil::date(2026, 3, 2)), 2);
    assert_eq!(overdue(&c, jiff::civil::date(2026, 4, 1)), 3);
}

#[test]
fn a_restated_summary_holds_exactly_the_recount_whatever_it_held() {
    use crate::calendar::Calendar;
    use wuji_crdt::{Hlc, Merge, WriterId};
    let (rules, cal) = (Rules::default(), Calendar::builtin());
    let node = Code::from_value(320_114).unwrap();
    let ctx = |t: u64| Ctx {
        node,
        at: Stamp::new(Hlc(t << 16), WriterId::new(node.value(), 0)),
        today: jiff::civil::date(2026, 3, 2),
        rules: &rules,
        calendar: &cal,
    };
    // Held: counts of another store state, with a counter the recount lacks.
    let stale = BTreeMap::from([
        ("suggestion.total".to_string(), 48),
        ("deputy.total".to_string(), 10),
    ]);
    let mut held = publish(&ctx(1), None, &stale).unwrap();
    let full = BTreeMap::from([("suggestion.total".to_string(), 24)]);
    let d = restate(&ctx(2), Some(&held), &full).unwrap();
    held.merge(&d);
    let c = counts(&held);
    assert_eq!(c.get("suggestion.total"), Some(&24));
    assert_eq!(
        c.get("deputy.total"),
        None,
        "a counter not recounted leaves the summary"
    );
    // One register: the recount's counters, at its stamp.
    assert_eq!(held.summary(node).unwrap().counts.at, ctx(2).at);
    assert_eq!(recount(std::iter::empty(), &rules, node), BTreeMap::new());
}

#[test]
fn differences_cancel_and_keep_only_changes() {
    let a = BTreeMap::from([("x".to_string(), 1), ("y".to_string(), 2)]);
    let b = BTreeMap::from([("x".to_string(), 1), ("z".to_string(), 1)]);
    let mut d = BTreeMap::new();
    add_difference(&mut d, &a, &b);
    assert_eq!(
        d,
        BTreeMap::from([("y".to_string(), -2), ("z".to_string(), 1)])
    );
}

#[test]
fn own_figures_add_up_to_the_subtree_figure() {
    let c = |v: u32| Code::from_value(v).unwrap();
    let m = |n: u64| BTreeMap::from([("suggestion.total".to_string(), n)]);
    // City 48 = its own 3 + county 320114's 40 (its own 25 + townships 10
    // and 5) + county 320115's 5.
    let (city, a, b, t1, t2) = (m(48), m(40), m(5), m(10), m(5));
    let rows = [
        (c(320_100), &city),
        (c(320_114), &a),
        (c(320_115), &b),
        (c(320_114_001), &t1),
        (c(320_114_002), &t2),
    ];
    let own = own_counts(&rows, "suggestion.total");
    assert_eq!(own, vec![3, 25, 5, 10, 5]);
    assert_eq!(own.iter().sum::<u64>(), 48);
    // A level missing between two rows: the town counts against the
    // province, its nearest row above.
    let (prov, town) = (m(20), m(7));
    let rows = [(c(320_000), &prov), (c(320_114_001), &town)];
    assert_eq!(own_counts(&rows, "suggestion.total"), vec![13, 7]);
}
