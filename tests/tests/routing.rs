//! Routing on the real division tree, under both horizon settings: a record is
//! seen by its handlers, supervisors and targets, the nodes between them and
//! its home, and the ancestors of each within the horizon (every ancestor with
//! `all`); siblings never see each other's suggestions; `down` reach covers
//! exactly the anchor's subtree; a summary reaches the horizon above its node;
//! personal fields never pass above the owner's
//! parent; a node never sees a record homed below it that its child towards
//! the home does not (what the link digests rely on).

use proptest::prelude::*;
use proptest::sample::Index;
use std::collections::BTreeSet;
use std::sync::OnceLock;
use wuji_crdt::{Hlc, Stamp, WriterId};
use wuji_division::{Code, Level, Tree};
use wuji_model::calendar::Calendar;
use wuji_model::deputy::{self, NewDeputy};
use wuji_model::routing::{Horizon, for_recipient, may_see, visible_to};
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

/// `c` and its ancestors within `h` levels.
fn within(t: &Tree, c: Code, h: Horizon) -> BTreeSet<Code> {
    let n = match h {
        Horizon::All => usize::MAX,
        Horizon::Levels(n) => usize::from(n) + 1,
    };
    chain(t, c).into_iter().take(n).collect()
}

/// The nodes on the tree path between `x` and `y`, ends included.
fn path(t: &Tree, x: Code, y: Code) -> BTreeSet<Code> {
    let (cx, cy) = (chain(t, x), chain(t, y));
    let lca = *cx.iter().find(|c| cy.contains(c)).unwrap();
    let above: BTreeSet<Code> = chain(t, lca).into_iter().skip(1).collect();
    cx.into_iter()
        .chain(cy)
        .filter(|c| !above.contains(c))
        .collect()
}

fn horizon() -> impl Strategy<Value = Horizon> {
    prop_oneof![Just(Horizon::All), (1u8..=3).prop_map(Horizon::Levels)]
}

