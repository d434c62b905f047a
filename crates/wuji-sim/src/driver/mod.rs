//! Runs one simulation: starts every node of the region on its own
//! in-memory store and clock, links them through one in-memory network,
//! plays the workload and the faults in order of simulated time on one
//! thread with tokio's clock paused, heals everything, waits for the
//! digests to agree, then checks and reports.

use crate::Error;
use crate::checks::{self, Ledger};
use crate::clock::{SimClock, SimTime};
use crate::config::SimConfig;
use crate::faults::{self, DAY_MS, Fault};
use crate::report::{Progress, Report, Tally};
use crate::rng::Rng;
use crate::topology::{Topology, is_subdistrict, level_index};
use crate::wire::SimWire;
use crate::workload::{self as wl, Action, Step};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wuji_division::{Code, Level};
use wuji_model::suggestion::view::current_handler;
use wuji_model::{RecordId, RecordKind};
use wuji_node::sync::MemNet;
use wuji_node::{Node, Op, Parts, Running, Settings, Telemetry};
use wuji_store::MemKv;

mod deputy_work;
mod fault;

/// Retries of a step whose record has not arrived yet (hourly: two weeks).
const MAX_TRIES: u16 = 336;
const HOUR_MS: u64 = 3_600_000;

/// One simulated node.
struct Slot {
    kv: Arc<MemKv>,
    clock: Arc<SimClock>,
    running: Option<Running>,
    node: Option<Node>,
    backup: Option<MemKv>,
    deputies: u32,
}

pub(crate) struct Sim {
    cfg: SimConfig,
    topo: Topology,
    net: MemNet,
    wire: Arc<SimWire>,
    time: SimTime,
    slots: BTreeMap<Code, Slot>,
    queue: BinaryHeap<Reverse<(u64, u64, Action)>>,
    seq: u64,
    rng: Rng,
    fault_rng: Rng,
    template: Settings,
    broken: Option<Code>,
    cuts: BTreeMap<Code, u32>,
    ledger: Ledger,
    tally: Tally,
    progress: Progress,
}

/// Runs `cfg` on a new single-threaded runtime with paused time.
pub fn run(cfg: &SimConfig, progress: Progress) -> Result<Report, Error> {
    let mut builder = tokio::runtime::Builder::new_current_thread();
    builder.enable_time().start_paused(true);
    // tokio draws from its own generator (the order in which a `watch`
    // channel's waiters wake); seeded, a run replays alike.
    #[cfg(tokio_unstable)]
    builder.rng_seed(tokio::runtime::RngSeed::from_bytes(&cfg.seed.to_le_bytes()));
    let rt = builder
        .build()
        .map_err(|e| Error::Setting(format!("runtime: {e}")))?;
    rt.block_on(async {
        let mut sim = Sim::new(cfg.clone(), progress)?;
        sim.play().await
    })
}

impl Sim {
    fn new(cfg: SimConfig, progress: Progress) -> Result<Sim, Error> {
        let topo = Topology::of(cfg.region)?;
        let time = SimTime {
            base_ms: cfg.start_ms,
            start: tokio::time::Instant::now(),
        };
        let root = Rng::new(cfg.seed);
        let wire = Arc::new(SimWire::new(cfg.faults.wire, root.fork(1), time));
        let net = MemNet::with_wire(wire.clone());
        let mut template = Settings::new(cfg.region);
        // In-memory links need no keep-alives (they find a dead link at
        // once), and a digest check every 10 minutes on every link would be
        // most of a simulated year's events: an hour (settable) instead.
        template.keep_alive = Duration::from_secs(86_400);
        template.check_every = Duration::from_secs(cfg.check_every_secs);
        template.horizon = cfg.horizon;
        let broken = cfg.broken_merge.then(|| {
            topo.nodes
                .iter()
                .copied()
                .find(|c| c.level() == Level::County)
                .unwrap_or(topo.nodes[topo.nodes.len().min(2) - 1])
        });
        let ids = root.fork(2);
        let mut slots = BTreeMap::new();
        for (i, &c) in topo.nodes.iter().enumerate() {
            let deputies = if is_subdistrict(c) {
                0
            } else {
                cfg.rates.deputies[level_index(c.level())]
            };
            slots.insert(
                c,
                Slot {
                    kv: Arc::new(MemKv::new()),
                    clock: Arc::new(SimClock::new(time, 0, ids.fork(i as u64))),
                    running: None,
                    node: None,
                    backup: None,
                    deputies,
                },
            );
        }
        Ok(Sim {
            topo,
            net,
            wire,
            time,
            slots,
            queue: BinaryHeap::new(),
            seq: 0,
            rng: root.fork(3),
            fault_rng: root.fork(4),
            template,
            broken,
            cuts: BTreeMap::new(),
            ledger: Ledger::default(),
            tally: Tally::default(),
            progress,
            cfg,
        })
    }

