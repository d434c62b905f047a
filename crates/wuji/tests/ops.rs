//! The ops listener as the office's monitoring sees it: a real Prometheus
//! (Debian's package) scrapes every node of `wuji federation up`, and the
//! test reads through Prometheus's own query API a link lag and a refusal
//! that it caused; `/healthz` and `/readyz` answer as documented.

mod common;

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tonic::transport::Channel;
use wuji_proto::pb;

/// A GET over HTTP/1.0 (no chunking): the status code and the body (0 if
/// nothing listens there yet).
fn get(addr: &str, path: &str) -> (u16, String) {
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return (0, String::new());
    };
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, body.to_string())
}

/// A Prometheus server scraping `targets` every second; killed when dropped.
struct Prometheus {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    fn start(targets: &[String]) -> Prometheus {
        common::installed("prometheus", "prometheus");
        let dir = tempfile::tempdir().unwrap();
        let list = targets
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: wuji\n    static_configs:\n      - targets: [{list}]\n"
            ),
        )
        .unwrap();
        let port = wuji_node::test_util::free_ports(1);
        let addr = format!("127.0.0.1:{port}");
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("prometheus.log")).unwrap())
            .spawn()
            .expect("prometheus starts");
        Prometheus {
            child,
            addr,
            _dir: dir,
        }
    }

    /// The value of every series `query` returns now, by its labels.
    fn query(&self, query: &str) -> Vec<(serde_json::Value, f64)> {
        let (code, body) = get(
            &self.addr,
            &format!("/api/v1/query?query={}", common::encode(query)),
        );
        if code != 200 {
            return Vec::new(); // not up yet
        }
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|r| {
                let value = r["value"][1].as_str().unwrap().parse().unwrap();
                (r["metric"].clone(), value)
            })
            .collect()
    }

    /// Waits until `query` returns a series whose value passes `ok`.
    async fn until(&self, query: &str, ok: impl Fn(f64) -> bool) -> f64 {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let got = self.query(query);
            if let Some((_, v)) = got.iter().find(|(_, v)| ok(*v)) {
                return *v;
            }
            assert!(
                Instant::now() < deadline,
                "Prometheus never saw the expected value of {query}: last {got:?}"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

fn signal(pid: &serde_json::Value, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.as_u64().unwrap().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_reads_a_link_lag_and_a_refusal_the_test_caused() {
    let fed = common::up().await;
    let town = "320114001";
    let county = "320114";
    let ops = |code: &str| fed.nodes[code]["ops"].as_str().unwrap().to_string();

    // Health and readiness, as a load balancer or systemd would ask. The
    // launcher writes its file as the nodes come up: the town's ops port
    // may answer a moment later, as a probe would find.
    let deadline = Instant::now() + Duration::from_secs(30);
    let (code, body) = loop {
        let (code, body) = get(&ops(town), "/healthz");
        if code != 0 || Instant::now() > deadline {
            break (code, body);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(code, 200, "{body}");
    assert!(body.starts_with("ok: node 320114001"), "{body}");
    // Ready once linked to its parent: the first dial may find the county
    // not listening yet and wait out its backoff, as a probe would.
    let deadline = Instant::now() + Duration::from_secs(30);
    let (code, body) = loop {
        let (code, body) = get(&ops(town), "/readyz");
        if code == 200 || Instant::now() > deadline {
            break (code, body);
        }
        assert!(body.contains("parent: not linked"), "{body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("ok   parent: linked to 320114"), "{body}");

    let targets: Vec<String> = fed.nodes.keys().map(|c| ops(c)).collect();
    let prom = Prometheus::start(&targets);
    prom.until("up{job=\"wuji\"}", |v| v == 1.0).await;

    // A refusal: the national reader tries to write at the town.
    let pki = fed.dir.path().join("pki");
    let reader = serde_json::json!({
        "ca": pki.join("ca.pem"),
        "cert": pki.join("client-100000-reader.pem"),
        "key": pki.join("client-100000-reader.key"),
    });
    let ch: Channel = common::tls_endpoint(&fed.addrs[town], town, &reader)
        .connect()
        .await
        .unwrap();
    let refused = pb::suggestions_client::SuggestionsClient::new(ch)
        .submit(pb::SubmitRequest {
            lead: "张三".into(),
            title: "路灯".into(),
            text: "x".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    let n = prom
        .until(
            &format!(
                "wuji_refusals_total{{instance=\"{}\",rule=\"reader-may-not-write\"}}",
                ops(town)
            ),
            |v| v >= 1.0,
        )
        .await;
    assert_eq!(n, 1.0, "one refusal caused, one counted");
    prom.until(
        &format!(
            "wuji_api_calls_total{{instance=\"{}\",method=\"refused\",code=\"PermissionDenied\"}}",
            ops(town)
        ),
        |v| v >= 1.0,
    )
    .await;

    // A lag: the county stops answering (SIGSTOP keeps its connections
    // open) while the town writes what the county is entitled to.
    let lag = format!(
        "wuji_link_lag_entries{{instance=\"{}\",peer=\"{county}\",role=\"parent\"}}",
        ops(town)
    );
    prom.until(&lag, |v| v == 0.0).await;
    signal(&fed.nodes[county]["pid"], "-STOP");
    fed.enrol(town, "李四").await;
    fed.submit(town, "李四", "村口路灯不亮").await;
    let behind = prom.until(&lag, |v| v > 0.0).await;
    assert!(behind >= 1.0);
    let secs = prom
        .until(
            &format!(
                "wuji_link_lag_seconds{{instance=\"{}\",peer=\"{county}\"}}",
                ops(town)
            ),
            |v| v >= 2.0,
        )
        .await;
    assert!(secs >= 2.0);
    // The county is not ready to be told so: it is stopped. Resumed, it
    // takes the entries and the lag goes back to nothing.
    signal(&fed.nodes[county]["pid"], "-CONT");
    prom.until(&lag, |v| v == 0.0).await;
    // A commit was timed and sized.
    prom.until(
        &format!(
            "wuji_commit_batch_writes_count{{instance=\"{}\"}}",
            ops(town)
        ),
        |v| v >= 2.0,
    )
    .await;
}

/// Runs `wuji check --config FILE --json`: (exit success, each item's status
/// and detail).
fn check(config: &std::path::Path) -> (bool, Vec<(String, String, String)>) {
    let o = Command::new(common::WUJI)
        .args(["check", "--json", "--config"])
        .arg(config)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)));
    assert_eq!(v["ok"], o.status.success());
    let lines = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap().to_string();
            (s("item"), s("status"), s("detail"))
        })
        .collect();
    (o.status.success(), lines)
}

fn status_of<'a>(lines: &'a [(String, String, String)], item: &str) -> (&'a str, &'a str) {
    lines
        .iter()
        .find(|(i, _, _)| i == item)
        .map(|(_, s, d)| (s.as_str(), d.as_str()))
        .unwrap_or_else(|| panic!("no {item} line in {lines:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wuji_check_names_what_would_stop_or_weaken_a_node() {
    let fed = common::up().await;
    let config = std::path::PathBuf::from(fed.nodes["320114"]["config"].as_str().unwrap());
    // The running county: everything holds; its parent answers as itself.
    let (ok, lines) = check(&config);
    assert!(ok, "{lines:?}");
    assert_eq!(status_of(&lines, "certificate").0, "ok");
    let (s, d) = status_of(&lines, "parent");
    assert_eq!(s, "ok", "{d}");
    assert!(d.contains("320100 answers"), "{d}");
    assert_eq!(status_of(&lines, "clock").0, "ok");
    assert_eq!(status_of(&lines, "store").0, "ok");

    let text = std::fs::read_to_string(&config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let variant = |name: &str, from: &str, to: &str| {
        assert!(text.contains(from), "{from} not in the config");
        let p = dir.path().join(name);
        std::fs::write(&p, text.replace(from, to)).unwrap();
        p
    };
    // The parent's address reaches another node (the national one): it
    // answers with a certificate naming someone else.
    let city = format!("addr = \"{}\"", fed.addrs["320100"]);
    let national = format!("addr = \"{}\"", fed.addrs["100000"]);
    let (ok, lines) = check(&variant("other-parent.toml", &city, &national));
    assert!(!ok);
    let (s, d) = status_of(&lines, "parent");
    assert_eq!(s, "fail", "{d}");
    assert!(d.contains("not node 320100"), "{d}");
    // Another node's certificate.
    let (ok, lines) = check(&variant(
        "other-cert.toml",
        "node-320114.pem",
        "node-320115.pem",
    ));
    assert!(!ok);
    assert_eq!(status_of(&lines, "certificate").0, "fail");
    // A misspelt key: named, and nothing else is checked.
    let (ok, lines) = check(&variant("typo.toml", "[sync]", "[sync]\nhorizen = 1"));
    assert!(!ok);
    let (s, d) = status_of(&lines, "config");
    assert_eq!(s, "fail");
    assert!(d.contains("horizen"), "{d}");
}
