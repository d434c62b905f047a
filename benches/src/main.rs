//! Node benchmarks; prints figures and ratios, asserts nothing (the machines are
//! shared and noisy). Run with `cargo run --release -p wuji-bench -- [RECORDS]
//! [API_SECONDS]` (defaults 100000 and 5).
//!
//! 1. API writes/s over real gRPC to a node on sled, with 1 and 8 clients.
//! 2. Records/s applied through the committer (authority, merge, indexes, log,
//!    flush per batch of 1,000) next to a raw sled batch insert of the same
//!    stored bytes, in the same run, and their ratio.
//! 3. Bytes on disk per record and the process's RSS after the apply.
//!
//! `wuji-bench sync [RECORDS] [SAMPLES] [CHANGES] [IDLE_SECONDS]` (defaults
//! 100000, 1000, 10, 60): see `sync.rs`. A zero skips that part.
//!
//! `wuji-bench console [REGIONS] [REQUESTS]`: the national 总览 of the console
//! over the summaries of every region of the tree (see `console.rs`).
//!
//! `wuji-bench feed [WATCHERS] [RATE] [SECONDS]`: the change feed of one
//! node with many watchers under a steady write rate (see `feed.rs`).
//!
//! `wuji-bench chain [RECORDS]`: a township's backlog through the five
//! levels, when each level holds it all and the end-to-end rate (`chain.rs`).
//!
//! `wuji-bench verify [SIGNATURES]`: section signatures checked per second
//! on one core, wuji's batch check against ed25519-dalek's (see `verify.rs`).
//!
//! `wuji-bench storm [--kills N] [--seed S] ...`: SIGKILLs a node of a real
//! federation under writers and checks that nothing was lost or counted twice
//! (see `storm.rs`); the one subcommand here that fails when a check fails.

use prost::Message;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use wuji_crdt::{Hlc, Stamp, WriterId};
use wuji_division::Code;
use wuji_model::calendar::Calendar;
use wuji_model::suggestion::workflow::{self as wf, Draft};
use wuji_model::{Ctx, Record, RecordId, RecordKind, Rules, Uuid};
use wuji_node::{Committer, Config, Op};
use wuji_proto::pb::{self, suggestions_client::SuggestionsClient};
use wuji_store::{Batch, Kv, Layout, SledKv};

/// The allocator (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod chain;
mod console;
mod feed;
mod storm;
mod sync;
mod verify;

/// Enrols `person` as a deputy of the node at `ch`: a suggestion's lead must
/// be a deputy in office that its origin node holds.
async fn enrol(ch: tonic::transport::Channel, person: &str) -> anyhow::Result<()> {
    pb::deputies_client::DeputiesClient::new(ch)
        .enrol(pb::EnrolRequest {
            person_id: person.into(),
            name: format!("代表{person}"),
            term: 14,
            ..Default::default()
        })
        .await?;
    Ok(())
}

const BATCH: usize = 1_000;

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn text() -> String {
    "雨花街道居民反映，小区周边缺少公交站点，老年人出行不便，建议公交公司优化线路，增设站点，方便群众出行。".repeat(2)
}

/// A realistic suggestion: submitted and registered (two sections, ~600 bytes).
fn suggestion(i: u64, rules: &Rules, cal: &Calendar) -> Record {
    let home = Code::parse("320114").expect("valid");
    let id = RecordId {
        kind: RecordKind::Suggestion,
        home,
        uuid: Uuid::now_v7(),
    };
    let ctx = Ctx {
        node: home,
        at: Stamp::new(
            Hlc((1_700_000_000_000 + i) << 16),
            WriterId::new(home.value(), 0),
        ),
        today: jiff::civil::date(2026, 3, 2),
        rules,
        calendar: cal,
    };
    let draft = Draft {
        lead: format!("P-{:02}", i % 50), // a township has about 50 deputies
        category: "交通".into(),
        title: format!("关于增设公交站点的建议（{i}）"),
        text: text(),
        ..Draft::default()
    };
    let mut r = wf::submit(&ctx, id, &draft).expect("valid draft");
    let reg = wf::register(&ctx, &r, &format!("雨2026-{i:06}")).expect("registers");
    wuji_crdt::Merge::merge(&mut r, &reg);
    r
}

async fn api_writes(clients: usize, seconds: u64) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    let mut config = Config::new(Code::parse("320114")?);
    config.node.data_dir = dir.path().join("data");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(wuji_node::run(listener, config, async {
        let _ = rx.await;
    }));
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    for c in 0..clients {
        enrol(channel.clone(), &format!("P-{c}")).await?;
    }
    let done = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (channel, done) = (channel.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut s = SuggestionsClient::new(channel);
            let mut n = 0u64;
            while Instant::now() < end {
                let req = pb::SubmitRequest {
                    lead: format!("P-{c}"),
                    title: format!("建议 {c}-{n}"),
                    text: text(),
                    ..Default::default()
                };
                if s.submit(req).await.is_ok() {
                    done.fetch_add(1, Ordering::Relaxed);
                }
                n += 1;
            }
        }));
    }
    let start = Instant::now();
    for t in tasks {
        t.await?;
    }
    let rate =
        done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64().max(seconds as f64);
    let _ = tx.send(());
    server.await??;
    Ok(rate)
}