/// Every node that sees `rec` and lies above its home has its child towards
/// the home seeing it too.
fn nested(t: &Tree, rec: &Record, h: Horizon) -> Result<(), TestCaseError> {
    let up = chain(t, rec.id.home);
    for w in up.windows(2) {
        if visible_to(rec, w[1], h) {
            prop_assert!(
                visible_to(rec, w[0], h),
                "{} sees it but {} does not",
                w[1],
                w[0]
            );
        }
    }
    Ok(())
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
    fn a_suggestion_is_seen_by_its_handlers_supervisors_and_the_horizon_above(
        origin_i in any::<Index>(),
        ups in 0usize..4,
        supervise in proptest::option::of(0usize..5),
        transfer_i in proptest::option::of(any::<Index>()),
        h in horizon(),
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
        let up = chain(t, origin);
        let ups = ups.min(up.len() - 1);
        for (i, w) in up.windows(2).take(ups).enumerate() {
            let d = wf::escalate(&ctx_at(w[0], 10 + i as u64, &rules, &cal), &rec, w[1], "上报").unwrap();
            rec = wuji_model::authority::apply(Some(&rec), &d).record;
        }
        // The highest handler may transfer it down to another township.
        let top = up[ups];
        let mut entitled: BTreeSet<Code> = BTreeSet::new();
        let inside: Vec<Code> = subtree(t, top)
            .into_iter()
            .filter(|c| c.level() == Level::Township && *c != origin)
            .collect();
        if let Some(i) = transfer_i && !inside.is_empty() {
            let to = inside[i.index(inside.len())];
            let d = wf::transfer(&ctx_at(top, 20, &rules, &cal), &rec, to, "转办").unwrap();
            rec = wuji_model::authority::apply(Some(&rec), &d).record;
            entitled.extend(path(t, origin, to));
            entitled.extend(within(t, to, h));
        }
        // An ancestor (or the origin) may open a 督办 on it.
        let mut highest = ups;
        if let Some(s) = supervise {
            let s = s.min(up.len() - 1);
            let d = wf::supervise(&ctx_at(up[s], 30, &rules, &cal), &rec, None, "", "督办").unwrap();
            rec = wuji_model::authority::apply(Some(&rec), &d).record;
            highest = highest.max(s);
        }
        // Everything from the origin up to the highest handler or
        // supervisor, and the horizon above the highest handler (a
        // supervisor anchors it at itself only).
        entitled.extend(up.iter().take(highest + 1).copied());
        entitled.extend(within(t, top, h));
        for c in &entitled {
            prop_assert!(visible_to(&rec, *c, h), "{} should see it", c);
        }
        // Siblings of the origin never do, unless a transfer went there.
        let parent = t.get(origin).unwrap().parent.unwrap();
        for s in t.children(parent) {
            prop_assert_eq!(visible_to(&rec, *s, h), entitled.contains(s), "sibling {}", s);
        }
        // Random nodes anywhere: visible iff entitled.
        for p in probes {
            let c = all[p.index(all.len())];
            prop_assert_eq!(visible_to(&rec, c, h), entitled.contains(&c), "probe {}", c);
        }
        // With `all`, every ancestor of the origin sees it.
        if h == Horizon::All {
            for c in &up {
                prop_assert!(visible_to(&rec, *c, h));
            }
        }
        nested(t, &rec, h)?;
    }

    #[test]
    fn down_reach_covers_exactly_the_targets_subtree(
        issuer_i in any::<Index>(),
        target_i in any::<Index>(),
        h in horizon(),
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
        // The nodes relaying it from the issuer to the target, and the
        // horizon above both.
        let up: BTreeSet<Code> = path(t, issuer, target)
            .into_iter()
            .chain(within(t, target, h))
            .chain(within(t, issuer, h))
            .collect();
        for c in &down {
            prop_assert!(visible_to(&rec, *c, h), "{} inside the target", c);
        }
        let sample = probes.iter().map(|p| all[p.index(all.len())]);
        let siblings = t.children(t.get(target).unwrap().parent.unwrap()).iter().copied();
        for c in sample.chain(siblings) {
            prop_assert_eq!(visible_to(&rec, c, h), down.contains(&c) || up.contains(&c), "{}", c);
        }
    }

    #[test]
    fn a_summary_reaches_the_horizon_above_its_node_and_nothing_else(
        node_i in any::<Index>(),
        level in 1u8..5,
        h in horizon(),
        probes in proptest::collection::vec(any::<Index>(), 40),
    ) {
        let (t, all) = tree();
        let node = pick(all, node_i, Level::ALL[usize::from(level)]);
        let rec = Record::new(wuji_model::summary::id(node));
        // Its node and the ancestors within the horizon (its parent, by
        // default), which count it in their own; nothing below or beside.
        let up = within(t, node, h);
        let sample = probes.iter().map(|p| all[p.index(all.len())]);
        for c in sample.chain(chain(t, node)).chain(t.children(node).iter().copied()) {
            prop_assert_eq!(visible_to(&rec, c, h), up.contains(&c), "{} of {}", c, node);
            prop_assert_eq!(may_see(&rec.id, c, h), up.contains(&c), "{} of {}: from the id", c, node);
        }
        nested(t, &rec, h)?;
    }

    #[test]
    fn personal_fields_never_pass_above_the_owners_parent(
        owner_i in any::<Index>(),
        level in 0u8..5,
        h in horizon(),
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
        let seen = within(t, owner, h);
        for (i, c) in up.iter().enumerate() {
            let Some(got) = for_recipient(&rec, *c, h) else {
                // Above the horizon the deputy is only counted.
                prop_assert!(!seen.contains(c), "{} within the horizon", c);
                continue;
            };
            prop_assert!(seen.contains(c), "{} beyond the horizon", c);
            let personal = &got.roster(owner).unwrap().personal;
            // The owner (i = 0) and its parent (i = 1) hold them; nobody above.
            prop_assert_eq!(!personal.is_blank(), i <= 1, "{} at distance {}", c, i);
        }
        nested(t, &rec, h)?;
        // Below the owner (down reach), personal fields stay.
        if let Some(k) = t.children(owner).first() {
            let got = for_recipient(&rec, *k, h).expect("children of an attached area see it");
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
    for h in [Horizon::All, Horizon::Levels(1)] {
        for k in t.children(county) {
            assert!(visible_to(&rec, *k, h), "{k} under the county");
        }
        for k in t.children(Code::parse("320115").unwrap()) {
            assert!(!visible_to(&rec, *k, h), "{k} under a sibling county");
        }
        for between in ["320100", "320000"] {
            assert!(
                visible_to(&rec, Code::parse(between).unwrap(), h),
                "{between} relays it from the national node to the county"
            );
        }
        assert!(
            !visible_to(&rec, Code::parse("330000").unwrap(), h),
            "another province does not"
        );
    }
}
