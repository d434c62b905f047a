//! Faults between real nodes over real sockets: a node rebuilt from an empty
//! directory refills from its parent and its child; a node restored from an old
//! backup catches up; afterwards every pair of nodes agrees (equal digests for
//! the scope they share) and the rebuilt node's new writes are not skipped.
//! Every node runs with mutual TLS and signed sections, as in production.

mod common;

use common::*;
use std::time::{Duration, Instant};
use tonic::transport::Channel;
use wuji_division::Code;
use wuji_node::config::ParentConfig;
use wuji_proto::pb::{
    self, assignments_client::AssignmentsClient, suggestions_client::SuggestionsClient,
};

static PKI: std::sync::OnceLock<common::tls::Pki> = std::sync::OnceLock::new();
type Issued = std::sync::Mutex<Vec<(String, wuji_node::config::TlsConfig)>>;
static ISSUED: Issued = std::sync::Mutex::new(Vec::new());

/// Every node of these tests runs with mutual TLS and signed sections; a node
/// keeps its certificate across restarts unless [`reissue`] gives it a new one.
fn tls(code: &str) -> wuji_node::config::TlsConfig {
    let pki = PKI.get_or_init(common::tls::Pki::new);
    let mut issued = ISSUED.lock().unwrap();
    if let Some((_, t)) = issued.iter().rev().find(|(c, _)| c == code) {
        return t.clone();
    }
    let t = pki.node(code);
    issued.push((code.to_string(), t.clone()));
    t
}

/// A new certificate, with a new signing key, for `code` (files of its own).
fn reissue(code: &str) {
    let pki = PKI.get_or_init(common::tls::Pki::new);
    let mut t = pki.node(code);
    let dir = pki.dir.path().join(format!("reissued-{code}"));
    std::fs::create_dir_all(&dir).unwrap();
    for f in [&mut t.cert, &mut t.key, &mut t.sign_key] {
        let to = dir.join(f.file_name().unwrap());
        std::fs::copy(&*f, &to).unwrap();
        *f = to;
    }
    ISSUED.lock().unwrap().push((code.to_string(), t));
}

/// A node whose parent is at `parent_addr`, with TLS.
async fn child(code: &str, parent_addr: &str, parent_code: &str) -> TestNode {
    common::tls::tls_child_with(tls(code), code, parent_code, parent_addr, all).await
}

/// These tests count every record at every level of a short chain: they run
/// with `sync.horizon = all` (rebuild and restore under the default horizon
/// are exercised by the simulator's crashes and restores).
fn all(c: &mut wuji_node::Config) {
    c.sync.horizon = wuji_model::routing::Horizon::All;
}

/// The root of a test's tree, with TLS.
async fn root(code: &str) -> TestNode {
    let t = tls(code);
    TestNode::start(code, move |c| {
        c.tls = Some(t);
        all(c);
    })
    .await
}

async fn restart(
    code: &str,
    dir: tempfile::TempDir,
    addr: &str,
    parent: Option<(&str, &str)>,
) -> TestNode {
    restart_with(code, dir, addr, parent, |_| {}).await
}

async fn restart_with(
    code: &str,
    dir: tempfile::TempDir,
    addr: &str,
    parent: Option<(&str, &str)>,
    adjust: impl FnOnce(&mut wuji_node::Config),
) -> TestNode {
    let mut cfg = wuji_node::Config::new(Code::parse(code).unwrap());
    cfg.tls = Some(tls(code));
    all(&mut cfg);
    adjust(&mut cfg);
    cfg.node.data_dir = dir.path().join("data");
    cfg.parent = parent.map(|(c, a)| ParentConfig {
        code: Code::parse(c).unwrap(),
        addr: a.into(),
    });
    TestNode::start_at(dir, cfg, addr).await
}

