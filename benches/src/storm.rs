//! `wuji-bench storm`: SIGKILLs one node of a real federation many times at
//! random moments under concurrent writers, then checks what DESIGN promises:
//! every acknowledged write is held at the node and at its parent (and at the
//! town below for the town's own writes), nothing is held twice, the digests of
//! every shared scope are equal, every summary equals a recount of the records
//! its node lists and the parent's copy of it, and no link ever saw a peer lose
//! data (a SIGKILL loses only what was never flushed, and nothing unflushed may
//! have left the node).
//!
//! `wuji-bench storm [--kills N] [--seed S] [--writers N] [--victim CODE]
//! [--wuji PATH] [--json]`: the federation is `wuji federation up --no-seed`
//! (13 processes, mutual TLS, signed sections); the victim is the county
//! 320114 by default, its parent the city 320100 and its town 320114001. The
//! exit status is non-zero when a check fails; the seed is printed so a run
//! can be repeated.

use anyhow::{Context, bail};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use wuji_division::Code;
use wuji_proto::pb::{self, suggestions_client::SuggestionsClient};

/// What a storm is asked to do.
pub struct Options {
    kills: u32,
    seed: u64,
    writers: usize,
    victim: Code,
    wuji: PathBuf,
    json: bool,
}

impl Options {
    /// Reads the flags after `storm`.
    pub fn parse(args: &[String]) -> anyhow::Result<Options> {
        let mut o = Options {
            kills: 50,
            seed: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_nanos() as u64,
            writers: 4,
            victim: Code::parse("320114")?,
            wuji: std::env::current_exe()?.with_file_name("wuji"),
            json: false,
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut val = || it.next().with_context(|| format!("{a} needs a value"));
            match a.as_str() {
                "--kills" => o.kills = val()?.parse()?,
                "--seed" => o.seed = val()?.parse()?,
                "--writers" => o.writers = val()?.parse::<usize>()?.max(2),
                "--victim" => o.victim = Code::parse(val()?)?,
                "--wuji" => o.wuji = PathBuf::from(val()?),
                "--json" => o.json = true,
                "--help" | "-h" => {
                    println!("{}", HELP);
                    std::process::exit(0);
                }
                other => bail!("unknown option {other}\n{HELP}"),
            }
        }
        if !o.wuji.exists() {
            bail!(
                "the wuji binary is not at {} (build it: cargo build -p wuji, or pass --wuji PATH)",
                o.wuji.display()
            );
        }
        Ok(o)
    }
}

const HELP: &str = "wuji-bench storm [--kills N (50)] [--seed S] [--writers N (4: all but one at the victim, one at a town below it)] [--victim CODE (320114; a county of the federation)] [--wuji PATH (next to this binary)] [--json]";

/// A small deterministic generator (xorshift64*), so a seed repeats its kill times.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }
}

/// One node of the federation as federation.json lists it.
#[derive(Clone)]
struct NodeInfo {
    addr: String,
    config: PathBuf,
    pid: u32,
    ep: Endpoint,
}

fn endpoint(code: Code, n: &serde_json::Value) -> anyhow::Result<Endpoint> {
    let op = &n["operator"];
    let read = |k: &str| std::fs::read(op[k].as_str().unwrap_or_default());
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(read("ca")?))
        .identity(Identity::from_pem(read("cert")?, read("key")?))
        .domain_name(wuji_pki::node_dns_name(code));
    Ok(Endpoint::from_shared(format!(
        "https://{}",
        n["addr"].as_str().unwrap_or_default()
    ))?
    .tls_config(tls)?
    .connect_timeout(Duration::from_secs(2)))
}

