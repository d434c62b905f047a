//! Routing on the real division tree: siblings never see each other's suggestions,
//! every ancestor does; `down` reach covers exactly the anchor's subtree; personal
//! fields never pass above the owner's parent.

use proptest::prelude::*;
use proptest::sample::Index;
use std::collections::BTreeSet;
use std::sync::OnceLock;
use wuji_crdt::{Hlc, Stamp, WriterId};
use wuji_division::{Code, Level, Tree};
use wuji_model::calendar::Calendar;
use wuji_model::deputy::{self, NewDeputy};
use wuji_model::routing::{for_recipient, visible_to};
use wuji_model::suggestion::workflow::{self as wf, Draft};
use wuji_model::{Ctx, Record, RecordId, RecordKind, Rules, Uuid, assignment};

fn tree() -> &'static (Tree, Vec<Code>) {
    static T: OnceLock<(Tree, Vec<Code>)> = OnceLock::new();
    T.get_or_init(|| {
        let t = wuji_tests::real_tree();
        let all = t.iter().map(|d| d.code).collect();
        (t, all)
    })
}

/// Every node of the subtree under `root`, by walking the tree's children.
fn subtree(t: &Tree, root: Code) -> BTreeSet<Code> {
    let mut out = BTreeSet::from([root]);
    let mut stack = vec![root];
    while let Some(c) = stack.pop() {
        for k in t.children(c) {
            out.insert(*k);
            stack.push(*k);
        }
    }
    out
}

/// The chain from `c` up to national, by the tree's parent links.
fn chain(t: &Tree, c: Code) -> Vec<Code> {
    let mut out = vec![c];
    let mut here = c;
    while let Some(p) = t.get(here).and_then(|d| d.parent) {
        out.push(p);
        here = p;
    }
    out
}

fn ctx<'a>(node: Code, rules: &'a Rules, cal: &'a Calendar) -> Ctx<'a> {
    ctx_at(node, 5, rules, cal)
}

/// A write context at clock `ms` (later steps must carry later clocks, as a node
/// that observed the previous write would).
fn ctx_at<'a>(node: Code, ms: u64, rules: &'a Rules, cal: &'a Calendar) -> Ctx<'a> {
    Ctx {
        node,
        at: Stamp::new(Hlc(ms << 16), WriterId::new(node.value(), 0)),
        today: jiff::civil::date(2026, 3, 2),
        rules,
        calendar: cal,
    }
}

