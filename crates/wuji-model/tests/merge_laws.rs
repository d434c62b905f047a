//! Property tests: every section type and whole records of every kind merge
//! commutatively, associatively and idempotently; progress never moves back.

use proptest::prelude::*;
use wuji_crdt::Merge;
use wuji_model::strategies::*;
use wuji_model::{Record, RecordKind};

fn laws<T: Merge + Clone + PartialEq + std::fmt::Debug>(a: &T, b: &T, c: &T) {
    assert_eq!(a.merged(b), b.merged(a), "commutative");
    assert_eq!(a.merged(b).merged(c), a.merged(&b.merged(c)), "associative");
    assert_eq!(a.merged(a), *a, "idempotent");
}

const CASES: u32 = 2_000;

macro_rules! section_laws {
    ($($name:ident: $strategy:expr;)*) => {$(
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(CASES))]
            #[test]
            fn $name(a in $strategy, b in $strategy, c in $strategy) {
                laws(&a, &b, &c);
            }
        }
    )*};
}

section_laws! {
    roster_laws: roster();
    placement_laws: placement();
    origin_laws: origin();
    handling_laws: handling();
    supervision_laws: supervision();
    issue_laws: issue();
    response_laws: response();
    item_laws: item();
    item_report_laws: item_report();
    summary_laws: summary();
    promise_laws: promise();
    activity_laws: activity();
    vacancy_laws: vacancy();
    entry_laws: entry();
    contact_laws: contact();
    seats_laws: seats();
}

fn records_of_one_kind() -> impl Strategy<Value = (Record, Record, Record)> {
    kind().prop_flat_map(|k| (record(k), record(k), record(k)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn record_laws((a, b, c) in records_of_one_kind()) {
        laws(&a, &b, &c);
    }

    #[test]
    fn a_stale_write_never_moves_progress_back(a in handling(), b in handling()) {
        let m = a.merged(&b);
        prop_assert!(m.progress.0 >= a.progress.0 && m.progress.0 >= b.progress.0);
        prop_assert!(m.at.0 >= a.at.0);
        let mut x = m.clone();
        x.merge(&a); // replay of the older state
        prop_assert_eq!(x.progress.0, m.progress.0);
    }

    #[test]
    fn deputy_status_never_leaves_a_final_state(a in roster(), b in roster()) {
        let m = a.merged(&b);
        if a.status.0.status.is_final() || b.status.0.status.is_final() {
            prop_assert!(m.status.0.status.is_final());
        }
    }

    #[test]
    fn merge_ignores_other_records(a in record(RecordKind::Deputy), b in record(RecordKind::Deputy)) {
        let mut other = b.clone();
        other.id.uuid = wuji_model::Uuid::from_u128(99);
        prop_assert_eq!(a.merged(&other), a.clone());
    }
}
