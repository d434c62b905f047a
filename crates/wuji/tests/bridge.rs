//! The example bridge (`examples/bridge/bridge.py`, grpcio stubs generated
//! from `proto/`) against a township of a multi-process federation: it prints
//! each arrival and its reminder, keeps its cursor in a file, and after a
//! SIGKILL of itself and then of the node it goes on with nothing missed and
//! nothing twice. The test makes its own Python environment (grpcio and
//! grpcio-tools from PyPI) under the target directory.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use wuji_proto::pb::{self, assignments_client::AssignmentsClient};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// A Python with grpcio and grpcio-tools, made once under the target directory.
fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bridge-venv");
    let py = venv.join("bin/python");
    let ready = venv.join("ready");
    if ready.exists() {
        return py;
    }
    let run = |c: &mut Command| {
        let o = c.output().unwrap();
        assert!(
            o.status.success(),
            "{c:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    run(Command::new(&py).args(["-m", "pip", "install", "-q", "grpcio", "grpcio-tools"]));
    std::fs::write(&ready, "").unwrap();
    py
}

/// The stubs of `proto/`, generated into `out`.
fn stubs(py: &Path, out: &Path) {
    let o = Command::new(py)
        .args(["-m", "grpc_tools.protoc", "-I"])
        .arg(format!("{ROOT}/proto"))
        .arg(format!("--python_out={}", out.display()))
        .arg(format!("--grpc_python_out={}", out.display()))
        .arg(format!("{ROOT}/proto/wuji/v1/records.proto"))
        .arg(format!("{ROOT}/proto/wuji/v1/api.proto"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "protoc: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

struct Bridge {
    child: Child,
    lines: mpsc::Receiver<serde_json::Value>,
}

impl Bridge {
    fn start(py: &Path, gen_dir: &Path, node: &serde_json::Value, cursor: &Path) -> Bridge {
        let op = &node["operator"];
        let code = node["code"].as_str().unwrap();
        let mut child = Command::new(py)
            .arg(format!("{ROOT}/examples/bridge/bridge.py"))
            .args(["--addr", node["addr"].as_str().unwrap()])
            .args(["--server-name", &format!("node-{code}.wuji")])
            .args(["--ca", op["ca"].as_str().unwrap()])
            .args(["--cert", op["cert"].as_str().unwrap()])
            .args(["--key", op["key"].as_str().unwrap()])
            .arg("--cursor-file")
            .arg(cursor)
            .env("PYTHONPATH", gen_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in out.lines().map_while(Result::ok) {
                println!("bridge: {l}");
                if let Ok(v) = serde_json::from_str(&l)
                    && tx.send(v).is_err()
                {
                    return;
                }
            }
        });
        Bridge { child, lines }
    }

    /// The lines it prints until one satisfies `done`.
    fn until(
        &self,
        what: &str,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let l = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("the bridge did not print {what}: {seen:?}"));
            let stop = done(&l);
            seen.push(l);
            if stop {
                return seen;
            }
        }
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn issue(f: &common::Federation, title: &str, due: jiff::civil::Date) -> String {
    AssignmentsClient::new(f.ch("320100").await)
        .issue_assignment(pb::IssueRequest {
            title: title.into(),
            text: "请组织代表落实".into(),
            targets: vec![320_114_001],
            due_on: due.to_string(),
        })
        .await
        .unwrap()
        .into_inner()
        .view["id"]
        .clone()
}

/// Waits until the bridge has saved `want` as its cursor.
async fn saved(file: &Path, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(file).unwrap_or_default() != want {
        assert!(
            Instant::now() < deadline,
            "the bridge did not save its cursor {want}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The titles of this test's assignments that arrived (the federation's own
/// sample assignment may still be arriving when the bridge starts).
fn arrivals(lines: &[serde_json::Value]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l["event"] == "arrived")
        .map(|l| l["title"].as_str().unwrap().to_string())
        .filter(|t| t.contains("号任务"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_bridge_follows_the_feed_through_its_own_and_the_nodes_restarts() {
    let py = tokio::task::block_in_place(python);
    let work = tempfile::tempdir().unwrap();
    let gen_dir = work.path().join("gen");
    std::fs::create_dir_all(&gen_dir).unwrap();
    tokio::task::block_in_place(|| stubs(&py, &gen_dir));
    let f = common::up().await;
    let town = f.nodes["320114001"].clone();
    let cursor = work.path().join("cursor.txt");
    // 临期 at once: due within 15 working days of today.
    let today = wuji_node::clock::cst_date(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64,
    );
    let soon = today.checked_add(jiff::Span::new().days(7)).unwrap();

    let b = Bridge::start(&py, &gen_dir, &town, &cursor);
    b.until("its start", |l| l["bridge"] == "started");
    // Connected once it has saved a cursor from a heartbeat.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cursor.exists() {
        assert!(
            Instant::now() < deadline,
            "the bridge never reached the node"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    issue(&f, "一号任务：汛期安全检查", soon).await;
    let mine = |l: &serde_json::Value, what: &str| {
        l["event"] == what && l["title"].as_str().is_some_and(|t| t.contains("号任务"))
    };
    let first = tokio::task::block_in_place(|| {
        b.until("the first arrival's reminder", |l| mine(l, "due_soon"))
    });
    assert_eq!(arrivals(&first), ["一号任务：汛期安全检查"]);
    let reminder = first.last().unwrap();
    assert_eq!(reminder["title"], "一号任务：汛期安全检查");
    assert_eq!(reminder["what"], "assignment");
    assert_eq!(reminder["deadline"], soon.to_string());
    assert!(
        reminder["working_days"].as_i64().unwrap() <= 15,
        "{reminder}"
    );
    let arrived = first.iter().find(|l| mine(l, "arrived")).unwrap();
    assert_eq!(arrived["from"], 320_100);

    // Killed once it has handled the reminder (saved its cursor: it acts,
    // then saves, so a kill in between acts twice); a second assignment
    // comes meanwhile; started again it prints the second, not the first.
    saved(&cursor, reminder["cursor"].as_str().unwrap()).await;
    b.kill();
    issue(&f, "二号任务：代表接待日", soon).await;
    let b = Bridge::start(&py, &gen_dir, &town, &cursor);
    let second = tokio::task::block_in_place(|| {
        b.until("the second arrival's reminder", |l| mine(l, "due_soon"))
    });
    assert_eq!(arrivals(&second), ["二号任务：代表接待日"], "{second:?}");

    // The node killed and started again: the bridge reconnects and goes on.
    let pid = town["pid"].as_u64().unwrap().to_string();
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .unwrap()
            .success()
    );
    tokio::task::block_in_place(|| b.until("a reconnection", |l| l["bridge"] == "reconnecting"));
    let log = f.dir.path().join("town-restart.log");
    let mut node = common::start_node(town["config"].as_str().unwrap(), &log, &[]);
    issue(&f, "三号任务：民生实事调研", soon).await;
    let third = tokio::task::block_in_place(|| {
        b.until("the third arrival's reminder", |l| mine(l, "due_soon"))
    });
    assert_eq!(arrivals(&third), ["三号任务：民生实事调研"], "{third:?}");
    b.kill();
    let _ = node.kill();
    let _ = node.wait();
}
