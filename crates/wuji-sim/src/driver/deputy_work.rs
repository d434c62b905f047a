//! The deputy work the simulated offices do besides suggestions: a
//! reception day a month at each township's station, seats falling vacant
//! and filled again (the records whose counts the summaries must carry).

use super::{HOUR_MS, Sim};
use crate::workload::{self as wl, Action};
use wuji_division::Code;
use wuji_model::{RecordId, RecordKind};

impl Sim {
    /// A reception day at township `c`'s station: up to two of its deputies
    /// and one of its parent's.
    pub(super) async fn activity(&mut self, c: Code) {
        let Some(node) = self.node(c) else {
            return;
        };
        let mut who = Vec::new();
        let own = self.slots[&c].deputies;
        for _ in 0..own.min(2) {
            who.push((c, self.rng.range(0, u64::from(own)) as u32));
        }
        if let Some(p) = self.topo.parent(c) {
            let theirs = self.slots[&p].deputies;
            if theirs > 0 {
                who.push((p, self.rng.range(0, u64::from(theirs)) as u32));
            }
        }
        who.sort();
        who.dedup();
        if who.is_empty() {
            return;
        }
        let id = RecordId {
            kind: RecordKind::Activity,
            home: c,
            uuid: node.new_uuid(),
        };
        let k = self.rng.next_u64() % 10_000;
        if self
            .write(c, vec![wl::reception(id, who, k)])
            .await
            .is_some()
        {
            self.tally.activities += 1;
        }
    }
    /// A seat of `c` falls vacant; its by-election follows.
    pub(super) async fn vacate(&mut self, c: Code) {
        let Some(node) = self.node(c) else {
            return;
        };
        let n = self.slots[&c].deputies;
        let i = self.rng.range(0, u64::from(n)) as u32;
        let id = RecordId {
            kind: RecordKind::Vacancy,
            home: c,
            uuid: node.new_uuid(),
        };
        if self.write(c, vec![wl::vacate(id, i)]).await.is_some() {
            self.tally.vacancies += 1;
            let t = self.working(10, 40);
            self.at(t, Action::Fill(c, id));
        }
    }
    /// The vacancy `id` of `c` is filled (later again if `c` is down).
    pub(super) async fn fill(&mut self, c: Code, id: RecordId) {
        if self.node(c).is_none() {
            let t = self.now() + HOUR_MS;
            self.at(t, Action::Fill(c, id));
        } else if self.write(c, vec![wl::fill(id)]).await.is_some() {
            self.tally.filled += 1;
        }
    }
}
