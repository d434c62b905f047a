//! Authority: every section from a node that may not hold it is refused and never
//! stored, whatever else the delta carries.

use proptest::prelude::*;
use wuji_crdt::Merge;
use wuji_model::authority::{apply, check, check_local};
use wuji_model::strategies::*;
use wuji_model::{Code, Record, Role, SectionKey};

/// Who may hold a section, written independently of `authority::check`: by walking
/// the ancestor chains rather than by prefix containment.
fn oracle(rec: &Record, key: SectionKey) -> bool {
    let home = rec.id.home;
    let is_ancestor_or_self = |a: Code, b: Code| a == b || b.ancestors().any(|x| x == a);
    match key.role {
        r if r.kind() != rec.id.kind => false,
        r if r.is_home_only() => key.owner == home,
        Role::Supervision => is_ancestor_or_self(key.owner, home),
        Role::Handling => {
            // Nodes reachable from the origin by forwards of nodes already reached.
            let mut reached = vec![home];
            let mut i = 0;
            while i < reached.len() {
                if let Some(h) = rec.handling(reached[i]) {
                    for (_, f) in h.forwards.iter() {
                        if !reached.contains(&f.to) {
                            reached.push(f.to);
                        }
                    }
                }
                i += 1;
            }
            reached.contains(&key.owner)
        }
        Role::Response => rec
            .issue(home)
            .is_some_and(|i| i.targets.iter().any(|t| is_ancestor_or_self(*t, key.owner))),
        Role::Report => rec
            .item(home)
            .is_some_and(|i| i.covers.iter().any(|t| is_ancestor_or_self(*t, key.owner))),
        Role::Placement => {
            // (area, reaches down): the home reaches up only, attached areas down.
            let mut areas = vec![(home, false)];
            if let Some(r) = rec.roster(home) {
                areas.extend(r.attached.iter().map(|a| (*a, true)));
            }
            areas.iter().any(|(a, down)| {
                is_ancestor_or_self(key.owner, *a) || (*down && is_ancestor_or_self(*a, key.owner))
            })
        }
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4_000))]

    #[test]
    fn check_agrees_with_the_oracle(k in kind().prop_flat_map(record)) {
        for (key, _) in k.sections() {
            prop_assert_eq!(check(&k, *key).is_ok(), oracle(&k, *key), "{:?}", key);
        }
    }

    #[test]
    fn refused_sections_are_never_stored(
        (stored, delta) in kind().prop_flat_map(|k| (record(k), record(k)))
    ) {
        let out = apply(Some(&stored), &delta);
        for (key, err) in &out.rejected {
            prop_assert_eq!(out.record.get(*key), stored.get(*key), "{}", err);
            prop_assert_eq!(err.rule(), "section-authority");
        }
        for key in &out.accepted {
            prop_assert!(check(&out.record, *key).is_ok());
        }
        // Everything accepted is in; applying the same delta again changes nothing.
        let again = apply(Some(&out.record), &delta);
        prop_assert_eq!(&again.record, &out.record);
        // Without refusals, apply is plain merge.
        if out.rejected.is_empty() {
            prop_assert_eq!(out.record, stored.merged(&delta));
        }
    }

    #[test]
    fn a_node_may_write_only_its_own_sections(
        k in kind().prop_flat_map(record),
        node in code(),
    ) {
        let res = check_local(node, None, &k);
        if k.sections().any(|(key, _)| key.owner != node) {
            let e = res.unwrap_err();
            prop_assert_eq!(e.rule(), "section-authority");
        }
    }
}
