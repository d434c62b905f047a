//! What a run measured and whether its checks held, as a table for a person
//! and as JSON for a script.

use crate::Error;
use crate::checks::{Check, Held};
use crate::config::SimConfig;
use crate::topology::{LEVELS, Topology, level_index};
use crate::wire::Measured;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;
use wuji_division::Code;
use wuji_store::Layout;

/// Counts of what the run did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Tally {
    /// Writes acknowledged.
    pub writes: u64,
    /// Opinions raised.
    pub raised: u64,
    /// Escalations (上报).
    pub escalated: u64,
    /// Suggestions put under supervision (督办).
    pub supervised: u64,
    /// Suggestions closed (办结).
    pub closed: u64,
    /// Assignments issued (交办).
    pub issued: u64,
    /// Roster changes.
    pub roster_changes: u64,
    /// Deputy activities recorded (履职活动).
    pub activities: u64,
    /// Seats vacated (出缺), and filled again (补选).
    pub vacancies: u64,
    /// Vacancies filled.
    pub filled: u64,
    /// Writes refused, by rule.
    pub refused: BTreeMap<String, u64>,
    /// Actions deferred because their node was down.
    pub deferred: u64,
    /// Steps given up: their record never reached the node.
    pub gave_up: u64,
    /// Partitions started.
    pub partitions: u64,
    /// Crashes.
    pub crashes: u64,
    /// Restores from a backup.
    pub restores: u64,
    /// Key changes lost by crashes (applied, not flushed).
    pub lost_unflushed: u64,
    /// Acknowledged writes lost with a restore (no neighbour held them).
    pub lost_to_restore: u64,
}

/// Median and maximum.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Spread {
    /// Median.
    pub median: u64,
    /// Maximum.
    pub max: u64,
}

fn spread(mut v: Vec<u64>) -> Spread {
    v.sort_unstable();
    Spread {
        median: v.get(v.len() / 2).copied().unwrap_or(0),
        max: v.last().copied().unwrap_or(0),
    }
}

fn percentile(v: &[u64], p: f64) -> u64 {
    if v.is_empty() {
        return 0;
    }
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// What the nodes of one level hold.
#[derive(Debug, Clone, Serialize)]
pub struct Holding {
    /// The level.
    pub level: &'static str,
    /// Nodes of this level.
    pub nodes: usize,
    /// Records held (every kind).
    pub records: Spread,
    /// Suggestions held.
    pub suggestions: Spread,
    /// Bytes held (keys and values).
    pub bytes: Spread,
    /// Bytes per day on the link from a node of this level to its parent (both ways).
    pub link_bytes_per_day: Spread,
}

/// Time from a township's write to a level above (ms).
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    /// The receiving level.
    pub level: &'static str,
    /// Writes timed.
    pub writes: usize,
    /// Median.
    pub p50_ms: u64,
    /// 99th percentile.
    pub p99_ms: u64,
}

/// A run's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The region simulated (its code).
    pub region: u32,
    /// Simulated days of workload.
    pub days: u32,
    /// The seed.
    pub seed: u64,
    /// Whether every check held.
    pub ok: bool,
    /// The checks.
    pub checks: Vec<Check>,
    /// Nodes by level, national first.
    pub nodes: [usize; 5],
    /// Simulated seconds (workload and settling).
    pub simulated_secs: u64,
    /// Wall seconds.
    pub wall_secs: f64,
    /// Writes and messages per wall second.
    pub events_per_sec: f64,
    /// The process's peak resident memory (MiB; 0 where /proc is missing).
    pub peak_rss_mib: u64,
    /// Messages carried between nodes.
    pub messages: u64,
    /// ... by kind.
    pub messages_by_kind: BTreeMap<&'static str, u64>,
    /// Links the wire reset (duplicates and losses).
    pub wire_resets: u64,
    /// What the run did.
    pub tally: Tally,
    /// What each level holds.
    pub holdings: Vec<Holding>,
    /// From a township write to each level above.
    pub latency: Vec<Latency>,
    /// Simulated seconds from the last heal until every link agreed
    /// (`None`: not within the settling time).
    pub converged_after_secs: Option<f64>,
    /// SHA-256 over every node's digest of every kind of its own region:
    /// the same seed must print the same.
    pub fingerprint: String,
    /// Whether this build replays a seed (tokio's generator seeded: built
    /// with `--cfg tokio_unstable`, see `.cargo/config.toml`).
    pub replays: bool,
}

