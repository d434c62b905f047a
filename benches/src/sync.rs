//! Replication figures, each link through a byte-counting TCP proxy so bytes on
//! the wire are measured, not computed:
//!
//! 1. initial sync of a preloaded township to its county (records/s) next to a
//!    raw sled insert of the same records in the same run, and bytes per record;
//! 2. idle bytes per link per minute (both directions, TCP payload);
//! 3. catch-up after a partition in which every record changed CHANGES times
//!    (督办 notes written while the township was cut off): seconds, bytes, and
//!    how many record states crossed (each record should cross once);
//! 4. latency of one change township → national over four hops (p50, p99).
//!
//! Every node runs as in production: mutual TLS and signed sections. The
//! initial sync runs twice, checking signatures and not, in the same run.

use crate::{BATCH, suggestion};
use prost::Message;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wuji_division::Code;
use wuji_model::calendar::Calendar;
use wuji_model::suggestion::workflow as wf;
use wuji_model::{Record, RecordId, Rules, Uuid};
use wuji_node::{Committer, Config, Op};
use wuji_proto::pb;
use wuji_store::{Batch, Kv, Layout, SledKv};

pub(crate) const TOWN: &str = "320114001";
const COUNTY: &str = "320114";

/// The bench's federation CA, node certificates and a national reader's.
struct Pki {
    dir: tempfile::TempDir,
    ca: wuji_pki::Ca,
}

fn pki() -> &'static Pki {
    static PKI: std::sync::OnceLock<Pki> = std::sync::OnceLock::new();
    PKI.get_or_init(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().expect("temp dir");
        let ca = wuji_pki::new_ca("bench CA", wuji_pki::Validity::days(2)).expect("CA");
        std::fs::write(dir.path().join("ca.pem"), &ca.cert_pem).expect("write");
        let reader = wuji_pki::Ca::load(&ca.cert_pem, &ca.key_pem)
            .and_then(|c| {
                c.issue_client(
                    "bench",
                    wuji_pki::ClientRole::Reader,
                    Code::NATIONAL,
                    wuji_pki::Validity::days(2),
                )
            })
            .expect("reader");
        std::fs::write(dir.path().join("reader.pem"), &reader.cert_pem).expect("write");
        std::fs::write(dir.path().join("reader.key"), &reader.key_pem).expect("write");
        Pki {
            ca: wuji_pki::Ca::load(&ca.cert_pem, &ca.key_pem).expect("CA"),
            dir,
        }
    })
}

/// The TLS files of node `code` (issued on first use).
fn tls_for(code: &str) -> anyhow::Result<wuji_node::config::TlsConfig> {
    let p = pki();
    let f = |ext: &str| p.dir.path().join(format!("node-{code}.{ext}"));
    if !f("pem").exists() {
        let i =
            p.ca.issue_node(Code::parse(code)?, wuji_pki::Validity::days(2))?;
        std::fs::write(f("pem"), &i.cert_pem)?;
        std::fs::write(f("key"), &i.key_pem)?;
        std::fs::write(f("sign.key"), i.sign_key_pem.unwrap_or_default())?;
    }
    Ok(wuji_node::config::TlsConfig {
        ca: p.dir.path().join("ca.pem"),
        cert: f("pem"),
        key: f("key"),
        sign_key: f("sign.key"),
        crl: None,
    })
}

/// A node running in this process.
pub(crate) struct Node {
    pub(crate) addr: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), wuji_node::Error>>,
}

impl Node {
    async fn start(
        code: &str,
        dir: &std::path::Path,
        parent: Option<&str>,
        verify: bool,
    ) -> anyhow::Result<Node> {
        Node::start_with(code, dir, parent, verify, Default::default()).await
    }