async fn agree(nodes: &[&Channel], scope: u32, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut ds = Vec::new();
        for ch in nodes {
            ds.push(digest(ch, scope).await);
        }
        if ds.iter().all(|d| d.0 == n && *d == ds[0]) {
            return;
        }
        let counts: Vec<u64> = ds.iter().map(|d| d.0).collect();
        if Instant::now() >= deadline {
            for ch in nodes {
                let mut s = SuggestionsClient::new((*ch).clone());
                let l = s
                    .list_suggestions(pb::ListSuggestionsRequest::default())
                    .await
                    .unwrap()
                    .into_inner();
                let t: Vec<String> = l
                    .records
                    .iter()
                    .map(|r| format!("{}@{}", r.view["title"], r.view["home"]))
                    .collect();
                eprintln!("DBG {t:?}");
            }
        }
        assert!(
            Instant::now() < deadline,
            "scope {scope}: expected {n} records everywhere, nodes hold {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_rebuilt_from_an_empty_directory_refills_and_its_new_writes_still_flow() {
    let city = root("320100").await;
    let county = child("320114", &city.addr, "320100").await;
    let town = child("320114001", &county.addr, "320114").await;
    for i in 0..10 {
        submit(&town.channel, &format!("镇 {i}")).await;
    }
    let mut a = AssignmentsClient::new(city.channel.clone());
    let x = a
        .issue_assignment(pb::IssueRequest {
            title: "交办".into(),
            text: "x".into(),
            targets: vec![320_114],
            due_on: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .view["id"]
        .clone();
    let own = submit(&county.channel, "区里的").await;
    agree(
        &[&town.channel, &county.channel, &city.channel],
        320_114_001,
        10,
    )
    .await;
    agree(&[&county.channel, &city.channel], 320_114, 11).await;

    // The county loses its disk: it starts again from an empty directory.
    let addr = county.addr.clone();
    let dir = county.stop().await;
    std::fs::remove_dir_all(dir.path().join("data")).unwrap();
    let county = restart("320114", dir, &addr, Some(("320100", &city.addr))).await;
    // From the town below and the city above it gets back everything it may see,
    // its own suggestion included.
    agree(
        &[&town.channel, &county.channel, &city.channel],
        320_114_001,
        10,
    )
    .await;
    agree(&[&county.channel, &city.channel], 320_114, 11).await;
    let mut ca = AssignmentsClient::new(county.channel.clone());
    assert!(
        ca.get_assignment(pb::Get { id: rid(&x) }).await.is_ok(),
        "the city's assignment came back"
    );
    let mut cs = SuggestionsClient::new(county.channel.clone());
    assert_eq!(
        cs.get_suggestion(pb::Get { id: rid(&own) })
            .await
            .unwrap()
            .into_inner()
            .view["title"],
        "区里的"
    );
    // New writes of the rebuilt county start a new log: the city must not skip them.
    for i in 0..5 {
        submit(&county.channel, &format!("重建后 {i}")).await;
    }
    agree(&[&county.channel, &city.channel], 320_114, 16).await;
    // What came back is counted once: its own summary, returned by the city
    // with the records, is recounted, and the city takes the recount.
    summary_adds_up(&county.channel, &city.channel, 320_114).await;
    for n in [town, county, city] {
        n.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restored_from_an_old_backup_catches_up() {
    let city = root("320100").await;
    let county = child("320114", &city.addr, "320100").await;
    let town = child("320114001", &county.addr, "320114").await;
    for i in 0..5 {
        submit(&county.channel, &format!("备份前 {i}")).await;
    }
    agree(&[&county.channel, &city.channel], 320_114, 5).await;
    // Back up the county's store (stopped, as an operator would), then go on.
    let (county, backup) = back_up(county, "320114", ("320100", &city.addr)).await;
    for i in 0..5 {
        submit(&county.channel, &format!("备份后 {i}")).await;
        submit(&town.channel, &format!("镇 {i}")).await;
    }
    agree(&[&county.channel, &city.channel], 320_114, 15).await;
    // Disaster: restore the old backup. The county's log is now behind what the
    // city and the town already hold from it.
    let (dir, addr) = restore(county, &backup).await;
    let county = restart("320114", dir, &addr, Some(("320100", &city.addr))).await;
    agree(&[&county.channel, &city.channel], 320_114, 15).await;
    agree(
        &[&town.channel, &county.channel, &city.channel],
        320_114_001,
        5,
    )
    .await;
    // Its new writes reuse sequence numbers the city has seen: they must still cross.
    for i in 0..3 {
        submit(&county.channel, &format!("恢复后 {i}")).await;
    }
    agree(&[&county.channel, &city.channel], 320_114, 18).await;
    summary_adds_up(&county.channel, &city.channel, 320_114).await;
    for n in [town, county, city] {
        n.stop().await;
    }
}

/// The log cannot see this one: a county restored from a backup writes past the
/// city's old checkpoint of it before the link comes back, so sequence numbers
/// look continuous while the entries behind them differ. The digest check finds
/// it and both sides resend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_node_that_wrote_past_its_old_checkpoint_is_repaired_by_the_digest_check() {
    let city = root("320100").await;
    let county = child("320114", &city.addr, "320100").await;
    for i in 0..5 {
        submit(&county.channel, &format!("备份前 {i}")).await;
    }
    agree(&[&county.channel, &city.channel], 320_114, 5).await;
    let (county, backup) = back_up(county, "320114", ("320100", &city.addr)).await;
    for i in 0..5 {
        submit(&county.channel, &format!("备份后 {i}")).await;
    }
    agree(&[&county.channel, &city.channel], 320_114, 10).await;
    // Restore the backup while the city is down, and write more than was lost.
    let (dir, addr) = restore(county, &backup).await;
    let city_addr = city.addr.clone();
    let city_dir = city.stop().await;
    let county = restart("320114", dir, &addr, Some(("320100", &city_addr))).await;
    for i in 0..8 {
        submit(&county.channel, &format!("离线 {i}")).await;
    }
    let city = restart("320100", city_dir, &city_addr, None).await;
    agree(&[&county.channel, &city.channel], 320_114, 18).await;
    let st = pb::node_client::NodeClient::new(county.channel.clone())
        .status(pb::StatusRequest::default())
        .await
        .unwrap()
        .into_inner();
    let up = st.links.iter().find(|l| l.peer == 320_100).unwrap();
    assert!(up.checks >= 1, "the county checked digests: {up:?}");
    assert!(
        up.repaired > 0,
        "the county resent what the city missed: {up:?}"
    );
    for n in [county, city] {
        n.stop().await;
    }
}

/// Backs up a node's store as an operator would (stopped), then restarts it;
/// returns the running node and the backup.
async fn back_up(
    node: TestNode,
    code: &str,
    parent: (&str, &str),
) -> (TestNode, tempfile::TempDir) {
    let addr = node.addr.clone();
    let dir = node.stop().await;
    let backup = tempfile::tempdir().unwrap();
    wuji_node::test_util::copy_dir(&dir.path().join("data"), &backup.path().join("data"));
    (restart(code, dir, &addr, Some(parent)).await, backup)
}

/// Stops a node and puts `backup` in place of its store; returns its
/// directory and address, ready for a restart.
async fn restore(node: TestNode, backup: &tempfile::TempDir) -> (tempfile::TempDir, String) {
    let addr = node.addr.clone();
    let dir = node.stop().await;
    std::fs::remove_dir_all(dir.path().join("data")).unwrap();
    wuji_node::test_util::copy_dir(&backup.path().join("data"), &dir.path().join("data"));
    (dir, addr)
}

/// A TCP proxy that delays every chunk by 0-30 ms and cuts the connection every
/// 100-300 ms, so the link keeps breaking mid-batch and batches are sent again.
async fn flaky_proxy(
    target: String,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    let conns = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = conns.clone();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let mut n: u64 = 0x9e37_79b9_7f4a_7c15;
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = &mut stop_rx => return,
            };
            let Ok((client, _)) = accepted else { continue };
            let Ok(server) = tokio::net::TcpStream::connect(&target).await else {
                continue;
            };
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            n ^= n << 13;
            n ^= n >> 7;
            n ^= n << 17;
            let life = Duration::from_millis(100 + n % 200);
            let seed = n;
            tokio::spawn(async move {
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                let pipe = |mut r: tokio::net::tcp::OwnedReadHalf,
                            mut w: tokio::net::tcp::OwnedWriteHalf,
                            mut s: u64| async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        let k = match r.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => k,
                        };
                        s ^= s << 13;
                        s ^= s >> 7;
                        s ^= s << 17;
                        tokio::time::sleep(Duration::from_millis(s % 30)).await;
                        if w.write_all(&buf[..k]).await.is_err() {
                            return;
                        }
                    }
                };
                tokio::select! {
                    _ = pipe(cr, sw, seed) => {}
                    _ = pipe(sr, cw, seed.rotate_left(17)) => {}
                    _ = tokio::time::sleep(life) => {}
                }
            });
        }
    });
    (addr, stop_tx, conns)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delayed_link_that_keeps_breaking_still_converges() {
    let county = root("320114").await;
    let (proxy, stop_proxy, conns) = flaky_proxy(county.addr.clone()).await;
    let town = child("320114001", &proxy, "320114").await;
    // Writes on both sides while the link delays and breaks.
    let mut ids = Vec::new();
    for i in 0..60 {
        ids.push(submit(&town.channel, &format!("镇 {i}")).await);
        if i % 3 == 0 {
            let mut a = AssignmentsClient::new(county.channel.clone());
            a.issue_assignment(pb::IssueRequest {
                title: format!("交办 {i}"),
                text: "x".into(),
                targets: vec![320_114_001],
                due_on: String::new(),
            })
            .await
            .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    agree(&[&town.channel, &county.channel], 320_114_001, 60).await;
    // Every assignment reached the township, however often the link broke.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut a = AssignmentsClient::new(town.channel.clone());
        let got = a
            .list_assignments(pb::ListAssignmentsRequest {
                issued: false,
                page: Some(pb::Page {
                    limit: 500,
                    after: String::new(),
                }),
            })
            .await
            .unwrap()
            .into_inner()
            .records
            .len();
        if got == 20 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the township holds {got} of 20 assignments"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let links = conns.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        links >= 3,
        "the link broke only {} times: the test did not test breaks",
        links.saturating_sub(1)
    );
    println!("the link was opened {links} times");
    let _ = stop_proxy.send(());
    for n in [town, county] {
        n.stop().await;
    }
}

/// A node that lost its disk comes back with a new certificate and signing key:
/// its old sections, signed with the old key, come back from its parent and are
/// still accepted; its new ones, signed with the new key, are accepted above.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuilt_node_with_a_new_signing_key_keeps_its_old_sections_valid() {
    let city = root("320100").await;
    let county = child("320114", &city.addr, "320100").await;
    for i in 0..5 {
        submit(&county.channel, &format!("旧钥匙 {i}")).await;
    }
    agree(&[&county.channel, &city.channel], 320_114, 5).await;
    let addr = county.addr.clone();
    let dir = county.stop().await;
    std::fs::remove_dir_all(dir.path().join("data")).unwrap();
    reissue("320114");
    let county = restart("320114", dir, &addr, Some(("320100", &city.addr))).await;
    agree(&[&county.channel, &city.channel], 320_114, 5).await;
    for i in 0..3 {
        submit(&county.channel, &format!("新钥匙 {i}")).await;
    }
    agree(&[&county.channel, &city.channel], 320_114, 8).await;
    for n in [&county, &city] {
        let st = pb::node_client::NodeClient::new(n.channel.clone())
            .status(pb::StatusRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert!(st.refusals.is_empty(), "{:?}", st.refusals);
    }
    county.stop().await;
    city.stop().await;
}

/// A difference in a region holding more than `sync.narrow_above` records is
/// narrowed region by region: here the county's own records differ (it was
/// restored from a backup and wrote past its old checkpoint) while its
/// township's 20 agree, so only the county's own are resent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_difference_in_a_large_region_is_narrowed_before_anything_is_resent() {
    let narrow = |c: &mut wuji_node::Config| c.sync.narrow_above = 5;
    let t = tls("320100");
    let city = TestNode::start("320100", move |c| {
        c.tls = Some(t);
        all(c);
        narrow(c);
    })
    .await;
    let county = child("320114", &city.addr, "320100").await;
    let town = child("320114001", &county.addr, "320114").await;
    for i in 0..20 {
        submit(&town.channel, &format!("镇 {i}")).await;
    }
    for i in 0..5 {
        submit(&county.channel, &format!("备份前 {i}")).await;
    }
    agree(&[&county.channel, &city.channel], 320_114, 25).await;
    let (county, backup) = back_up(county, "320114", ("320100", &city.addr)).await;
    for i in 0..5 {
        submit(&county.channel, &format!("备份后 {i}")).await;
    }
    agree(&[&county.channel, &city.channel], 320_114, 30).await;
    let (dir, addr) = restore(county, &backup).await;
    let city_addr = city.addr.clone();
    let city_dir = city.stop().await;
    let county = restart("320114", dir, &addr, Some(("320100", &city_addr))).await;
    for i in 0..8 {
        submit(&county.channel, &format!("离线 {i}")).await;
    }
    let city = restart_with("320100", city_dir, &city_addr, None, narrow).await;
    agree(&[&county.channel, &city.channel], 320_114, 38).await;
    agree(
        &[&town.channel, &county.channel, &city.channel],
        320_114_001,
        20,
    )
    .await;
    let st = pb::node_client::NodeClient::new(county.channel.clone())
        .status(pb::StatusRequest::default())
        .await
        .unwrap()
        .into_inner();
    let up = st.links.iter().find(|l| l.peer == 320_100).unwrap();
    assert!(
        up.repaired > 0,
        "the county resent what the city missed: {up:?}"
    );
    assert!(
        up.repaired < 20,
        "only the county's own records (and summaries), not its township's 20: {up:?}"
    );
    for n in [town, county, city] {
        n.stop().await;
    }
}
