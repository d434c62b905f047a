//! Faults in a federation of separate processes: the county in the middle of
//! the tree is killed with SIGKILL under write load, three times, and restarted;
//! afterwards no acknowledged write is lost (each is at the writer's parent, as
//! far as its detail goes under sync.horizon = 1), every link agrees (equal
//! digests of what the parent is entitled to) and the national node counts
//! every write exactly once.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wuji_proto::pb::{self, suggestions_client::SuggestionsClient};

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
        let c = start_node(&config, &log, &[]);
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

    // Every link from the town up agrees: the child's digest of what its
    // parent is entitled to equals the parent's digest, for the town's and
    // the county's regions.
    until_links_agree(&f).await;
    // No acknowledged write is lost: each is at its writer's parent (the
    // level that supervises it); none of the town's is at the city.
    for (writer, parent) in [("320114001", "320114"), ("320114", "320100")] {
        let mut s = SuggestionsClient::new(f.ch(parent).await);
        for id in acked
            .iter()
            .filter(|id| id.starts_with(&format!("{writer}:")))
        {
            let r = s.get_suggestion(pb::Get { id: rid(id) }).await;
            assert!(r.is_ok(), "acknowledged write {id} never reached {parent}");
        }
    }
    let town_at_city = f
        .all_suggestions("320100")
        .await
        .iter()
        .filter(|v| v["home"] == "320114001" && v["title"].starts_with("town-"))
        .count();
    assert_eq!(
        town_at_city, 0,
        "town opinions handled at the town stay below the city"
    );
    // Counted once: the national node's figure equals a recount of every
    // node's own suggestions.
    eventually("the national node counts every write once", || async {
        f.own_count("100000", "suggestion.total").await == f.homed_total().await
    })
    .await;
    let total = f.own_count("100000", "suggestion.total").await;
    assert!(
        total >= acked.len() as u64,
        "{total} counted, {} acknowledged",
        acked.len()
    );
    println!(
        "3 kills of the county: {} acknowledged writes, all at their parents, {total} counted at the national node",
        acked.len()
    );
    if let Some(mut c) = restarted {
        let _ = c.kill();
        let _ = c.wait();
    }
}