/// The federation, started with `wuji federation up`; stopped when dropped.
struct Federation {
    child: Child,
    dir: tempfile::TempDir,
    nodes: BTreeMap<Code, NodeInfo>,
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

fn free_base() -> anyhow::Result<u16> {
    // Below the ephemeral range: the writers redial the killed county, and a
    // source port equal to its port would keep the restarted node from
    // listening (a storm in CI died of it).
    Ok(wuji_node::test_util::free_ports(26))
}

async fn federation(wuji: &Path) -> anyhow::Result<Federation> {
    let dir = tempfile::tempdir()?;
    let child = Command::new(wuji)
        .args(["federation", "up", "--no-seed", "--base-port"])
        .arg(free_base()?.to_string())
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting wuji federation up")?;
    let mut f = Federation {
        child,
        dir,
        nodes: BTreeMap::new(),
    };
    let file = f.dir.path().join("federation.json");
    let deadline = Instant::now() + Duration::from_secs(90);
    while !file.exists() {
        if Instant::now() > deadline {
            bail!("the federation did not come up");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file)?)?;
    for n in v["nodes"].as_array().context("nodes")? {
        let code = Code::parse(n["code"].as_str().unwrap_or_default())?;
        f.nodes.insert(
            code,
            NodeInfo {
                addr: n["addr"].as_str().unwrap_or_default().to_string(),
                config: PathBuf::from(n["config"].as_str().unwrap_or_default()),
                pid: n["pid"].as_u64().unwrap_or_default() as u32,
                ep: endpoint(code, n)?,
            },
        );
    }
    Ok(f)
}

/// Submits at `ep` until `stop`; every acknowledged write's title goes into `acked`.
fn writer(
    ep: Endpoint,
    tag: String,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<String>>>,
    attempted: Arc<AtomicU64>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let Ok(ch) = ep.connect().await else {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            };
            let mut s = SuggestionsClient::new(ch);
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let title = format!("{tag}-{n}");
                attempted.fetch_add(1, Ordering::Relaxed);
                let req = pb::SubmitRequest {
                    lead: "P-1".into(),
                    title: title.clone(),
                    text: "风暴".into(),
                    category: "测试".into(),
                    ..Default::default()
                };
                match s.submit(req).await {
                    Ok(_) => acked.lock().expect("lock").push(title),
                    Err(_) => break, // not acknowledged; reconnect
                }
            }
        }
    })
}