/// Applies `n` records through the committer on a fresh store, one batch at a
/// time; returns (seconds spent in apply, bytes on disk, stored bytes). With a
/// raw store given, inserts the same stored bytes there too, timed separately.
async fn apply(n: u64, raw: Option<&SledKv>) -> anyhow::Result<(f64, f64, u64, usize)> {
    let rules = Rules::default();
    let cal = Calendar::builtin();
    let dir = tempfile::tempdir()?;
    let kv: Arc<dyn Kv> = Arc::new(SledKv::open(dir.path(), 64 << 20)?);
    let layout = Layout::open(kv.clone())?;
    let (committer, task) = Committer::start(wuji_node::CommitterParts {
        node: Code::parse("320114")?,
        layout,
        rules: rules.clone(),
        calendar: cal.clone(),
        clock: Arc::new(wuji_node::clock::SystemClock),
        max_ahead_ms: 60_000,
        max_batch: BATCH,
        signer: None, // unsigned: the cost of the apply itself (sync.rs measures signatures)
        broken_merge: false,
        horizon: Default::default(),
        parent: None,
        adopted: Vec::new(),
        telemetry: Default::default(),
    })?;
    let (mut t_apply, mut t_raw, mut bytes) = (0.0, 0.0, 0usize);
    let mut i = 0;
    while i < n {
        let records: Vec<Record> = (i..(i + BATCH as u64).min(n))
            .map(|j| suggestion(j, &rules, &cal))
            .collect();
        i += records.len() as u64;
        if let Some(raw) = raw {
            let mut b = Batch::default();
            for r in &records {
                let mut key = vec![b'R'];
                key.extend_from_slice(&wuji_store::layout::record_key(&r.id));
                let v = pb::StoredRecord {
                    format: 1,
                    state: Some(wuji_proto::record_to_state(r)),
                    seq: 1,
                    source: 0,
                }
                .encode_to_vec();
                bytes += key.len() + v.len();
                b.put(key, v);
            }
            let t = Instant::now();
            raw.apply(b)?;
            raw.flush_async().await?;
            t_raw += t.elapsed().as_secs_f64();
        }
        let ops: Vec<Op> = records
            .into_iter()
            .map(|r| Op::new(r.id, move |_, _| Ok(r)))
            .collect();
        let t = Instant::now();
        committer.submit(ops).await?;
        t_apply += t.elapsed().as_secs_f64();
    }
    drop(committer);
    task.await?;
    kv.flush()?;
    Ok((t_apply, t_raw, kv.size_on_disk()?, bytes))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WUJI_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("sync") {
        let n: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100_000);
        let samples: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1_000);
        let changes: u64 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(10);
        let idle: u64 = args.get(5).and_then(|a| a.parse().ok()).unwrap_or(60);
        return sync::run(n, samples, changes, idle).await;
    }
    if args.get(1).map(String::as_str) == Some("console") {
        let regions: usize = args
            .get(2)
            .and_then(|a| a.parse().ok())
            .unwrap_or(usize::MAX);
        let requests: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(30);
        return console::run(regions, requests).await;
    }
    if args.get(1).map(String::as_str) == Some("feed") {
        let num = |i: usize, d: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
        return feed::run(num(2, 1_000) as usize, num(3, 1_000), num(4, 10)).await;
    }
    if args.get(1).map(String::as_str) == Some("feed-node") {
        return feed::node().await;
    }
    if args.get(1).map(String::as_str) == Some("storm") {
        return storm::run(storm::Options::parse(&args[2..])?).await;
    }
    if args.get(1).map(String::as_str) == Some("chain") {
        return chain::run(args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100_000)).await;
    }
    if args.get(1).map(String::as_str) == Some("verify") {
        return verify::run(args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100_000));
    }
    if args.get(1).map(String::as_str) == Some("footprint") {
        // Child process: only the node's apply, so RSS is the node's own.
        let n: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100_000);
        let (t, _, disk, _) = apply(n, None).await?;
        println!("{n} {t} {disk} {}", rss_mib());
        return Ok(());
    }
    let n: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let api_secs: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    println!("wuji-bench: {n} records, API {api_secs} s per run");

    // 1. API writes/s.
    for clients in [1, 8] {
        let rate = api_writes(clients, api_secs).await?;
        println!(
            "api writes/s, {clients} client(s): {rate:.0}  (each acknowledged after its batch is flushed)"
        );
    }

    // 2. Apply through the committer vs raw sled, the same records, interleaved.
    let raw_dir = tempfile::tempdir()?;
    let raw = SledKv::open(raw_dir.path(), 64 << 20)?;
    let (t_apply, t_raw, disk, bytes) = apply(n, Some(&raw)).await?;
    println!(
        "record size:            {:.0} bytes stored on average",
        bytes as f64 / n as f64
    );
    println!(
        "raw sled batch insert:  {:.0} records/s (batches of {BATCH}, flush each)",
        n as f64 / t_raw
    );
    println!(
        "apply via committer:    {:.0} records/s (authority, merge, indexes, log, flush per {BATCH})",
        n as f64 / t_apply
    );
    println!("ratio apply / raw:      {:.2}", t_raw / t_apply);
    println!(
        "on disk:                {:.0} bytes per record applied ({:.1}x the stored bytes); raw: {:.0}",
        disk as f64 / n as f64,
        disk as f64 / bytes as f64,
        raw.size_on_disk()? as f64 / n as f64
    );
    drop(raw);

    // 3. Footprint of a node that applied n records, in a process of its own.
    let out = std::process::Command::new(std::env::current_exe()?)
        .args(["footprint", &n.to_string()])
        .output()?;
    let line = String::from_utf8_lossy(&out.stdout);
    let f: Vec<&str> = line.split_whitespace().collect();
    if let [_, _, disk, rss] = f.as_slice() {
        println!(
            "node alone at {n} records: RSS {rss} MiB (sled cache 64 MiB), {:.1} MiB on disk",
            disk.parse::<f64>().unwrap_or(0.0) / (1 << 20) as f64
        );
    } else {
        println!(
            "footprint run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}