    fn at(&mut self, ms: u64, a: Action) {
        self.seq += 1;
        self.queue.push(Reverse((ms, self.seq, a)));
    }

    fn now(&self) -> u64 {
        self.time.elapsed_ms()
    }

    /// A time in working hours (08:00 to 18:00 in Beijing) `days` days on.
    fn working(&mut self, lo_days: u64, hi_days: u64) -> u64 {
        let day = self.now() / DAY_MS + self.rng.range(lo_days, hi_days + 1);
        day * DAY_MS + 8 * HOUR_MS + self.rng.range(0, 10 * HOUR_MS)
    }

    fn boot(&mut self, code: Code) -> Result<(), Error> {
        let slot = self.slots.get_mut(&code).expect("a node of the run");
        let parts = Parts {
            kv: slot.kv.clone(),
            clock: slot.clock.clone(),
            identity: None,
            connector: Some(self.net.connector()),
            telemetry: Telemetry::default(),
        };
        let mut s = self.template.clone();
        s.code = code;
        s.parent = self.topo.parent(code);
        s.broken_merge = self.broken == Some(code);
        let running = wuji_node::start(parts, s)?;
        let node = running.node().clone();
        let n = node.clone();
        self.net
            .listen(code, Arc::new(move |c, inbound| n.accept(c, inbound)));
        slot.running = Some(running);
        slot.node = Some(node);
        Ok(())
    }

    fn crash(&mut self, code: Code) {
        let slot = self.slots.get_mut(&code).expect("a node of the run");
        if let Some(r) = slot.running.take() {
            r.crash();
            slot.node = None;
            self.net.leave(code);
            self.tally.lost_unflushed += slot.kv.crash() as u64;
        }
    }

    async fn play(&mut self) -> Result<Report, Error> {
        let wall = Instant::now();
        for c in self.topo.nodes.clone() {
            self.boot(c)?;
            if self.slots[&c].deputies > 0 {
                let at = self.rng.range(0, HOUR_MS);
                self.at(at, Action::Enrol(c));
            }
        }
        let mut frng = self.fault_rng.clone();
        for (t, a) in faults::at_start(&self.cfg, &self.topo, &mut frng) {
            self.at(t, a);
        }
        self.fault_rng = frng;
        self.at(0, Action::Day(0));
        let end = u64::from(self.cfg.days) * DAY_MS;
        while let Some(Reverse((t, _, a))) = self.queue.pop() {
            if t >= end && !matches!(a, Action::Fault(Fault::Clock(..))) {
                continue; // the workload is over; what is left stays open
            }
            tokio::time::sleep_until(self.time.start + Duration::from_millis(t)).await;
            self.perform(a).await?;
        }
        tokio::time::sleep_until(self.time.start + Duration::from_millis(end)).await;
        // Heal everything: links, crashed nodes.
        for (c, _) in std::mem::take(&mut self.cuts) {
            self.net.heal(c);
        }
        for c in self.topo.nodes.clone() {
            if self.slots[&c].running.is_none() {
                self.boot(c)?;
            }
        }
        let healed = self.now();
        let settle = Duration::from_secs(self.cfg.settle_hours * 3600);
        let converged = loop {
            tokio::time::sleep(Duration::from_secs(10)).await;
            if checks::links_agree(&self.layouts(), &self.topo)?.is_none() {
                break Some(self.now() - healed);
            }
            if Duration::from_millis(self.now() - healed) > settle {
                break None;
            }
        };
        let layouts = self.layouts();
        let sizes: BTreeMap<Code, (usize, usize)> =
            self.slots.iter().map(|(c, s)| (*c, s.kv.size())).collect();
        // The latest date any node's clock reads: each summary has dropped
        // the months before its own window, which that date's window covers.
        let today = self
            .slots
            .values()
            .map(|s| wuji_node::clock::Clock::today(s.clock.as_ref()))
            .max()
            .unwrap_or_else(|| wuji_node::clock::cst_date(self.time.base_ms));
        let checks = checks::all(&layouts, &self.topo, &self.ledger, self.cfg.horizon, today)?;
        let report = Report::new(
            &self.cfg,
            &self.topo,
            checks,
            &layouts,
            &sizes,
            self.wire.measured(),
            self.tally.clone(),
            converged,
            wall.elapsed(),
        )?;
        for c in self.topo.nodes.clone() {
            if let Some(r) = self.slots.get_mut(&c).and_then(|s| s.running.take()) {
                r.crash(); // nothing more to keep: the run is over
            }
        }
        Ok(report)
    }

    fn layouts(&self) -> BTreeMap<Code, wuji_store::Layout> {
        self.slots
            .iter()
            .filter_map(|(c, s)| s.node.as_ref().map(|n| (*c, n.layout().clone())))
            .collect()
    }

