//! The faults of a run, drawn from its seed: link partitions from minutes to
//! days, crashes that lose what was not flushed, restores from backups days
//! old, skewed clocks (a few hours off until an operator fixes them), and on
//! the wire (see `wire`) delays, duplicates and losses.

use crate::config::SimConfig;
use crate::rng::Rng;
use crate::topology::Topology;
use crate::workload::Action;
use wuji_division::Code;

/// Milliseconds in a day.
pub const DAY_MS: u64 = 86_400_000;

/// One fault event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// The link from this child to its parent is cut.
    Cut(Code),
    /// ... and healed.
    Heal(Code),
    /// The node crashes (its store loses what was not flushed).
    Crash(Code),
    /// ... and starts again from what its store kept.
    Restart(Code),
    /// A backup of the node's store is taken.
    Backup(Code),
    /// The node is stopped and started again from its backup.
    Restore(Code),
    /// The node's clock is set this many ms off.
    Clock(Code, i64),
}

/// The faults fixed at the start: clock skews, and backups with their restores.
pub fn at_start(cfg: &SimConfig, topo: &Topology, rng: &mut Rng) -> Vec<(u64, Action)> {
    let f = &cfg.faults;
    let mut out = Vec::new();
    for &c in &topo.nodes {
        if f.skew_ms > 0 {
            let skew = rng.range(0, 2 * f.skew_ms + 1) as i64 - f.skew_ms as i64;
            out.push((0, Action::Fault(Fault::Clock(c, skew))));
        }
    }
    let workload_end = u64::from(cfg.days) * DAY_MS;
    for _ in 0..f.clocks_hours_off {
        let c = topo.nodes[rng.range(0, topo.nodes.len() as u64) as usize];
        let hours = rng.range(2, 7) as i64 * 3_600_000;
        let off = if rng.chance(0.5) { hours } else { -hours };
        out.push((0, Action::Fault(Fault::Clock(c, off))));
        // An operator sets it right when the workload ends.
        out.push((workload_end, Action::Fault(Fault::Clock(c, 0))));
    }
    let restores = (f.restores_per_month * f64::from(cfg.days) / 30.0).round() as u64;
    if cfg.days >= 2 && topo.nodes.len() > 1 {
        for _ in 0..restores {
            let c = topo.nodes[rng.range(1, topo.nodes.len() as u64) as usize];
            let last = u64::from(cfg.days).saturating_sub(1).max(1);
            let backup = rng.range(DAY_MS / 2, last * DAY_MS);
            let restore = (backup + rng.range(DAY_MS / 2, 7 * DAY_MS)).min(workload_end);
            out.push((backup, Action::Fault(Fault::Backup(c))));
            out.push((restore.max(backup + 1), Action::Fault(Fault::Restore(c))));
        }
    }
    out
}

/// The partitions and crashes that start on `day`.
pub fn on_day(day: u32, cfg: &SimConfig, topo: &Topology, rng: &mut Rng) -> Vec<(u64, Action)> {
    let f = &cfg.faults;
    let start = u64::from(day) * DAY_MS;
    let mut out = Vec::new();
    for &c in &topo.nodes {
        if topo.parent(c).is_some() && rng.chance(f.partitions_per_link_day) {
            let at = start + rng.range(0, DAY_MS);
            let len = rng.log_range(f.partition_ms.0, f.partition_ms.1);
            out.push((at, Action::Fault(Fault::Cut(c))));
            out.push((at + len, Action::Fault(Fault::Heal(c))));
        }
        if rng.chance(f.crashes_per_node_day) {
            let at = start + rng.range(0, DAY_MS);
            let down = rng.range(f.down_ms.0, f.down_ms.1 + 1);
            out.push((at, Action::Fault(Fault::Crash(c))));
            out.push((at + down, Action::Fault(Fault::Restart(c))));
        }
    }
    out
}