    /// [`Node::start`] under the routing `horizon` given.
    pub(crate) async fn start_with(
        code: &str,
        dir: &std::path::Path,
        parent: Option<&str>,
        verify: bool,
        horizon: wuji_model::routing::Horizon,
    ) -> anyhow::Result<Node> {
        let mut config = Config::new(Code::parse(code)?);
        config.sync.horizon = horizon;
        config.tls = Some(tls_for(code)?);
        config.sync.verify_signatures = verify;
        config.node.data_dir = dir.join("data");
        config.store.cache_mb = 64;
        let parent_code = Code::parse(code)?.parent();
        config.parent = parent
            .zip(parent_code)
            .map(|(a, pc)| wuji_node::config::ParentConfig {
                code: pc,
                addr: a.into(),
            });
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?.to_string();
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(wuji_node::run(listener, config, async {
            let _ = rx.await;
        }));
        Ok(Node { addr, stop, task })
    }

    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// A TCP proxy that counts the bytes it carries both ways.
async fn proxy(target: String) -> anyhow::Result<(String, Arc<AtomicU64>)> {
    let l = TcpListener::bind("127.0.0.1:0").await?;
    let addr = l.local_addr()?.to_string();
    let bytes = Arc::new(AtomicU64::new(0));
    let counted = bytes.clone();
    tokio::spawn(async move {
        while let Ok((inbound, _)) = l.accept().await {
            let (target, n) = (target.clone(), counted.clone());
            tokio::spawn(async move {
                let Ok(outbound) = TcpStream::connect(&target).await else {
                    return;
                };
                let _ = (inbound.set_nodelay(true), outbound.set_nodelay(true));
                let (mut ri, mut wi) = inbound.into_split();
                let (mut ro, mut wo) = outbound.into_split();
                let _ = tokio::join!(pump(&mut ri, &mut wo, &n), pump(&mut ro, &mut wi, &n));
            });
        }
    });
    Ok((addr, bytes))
}

async fn pump(
    r: &mut tokio::net::tcp::OwnedReadHalf,
    w: &mut tokio::net::tcp::OwnedWriteHalf,
    n: &AtomicU64,
) -> std::io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let k = r.read(&mut buf).await?;
        if k == 0 {
            return w.shutdown().await;
        }
        n.fetch_add(k as u64, Ordering::Relaxed);
        w.write_all(&buf[..k]).await?;
    }
}

/// A channel to `addr` as the national reader.
async fn client(addr: &str) -> anyhow::Result<tonic::transport::Channel> {
    let d = pki().dir.path();
    connect(
        addr,
        std::fs::read(d.join("reader.pem"))?,
        std::fs::read(d.join("reader.key"))?,
    )
    .await
}

/// A channel to the node `code` at `addr` as its operator.
async fn operator(addr: &str, code: &str) -> anyhow::Result<tonic::transport::Channel> {
    let i = pki().ca.issue_client(
        "bench operator",
        wuji_pki::ClientRole::Operator,
        Code::parse(code)?,
        wuji_pki::Validity::days(1),
    )?;
    connect(addr, i.cert_pem.into_bytes(), i.key_pem.into_bytes()).await
}

async fn connect(
    addr: &str,
    cert: Vec<u8>,
    key: Vec<u8>,
) -> anyhow::Result<tonic::transport::Channel> {
    let d = pki().dir.path();
    let tls = tonic::transport::ClientTlsConfig::new()
        .ca_certificate(tonic::transport::Certificate::from_pem(std::fs::read(
            d.join("ca.pem"),
        )?))
        .identity(tonic::transport::Identity::from_pem(cert, key))
        .domain_name(wuji_pki::ANY_NODE_DNS_NAME);
    Ok(
        tonic::transport::Endpoint::from_shared(format!("https://{addr}"))?
            .tls_config(tls)?
            .connect()
            .await?,
    )
}

/// (records, digest) of the suggestions homed in the township, at `addr`.
pub(crate) async fn town_digest(addr: &str) -> anyhow::Result<(u64, Vec<u8>)> {
    let r = pb::sync_client::SyncClient::new(client(addr).await?)
        .digest(pb::DigestRequest {
            scope: TOWN.parse()?,
            kind: 2,
            ..Default::default()
        })
        .await?
        .into_inner();
    Ok((r.records, r.digest))
}

