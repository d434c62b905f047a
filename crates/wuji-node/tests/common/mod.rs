//! A real node for tests: sled in a temporary directory, gRPC on a free port.

#![allow(dead_code)]

pub mod tls;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tonic::Code as G;
use tonic::transport::Channel;
use wuji_division::Code;
use wuji_node::Config;
use wuji_node::config::ParentConfig;
use wuji_proto::pb;

#[allow(unused_imports)]
pub use wuji_node::test_util::*;

/// A running node; dropping it shuts the node down.
pub struct TestNode {
    pub addr: String,
    pub channel: Channel,
    pub dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), wuji_node::Error>>>,
}

impl TestNode {
    /// Starts a node for `code` with `adjust` applied to its config.
    pub async fn start(code: &str, adjust: impl FnOnce(&mut Config)) -> TestNode {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::new(Code::parse(code).unwrap());
        config.node.data_dir = dir.path().join("data");
        adjust(&mut config);
        Self::start_in(dir, config).await
    }

    /// Starts a node on an existing directory.
    pub async fn start_in(dir: tempfile::TempDir, config: Config) -> TestNode {
        Self::start_at(dir, config, "127.0.0.1:0").await
    }

    /// Starts a node on an existing directory at a given address (a restart on
    /// the same port; retried while the old socket is still being released).
    pub async fn start_at(dir: tempfile::TempDir, config: Config, addr: &str) -> TestNode {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let listener = loop {
            match tokio::net::TcpListener::bind(addr).await {
                Ok(l) => break l,
                Err(e) if std::time::Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(e) => panic!("cannot bind {addr}: {e}"),
            }
        };
        let addr = listener.local_addr().unwrap().to_string();
        let tls = config.tls.clone();
        let code = config.node.code.to_string();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(wuji_node::run(listener, config, async {
            let _ = rx.await;
        }));
        // Lazy, so that a node that fails to start is seen by its test. With
        // TLS: as the node's operator.
        let channel = match &tls {
            Some(t) => tls::operator_channel(t, &code, &addr),
            None => tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
                .unwrap()
                .connect_lazy(),
        };
        TestNode {
            addr,
            channel,
            dir,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Stops the node cleanly and returns its directory.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }
}

/// A node whose parent is at `parent_addr`.
pub async fn child(code: &str, parent_addr: &str, parent_code: &str) -> TestNode {
    let (pc, addr) = (Code::parse(parent_code).unwrap(), parent_addr.to_string());
    TestNode::start(code, move |c| {
        c.parent = Some(ParentConfig { code: pc, addr })
    })
    .await
}

pub type View = BTreeMap<String, String>;

pub fn view(r: tonic::Response<pb::RecordReply>) -> View {
    r.into_inner().view.into_iter().collect()
}

/// The record id in a reply's fields.
pub fn vid(v: &View) -> Option<pb::RecordId> {
    let (home, uuid) = v["id"].split_once(':').unwrap();
    Some(pb::RecordId {
        kind: 0,
        home: home.parse().unwrap(),
        uuid: uuid::Uuid::parse_str(uuid).unwrap().as_bytes().to_vec(),
    })
}

pub fn get(v: &View) -> pb::Get {
    pb::Get { id: vid(v) }
}

/// The code and rule of a refusal. Every refusal must carry its rule in an
/// `ErrorDetail` in the status details (and the same rule in the `wuji-rule`
/// metadata), so every test that checks a refusal checks the carrier too.
pub fn code_of<T: std::fmt::Debug>(r: Result<T, tonic::Status>) -> (G, String) {
    let s = r.expect_err("should be refused");
    (s.code(), detail_rule(&s))
}

/// The rule of a refusal's `ErrorDetail`; fails if it has none.
pub fn detail_rule(s: &tonic::Status) -> String {
    let detail = wuji_proto::error_detail(s)
        .unwrap_or_else(|| panic!("a refusal without an ErrorDetail: {s:?}"));
    assert!(
        !detail.rule.is_empty(),
        "an ErrorDetail without a rule: {s:?}"
    );
    assert!(
        !detail.message.is_empty(),
        "an ErrorDetail without a message: {s:?}"
    );
    let meta = s
        .metadata()
        .get("wuji-rule")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert_eq!(
        meta, detail.rule,
        "the wuji-rule metadata and the ErrorDetail agree"
    );
    detail.rule
}

/// Enrols each person as a deputy of the node at `ch` (once: a person already
/// on its roster is left as is), so they may submit suggestions there.
pub async fn enrol(ch: &Channel, persons: &[&str]) {
    let mut d = pb::deputies_client::DeputiesClient::new(ch.clone());
    for p in persons {
        let r = d
            .enrol(pb::EnrolRequest {
                person_id: p.to_string(),
                name: format!("代表{p}"),
                term: 14,
                ..Default::default()
            })
            .await;
        if let Err(e) = r {
            assert_eq!(detail_rule(&e), "person-id-unique", "{e:?}");
        }
    }
}

/// Submits a suggestion (lead P, enrolled first; text x) and returns its id.
pub async fn submit(ch: &Channel, title: &str) -> String {
    enrol(ch, &["P"]).await;
    let mut s = wuji_proto::pb::suggestions_client::SuggestionsClient::new(ch.clone());
    s.submit(pb::SubmitRequest {
        lead: "P".into(),
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

/// The counters of `of`'s summary as the node at `ch` holds it (its own, or
/// one from below), without the derived `suggestion.overdue` and `suggestion.due_soon`.
pub async fn summary_of(ch: &Channel, of: u32) -> BTreeMap<String, u64> {
    let st = pb::node_client::NodeClient::new(ch.clone())
        .status(pb::StatusRequest::default())
        .await
        .unwrap()
        .into_inner();
    let s = if st.node == of {
        st.own
    } else {
        st.below.into_iter().find(|s| s.code == of)
    };
    let mut counts: BTreeMap<String, u64> = s
        .map(|s| s.counts.into_iter().collect())
        .unwrap_or_default();
    counts.remove("suggestion.overdue");
    counts.remove("suggestion.due_soon");
    wuji_model::summary::months::keep_window(&mut counts, today());
    counts.retain(|_, v| *v != 0);
    counts
}

/// Every record a node at `ch` lists: suggestions, deputies, assignments and
/// supervision items, page by page.
pub async fn all_records(ch: &Channel) -> Vec<wuji_model::Record> {
    use pb::{
        assignments_client::AssignmentsClient, deputies_client::DeputiesClient,
        suggestions_client::SuggestionsClient, supervision_client::SupervisionClient,
    };
    let mut out = Vec::new();
    for kind in 0..4 {
        let mut after = String::new();
        loop {
            let page = Some(pb::Page {
                limit: 500,
                after: after.clone(),
            });
            let c = ch.clone();
            let list = match kind {
                0 => {
                    SuggestionsClient::new(c)
                        .list_suggestions(pb::ListSuggestionsRequest {
                            page,
                            ..Default::default()
                        })
                        .await
                }
                1 => {
                    DeputiesClient::new(c)
                        .list_deputies(pb::ListDeputiesRequest {
                            page,
                            ..Default::default()
                        })
                        .await
                }
                2 => {
                    AssignmentsClient::new(c)
                        .list_assignments(pb::ListAssignmentsRequest {
                            page,
                            ..Default::default()
                        })
                        .await
                }
                _ => {
                    SupervisionClient::new(c)
                        .list_items(pb::ListItemsRequest { page })
                        .await
                }
            }
            .unwrap()
            .into_inner();
            for r in &list.records {
                out.push(wuji_proto::record_from_state(r.state.as_ref().unwrap()).unwrap());
            }
            if list.next.is_empty() {
                break;
            }
            after = list.next;
        }
    }
    out
}

/// The summary a node at `ch` should hold, recounted here from every record it
/// lists (a node that holds its whole subtree: a county under the default
/// horizon, any node under `all`).
pub async fn recount(ch: &Channel, holder: u32) -> BTreeMap<String, u64> {
    let records = all_records(ch).await;
    let holder = Code::from_value(holder).unwrap();
    let mut m: BTreeMap<String, u64> =
        wuji_model::summary::recount_subtree(&records, &wuji_model::Rules::default(), holder)
            .into_iter()
            .map(|(k, v)| (k, v as u64))
            .collect();
    wuji_model::summary::months::keep_window(&mut m, today());
    m
}

/// Today in China Standard Time, as the nodes' clocks read it: a summary
/// keeps twelve months of counts ending with it.
pub fn today() -> wuji_model::Date {
    use wuji_node::clock::Clock;
    wuji_node::clock::cst_date(wuji_node::clock::SystemClock.now_ms())
}

/// Waits until the node `code` at `own` holds a summary equal to a recount of
/// what it lists, and its parent at `parent` holds the same summary of it.
pub async fn summary_adds_up(own: &Channel, parent: &Channel, code: u32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (mine, above, truth) = (
            summary_of(own, code).await,
            summary_of(parent, code).await,
            recount(own, code).await,
        );
        if mine == truth && above == truth {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the summary of {code} does not add up: own {:?} / at the parent {:?} / recount {:?}",
            mine.get("suggestion.total"),
            above.get("suggestion.total"),
            truth.get("suggestion.total")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
