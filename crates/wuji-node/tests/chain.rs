//! A five-level chain of nodes in one process, built from parts: a suggestion
//! written at the township reaches the national node; a cut link holds the
//! next one below the cut, and once healed it crosses and every node agrees
//! (equal digests). The same scenario runs on the in-memory store with
//! in-memory links and a test clock, and on sled with the real connector over
//! loopback mutual TLS (the cut made by a TCP proxy that drops its connections).

mod common;

use common::tls::Pki;
use common::{eventually, new_suggestion};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use wuji_division::Code;
use wuji_model::RecordId;
use wuji_node::clock::TestClock;
use wuji_node::sync::{Connector, MemNet, TcpConnector};
use wuji_node::trust::tls::TlsFiles;
use wuji_node::{Node, Parts, Settings, Telemetry};

/// National, province, city, county, township.
const CHAIN: [&str; 5] = ["100000", "320000", "320100", "320114", "320114001"];
/// The link cut: the county's, to the city.
const COUNTY: usize = 3;
/// 2026-12-03 10:00 in Beijing.
const START_MS: u64 = 1_796_263_200_000;

enum Cut {
    Mem(MemNet),
    Tcp(watch::Sender<bool>),
}

struct Chain {
    nodes: Vec<Node>,
    cut: Cut,
    clock: TestClock,
    _dirs: Vec<tempfile::TempDir>,
    _pki: Option<Pki>,
}

fn code(i: usize) -> Code {
    Code::parse(CHAIN[i]).unwrap()
}

fn settings(i: usize) -> Settings {
    let mut s = Settings::new(code(i));
    s.parent = i.checked_sub(1).map(code);
    // Every record travels the whole chain: the relaying itself is tested
    // here (the default horizon in the federation tests and the simulator).
    s.horizon = wuji_model::routing::Horizon::All;
    s
}

impl Chain {
    fn set_cut(&self, on: bool) {
        match &self.cut {
            Cut::Mem(net) if on => net.cut(code(COUNTY)),
            Cut::Mem(net) => net.heal(code(COUNTY)),
            Cut::Tcp(flag) => {
                flag.send_replace(on);
            }
        }
    }
}

/// Every node on a `MemKv`, linked through one `MemNet`, on one test clock.
fn mem_chain() -> Chain {
    let clock = TestClock::at(START_MS);
    let net = MemNet::default();
    let mut nodes = Vec::new();
    for i in 0..CHAIN.len() {
        let mut parts = Parts::in_memory();
        parts.clock = Arc::new(clock.clone());
        parts.connector = Some(net.connector());
        let running = wuji_node::start(parts, settings(i)).unwrap();
        let node = running.node().clone();
        let n = node.clone();
        net.listen(
            code(i),
            Arc::new(move |certified, inbound| n.accept(certified, inbound)),
        );
        nodes.push(node);
        std::mem::forget(running); // runs until the test's runtime ends
    }
    Chain {
        nodes,
        cut: Cut::Mem(net),
        clock,
        _dirs: Vec::new(),
        _pki: None,
    }
}

/// Forwards connections to `upstream` until `cut` turns true; while it is,
/// open connections are dropped and new ones closed at once.
async fn proxy(upstream: String) -> (String, watch::Sender<bool>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (flag, _) = watch::channel(false);
    let cut = flag.clone();
    tokio::spawn(async move {
        while let Ok((mut down, _)) = listener.accept().await {
            let mut cut = cut.subscribe();
            if *cut.borrow() {
                continue;
            }
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(mut up) = TcpStream::connect(&upstream).await else {
                    return;
                };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut down, &mut up) => {}
                    _ = async { cut.wait_for(|c| *c).await.is_ok() } => {}
                }
            });
        }
    });
    (addr, flag)
}

