//! What a run simulates: the region, how long, the seed, the workload's
//! rates and the faults, each settable (defaults from the offices' reports,
//! see `docs/SCALE.md`).

use crate::wire::WireFaults;
use wuji_division::Code;
use wuji_model::routing::Horizon;

/// Deputies per congress and what they raise.
#[derive(Debug, Clone)]
pub struct Rates {
    /// Deputies per congress, national first (a 街道 elects none).
    pub deputies: [u32; 5],
    /// Opinions (社情民意) each deputy raises per month.
    pub opinions_per_deputy_month: f64,
    /// Share escalated by the handler to the level above, by the handler's
    /// level (national first).
    pub escalate: [f64; 5],
    /// Share the handler's parent puts under supervision (督办).
    pub supervise: f64,
    /// Share of answers rated 不满意 (re-handled once).
    pub dissatisfied: f64,
    /// Assignments (交办) each congress issues to its regions per month.
    pub assignments_per_month: u32,
    /// Roster changes (a status change) per congress per month.
    pub roster_changes_per_month: f64,
    /// Share of township writes timed to each ancestor.
    pub trace: f64,
    /// Seats falling vacant per congress per month (each filled again
    /// 10–40 working days later).
    pub vacancies_per_month: f64,
}

impl Default for Rates {
    fn default() -> Rates {
        Rates {
            // ~2.6 million in all (GLOSSARY.md): 2,977 national; provinces
            // ~680; cities ~360; counties ~200; townships ~58 each.
            deputies: [2_977, 680, 360, 200, 58],
            opinions_per_deputy_month: 1.0,
            escalate: [0.0, 0.02, 0.03, 0.05, 0.10],
            supervise: 0.02,
            dissatisfied: 0.05,
            assignments_per_month: 1,
            roster_changes_per_month: 0.5,
            trace: 0.05,
            vacancies_per_month: 0.1,
        }
    }
}

/// The faults a run injects.
#[derive(Debug, Clone)]
pub struct Faults {
    /// Link partitions per link per day.
    pub partitions_per_link_day: f64,
    /// Shortest and longest partition (ms), drawn evenly over their logarithms.
    pub partition_ms: (u64, u64),
    /// Crashes per node per day (what was not flushed is lost).
    pub crashes_per_node_day: f64,
    /// How long a crashed node stays down (ms).
    pub down_ms: (u64, u64),
    /// Restores from a backup 1 to 7 days old, per 30 simulated days.
    pub restores_per_month: f64,
    /// Every clock is off by up to this many ms either way.
    pub skew_ms: u64,
    /// Nodes whose clock is hours off (fixed when the workload ends).
    pub clocks_hours_off: u32,
    /// Delays, duplicates and losses on the wire.
    pub wire: WireFaults,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            partitions_per_link_day: 0.002,
            partition_ms: (60_000, 3 * 86_400_000),
            crashes_per_node_day: 0.0005,
            down_ms: (60_000, 30 * 60_000),
            restores_per_month: 1.0,
            skew_ms: 10 * 60_000,
            clocks_hours_off: 1,
            wire: WireFaults {
                delay_ms: (5, 200),
                duplicate: 0.002,
                loss: 0.0005,
            },
        }
    }
}

impl Faults {
    /// No faults at all.
    pub fn none() -> Faults {
        Faults {
            partitions_per_link_day: 0.0,
            partition_ms: (0, 0),
            crashes_per_node_day: 0.0,
            down_ms: (0, 0),
            restores_per_month: 0.0,
            skew_ms: 0,
            clocks_hours_off: 0,
            wire: WireFaults {
                delay_ms: (5, 50),
                duplicate: 0.0,
                loss: 0.0,
            },
        }
    }
}

/// One run.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The region simulated (its root has no parent in the run).
    pub region: Code,
    /// Simulated days of workload.
    pub days: u32,
    /// The seed of every draw.
    pub seed: u64,
    /// The workload.
    pub rates: Rates,
    /// The faults.
    pub faults: Faults,
    /// One node (the first county, or the root's first child) merges
    /// peers' states wrongly: the checks must catch it.
    pub broken_merge: bool,
    /// Simulated hours allowed for convergence after the last heal.
    pub settle_hours: u64,
    /// UTC ms of the first simulated day (00:00 in Beijing).
    pub start_ms: u64,
    /// Seconds between digest checks on a quiet link (600 on a server).
    pub check_every_secs: u64,
    /// The federation's routing horizon (`sync.horizon`).
    pub horizon: Horizon,
}

impl SimConfig {
    /// Defaults for `region`, `days`, `seed`.
    pub fn new(region: Code, days: u32, seed: u64) -> SimConfig {
        SimConfig {
            region,
            days,
            seed,
            rates: Rates::default(),
            faults: Faults::default(),
            broken_merge: false,
            settle_hours: 12,
            // 2027-01-01T00:00+08:00.
            start_ms: 1_798_732_800_000,
            check_every_secs: 3_600,
            horizon: Horizon::default(),
        }
    }
}