impl Report {
    /// Builds the report of a finished run.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cfg: &SimConfig,
        topo: &Topology,
        checks: (Vec<Check>, Held),
        layouts: &BTreeMap<Code, Layout>,
        sizes: &BTreeMap<Code, (usize, usize)>,
        wire: Measured,
        tally: Tally,
        converged: Option<u64>,
        wall: Duration,
    ) -> Result<Report, Error> {
        let (checks, held) = checks;
        let mut fp = Sha256::new();
        for (c, l) in layouts {
            for k in wuji_node::sync::kinds() {
                let d = l.scope_digest_of_kind(*c, k)?;
                fp.update(c.value().to_be_bytes());
                fp.update([k]);
                fp.update(d.digest.0);
                fp.update(d.records.to_be_bytes());
            }
        }
        let fingerprint: String = fp.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let mut link: BTreeMap<Code, u64> = BTreeMap::new();
        for ((from, to), b) in &wire.bytes {
            let child = if topo.parent(*from) == Some(*to) {
                *from
            } else {
                *to
            };
            *link.entry(child).or_default() += b;
        }
        let days = u64::from(cfg.days.max(1));
        let mut holdings = Vec::new();
        for (i, name) in LEVELS.iter().enumerate() {
            let nodes: Vec<Code> = topo
                .nodes
                .iter()
                .copied()
                .filter(|c| level_index(c.level()) == i)
                .collect();
            if nodes.is_empty() {
                continue;
            }
            let of = |c: &Code| held.get(c);
            holdings.push(Holding {
                level: name,
                nodes: nodes.len(),
                records: spread(
                    nodes
                        .iter()
                        .map(|c| of(c).map(|m| m.values().sum()).unwrap_or(0))
                        .collect(),
                ),
                suggestions: spread(
                    nodes
                        .iter()
                        .map(|c| {
                            of(c)
                                .and_then(|m| m.get(&wuji_model::RecordKind::Suggestion).copied())
                                .unwrap_or(0)
                        })
                        .collect(),
                ),
                bytes: spread(
                    nodes
                        .iter()
                        .map(|c| sizes.get(c).map(|s| s.1 as u64).unwrap_or(0))
                        .collect(),
                ),
                link_bytes_per_day: spread(
                    nodes
                        .iter()
                        .filter(|c| topo.parent(**c).is_some())
                        .map(|c| link.get(c).copied().unwrap_or(0) / days)
                        .collect(),
                ),
            });
        }
        let mut by_level: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
        for (to, ms) in &wire.latencies {
            by_level
                .entry(level_index(to.level()))
                .or_default()
                .push(*ms);
        }
        let latency = by_level
            .into_iter()
            .map(|(i, mut v)| {
                v.sort_unstable();
                Latency {
                    level: LEVELS[i],
                    writes: v.len(),
                    p50_ms: percentile(&v, 0.5),
                    p99_ms: percentile(&v, 0.99),
                }
            })
            .collect();
        let wall_secs = wall.as_secs_f64();
        let simulated_secs = (u64::from(cfg.days) * 86_400_000
            + converged.unwrap_or(cfg.settle_hours * 3_600_000))
            / 1000;
        Ok(Report {
            region: cfg.region.value(),
            days: cfg.days,
            seed: cfg.seed,
            ok: checks.iter().all(|c| c.ok),
            checks,
            nodes: topo.count_by_level(),
            simulated_secs,
            wall_secs,
            events_per_sec: (tally.writes + wire.messages) as f64 / wall_secs.max(1e-9),
            peak_rss_mib: peak_rss_kib() / 1024,
            messages: wire.messages,
            messages_by_kind: wire.by_kind.clone(),
            wire_resets: wire.resets,
            tally,
            holdings,
            latency,
            converged_after_secs: converged.map(|ms| ms as f64 / 1000.0),
            fingerprint,
            replays: crate::REPLAYS,
        })
    }

    /// The failed checks, with the seed to replay them.
    pub fn failures(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| format!("seed {}: {}: {}", self.seed, c.name, c.detail))
            .collect()
    }

    /// The report as a table.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let t = &self.tally;
        let _ = writeln!(
            s,
            "wuji-sim region {} · {} days · seed {} · nodes {:?} (national…township)",
            self.region, self.days, self.seed, self.nodes
        );
        let _ = writeln!(
            s,
            "simulated {:.1} days in {:.1} s wall · {:.0} events/s · peak memory {} MiB · {} writes · {} messages ({} links reset by the wire)",
            self.simulated_secs as f64 / 86_400.0,
            self.wall_secs,
            self.events_per_sec,
            self.peak_rss_mib,
            t.writes,
            self.messages,
            self.wire_resets
        );
        let _ = writeln!(s, "messages by kind: {:?}", self.messages_by_kind);
        let _ = writeln!(
            s,
            "opinions {} raised · {} escalated · {} supervised · {} closed · {} assignments · {} roster changes · {} steps given up",
            t.raised, t.escalated, t.supervised, t.closed, t.issued, t.roster_changes, t.gave_up
        );
        let _ = writeln!(
            s,
            "deputy work: {} activities · {} vacancies ({} filled)",
            t.activities, t.vacancies, t.filled
        );
        let _ = writeln!(
            s,
            "faults: {} partitions · {} crashes ({} unflushed key changes lost) · {} restores ({} acknowledged writes lost with them) · refused {:?}",
            t.partitions, t.crashes, t.lost_unflushed, t.restores, t.lost_to_restore, t.refused
        );
        let _ = writeln!(
            s,
            "\n{:<9} {:>6} {:>21} {:>21} {:>23} {:>23}",
            "level",
            "nodes",
            "records med/max",
            "suggestions med/max",
            "bytes med/max",
            "link B/day med/max"
        );
        for h in &self.holdings {
            let _ = writeln!(
                s,
                "{:<9} {:>6} {:>21} {:>21} {:>23} {:>23}",
                h.level,
                h.nodes,
                format!("{}/{}", h.records.median, h.records.max),
                format!("{}/{}", h.suggestions.median, h.suggestions.max),
                format!("{}/{}", h.bytes.median, h.bytes.max),
                format!(
                    "{}/{}",
                    h.link_bytes_per_day.median, h.link_bytes_per_day.max
                ),
            );
        }
        if !self.latency.is_empty() {
            let _ = writeln!(s, "\ntownship write → level   timed   p50        p99");
            for l in &self.latency {
                let _ = writeln!(
                    s,
                    "{:<24} {:>6}   {:<10} {}",
                    l.level,
                    l.writes,
                    human(l.p50_ms),
                    human(l.p99_ms)
                );
            }
        }
        let _ = writeln!(
            s,
            "\nconverged after the last heal: {}",
            self.converged_after_secs
                .map(|x| format!("{x:.0} s (simulated)"))
                .unwrap_or_else(|| "NOT within the settling time".into())
        );
        let _ = writeln!(s, "\nchecks:");
        for c in &self.checks {
            let _ = writeln!(
                s,
                "  [{}] {} — {}",
                if c.ok { "ok" } else { "FAILED" },
                c.name,
                c.detail
            );
        }
        let _ = writeln!(s, "\nfingerprint {}", self.fingerprint);
        if !self.replays {
            let _ = writeln!(s, "(this build does not replay a seed: {NOT_REPLAYING})");
        }
        s
    }
}

/// Why a build does not replay a seed, and what to do about it.
pub const NOT_REPLAYING: &str = "built without `--cfg tokio_unstable`, so tokio's own \
    random draws are not seeded (a RUSTFLAGS variable replaces .cargo/config.toml's \
    flags; add `--cfg tokio_unstable` to it)";

/// VmHWM of /proc/self/status, in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn human(ms: u64) -> String {
    match ms {
        0..=9_999 => format!("{ms} ms"),
        10_000..=5_999_999 => format!("{:.1} min", ms as f64 / 60_000.0),
        _ => format!("{:.1} h", ms as f64 / 3_600_000.0),
    }
}

/// Progress on stderr, one line per simulated week (or none).
#[derive(Debug, Clone, Copy)]
pub struct Progress(pub bool);

impl Progress {
    /// Day `d` of `days` starts.
    pub fn day(&self, d: u32, days: u32, t: &Tally) {
        if self.0 && (d.is_multiple_of(7) || d + 1 == days) {
            eprintln!(
                "day {d}/{days}: {} writes, {} opinions raised, {} closed, {} partitions, {} crashes",
                t.writes, t.raised, t.closed, t.partitions, t.crashes
            );
        }
    }
}