/// Every node on sled, serving gRPC over mutual TLS on loopback, dialing its
/// parent with the real connector; the county reaches the city through a proxy.
async fn tls_chain() -> Chain {
    let clock = TestClock::at(START_MS);
    let pki = Pki::new();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut listeners = Vec::new();
    for _ in CHAIN {
        listeners.push(TcpListener::bind("127.0.0.1:0").await.unwrap());
    }
    let addrs: Vec<String> = listeners
        .iter()
        .map(|l| l.local_addr().unwrap().to_string())
        .collect();
    let (via, flag) = proxy(addrs[COUNTY - 1].clone()).await;
    let (mut nodes, mut dirs) = (Vec::new(), Vec::new());
    for (i, listener) in listeners.into_iter().enumerate() {
        let tls = pki.node(CHAIN[i]);
        let files = TlsFiles::from(&tls);
        let dir = tempfile::tempdir().unwrap();
        let parent_addr = if i == COUNTY {
            via.clone()
        } else {
            addrs[i.saturating_sub(1)].clone()
        };
        let connector: Arc<dyn Connector> = Arc::new(TcpConnector::new(
            parent_addr,
            Some(files.clone()),
            provider.clone(),
        ));
        let parts = Parts {
            kv: Arc::new(wuji_store::SledKv::open(dir.path(), 16 << 20).unwrap()),
            clock: Arc::new(clock.clone()),
            identity: Some(wuji_node::load_identity(&tls, code(i)).unwrap()),
            connector: (i > 0).then_some(connector),
            telemetry: Telemetry::default(),
        };
        let mut s = settings(i);
        s.tls = true;
        let running = wuji_node::start(parts, s).unwrap();
        nodes.push(running.node().clone());
        let server_tls = wuji_node::trust::tls::server_config(&files, provider.clone()).unwrap();
        let limit = 4 << 20;
        tokio::spawn(wuji_node::serve(
            listener,
            running,
            Some(server_tls),
            limit,
            std::future::pending(),
        ));
        dirs.push(dir);
    }
    Chain {
        nodes,
        cut: Cut::Tcp(flag),
        clock,
        _dirs: dirs,
        _pki: Some(pki),
    }
}

async fn write_at_township(chain: &Chain, title: &str) -> RecordId {
    let town = &chain.nodes[4];
    town.write(vec![new_suggestion(town.code(), title)])
        .await
        .unwrap()
        .records[0]
        .id
}

async fn holds(node: &Node, id: &RecordId) -> bool {
    node.read(id).unwrap().is_some()
}

async fn scenario(chain: Chain) {
    let (national, city, county) = (&chain.nodes[0], &chain.nodes[2], &chain.nodes[COUNTY]);
    let first = write_at_township(&chain, "乡镇代表建议一").await;
    eventually(
        "the township's suggestion reaches the national node",
        || holds(national, &first),
    )
    .await;

    chain.set_cut(true);
    chain.clock.advance(60_000);
    let second = write_at_township(&chain, "乡镇代表建议二").await;
    eventually("the second suggestion reaches the county", || {
        holds(county, &second)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!holds(city, &second).await, "it crossed a cut link");
    let up = county.telemetry().link(city.code()).map(|l| l.connected);
    assert_ne!(
        up,
        Some(true),
        "the county's link to the city is down while cut"
    );

    chain.set_cut(false);
    eventually("after the heal it reaches the national node", || {
        holds(national, &second)
    })
    .await;
    let scope = chain.nodes[4].code();
    let digests = || async {
        let all: Vec<_> = chain
            .nodes
            .iter()
            .map(|n| n.layout().scope_digest(scope, None).unwrap())
            .collect();
        all.iter()
            .all(|d| d.digest == all[0].digest && d.records == all[0].records)
    };
    eventually(
        "every node holds the township's records alike (equal digests)",
        digests,
    )
    .await;
    let kind = Some(wuji_store::layout::kind_byte(
        wuji_model::RecordKind::Suggestion,
    ));
    assert_eq!(
        national.layout().scope_digest(scope, kind).unwrap().records,
        2
    );
    let link = county.telemetry().link(city.code()).unwrap();
    assert!(link.connected && link.acked > 0, "{link:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_in_memory_syncs_township_to_national_across_a_cut_and_heal() {
    scenario(mem_chain()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_chain_over_loopback_tls_with_the_real_connector() {
    scenario(tls_chain().await).await;
}