    /// Writes `ops` at `code`; the records if acknowledged.
    async fn write(&mut self, code: Code, ops: Vec<Op>) -> Option<Vec<wuji_model::Record>> {
        let node = self.slots[&code].node.clone()?;
        match node.write(ops).await {
            Ok(done) => {
                self.tally.writes += 1;
                for r in &done.records {
                    self.ledger.acked(r, code);
                }
                Some(done.records)
            }
            Err(e) => {
                let rule = match &e {
                    wuji_node::Error::Model(m) => m.rule().to_string(),
                    other => format!("{other}"),
                };
                *self.tally.refused.entry(rule).or_default() += 1;
                None
            }
        }
    }

    fn node(&self, code: Code) -> Option<Node> {
        self.slots[&code].node.clone()
    }

    async fn perform(&mut self, a: Action) -> Result<(), Error> {
        match a {
            Action::Day(d) => self.day(d),
            Action::Enrol(c) => {
                let n = self.slots[&c].deputies;
                let mut i = 0;
                while i < n {
                    let j = (i + 500).min(n);
                    if self.write(c, wl::enrol(c, i..j)).await.is_none() {
                        let t = self.now() + HOUR_MS;
                        self.at(t, Action::Enrol(c)); // down: again later (idempotent)
                        break;
                    }
                    i = j;
                }
                // 代表名额: as many seats as deputies enrolled.
                if n > 0 && i >= n {
                    self.write(c, vec![wl::seats(c, n)]).await;
                }
            }
            Action::Raise(c) => {
                let Some(node) = self.node(c) else {
                    self.tally.deferred += 1;
                    return Ok(());
                };
                let n = self.slots[&c].deputies;
                let i = self.rng.range(0, u64::from(n)) as u32;
                let id = RecordId {
                    kind: RecordKind::Suggestion,
                    home: c,
                    uuid: node.new_uuid(),
                };
                let k = self.rng.next_u64();
                // Timed from before the write: the link may ship it before
                // the acknowledgement is read here.
                if c.level() == Level::Township && self.rng.chance(self.cfg.rates.trace) {
                    let levels = match self.cfg.horizon {
                        wuji_model::routing::Horizon::All => usize::MAX,
                        wuji_model::routing::Horizon::Levels(n) => usize::from(n),
                    };
                    self.wire.trace(id, levels);
                }
                if self
                    .write(c, vec![wl::raise(id, wl::person(c, i), k)])
                    .await
                    .is_some()
                {
                    self.tally.raised += 1;
                    let t = self.working(1, 3);
                    self.at(t, Action::Suggestion(c, id, Step::Handle, 0));
                }
            }
            Action::Suggestion(c, id, step, tries) => self.step(c, id, step, tries).await,
            Action::Issue(c) => {
                let targets: Vec<Code> = self.topo.children(c).to_vec();
                let Some(node) = self.node(c) else {
                    return Ok(());
                };
                let id = RecordId {
                    kind: RecordKind::Assignment,
                    home: c,
                    uuid: node.new_uuid(),
                };
                let k = self.rng.next_u64() % 10_000;
                if self
                    .write(c, vec![wl::issue(id, targets.clone(), k)])
                    .await
                    .is_some()
                {
                    self.tally.issued += 1;
                    for t in targets {
                        let at = self.working(1, 5);
                        self.at(at, Action::Acknowledge(t, id, 0));
                    }
                }
            }
            Action::Acknowledge(c, id, tries) | Action::Report(c, id, tries) => {
                let report = matches!(a, Action::Report(..));
                let held = self.node(c).map(|n| n.read(&id)).transpose()?.flatten();
                if held.is_none() {
                    if tries < MAX_TRIES {
                        let t = self.now() + HOUR_MS;
                        let again = if report {
                            Action::Report(c, id, tries + 1)
                        } else {
                            Action::Acknowledge(c, id, tries + 1)
                        };
                        self.at(t, again);
                    } else {
                        self.tally.gave_up += 1;
                    }
                    return Ok(());
                }
                if self.write(c, vec![wl::respond(id, report)]).await.is_some() && !report {
                    let t = self.working(5, 25);
                    self.at(t, Action::Report(c, id, 0));
                }
            }
            Action::Roster(c) => {
                let n = self.slots[&c].deputies;
                let i = self.rng.range(0, u64::from(n)) as u32;
                let k = self.rng.next_u64();
                if self
                    .write(c, vec![wl::roster_change(c, i, k)])
                    .await
                    .is_some()
                {
                    self.tally.roster_changes += 1;
                }
            }
            Action::Activity(c) => self.activity(c).await,
            Action::Vacate(c) => self.vacate(c).await,
            Action::Fill(c, id) => self.fill(c, id).await,
            Action::Fault(f) => self.fault(f)?,
        }
        Ok(())
    }