/// Waits until the county holds what the township holds; returns the seconds.
async fn until_agree(town: &str, county: &str, t: Instant) -> anyhow::Result<f64> {
    loop {
        let want = town_digest(town).await?;
        if town_digest(county).await? == want {
            return Ok(t.elapsed().as_secs_f64());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The township's link to its county: (states sent, digest checks, records repaired).
async fn link_counts(addr: &str) -> anyhow::Result<(u64, u64, u64)> {
    let st = pb::node_client::NodeClient::new(client(addr).await?)
        .status(pb::StatusRequest::default())
        .await?
        .into_inner();
    let l = st
        .links
        .iter()
        .find(|l| l.peer == COUNTY.parse::<u32>().unwrap_or(0));
    Ok(l.map(|l| (l.sent, l.checks, l.repaired))
        .unwrap_or_default())
}

/// Opens a township store offline and runs `f` with its committer.
async fn offline<T, F, Fut>(dir: &std::path::Path, f: F) -> anyhow::Result<T>
where
    F: FnOnce(Committer) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    std::fs::create_dir_all(dir.join("data"))?;
    let kv: Arc<dyn Kv> = Arc::new(SledKv::open(&dir.join("data"), 64 << 20)?);
    let layout = Layout::open(kv.clone())?;
    if layout.meta(b"identity")?.is_none() {
        let mut b = Batch::default();
        layout.put_meta(&mut b, b"identity", TOWN.as_bytes().to_vec());
        kv.apply(b)?;
    }
    let signer = wuji_pki::SignKey::from_pem(&std::fs::read_to_string(tls_for(TOWN)?.sign_key)?)?;
    let (committer, task) = Committer::start(wuji_node::CommitterParts {
        node: Code::parse(TOWN)?,
        layout,
        rules: Rules::default(),
        calendar: Calendar::builtin(),
        clock: Arc::new(wuji_node::clock::SystemClock),
        max_ahead_ms: 60_000,
        max_batch: BATCH,
        signer: Some(Arc::new(signer)),
        broken_merge: false,
        horizon: Default::default(),
        parent: None,
        adopted: Vec::new(),
        telemetry: Default::default(),
    })?;
    let out = f(committer).await?;
    task.await?;
    Ok(out)
}

/// Writes `n` suggestions homed at the township; returns their ids and the
/// bytes of their states as stored and sent: encoded, with the signature of
/// each section.
pub(crate) async fn preload(
    dir: &std::path::Path,
    n: u64,
) -> anyhow::Result<(Vec<RecordId>, usize)> {
    let rules = Rules::default();
    let cal = Calendar::builtin();
    let home = Code::parse(TOWN)?;
    let ids = offline(dir, |committer| async move {
        let mut ids = Vec::with_capacity(n as usize);
        let mut i = 0;
        while i < n {
            let ops: Vec<Op> = (i..(i + BATCH as u64).min(n))
                .map(|j| {
                    let r = suggestion(j, &rules, &cal);
                    let mut moved = Record::new(RecordId { home, ..r.id });
                    for (k, s) in r.sections() {
                        moved.put(if k.owner == r.id.home { home } else { k.owner }, s.clone());
                    }
                    ids.push(moved.id);
                    Op::new(moved.id, move |_, _| Ok(moved))
                })
                .collect();
            i += ops.len() as u64;
            committer.submit(ops).await?;
        }
        Ok(ids)
    })
    .await?;
    let layout = Layout::open(Arc::new(SledKv::open(&dir.join("data"), 64 << 20)?))?;
    let mut wire = 0usize;
    for id in &ids {
        if let Some((_, state)) = layout.record_and_state(id)? {
            wire += state.encoded_len();
        }
    }
    Ok((ids, wire))
}

/// Raw sled insert of `n` records like those preloaded, flushed per batch: seconds.
async fn raw_insert(n: u64) -> anyhow::Result<f64> {
    let rules = Rules::default();
    let cal = Calendar::builtin();
    let raw_dir = tempfile::tempdir()?;
    let raw = SledKv::open(raw_dir.path(), 64 << 20)?;
    let t = Instant::now();
    let mut i = 0;
    while i < n {
        let mut b = Batch::default();
        for j in i..(i + BATCH as u64).min(n) {
            let r = suggestion(j, &rules, &cal);
            let mut key = vec![b'R'];
            key.extend_from_slice(&wuji_store::layout::record_key(&r.id));
            let v = pb::StoredRecord {
                format: 1,
                state: Some(wuji_proto::record_to_state(&r)),
                seq: 1,
                source: 0,
            };
            b.put(key, v.encode_to_vec());
        }
        i += BATCH as u64;
        raw.apply(b)?;
        raw.flush_async().await?;
    }
    Ok(t.elapsed().as_secs_f64())
}

/// Runs every part; zero for `samples`, `changes` or `idle` skips that part.
pub async fn run(n: u64, samples: usize, changes: u64, idle: u64) -> anyhow::Result<()> {
    println!(
        "wuji-bench sync: {n} records; catch-up after {changes} changes each; idle {idle} s; {samples} changes over 4 hops"
    );
    let town_dir = tempfile::tempdir()?;
    let mut last = None;
    let t = Instant::now();
    let (ids, wire) = preload(town_dir.path(), n).await?;
    println!(
        "(preloaded the township offline in {:.1} s)",
        t.elapsed().as_secs_f64()
    );

    // 1. Initial sync through the counting proxy, checking signatures and not
    //    (a fresh county each time; the township sends everything again).
    let mut secs_by = Vec::new();
    let mut dirs = Vec::new();
    for verify in [false, true] {
        let county_dir = tempfile::tempdir()?;
        let county = Node::start(COUNTY, county_dir.path(), None, verify).await?;
        dirs.push(county_dir);
        let (via, bytes) = proxy(county.addr.clone()).await?;
        let t = Instant::now();
        let cpu = crate::feed::cpu_seconds(std::process::id());
        let town = Node::start(TOWN, town_dir.path(), Some(&via), true).await?;
        let secs = until_agree(&town.addr, &county.addr, t).await?;
        let cpu = crate::feed::cpu_seconds(std::process::id()) - cpu;
        let on_wire = bytes.load(Ordering::Relaxed);
        println!(
            "initial sync child->parent, signatures {}: {:.0} records/s ({n} in {secs:.1} s, including 100 ms digest polling)",
            if verify { "checked" } else { "NOT checked" },
            n as f64 / secs
        );
        println!(
            "  CPU: {:.2} cores on average, {:.0} µs per record (both nodes and the proxy are in this process)",
            cpu / secs,
            cpu * 1e6 / n as f64
        );
        println!(
            "  bytes on the wire per record: {:.0} measured (both directions, TLS records); the state as stored and sent (signatures included) is {:.0}: ratio {:.2}",
            on_wire as f64 / n as f64,
            wire as f64 / n as f64,
            on_wire as f64 / wire.max(1) as f64
        );
        secs_by.push(secs);
        if verify {
            // This pair syncs on (signatures checked) for the rest.
            last = Some((town, county, via, bytes));
        } else {
            town.stop().await;
            county.stop().await;
        }
    }
    println!(
        "signature checking: {:.0} records/s checked vs {:.0} unchecked, ratio {:.2}",
        n as f64 / secs_by[1],
        n as f64 / secs_by[0],
        secs_by[0] / secs_by[1]
    );
    let (town, county, via, bytes) = last.take().ok_or_else(|| anyhow::anyhow!("no run"))?;
    let secs = secs_by[1];
    let raw_secs = raw_insert(n).await?;
    println!(
        "raw sled insert, same records (incl. building them): {:.0} records/s; ratio sync/raw {:.2}",
        n as f64 / raw_secs,
        raw_secs / secs
    );

    // 2. Idle bytes.
    if idle > 0 {
        tokio::time::sleep(Duration::from_secs(3)).await; // the digest check settles
        let before = bytes.load(Ordering::Relaxed);
        tokio::time::sleep(Duration::from_secs(idle)).await;
        let b = bytes.load(Ordering::Relaxed) - before;
        println!(
            "idle link: {b} bytes in {idle} s = {:.0} bytes per minute (keep-alives and HTTP/2 pings, both ways)",
            b as f64 * 60.0 / idle as f64
        );
    }

    // 3. Catch-up after a partition: the township, cut off, changes every record.
    if changes > 0 {
        town.stop().await;
        let t = Instant::now();
        let ids = Arc::new(ids);
        offline(town_dir.path(), |committer| {
            let ids = ids.clone();
            async move {
                for c in 0..changes {
                    for chunk in ids.chunks(BATCH) {
                        let ops = chunk
                            .iter()
                            .map(|id| {
                                Op::new(*id, move |ctx, cur| {
                                    let cur =
                                        cur.ok_or_else(|| wuji_node::Error::invalid("missing"))?;
                                    Ok(wf::supervise(
                                        ctx,
                                        cur,
                                        None,
                                        "代表工委",
                                        &format!("第 {} 次督办", c + 1),
                                    )?)
                                })
                            })
                            .collect();
                        committer.submit(ops).await?;
                    }
                }
                Ok(())
            }
        })
        .await?;
        println!(
            "(while cut off the township changed {n} records {changes} times each: {} changes in {:.1} s)",
            n * changes,
            t.elapsed().as_secs_f64()
        );
        let before = bytes.load(Ordering::Relaxed);
        let cpu = crate::feed::cpu_seconds(std::process::id());
        let t = Instant::now();
        let town2 = Node::start(TOWN, town_dir.path(), Some(&via), true).await?;
        let secs = until_agree(&town2.addr, &county.addr, t).await?;
        let cpu = crate::feed::cpu_seconds(std::process::id()) - cpu;
        let b = bytes.load(Ordering::Relaxed) - before;
        tokio::time::sleep(Duration::from_secs(3)).await; // let the digest check run
        let (sent, checks, repaired) = link_counts(&town2.addr).await?;
        println!(
            "catch-up: {n} records x {changes} changes crossed in {secs:.1} s ({:.0} records/s), {:.1} MiB on the wire, {:.0} bytes per changed record",
            n as f64 / secs,
            b as f64 / (1 << 20) as f64,
            b as f64 / n as f64
        );
        println!(
            "  CPU: {:.2} cores on average, {:.0} µs per record (both nodes and the proxy)",
            cpu / secs,
            cpu * 1e6 / n as f64
        );
        println!(
            "record states sent: {sent} for {n} changed records (plus the node summary when its counts changed); digest checks {checks}, records repaired {repaired}"
        );
        town2.stop().await;
    } else {
        town.stop().await;
    }
    county.stop().await;

    if samples > 0 {
        latency(samples).await?;
    }
    Ok(())
}

/// Latency of one change township -> national over four hops.
async fn latency(samples: usize) -> anyhow::Result<()> {
    let dirs: Vec<tempfile::TempDir> = (0..5)
        .map(|_| tempfile::tempdir())
        .collect::<Result<_, _>>()?;
    // Every record travels the whole chain (under the default horizon a
    // township's suggestion goes no further than its county's parent).
    let all = wuji_model::routing::Horizon::All;
    let national = Node::start_with("100000", dirs[0].path(), None, true, all).await?;
    let province =
        Node::start_with("320000", dirs[1].path(), Some(&national.addr), true, all).await?;
    let city = Node::start_with("320100", dirs[2].path(), Some(&province.addr), true, all).await?;
    let county = Node::start_with(COUNTY, dirs[3].path(), Some(&city.addr), true, all).await?;
    let town = Node::start_with(TOWN, dirs[4].path(), Some(&county.addr), true, all).await?;
    let mut t_client =
        pb::suggestions_client::SuggestionsClient::new(operator(&town.addr, TOWN).await?);
    let mut n_client =
        pb::suggestions_client::SuggestionsClient::new(client(&national.addr).await?);
    tokio::time::sleep(Duration::from_millis(1500)).await; // links up
    crate::enrol(operator(&town.addr, TOWN).await?, "P").await?;
    let mut lat = Vec::with_capacity(samples);
    for i in 0..samples {
        let t = Instant::now();
        let v = t_client
            .submit(pb::SubmitRequest {
                lead: "P".into(),
                title: format!("延迟 {i}"),
                text: "x".into(),
                ..Default::default()
            })
            .await?
            .into_inner()
            .view;
        let (home, uuid) = v["id"].split_once(':').unwrap_or_default();
        let id = pb::RecordId {
            kind: 0,
            home: home.parse()?,
            uuid: Uuid::parse_str(uuid)?.as_bytes().to_vec(),
        };
        while n_client
            .get_suggestion(pb::Get {
                id: Some(id.clone()),
            })
            .await
            .is_err()
        {
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    let p = |q: f64| lat[((lat.len() as f64 - 1.0) * q) as usize];
    println!(
        "one change township->national (4 hops, each flushed before its ack): p50 {:.1} ms, p99 {:.1} ms",
        p(0.5),
        p(0.99)
    );
    for n in [town, county, city, province, national] {
        n.stop().await;
    }
    Ok(())
}
