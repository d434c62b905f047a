//! Crash safety: a separate node process takes a stream of writes from eight
//! concurrent clients and is killed with SIGKILL at random points, again and
//! again, then restarted on the same directory. Every acknowledged write must be
//! there, none duplicated, and the store must open cleanly every time.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tonic::transport::Channel;
use wuji_proto::pb::{self, suggestions_client::SuggestionsClient};

const WUJI: &str = env!("CARGO_BIN_EXE_wuji");
const KILLS: usize = 8;
const WRITERS: usize = 8;

/// A free port below the ephemeral range (a restarted node's port must not
/// be taken by a client's source port meanwhile).
fn free_port() -> u16 {
    wuji_node::test_util::free_ports(1)
}

async fn connect(addr: &str, child: &mut Child) -> Channel {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the node exited at start ({status}): the store did not open cleanly");
        }
        let ep = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap();
        if let Ok(c) = ep.connect().await {
            return c;
        }
        assert!(Instant::now() < deadline, "node did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A small deterministic generator (xorshift), seeded per run and printed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_repeated_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let status = Command::new(WUJI)
        .args(["init", "--code", "320114", "--dir"])
        .arg(dir.path())
        .args(["--listen", &addr])
        .status()
        .unwrap();
    assert!(status.success());
    let config = dir.path().join("wuji.toml");
    let log = dir.path().join("node.log");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("seed {seed}");
    let mut rng = Rng(seed);
    // title → id of every acknowledged submit.
    let acked: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let mut attempted = 0usize;

    for round in 0..KILLS {
        let mut child = common::start_node(config.to_str().unwrap(), &log, &[]);
        let channel = connect(&addr, &mut child).await;
        if round == 0 {
            common::enrol(channel.clone(), "P").await;
        }
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut writers = Vec::new();
        for w in 0..WRITERS {
            let (acked, stop, channel) = (acked.clone(), stop.clone(), channel.clone());
            writers.push(tokio::spawn(async move {
                let mut c = SuggestionsClient::new(channel);
                let mut n = 0usize;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let title = format!("r{round}-w{w}-{n}");
                    n += 1;
                    let req = pb::SubmitRequest {
                        lead: "P".into(),
                        title: title.clone(),
                        text: "x".into(),
                        ..Default::default()
                    };
                    match c.submit(req).await {
                        Ok(r) => {
                            let id = r.into_inner().view["id"].clone();
                            acked.lock().unwrap().insert(title, id);
                        }
                        Err(_) => break, // the node died under us: not acknowledged
                    }
                }
                n
            }));
        }
        tokio::time::sleep(Duration::from_millis(100 + rng.next() % 700)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for w in writers {
            attempted += w.await.unwrap();
        }
    }

    // Restart once more and read everything back.
    let mut child = common::start_node(config.to_str().unwrap(), &log, &[]);
    let channel = connect(&addr, &mut child).await;
    let mut c = SuggestionsClient::new(channel);
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > KILLS * 10,
        "too few writes were acknowledged ({}) to mean anything",
        acked.len()
    );
    let mut stored: BTreeMap<String, String> = BTreeMap::new();
    let mut ids = BTreeSet::new();
    let mut after = String::new();
    loop {
        let page = c
            .list_suggestions(pb::ListSuggestionsRequest {
                page: Some(pb::Page {
                    limit: 500,
                    after: after.clone(),
                }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        for r in &page.records {
            assert!(
                ids.insert(r.view["id"].clone()),
                "record {} listed twice",
                r.view["id"]
            );
            let dup = stored.insert(r.view["title"].clone(), r.view["id"].clone());
            assert!(dup.is_none(), "write {} stored twice", r.view["title"]);
        }
        if page.next.is_empty() {
            break;
        }
        after = page.next;
    }
    for (title, id) in &acked {
        assert_eq!(
            stored.get(title),
            Some(id),
            "acknowledged write {title} lost"
        );
    }
    assert!(
        stored.len() <= attempted,
        "more records than writes attempted"
    );
    println!(
        "{KILLS} kills: {} writes acknowledged, {} stored, {} attempted",
        acked.len(),
        stored.len(),
        attempted
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
