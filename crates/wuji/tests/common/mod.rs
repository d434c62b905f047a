//! A running `wuji federation up` for tests, and helpers to query its nodes.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use wuji_proto::pb::{self, suggestions_client::SuggestionsClient};

#[allow(unused_imports)]
pub use wuji_node::test_util::{digest, eventually, rid};

pub const WUJI: &str = env!("CARGO_BIN_EXE_wuji");

pub struct Federation {
    pub child: Child,
    pub addrs: BTreeMap<String, String>,
    /// Each node's entry of federation.json, by code.
    pub nodes: BTreeMap<String, serde_json::Value>,
    pub dir: tempfile::TempDir,
}

impl Drop for Federation {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
    }
}

/// A base port with 39 free ports after it (13 nodes, their ops listeners and consoles).
fn free_base() -> u16 {
    wuji_node::test_util::free_ports(39)
}

pub async fn up() -> Federation {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // Another test may take one of the free ports before the nodes bind them:
    // the launcher then exits, and we try again on other ports, afresh.
    let mut attempts = 0;
    let (child, dir, file) = loop {
        attempts += 1;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("federation.json");
        let mut child = Command::new(WUJI)
            .args(["federation", "up", "--dir", dir.path().to_str().unwrap()])
            .args(["--base-port", &free_base().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let exited = loop {
            if file.exists() {
                break false;
            }
            if let Ok(Some(_)) = child.try_wait() {
                break true;
            }
            assert!(Instant::now() < deadline, "federation did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        if !exited {
            break (child, dir, file);
        }
        assert!(attempts < 3, "federation up exited three times");
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let addrs = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["code"].as_str().unwrap().to_string(),
                n["addr"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let nodes = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["code"].as_str().unwrap().to_string(), n.clone()))
        .collect();
    Federation {
        child,
        addrs,
        nodes,
        dir,
    }
}

/// Enrols `person` as a deputy of the node at `ch` (the lead of a suggestion
/// must be a deputy in office that its origin node holds).
pub async fn enrol(ch: Channel, person: &str) {
    pb::deputies_client::DeputiesClient::new(ch)
        .enrol(pb::EnrolRequest {
            person_id: person.into(),
            name: format!("代表{person}"),
            term: 14,
            ..Default::default()
        })
        .await
        .unwrap();
}

/// An endpoint for `addr` over mutual TLS with the client files in `files`
/// (a federation.json entry: ca, cert, key), checking that the server is `code`.
pub fn tls_endpoint(addr: &str, code: &str, files: &serde_json::Value) -> Endpoint {
    let read = |k: &str| std::fs::read(files[k].as_str().unwrap()).unwrap();
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(read("ca")))
        .identity(Identity::from_pem(read("cert"), read("key")))
        .domain_name(format!("node-{code}.wuji"));
    Endpoint::from_shared(format!("https://{addr}"))
        .unwrap()
        .tls_config(tls)
        .unwrap()
}

impl Federation {
    /// An endpoint for the node `code` with its operator's certificate.
    pub fn endpoint(&self, code: &str) -> Endpoint {
        let op = &self.nodes[code]["operator"];
        assert!(op.is_object(), "federation up runs with TLS by default");
        tls_endpoint(&self.addrs[code], code, op)
    }

    pub async fn ch(&self, code: &str) -> Channel {
        self.endpoint(code).connect().await.unwrap()
    }

    /// Runs `wuji ARGS --addr ADDR-OF-AT` as the national node's reader (whose
    /// certificate reads every node) and returns its standard output, after
    /// checking that it succeeded.
    pub fn wuji_as_reader(&self, at: &str, args: &[&str]) -> Vec<u8> {
        let pki = self.dir.path().join("pki");
        let o = std::process::Command::new(WUJI)
            .args(args)
            .args(["--addr", &self.addrs[at]])
            .env("WUJI_CA", pki.join("ca.pem"))
            .env("WUJI_CERT", pki.join("client-100000-reader.pem"))
            .env("WUJI_KEY", pki.join("client-100000-reader.key"))
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "wuji {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o.stdout
    }

    /// Enrols `person` as a deputy of node `code`, so they may submit there.
    pub async fn enrol(&self, code: &str, person: &str) {
        enrol(self.ch(code).await, person).await;
    }

    pub async fn suggestions(&self, code: &str) -> Vec<BTreeMap<String, String>> {
        let mut s = SuggestionsClient::new(self.ch(code).await);
        let l = s
            .list_suggestions(pb::ListSuggestionsRequest::default())
            .await
            .unwrap()
            .into_inner();
        l.records
            .into_iter()
            .map(|r| r.view.into_iter().collect())
            .collect()
    }

    /// Submits a suggestion at `code` led by `lead`; its id.
    pub async fn submit(&self, code: &str, lead: &str, title: &str) -> String {
        SuggestionsClient::new(self.ch(code).await)
            .submit(pb::SubmitRequest {
                lead: lead.into(),
                title: title.into(),
                text: "x".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .view["id"]
            .clone()
    }

    /// Escalates the suggestion `id` from `code`, its handler, to `to`.
    pub async fn escalate(&self, code: &str, id: &str, to: u32, reason: &str) {
        SuggestionsClient::new(self.ch(code).await)
            .escalate(pb::ForwardRequest {
                id: rid(id),
                to,
                reason: reason.into(),
            })
            .await
            .unwrap();
    }

    /// Every suggestion `code` holds, page by page.
    pub async fn all_suggestions(&self, code: &str) -> Vec<BTreeMap<String, String>> {
        let mut s = SuggestionsClient::new(self.ch(code).await);
        let (mut out, mut after) = (Vec::new(), String::new());
        loop {
            let l = s
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
            out.extend(l.records.into_iter().map(|r| r.view.into_iter().collect()));
            if l.next.is_empty() {
                return out;
            }
            after = l.next;
        }
    }

    /// The suggestions homed at each node, counted where they are homed: a
    /// recount of the whole federation to hold the summaries against.
    pub async fn homed_total(&self) -> u64 {
        let mut n = 0;
        for code in self.nodes.keys() {
            n += self
                .all_suggestions(code)
                .await
                .iter()
                .filter(|v| v["home"] == *code)
                .count() as u64;
        }
        n
    }

    /// A node's own summary counter (its subtree's figure).
    pub async fn own_count(&self, code: &str, key: &str) -> u64 {
        pb::node_client::NodeClient::new(self.ch(code).await)
            .status(pb::StatusRequest::default())
            .await
            .unwrap()
            .into_inner()
            .own
            .and_then(|o| o.counts.get(key).copied())
            .unwrap_or(0)
    }

    pub async fn suggestion(&self, code: &str, id: &str) -> Option<BTreeMap<String, String>> {
        let mut s = SuggestionsClient::new(self.ch(code).await);
        s.get_suggestion(pb::Get { id: rid(id) })
            .await
            .ok()
            .map(|r| r.into_inner().view.into_iter().collect())
    }
}

/// Installs Debian's `package` if `tool` is missing: a fresh machine may
/// lack it, and the test of any system tool installs it itself (waiting
/// for the package lock if another test installs at the same moment).
pub fn installed(tool: &str, package: &str) {
    if std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_ok()
    {
        return;
    }
    let got = std::process::Command::new("sh")
        .args([
            "-c",
            &format!(
                "apt-get -o DPkg::Lock::Timeout=300 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends {package}"
            ),
        ])
        .status();
    assert!(
        got.is_ok_and(|s| s.success()),
        "{tool} is missing and `apt-get install {package}` failed"
    );
}

/// (records, digest) of the suggestions whose origin lies in `scope`, at
/// `code`: all it holds, or what its parent is entitled to.
pub async fn digest_at(f: &Federation, code: &str, scope: u32, for_parent: bool) -> (u64, Vec<u8>) {
    wuji_node::test_util::digest_for(
        &f.ch(code).await,
        scope,
        pb::RecordKind::Suggestion,
        for_parent,
    )
    .await
}

/// Submits at `addr` until `stop`, recording every acknowledged id.
pub fn writer(
    endpoint: tonic::transport::Endpoint,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    acked: std::sync::Arc<std::sync::Mutex<std::collections::BTreeSet<String>>>,
    tag: String,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut n = 0;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            let Ok(ch) = endpoint.connect().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let mut s = SuggestionsClient::new(ch);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
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

/// Starts `wuji node run --config CONFIG EXTRA...`, its log appended to `log`.
pub fn start_node(config: &str, log: &std::path::Path, extra: &[&str]) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    Command::new(WUJI)
        .args(["node", "run", "--config", config])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// Waits (up to a minute) until every link from the town 320114001 up
/// agrees: the child's digest of what its parent is entitled to equals the
/// parent's digest, for the town's and the county's regions.
pub async fn until_links_agree(f: &Federation) {
    let links = [
        ("320114001", "320114"),
        ("320114", "320100"),
        ("320100", "320000"),
        ("320000", "100000"),
    ];
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut ok = true;
        let mut seen = Vec::new();
        for (child, parent) in links {
            for scope in [320_114_001u32, 320_114] {
                let code = |s: &str| wuji_model::Code::parse(s).unwrap();
                if !code(child).contains(code(&scope.to_string())) {
                    continue;
                }
                let c = digest_at(f, child, scope, true).await;
                let p = digest_at(f, parent, scope, false).await;
                seen.push((child, parent, scope, c.0, p.0));
                ok &= c == p;
            }
        }
        if ok {
            break;
        }
        assert!(Instant::now() < deadline, "links do not agree: {seen:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Percent-encodes `s` for a URL's query or a form body (everything but
/// letters, digits and `-_.`).
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The text of a page outside its tags, scripts and attribute values.
pub fn words(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Asserts that a Chinese page has no English word left but the account's
/// name (`office`) and the language switch.
pub fn assert_chinese(page: &str, which: &str) {
    let text = words(page).replace("office", "").replace("English", "");
    // Record ids, numbers and dates (anything with a digit) are not words.
    let english: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == ':'))
        .filter(|t| !t.bytes().any(|b| b.is_ascii_digit()))
        .flat_map(|t| t.split(|c: char| !c.is_ascii_alphabetic()))
        .filter(|w| w.len() >= 3)
        .collect();
    assert!(english.is_empty(), "{which}: untranslated {english:?}");
}