async fn kill_and_restart(
    wuji: &Path,
    n: &mut NodeInfo,
    log: &Path,
    child: &mut Option<Child>,
) -> anyhow::Result<()> {
    Command::new("kill")
        .args(["-KILL", &n.pid.to_string()])
        .status()?;
    if let Some(mut c) = child.take() {
        let _ = c.wait();
    } else {
        // The federation's own process: wait until it is gone.
        let proc = PathBuf::from(format!("/proc/{}", n.pid));
        while std::fs::read_to_string(proc.join("stat"))
            .is_ok_and(|s| s.split_whitespace().nth(2).is_none_or(|st| st != "Z"))
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    let c = Command::new(wuji)
        .args(["node", "run", "--config"])
        .arg(&n.config)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()?;
    n.pid = c.id();
    *child = Some(c);
    let deadline = Instant::now() + Duration::from_secs(30);
    // A connect to a local port nobody listens on yet can land on itself (TCP
    // simultaneous open, when the kernel picks that very port as the source):
    // that is not the node, and it holds the port the node is about to bind.
    let listening = |s: &tokio::net::TcpStream| s.local_addr().ok() != s.peer_addr().ok();
    while !tokio::net::TcpStream::connect(&n.addr)
        .await
        .is_ok_and(|s| listening(&s))
    {
        if Instant::now() > deadline {
            bail!("the restarted node does not listen on {}", n.addr);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

/// Every suggestion (page by page) and deputy the node at `ch` holds.
async fn list(ch: &Channel) -> anyhow::Result<Vec<wuji_model::Record>> {
    let mut s = SuggestionsClient::new(ch.clone()).max_decoding_message_size(64 << 20);
    let mut out = Vec::new();
    let mut after = String::new();
    loop {
        let page = s
            .list_suggestions(pb::ListSuggestionsRequest {
                page: Some(pb::Page {
                    limit: 1000,
                    after: after.clone(),
                }),
                ..Default::default()
            })
            .await?
            .into_inner();
        for r in &page.records {
            out.push(wuji_proto::record_from_state(
                r.state.as_ref().context("state")?,
            )?);
        }
        if page.next.is_empty() {
            break;
        }
        after = page.next;
    }
    // And the deputies (the writers' lead), which summaries count too.
    let deputies = pb::deputies_client::DeputiesClient::new(ch.clone())
        .list_deputies(pb::ListDeputiesRequest::default())
        .await?
        .into_inner();
    for r in &deputies.records {
        out.push(wuji_proto::record_from_state(
            r.state.as_ref().context("state")?,
        )?);
    }
    Ok(out)
}

async fn digest(ch: &Channel, scope: Code) -> anyhow::Result<(u64, Vec<u8>)> {
    digest_for(ch, scope, false).await
}

/// The digest of the suggestions in `scope` that the node's parent is
/// entitled to (`for_parent`), or of all it holds there.
async fn digest_for(ch: &Channel, scope: Code, for_parent: bool) -> anyhow::Result<(u64, Vec<u8>)> {
    let r = pb::sync_client::SyncClient::new(ch.clone())
        .digest(pb::DigestRequest {
            scope: scope.value(),
            kind: pb::RecordKind::Suggestion as i32,
            for_parent,
        })
        .await?
        .into_inner();
    Ok((r.records, r.digest))
}

/// The summary of `of` held at `ch`, without the derived overdue count.
async fn summary(ch: &Channel, of: Code) -> anyhow::Result<BTreeMap<String, u64>> {
    let st = pb::node_client::NodeClient::new(ch.clone())
        .status(pb::StatusRequest::default())
        .await?
        .into_inner();
    let s = if st.node == of.value() {
        st.own
    } else {
        st.below.into_iter().find(|s| s.code == of.value())
    };
    let mut c: BTreeMap<String, u64> = s
        .map(|s| s.counts.into_iter().collect())
        .unwrap_or_default();
    c.remove("suggestion.overdue");
    c.remove("suggestion.due_soon");
    c.retain(|_, v| *v != 0);
    wuji_model::summary::months::keep_window(&mut c, today());
    Ok(c)
}

/// One check: its name, whether it held, and what was seen.
struct Check {
    name: String,
    ok: bool,
    seen: String,
}

/// Runs the storm and prints the report; an error if a check failed.
pub async fn run(o: Options) -> anyhow::Result<()> {
    let mut rng = Rng(o.seed | 1);
    let f = federation(&o.wuji).await?;
    let victim = o.victim;
    let parent = f
        .nodes
        .keys()
        .copied()
        .find(|c| victim.parent() == Some(*c))
        .context("the victim's parent is not in the federation")?;
    let town = f
        .nodes
        .keys()
        .copied()
        .find(|c| c.parent() == Some(victim))
        .context("the victim has no town below it in the federation")?;
    eprintln!(
        "storm: seed {}, {} kills of {victim} (parent {parent}, town {town}), {} writers",
        o.seed, o.kills, o.writers
    );
    for code in [victim, town] {
        crate::enrol(f.nodes[&code].ep.connect().await?, "P-1").await?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let acked_victim: Arc<Mutex<Vec<String>>> = Arc::default();
    let acked_town: Arc<Mutex<Vec<String>>> = Arc::default();
    let attempted = Arc::new(AtomicU64::new(0));
    let mut writers = Vec::new();
    for w in 0..o.writers - 1 {
        writers.push(writer(
            f.nodes[&victim].ep.clone(),
            format!("v{w}"),
            stop.clone(),
            acked_victim.clone(),
            attempted.clone(),
        ));
    }
    writers.push(writer(
        f.nodes[&town].ep.clone(),
        "t".into(),
        stop.clone(),
        acked_town.clone(),
        attempted.clone(),
    ));

    let started = Instant::now();
    let log = f.dir.path().join("storm-restarts.log");
    let mut node = f.nodes[&victim].clone();
    let mut child: Option<Child> = None;
    for k in 0..o.kills {
        tokio::time::sleep(Duration::from_millis(30 + rng.below(400))).await;
        kill_and_restart(&o.wuji, &mut node, &log, &mut child).await?;
        if (k + 1) % 50 == 0 {
            eprintln!(
                "storm: {} kills, {} writes acknowledged, {:.0} s",
                k + 1,
                acked_victim.lock().expect("lock").len() + acked_town.lock().expect("lock").len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        let _ = w.await;
    }
    let storm_secs = started.elapsed().as_secs_f64();
    let acked_v: BTreeSet<String> = acked_victim.lock().expect("lock").iter().cloned().collect();
    let acked_t: BTreeSet<String> = acked_town.lock().expect("lock").iter().cloned().collect();

    // Wait for the levels to agree, then check.
    let ch = |c: Code| {
        let ep = if c == victim {
            node.ep.clone()
        } else {
            f.nodes[&c].ep.clone()
        };
        async move { ep.connect().await }
    };
    let (cv, cp, ct) = (ch(victim).await?, ch(parent).await?, ch(town).await?);
    let settle = Instant::now();
    let mut agreed = false;
    while settle.elapsed() < Duration::from_secs(120) {
        // Each link's child and parent agree on what the parent is entitled
        // to (sync.horizon: the town's own opinions stop at the county).
        let a = digest_for(&cv, victim, true).await? == digest(&cp, victim).await?;
        let t = digest(&ct, town).await?;
        let b = t == digest(&cv, town).await?
            && digest_for(&cv, town, true).await? == digest(&cp, town).await?;
        let s = summary(&cv, victim).await? == summary(&cp, victim).await?;
        if a && b && s {
            agreed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let settle_secs = settle.elapsed().as_secs_f64();
    let mut checks = Vec::new();
    let mut held = BTreeMap::new();
    // Every summary is held against a recount of its subtree's records,
    // wherever they are held.
    let mut lists = Vec::new();
    let mut every = BTreeMap::new();
    for (code, c) in [(victim, &cv), (parent, &cp), (town, &ct)] {
        let records = list(c).await?;
        for r in &records {
            every.entry(r.id).or_insert_with(|| r.clone());
        }
        lists.push((code, c, records));
    }
    for (code, c, records) in lists {
        let titles: Vec<String> = records
            .iter()
            .filter_map(|r| r.origin(r.id.home).map(|o| o.title.get().clone()))
            .collect();
        let unique: BTreeSet<&String> = titles.iter().collect();
        checks.push(Check {
            name: format!("no duplicates at {code}"),
            ok: unique.len() == titles.len(),
            seen: format!("{} records, {} distinct titles", titles.len(), unique.len()),
        });
        // The town's opinions are handled at the town: they go as far as the
        // county (sync.horizon = 1); the county's go to the city.
        let expect: Vec<&String> = if code == town {
            acked_t.iter().collect()
        } else if code == victim {
            acked_v.iter().chain(acked_t.iter()).collect()
        } else {
            acked_v.iter().collect()
        };
        let missing = expect.iter().filter(|t| !unique.contains(**t)).count();
        checks.push(Check {
            name: format!("every acknowledged write at {code}"),
            ok: missing == 0,
            seen: format!("{} expected, {missing} missing", expect.len()),
        });
        let mut recount: BTreeMap<String, u64> = wuji_model::summary::recount_subtree(
            every.values(),
            &wuji_model::Rules::default(),
            code,
        )
        .into_iter()
        .map(|(k, v)| (k, v as u64))
        .collect();
        wuji_model::summary::months::keep_window(&mut recount, today());
        let own = summary(c, code).await?;
        checks.push(Check {
            name: format!("summary of {code} equals a recount"),
            ok: own == recount,
            seen: format!(
                "summary {} / recount {} suggestions",
                own.get("suggestion.total").copied().unwrap_or(0),
                recount.get("suggestion.total").copied().unwrap_or(0)
            ),
        });
        held.insert(code, titles.len());
    }
    checks.push(Check {
        name: format!("digests and summaries agree ({victim}, {parent}, {town})"),
        ok: agreed,
        seen: format!("after {settle_secs:.1} s"),
    });
    let lost = lost_data_lines(f.dir.path())?;
    checks.push(Check {
        name: "no link saw a peer lose data".into(),
        ok: lost == 0,
        seen: format!("{lost} log lines"),
    });
    report(
        &o,
        &checks,
        &held,
        storm_secs,
        acked_v.len() + acked_t.len(),
        attempted.load(Ordering::Relaxed),
    )?;
    if let Some(mut c) = child {
        let _ = c.kill();
        let _ = c.wait();
    }
    if checks.iter().any(|c| !c.ok) {
        bail!("storm with seed {}: a check failed", o.seed);
    }
    Ok(())
}

/// Lines in any node's log where a link found that its peer lost data.
fn lost_data_lines(dir: &Path) -> anyhow::Result<usize> {
    let mut n = 0;
    let mut logs = vec![dir.join("storm-restarts.log")];
    for e in std::fs::read_dir(dir)? {
        logs.push(e?.path().join("node.log"));
    }
    for l in logs {
        if let Ok(s) = std::fs::read_to_string(&l) {
            n += s.lines().filter(|x| x.contains("lost data")).count();
        }
    }
    Ok(n)
}

fn report(
    o: &Options,
    checks: &[Check],
    held: &BTreeMap<Code, usize>,
    secs: f64,
    acked: usize,
    attempted: u64,
) -> anyhow::Result<()> {
    if o.json {
        let v = serde_json::json!({
            "seed": o.seed,
            "kills": o.kills,
            "victim": o.victim.to_string(),
            "seconds": secs,
            "writes_attempted": attempted,
            "writes_acknowledged": acked,
            "held": held.iter().map(|(c, n)| (c.to_string(), n)).collect::<BTreeMap<_, _>>(),
            "checks": checks.iter().map(|c| serde_json::json!({"check": c.name, "ok": c.ok, "seen": c.seen})).collect::<Vec<_>>(),
            "ok": checks.iter().all(|c| c.ok),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!(
        "storm: seed {}, {} kills of {} in {secs:.0} s; writes attempted {attempted}, acknowledged {acked}",
        o.seed, o.kills, o.victim
    );
    for (c, n) in held {
        println!("  held at {c}: {n} suggestions");
    }
    for c in checks {
        println!(
            "  [{}] {}: {}",
            if c.ok { "ok" } else { "FAILED" },
            c.name,
            c.seen
        );
    }
    Ok(())
}

/// Today in China Standard Time, as the nodes' clocks read it.
fn today() -> wuji_model::Date {
    use wuji_node::clock::Clock;
    wuji_node::clock::cst_date(wuji_node::clock::SystemClock.now_ms())
}