    /// Draws the day's opinions, assignments, roster changes and faults.
    fn day(&mut self, d: u32) {
        self.progress.day(d, self.cfg.days, &self.tally);
        let start = u64::from(d) * DAY_MS;
        let rates = self.cfg.rates.clone();
        for c in self.topo.nodes.clone() {
            let deputies = self.slots[&c].deputies;
            let n = self
                .rng
                .poisson(f64::from(deputies) * rates.opinions_per_deputy_month / 30.0);
            for _ in 0..n {
                let t = start + 8 * HOUR_MS + self.rng.range(0, 10 * HOUR_MS);
                self.at(t, Action::Raise(c));
            }
            let offset = c.value() % 30;
            if !self.topo.children(c).is_empty() && d % 30 == offset {
                for _ in 0..rates.assignments_per_month {
                    let t = start + 9 * HOUR_MS + self.rng.range(0, 8 * HOUR_MS);
                    self.at(t, Action::Issue(c));
                }
            }
            if deputies > 0 {
                for _ in 0..self.rng.poisson(rates.roster_changes_per_month / 30.0) {
                    let t = start + 8 * HOUR_MS + self.rng.range(0, 10 * HOUR_MS);
                    self.at(t, Action::Roster(c));
                }
                for _ in 0..self.rng.poisson(rates.vacancies_per_month / 30.0) {
                    let t = start + 9 * HOUR_MS + self.rng.range(0, 8 * HOUR_MS);
                    self.at(t, Action::Vacate(c));
                }
            }
            // A township's reception day, once a month ("五个一").
            if c.level() == Level::Township && d % 30 == (offset + 15) % 30 {
                let t = start + 9 * HOUR_MS + self.rng.range(0, 8 * HOUR_MS);
                self.at(t, Action::Activity(c));
            }
        }
        let mut frng = self.fault_rng.clone();
        for (t, a) in faults::on_day(d, &self.cfg, &self.topo, &mut frng) {
            self.at(t, a);
        }
        self.fault_rng = frng;
        if d + 1 < self.cfg.days {
            self.at(start + DAY_MS, Action::Day(d + 1));
        }
    }

    async fn step(&mut self, c: Code, id: RecordId, step: Step, tries: u16) {
        let Some(node) = self.node(c) else {
            let t = self.now() + 10 * 60_000;
            self.tally.deferred += 1;
            self.at(t, Action::Suggestion(c, id, step, tries));
            return;
        };
        let rec = node.read(&id).ok().flatten();
        if !wl::ready(step, c, rec.as_ref()) {
            if tries < MAX_TRIES {
                let t = self.now() + HOUR_MS;
                self.at(t, Action::Suggestion(c, id, step, tries + 1));
            } else {
                self.tally.gave_up += 1;
            }
            return;
        }
        let rec = rec.expect("ready means held");
        let parent = self.topo.parent(c);
        let rates = &self.cfg.rates;
        let escalate = step == Step::Handle
            && parent.is_some()
            && self.rng.chance(rates.escalate[level_index(c.level())]);
        let handler = current_handler(&rec);
        let round = rec
            .handling(handler)
            .map(|h| h.progress.0.round)
            .unwrap_or(1);
        let dissatisfied =
            step == Step::Feedback && round <= 1 && self.rng.chance(rates.dissatisfied);
        let supervise =
            step == Step::Assign && parent.is_some() && self.rng.chance(rates.supervise);
        let op = wl::suggestion_op(id, step, parent, escalate, dissatisfied);
        if self.write(c, vec![op]).await.is_none() {
            return;
        }
        let next = match step {
            Step::Handle if escalate => {
                self.tally.escalated += 1;
                Some((
                    parent.expect("escalated to the parent"),
                    Step::Handle,
                    (1, 3),
                ))
            }
            Step::Handle => Some((c, Step::Assign, (1, 5))),
            Step::Assign => {
                if supervise {
                    let t = self.working(1, 10);
                    self.at(
                        t,
                        Action::Suggestion(parent.expect("a parent"), id, Step::Supervise, 0),
                    );
                }
                Some((c, Step::Answer, (10, 60)))
            }
            Step::Rehandle => Some((c, Step::Answer, (10, 40))),
            Step::Answer => Some((id.home, Step::Feedback, (3, 15))),
            Step::Feedback if dissatisfied => Some((handler, Step::Rehandle, (1, 5))),
            Step::Feedback => Some((handler, Step::Close, (1, 5))),
            Step::Close => {
                self.tally.closed += 1;
                None
            }
            Step::Supervise => {
                self.tally.supervised += 1;
                None
            }
        };
        if let Some((at, s, (lo, hi))) = next {
            let t = self.working(lo, hi);
            self.at(t, Action::Suggestion(at, id, s, 0));
        }
    }
}
