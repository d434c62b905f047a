//! Convergence: replicas that receive the same changes in any order, with
//! duplicates, end byte-identical under the canonical encoding, with equal digests.

use jiff::civil::{Date, date};
use proptest::prelude::*;
use wuji_crdt::{Hlc, Merge, Stamp, WriterId};
use wuji_model::calendar::Calendar;
use wuji_model::strategies::{deltas, kind};
use wuji_model::suggestion::view::{self, Status};
use wuji_model::suggestion::workflow::{self as wf, Draft};
use wuji_model::suggestion::{AnswerClass, HandlingUnit, Satisfaction, UnitRole};
use wuji_model::{Code, Ctx, Record, RecordId, RecordKind, Rules, Uuid, authority};
use wuji_proto::{canonical_bytes, digest};

/// Delivers `deltas` to `n` replicas, each in its own order given by `orders`,
/// with the duplicates `dups` (indexes delivered a second time), by `apply`.
fn deliver(
    base: &Record,
    deltas: &[Record],
    orders: &[Vec<usize>],
    apply: impl Fn(&mut Record, &Record),
) -> Vec<Record> {
    orders
        .iter()
        .map(|order| {
            let mut r = base.clone();
            for &i in order {
                apply(&mut r, &deltas[i % deltas.len()]);
            }
            r
        })
        .collect()
}

/// Orders in which every index 0..n appears at least once, shuffled, with duplicates.
fn orders(n: usize, replicas: usize) -> impl Strategy<Value = Vec<Vec<usize>>> {
    let one = (
        Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
        proptest::collection::vec(0..n, 0..n + 1),
        any::<proptest::sample::Index>(),
    )
        .prop_map(|(mut order, dups, at)| {
            // Insert the duplicates at random places.
            for (k, d) in dups.into_iter().enumerate() {
                let pos = at.index(order.len() + 1).wrapping_add(k) % (order.len() + 1);
                order.insert(pos, d);
            }
            order
        });
    proptest::collection::vec(one, replicas)
}

