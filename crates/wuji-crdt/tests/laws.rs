//! Property tests: every CRDT type is commutative, associative and idempotent, and
//! the monotone register never moves back.

use proptest::prelude::*;
use wuji_crdt::strategies::*;
use wuji_crdt::{History, Lww, Max, Merge, MergeMap, OrSet};

fn laws<T: Merge + Clone + PartialEq + std::fmt::Debug>(a: &T, b: &T, c: &T) {
    assert_eq!(a.merged(b), b.merged(a), "commutative");
    assert_eq!(a.merged(b).merged(c), a.merged(&b.merged(c)), "associative");
    assert_eq!(a.merged(a), *a, "idempotent");
    // Absorbing the same value twice changes nothing (replays are harmless).
    assert_eq!(a.merged(b).merged(b), a.merged(b), "replay");
}

const CASES: u32 = 4_000;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn lww_laws(a in lww(0u8..4), b in lww(0u8..4), c in lww(0u8..4)) {
        laws(&a, &b, &c);
        let m = a.merged(&b);
        prop_assert!(m.at >= a.at && m.at >= b.at, "the newest write wins");
    }

    #[test]
    fn max_laws(a in max((0u32..3, 0u8..4)), b in max((0u32..3, 0u8..4)), c in max((0u32..3, 0u8..4))) {
        laws(&a, &b, &c);
    }

    #[test]
    fn max_never_moves_back(start in max((0u32..3, 0u8..4)), stale in vec_of_states()) {
        let mut s: Max<(u32, u8)> = start;
        for v in stale {
            let before = s.0;
            s.merge(&Max(v));
            prop_assert!(s.0 >= before && s.0 >= v);
        }
    }

    #[test]
    fn orset_laws(a in orset(0u8..4), b in orset(0u8..4), c in orset(0u8..4)) {
        laws(&a, &b, &c);
    }

    #[test]
    fn orset_add_wins(base in orset(0u8..4), e in 0u8..4, t in 100u64..200) {
        // A remove on one replica and a concurrent fresh add on another: add wins.
        let mut removed = base.clone();
        removed.remove(&e);
        let mut added = base.clone();
        added.add(e, wuji_crdt::Stamp::new(wuji_crdt::Hlc(t), wuji_crdt::WriterId(9)));
        prop_assert!(removed.merged(&added).contains(&e));
        prop_assert!(!removed.contains(&e));
    }

    #[test]
    fn history_laws(a in history(0u8..4), b in history(0u8..4), c in history(0u8..4)) {
        laws(&a, &b, &c);
        let m = a.merged(&b);
        prop_assert!(m.len() >= a.len().max(b.len()), "grow-only");
    }

    #[test]
    fn merge_map_laws(
        a in merge_map(0u8..3, lww(0u8..3)),
        b in merge_map(0u8..3, lww(0u8..3)),
        c in merge_map(0u8..3, lww(0u8..3)),
    ) {
        laws(&a, &b, &c);
    }

    #[test]
    fn option_laws(
        a in proptest::option::of(orset(0u8..3)),
        b in proptest::option::of(orset(0u8..3)),
        c in proptest::option::of(orset(0u8..3)),
    ) {
        laws(&a, &b, &c);
    }
}

fn vec_of_states() -> impl Strategy<Value = Vec<(u32, u8)>> {
    proptest::collection::vec((0u32..3, 0u8..4), 0..8)
}

#[test]
fn types_are_usable_without_strategies() {
    let mut l: Lww<&str> = Lww::default();
    assert!(l.is_unset());
    l.set(
        wuji_crdt::Stamp::new(wuji_crdt::Hlc(1), wuji_crdt::WriterId(1)),
        "a",
    );
    assert_eq!(*l.get(), "a");
    let _: History<u8> = History::default();
    let _: OrSet<u8> = OrSet::default();
    let _: MergeMap<u8, Lww<u8>> = MergeMap::default();
}
