//! Faults in a federation of separate processes: the county in the middle of
//! the tree is killed with SIGKILL under write load, three times, and restarted;
//! afterwards no acknowledged write is lost anywhere above it and every pair of
//! nodes agrees (equal digests) on the scopes they share.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wuji_proto::pb::{self, suggestions_client::SuggestionsClient};

/// (records, digest) of the suggestions whose origin lies in `scope`, at `code`.
async fn digest_at(f: &Federation, code: &str, scope: u32) -> (u64, Vec<u8>) {
    digest(&f.ch(code).await, scope).await
}

/// Submits at `addr` until `stop`, recording every acknowledged id.
fn writer(
    endpoint: tonic::transport::Endpoint,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<BTreeSet<String>>>,
    tag: String,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            let Ok(ch) = endpoint.connect().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let mut s = SuggestionsClient::new(ch);
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let req = pb::SubmitRequest {
                    lead: "P".into(),
                    title: format!("{tag}-{n}"),
                    text: "x".into(),
                    ..Default::default()
                };
                match s.submit(req).await {
                    Ok(r) => {
                        acked
                            .lock()
                            .unwrap()
                            .insert(r.into_inner().view["id"].clone());
                    }
                    Err(_) => break, // the node is down: not acknowledged; reconnect
                }
            }
        }
    })
}

fn start_node(config: &str, log: &std::path::Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    Command::new(WUJI)
        .args(["node", "run", "--config", config])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_a_middle_node_under_write_load_loses_nothing_and_every_level_agrees() {
    let f = up().await;
    let county = f.nodes["320114"].clone();
    let config = county["config"].as_str().unwrap().to_string();
    let log = f.dir.path().join("county-restarts.log");
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    for code in ["320114001", "320114"] {
        f.enrol(code, "P").await;
    }
    let town_writer = writer(
        f.endpoint("320114001"),
        stop.clone(),
        acked.clone(),
        "town".into(),
    );
    let county_writer = writer(
        f.endpoint("320114"),
        stop.clone(),
        acked.clone(),
        "county".into(),
    );

    // Kill the county three times under load; the first time it is the
    // federation's own process, then the one this test restarted.
    let mut pid = county["pid"].as_u64().unwrap() as u32;
    let mut restarted: Option<Child> = None;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    for round in 0..3u64 {
        tokio::time::sleep(Duration::from_millis(
            300 + (seed.wrapping_mul(round + 7) % 500),
        ))
        .await;
        assert!(
            Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status()
                .unwrap()
                .success()
        );
        if let Some(mut c) = restarted.take() {
            let _ = c.wait();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let c = start_node(&config, &log);
        pid = c.id();
        restarted = Some(c);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let _ = town_writer.await;
    let _ = county_writer.await;
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 50,
        "too few writes acknowledged ({}) to mean anything",
        acked.len()
    );

    // Every level from the county up agrees with the nodes below it.
    let town_scope = 320_114_001;
    let county_scope = 320_114;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let t = digest_at(&f, "320114001", town_scope).await;
        let mut ok = true;
        let mut seen = vec![("320114001", t.0)];
        for code in ["320114", "320100", "320000", "100000"] {
            let d = digest_at(&f, code, town_scope).await;
            seen.push((code, d.0));
            ok &= d == t;
        }
        let c = digest_at(&f, "320114", county_scope).await;
        for code in ["320100", "320000", "100000"] {
            ok &= digest_at(&f, code, county_scope).await == c;
        }
        if ok {
            break;
        }
        assert!(Instant::now() < deadline, "levels do not agree: {seen:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // No acknowledged write is lost: each one is at the national node.
    let mut national = SuggestionsClient::new(f.ch("100000").await);
    for id in &acked {
        let r = national.get_suggestion(pb::Get { id: rid(id) }).await;
        assert!(
            r.is_ok(),
            "acknowledged write {id} never reached the national node"
        );
    }
    println!(
        "3 kills of the county: {} acknowledged writes, all at the national node",
        acked.len()
    );
    if let Some(mut c) = restarted {
        let _ = c.kill();
        let _ = c.wait();
    }
}