fn same_bytes(replicas: &[Record]) -> Result<(), TestCaseError> {
    let first = canonical_bytes(&replicas[0]);
    let d = digest(&replicas[0]);
    for r in &replicas[1..] {
        prop_assert_eq!(&canonical_bytes(r), &first);
        prop_assert_eq!(digest(r), d);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Any deltas of one record, merged in any order with duplicates.
    #[test]
    fn replicas_converge_under_any_delivery(
        (ds, ords) in kind()
            .prop_flat_map(|k| deltas(k, 8))
            .prop_flat_map(|ds| { let n = ds.len(); (Just(ds), orders(n, 4)) })
    ) {
        let base = Record::new(ds[0].id);
        let replicas = deliver(&base, &ds, &ords, |r, d| r.merge(d));
        same_bytes(&replicas)?;
        // And they equal the join of all deltas.
        let mut all = base.clone();
        for d in &ds { all.merge(d); }
        prop_assert_eq!(&replicas[0], &all);
    }
}

// ---- model-based: concurrent legal steps at several nodes, real authority ----

const NODES: [u32; 4] = [320_114_001, 320_114, 320_100, 320_114_002];

struct Sim {
    rules: Rules,
    cal: Calendar,
    replicas: Vec<Record>,
    clocks: Vec<u64>,
    inbox: Vec<(usize, Record)>,
}

fn code(i: usize) -> Code {
    Code::from_value(NODES[i]).unwrap()
}

impl Sim {
    fn new() -> Sim {
        let id = RecordId {
            kind: RecordKind::Suggestion,
            home: code(0),
            uuid: Uuid::from_u128(42),
        };
        let rules = Rules::default();
        let cal = Calendar::builtin();
        let mut origin = Record::new(id);
        let ctx = Ctx {
            node: code(0),
            at: Stamp::new(Hlc(1 << 16), WriterId::new(NODES[0], 0)),
            today: date(2026, 3, 2),
            rules: &rules,
            calendar: &cal,
        };
        let draft = Draft {
            lead: "P-1".into(),
            title: "路灯".into(),
            text: "小区路灯不亮".into(),
            ..Draft::default()
        };
        origin.merge(&wf::submit(&ctx, id, &draft).unwrap());
        Sim {
            replicas: vec![origin.clone(); NODES.len()],
            clocks: vec![1; NODES.len()],
            inbox: Vec::new(),
            rules,
            cal,
        }
    }

    /// Node `n` tries action `a` on its own replica; a legal step is applied
    /// locally and its merged state is queued for every other node.
    fn act(&mut self, n: usize, a: u8, p: u8) {
        self.clocks[n] += 1;
        let today: Date = date(2026, 3, 2)
            .checked_add(jiff::Span::new().days(self.clocks[n] as i64))
            .unwrap();
        let ctx = Ctx {
            node: code(n),
            at: Stamp::new(Hlc(self.clocks[n] << 16), WriterId::new(NODES[n], 0)),
            today,
            rules: &self.rules,
            calendar: &self.cal,
        };
        let rec = &self.replicas[n];
        let unit = |name: &str, role| HandlingUnit {
            name: name.into(),
            role,
        };
        let delta = match a % 10 {
            0 => wf::register(&ctx, rec, "N"),
            1 => wf::assign(
                &ctx,
                rec,
                &[unit("局", UnitRole::Lead), unit("办", UnitRole::Co)],
            ),
            2 => wf::answer(
                &ctx,
                rec,
                "局",
                [AnswerClass::A, AnswerClass::B][p as usize % 2],
                "答",
                &[],
            ),
            3 => match ctx.node.parent() {
                Some(up) if NODES.contains(&up.value()) => wf::escalate(&ctx, rec, up, "上报"),
                _ => return,
            },
            4 => {
                let down = code(p as usize % NODES.len());
                wf::transfer(&ctx, rec, down, "转办")
            }
            5 => match view::view(rec, &self.rules).latest_answer {
                Some(ans) => {
                    let r = [Satisfaction::Dissatisfied, Satisfaction::Satisfied][p as usize % 2];
                    wf::feedback(&ctx, rec, ans, r, "")
                }
                None => return,
            },
            6 => wf::rehandle(&ctx, rec),
            7 => wf::close(&ctx, rec),
            8 => wf::co_view(&ctx, rec, "办", "意见"),
            _ if p.is_multiple_of(7) => wf::withdraw(&ctx, rec),
            _ => wf::register(&ctx, rec, "M"),
        };
        let Ok(delta) = delta else { return };
        authority::check_local(ctx.node, Some(rec), &delta).expect("own legal step is authorised");
        let applied = authority::apply(Some(rec), &delta);
        assert!(applied.rejected.is_empty());
        self.replicas[n] = applied.record;
        for to in 0..NODES.len() {
            if to != n {
                self.inbox.push((to, self.replicas[n].clone()));
            }
        }
    }

    /// The step the office would take next as node `n` sees the suggestion: the
    /// handler it believes in acts (on its own, possibly newer, replica), or the
    /// origin rates an answer.
    fn natural(&mut self, n: usize, p: u8) {
        let v = view::view(&self.replicas[n], &self.rules);
        let h = NODES
            .iter()
            .position(|c| *c == v.handler.value())
            .unwrap_or(0);
        let (actor, action) = match v.status {
            Status::Submitted if p.is_multiple_of(4) => (h, 3),
            Status::Submitted => (h, 0),
            Status::Registered if p.is_multiple_of(5) => (h, 3),
            Status::Registered if p % 5 == 1 => (h, 4),
            Status::Registered => (h, 1),
            Status::Assigned if p.is_multiple_of(4) => (h, 8),
            Status::Assigned => (h, 2),
            Status::Answered if p.is_multiple_of(3) => (h, 7),
            Status::Answered => (0, 5),
            Status::AwaitingRehandling => (h, 6),
            _ => return,
        };
        self.act(actor, action, p / 2);
    }

    fn deliver(&mut self, pick: usize, keep: bool) {
        if self.inbox.is_empty() {
            return;
        }
        let i = pick % self.inbox.len();
        let (to, state) = if keep {
            self.inbox[i].clone()
        } else {
            self.inbox.swap_remove(i)
        };
        let applied = authority::apply(Some(&self.replicas[to]), &state);
        assert!(
            applied.rejected.is_empty(),
            "a merged state from a peer is authorised whole: {:?}",
            applied.rejected
        );
        self.replicas[to] = applied.record;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn concurrent_workflow_at_four_nodes_converges(
        steps in proptest::collection::vec((0u8..4, 0usize..4, any::<u8>(), any::<u8>(), any::<usize>()), 0..120)
    ) {
        let mut sim = Sim::new();
        for (what, n, a, p, pick) in steps {
            match what {
                0 => sim.act(n, a, p),
                1 => sim.natural(n, p),
                2 => sim.deliver(pick, false),
                _ => sim.deliver(pick, true), // a duplicate stays queued
            }
        }
        while !sim.inbox.is_empty() {
            sim.deliver(0, false);
        }
        same_bytes(&sim.replicas)?;
        let v0 = view::view(&sim.replicas[0], &sim.rules);
        for r in &sim.replicas[1..] {
            prop_assert_eq!(&view::view(r, &sim.rules), &v0, "derived views converge too");
        }
    }
}
