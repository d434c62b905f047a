//! `wuji-bench feed [WATCHERS] [RATE] [SECONDS]` (defaults 1000, 1000, 10):
//! one node on sled in a process of its own, serving gRPC on loopback;
//! WATCHERS open watchers of its change feed (suggestions, from now), and
//! writers make RATE changes a second for SECONDS. Prints the delivery
//! latency from the start of each write to each watcher's receipt of it
//! (p50, p99, max), the events delivered per second, how long the watchers
//! took to drain after the writers stopped, and the node process's CPU use.
//! The watchers read of each event only its log sequence (the rest of the
//! message is skipped, not decoded): they share the machine's two cores
//! with the node, and a full decode of every event by a thousand watchers
//! would measure them, not the node. Asserts nothing.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use wuji_division::Code;
use wuji_proto::pb::{self, suggestions_client::SuggestionsClient};

/// A `WatchEvent` of which only the log sequence is read.
#[derive(Clone, PartialEq, prost::Message)]
struct SeqOnly {
    #[prost(uint64, tag = "2")]
    seq: u64,
    #[prost(message, optional, tag = "5")]
    heartbeat: Option<Empty>,
}

/// Any message, its fields skipped.
#[derive(Clone, PartialEq, prost::Message)]
struct Empty {}

/// Opens a watcher that reads only sequences.
async fn watch_seqs(ch: tonic::transport::Channel) -> anyhow::Result<tonic::Streaming<SeqOnly>> {
    let mut grpc = tonic::client::Grpc::new(ch);
    grpc.ready().await?;
    let req = pb::WatchRequest {
        kinds: vec!["suggestion".into()],
        ..Default::default()
    };
    let codec = tonic_prost::ProstCodec::<pb::WatchRequest, SeqOnly>::default();
    let path = tonic::codegen::http::uri::PathAndQuery::from_static("/wuji.v1.Feed/Watch");
    Ok(grpc
        .server_streaming(tonic::Request::new(req), path, codec)
        .await?
        .into_inner())
}

/// Watchers share a connection this many at a time.
const PER_CHANNEL: usize = 50;
/// Concurrent writers.
const WRITERS: usize = 8;

/// The node alone (a child process): prints its address, runs until its
/// standard input closes.
pub async fn node() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut config = wuji_node::Config::new(Code::parse("320114")?);
    config.node.data_dir = dir.path().join("data");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    let stdin_closed = async {
        let _ = tokio::task::spawn_blocking(|| {
            let mut s = String::new();
            while std::io::stdin()
                .read_line(&mut s)
                .map(|n| n > 0)
                .unwrap_or(false)
            {}
        })
        .await;
    };
    wuji_node::run(listener, config, stdin_closed).await?;
    Ok(())
}

/// CPU seconds (user and system) of process `pid` so far.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis: utime is the 12th, stime the 13th.
    let rest = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

/// The benchmark.
pub async fn run(watchers: usize, rate: u64, seconds: u64) -> anyhow::Result<()> {
    let mut child = Command::new(std::env::current_exe()?)
        .arg("feed-node")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut addr = String::new();
    BufReader::new(child.stdout.take().expect("piped")).read_line(&mut addr)?;
    let addr = addr.trim().to_string();
    let pid = child.id();
    let ep = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?;
    let first = ep.connect().await?;
    super::enrol(first.clone(), "P").await?;
    println!(
        "wuji-bench feed: {watchers} watchers, {rate} changes/s for {seconds} s, node at {addr} (pid {pid})"
    );

    let total = (rate * seconds) as usize;
    let epoch = Instant::now();
    // When the first write of each log sequence started (µs since epoch),
    // filled in as the writes are acknowledged; watchers note (sequence,
    // receipt) and the latencies are worked out at the end.
    let started: Arc<Vec<AtomicU64>> = Arc::new(
        (0..total + 1_000)
            .map(|_| AtomicU64::new(u64::MAX))
            .collect(),
    );
    let mut tasks = Vec::new();
    let t_open = Instant::now();
    for w in 0..watchers {
        if w % PER_CHANNEL == 0 {
            // A connection of their own for every PER_CHANNEL watchers.
            tasks.push((ep.connect().await?, Vec::new()));
        }
        let ch = tasks.last().expect("just pushed").0.clone();
        let mut s = watch_seqs(ch).await?;
        let h = tokio::spawn(async move {
            let mut seen: Vec<(u64, u64)> = Vec::with_capacity(total);
            while seen.len() < total {
                let Ok(Ok(Some(ev))) =
                    tokio::time::timeout(Duration::from_secs(60), s.message()).await
                else {
                    break;
                };
                if ev.heartbeat.is_none() {
                    seen.push((ev.seq, epoch.elapsed().as_micros() as u64));
                }
            }
            seen
        });
        tasks.last_mut().expect("just pushed").1.push(h);
    }
    println!(
        "opened {watchers} watchers in {:.1} s",
        t_open.elapsed().as_secs_f64()
    );

    let cpu0 = cpu_seconds(pid);
    let t0 = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut writers = Vec::new();
    for _ in 0..WRITERS {
        let (ch, started, next) = (first.clone(), started.clone(), next.clone());
        writers.push(tokio::spawn(async move {
            let mut s = SuggestionsClient::new(ch);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i as usize >= total {
                    return;
                }
                // Paced: change i is due at i / rate seconds.
                let due = t0 + Duration::from_secs_f64(i as f64 / rate as f64);
                tokio::time::sleep_until(due.into()).await;
                let at = epoch.elapsed().as_micros() as u64;
                let r = s
                    .submit(pb::SubmitRequest {
                        lead: "P".into(),
                        title: format!("关于增设公交站点的建议#{i}"),
                        text: super::text(),
                        ..Default::default()
                    })
                    .await;
                if let Ok(r) = r
                    && let Some(slot) = started.get(r.into_inner().seq as usize)
                {
                    slot.fetch_min(at, Ordering::Relaxed);
                }
            }
        }));
    }
    for w in writers {
        w.await?;
    }
    let wrote = t0.elapsed().as_secs_f64();
    let cpu_writing = cpu_seconds(pid) - cpu0;
    let mut all: Vec<u32> = Vec::with_capacity(watchers * total);
    let mut n = 0u64;
    for (_, hs) in tasks {
        for h in hs {
            for (seq, at) in h.await? {
                let t = started
                    .get(seq as usize)
                    .map_or(u64::MAX, |s| s.load(Ordering::Relaxed));
                if t != u64::MAX {
                    all.push(at.saturating_sub(t).min(u64::from(u32::MAX)) as u32);
                    n += 1;
                }
            }
        }
    }
    let drained = t0.elapsed().as_secs_f64();
    let cpu_all = cpu_seconds(pid) - cpu0;
    all.sort_unstable();
    println!(
        "writes: {total} in {wrote:.1} s ({:.0}/s); every watcher had them all {:.1} s after the first",
        total as f64 / wrote,
        drained
    );
    println!(
        "delivered: {n} of {} events ({:.0} events/s over the whole run)",
        watchers * total,
        n as f64 / drained
    );
    println!(
        "delivery latency (write start to receipt): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(&all, 0.50),
        pct(&all, 0.99),
        pct(&all, 1.0)
    );
    println!(
        "node CPU: {:.2} cores while writing ({cpu_writing:.1} s in {wrote:.1} s), {:.2} cores until drained",
        cpu_writing / wrote,
        cpu_all / drained
    );
    drop(child.stdin.take());
    let _ = child.wait();
    Ok(())
}
