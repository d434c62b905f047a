//! `wuji-sim`: simulates a region of the federation (the whole country by
//! default: 100000) for some days from a seed, prints the report, and exits
//! non-zero when a check fails.

use clap::Parser;

/// The allocator, as the `wuji` binary's (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
use wuji_division::Code;
use wuji_sim::config::{Faults, SimConfig};
use wuji_sim::{Progress, run};

/// Runs many real wuji nodes in one process on the real division tree, with
/// in-memory stores and links and a virtual clock, plays a workload of the
/// offices' real volumes and faults drawn from the seed, then checks that every
/// shared scope agrees, no acknowledged write is lost, nothing is held beyond
/// entitlement and every summary equals a recount. The same seed gives the
/// same run and prints the same fingerprint.
#[derive(Debug, Parser)]
#[command(name = "wuji-sim", version)]
struct Args {
    /// The region: 100000 for the whole country, or any congress code
    /// (320000 a province, 320100 a city, 320114 a county).
    #[arg(long, default_value = "100000")]
    region: String,
    /// Simulated days of workload.
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// The seed of every draw.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Run without any fault.
    #[arg(long)]
    no_faults: bool,
    /// Opinions (社情民意) per deputy per month.
    #[arg(long, default_value_t = 1.0)]
    opinions: f64,
    /// Deputies per township congress (街道 elect none).
    #[arg(long, default_value_t = 58)]
    township_deputies: u32,
    /// Link partitions per link per day.
    #[arg(long)]
    partitions: Option<f64>,
    /// Crashes per node per day.
    #[arg(long)]
    crashes: Option<f64>,
    /// Restores from old backups per 30 days.
    #[arg(long)]
    restores: Option<f64>,
    /// Clocks off by up to this many minutes either way.
    #[arg(long)]
    skew_minutes: Option<u64>,
    /// Make one county merge peers' states wrongly (the checks must fail).
    #[arg(long)]
    broken_merge: bool,
    /// Simulated hours allowed for convergence after the last heal.
    #[arg(long, default_value_t = 12)]
    settle_hours: u64,
    /// Seconds between digest checks on a quiet link (600 on a server).
    #[arg(long, default_value_t = 3_600)]
    check_every: u64,
    /// How far above the congresses that handle a record its detail goes:
    /// a number of levels, or `all` (every ancestor holds everything below).
    #[arg(long, default_value = "1")]
    horizon: wuji_model::routing::Horizon,
    /// No progress lines on stderr.
    #[arg(long, short)]
    quiet: bool,
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    // The nodes' logs, off unless asked for (WUJI_LOG=warn, ...): a run of
    // thousands of nodes logs every partition of every link.
    if let Ok(filter) = std::env::var("WUJI_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .init();
    }
    let region =
        Code::parse(&a.region).map_err(|e| anyhow::anyhow!("--region {}: {e}", a.region))?;
    let mut cfg = SimConfig::new(region, a.days, a.seed);
    if a.no_faults {
        cfg.faults = Faults::none();
    }
    let f = &mut cfg.faults;
    if let Some(p) = a.partitions {
        f.partitions_per_link_day = p;
    }
    if let Some(c) = a.crashes {
        f.crashes_per_node_day = c;
    }
    if let Some(r) = a.restores {
        f.restores_per_month = r;
    }
    if let Some(m) = a.skew_minutes {
        f.skew_ms = m * 60_000;
    }
    cfg.rates.opinions_per_deputy_month = a.opinions;
    cfg.rates.deputies[4] = a.township_deputies;
    cfg.broken_merge = a.broken_merge;
    cfg.settle_hours = a.settle_hours;
    cfg.check_every_secs = a.check_every;
    cfg.horizon = a.horizon;
    if !wuji_sim::REPLAYS {
        eprintln!(
            "warning: this wuji-sim does not replay a seed: {}",
            wuji_sim::report::NOT_REPLAYING
        );
    }
    let report = run(&cfg, Progress(!a.quiet))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
    }
    for f in report.failures() {
        eprintln!("check failed: {f}");
    }
    if !report.ok {
        std::process::exit(1);
    }
    Ok(())
}