fn pick(all: &[Code], i: Index, level: Level) -> Code {
    let start = i.index(all.len());
    all.iter()
        .cycle()
        .skip(start)
        .take(all.len())
        .copied()
        .find(|c| c.level() == level)
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn a_suggestion_is_seen_by_its_chain_and_ancestors_only(
        origin_i in any::<Index>(),
        ups in 0usize..4,
        probes in proptest::collection::vec(any::<Index>(), 40),
    ) {
        let (t, all) = tree();
        let (rules, cal) = (Rules::default(), Calendar::builtin());
        let origin = pick(all, origin_i, Level::Township);
        let id = RecordId { kind: RecordKind::Suggestion, home: origin, uuid: Uuid::from_u128(1) };
        let draft = Draft { lead: "P".into(), title: "t".into(), text: "x".into(), ..Draft::default() };
        let mut rec = Record::new(id);
        rec = wuji_model::authority::apply(Some(&rec), &wf::submit(&ctx(origin, &rules, &cal), id, &draft).unwrap()).record;
        // Escalate `ups` times along the real parent chain.
        let path = chain(t, origin);
        for (i, w) in path.windows(2).take(ups).enumerate() {
            let d = wf::escalate(&ctx_at(w[0], 10 + i as u64, &rules, &cal), &rec, w[1], "上报").unwrap();
            rec = wuji_model::authority::apply(Some(&rec), &d).record;
        }
        let handlers: Vec<Code> = path.iter().take(ups + 1).copied().collect();
        let entitled: BTreeSet<Code> = handlers.iter().flat_map(|h| chain(t, *h)).collect();

        // Every ancestor of every handler sees it.
        for c in &entitled {
            prop_assert!(visible_to(&rec, *c), "{} should see it", c);
        }
        // Siblings of the origin never do.
        let parent = t.get(origin).unwrap().parent.unwrap();
        for s in t.children(parent) {
            prop_assert_eq!(visible_to(&rec, *s), *s == origin, "sibling {}", s);
        }
        // Random nodes anywhere: visible iff entitled.
        for p in probes {
            let c = all[p.index(all.len())];
            prop_assert_eq!(visible_to(&rec, c), entitled.contains(&c), "probe {}", c);
        }
    }

    #[test]
    fn down_reach_covers_exactly_the_targets_subtree(
        issuer_i in any::<Index>(),
        target_i in any::<Index>(),
        probes in proptest::collection::vec(any::<Index>(), 40),
    ) {
        let (t, all) = tree();
        let (rules, cal) = (Rules::default(), Calendar::builtin());
        let issuer = pick(all, issuer_i, Level::Province);
        let inside: Vec<Code> = subtree(t, issuer).into_iter().filter(|c| *c != issuer).collect();
        let target = inside[target_i.index(inside.len())];
        let id = RecordId { kind: RecordKind::Assignment, home: issuer, uuid: Uuid::from_u128(2) };
        let rec = assignment::issue(&ctx(issuer, &rules, &cal), id, "t", "x", &[target], None).unwrap();
        let down = subtree(t, target);
        let up: BTreeSet<Code> = chain(t, target).into_iter().chain(chain(t, issuer)).collect();
        for c in &down {
            prop_assert!(visible_to(&rec, *c), "{} inside the target", c);
        }
        let sample = probes.iter().map(|p| all[p.index(all.len())]);
        let siblings = t.children(t.get(target).unwrap().parent.unwrap()).iter().copied();
        for c in sample.chain(siblings) {
            prop_assert_eq!(visible_to(&rec, c), down.contains(&c) || up.contains(&c), "{}", c);
        }
    }

    #[test]
    fn personal_fields_never_pass_above_the_owners_parent(
        owner_i in any::<Index>(),
        level in 0u8..5,
    ) {
        let (t, all) = tree();
        let (rules, cal) = (Rules::default(), Calendar::builtin());
        let owner = pick(all, owner_i, Level::from_depth(level).unwrap());
        let id = RecordId { kind: RecordKind::Deputy, home: owner, uuid: Uuid::from_u128(3) };
        let d = NewDeputy {
            person_id: "P".into(), name: "李某".into(), attached: vec![owner],
            phone: "13900000000".into(), id_number: "320000".into(), address: "某路1号".into(),
            ..NewDeputy::default()
        };
        let rec = deputy::enrol(&ctx(owner, &rules, &cal), id, &d).unwrap();
        let up = chain(t, owner);
        for (i, c) in up.iter().enumerate() {
            let got = for_recipient(&rec, *c).expect("ancestors see the deputy");
            let personal = &got.roster(owner).unwrap().personal;
            // The owner (i = 0) and its parent (i = 1) hold them; nobody above.
            prop_assert_eq!(!personal.is_blank(), i <= 1, "{} at distance {}", c, i);
        }
        // Below the owner (down reach), personal fields stay.
        if let Some(k) = t.children(owner).first() {
            let got = for_recipient(&rec, *k).expect("children of an attached area see it");
            prop_assert!(!got.roster(owner).unwrap().personal.is_blank());
        }
    }
}

#[test]
fn a_national_deputy_attached_to_a_county_is_seen_there_and_not_elsewhere_below() {
    let (t, _) = tree();
    let (rules, cal) = (Rules::default(), Calendar::builtin());
    let n = Code::NATIONAL;
    let county = Code::parse("320114").unwrap();
    let id = RecordId {
        kind: RecordKind::Deputy,
        home: n,
        uuid: Uuid::from_u128(4),
    };
    let d = NewDeputy {
        person_id: "P".into(),
        name: "张某".into(),
        attached: vec![county],
        ..NewDeputy::default()
    };
    let rec = deputy::enrol(&ctx(n, &rules, &cal), id, &d).unwrap();
    for k in t.children(county) {
        assert!(visible_to(&rec, *k), "{k} under the county");
    }
    for k in t.children(Code::parse("320115").unwrap()) {
        assert!(!visible_to(&rec, *k), "{k} under a sibling county");
    }
    assert!(
        visible_to(&rec, Code::parse("320100").unwrap()),
        "the city above sees it"
    );
    assert!(
        !visible_to(&rec, Code::parse("330000").unwrap()),
        "another province does not"
    );
}
