//! `wuji federation up`: a real multi-process federation on this machine, from
//! an embedded slice of the real division tree with its odd corners (a
//! municipality without a city level, a city without counties), seeded with
//! sample deputies, suggestions and an assignment. Writes DIR/federation.json
//! and runs until ctrl-c or SIGTERM, then stops every node cleanly.

use anyhow::{Context, bail};
use clap::Args;
use serde_json::json;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tonic::transport::Channel;
use wuji_division::Code;
use wuji_node::Config;
use wuji_node::config::ParentConfig;
use wuji_proto::pb::suggestions_client::SuggestionsClient;
use wuji_proto::pb::{
    self, assignments_client::AssignmentsClient, deputies_client::DeputiesClient,
};

/// The embedded tree: (code, name, parent).
const TREE: &[(&str, &str, Option<&str>)] = &[
    ("100000", "全国人大", None),
    ("320000", "江苏省", Some("100000")),
    ("320100", "南京市", Some("320000")),
    ("320114", "雨花台区", Some("320100")),
    ("320114001", "雨花街道", Some("320114")),
    ("320114002", "赛虹桥街道", Some("320114")),
    ("320115", "江宁区", Some("320100")),
    ("320115001", "东山街道", Some("320115")),
    ("110000", "北京市", Some("100000")),
    ("110101", "东城区", Some("110000")),
    ("440000", "广东省", Some("100000")),
    ("441900", "东莞市", Some("440000")),
    ("441900003", "东城街道", Some("441900")),
];

/// Arguments of `wuji federation up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// Directory for every node's config, store and log, and federation.json.
    #[arg(long)]
    dir: PathBuf,
    /// First port; node i listens on base-port + i (127.0.0.1 only), serves
    /// its metrics and health (the ops listener) on base-port + 13 + i and
    /// its console on base-port + 26 + i.
    #[arg(long, default_value_t = 7700)]
    base_port: u16,
    /// Do not add the sample deputies, suggestions and assignment.
    #[arg(long)]
    no_seed: bool,
    /// Stop by itself after this many seconds (default: run until ctrl-c).
    #[arg(long)]
    r#for: Option<u64>,
    /// Plaintext dev mode instead of mutual TLS (every node warns about it).
    #[arg(long)]
    plaintext: bool,
}

/// The console account of every node of the federation (an operator).
pub const CONSOLE_ACCOUNT: &str = "office";

/// The file in DIR holding its password.
pub const CONSOLE_PASSWORD: &str = "console-password.txt";

/// The console password of the federation in `dir` (made on first start,
/// readable by its owner only) and its hash, shared by every node.
fn console_password(dir: &std::path::Path) -> anyhow::Result<(String, String)> {
    let path = dir.join(CONSOLE_PASSWORD);
    let pw = match std::fs::read_to_string(&path) {
        Ok(p) => p.trim().to_string(),
        Err(_) => {
            let pw: String = wuji_console::accounts::token()[..16].to_string();
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
            std::io::Write::write_all(&mut o.open(&path)?, format!("{pw}\n").as_bytes())?;
            pw
        }
    };
    let hash = wuji_console::accounts::hash_password(&pw, wuji_console::accounts::ITERATIONS);
    Ok((pw, hash))
}

/// The federation's certificates in DIR/pki, made on first start and reused.
struct Pki {
    dir: PathBuf,
    ca: PathBuf,
}

/// A client's TLS files.
#[derive(Clone)]
struct ClientFiles {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl Pki {
    fn open(dir: PathBuf) -> anyhow::Result<Pki> {
        let ca = dir.join("ca.pem");
        if !ca.exists() {
            super::ca::init_ca(&dir, "wuji federation (local) CA", 3650)?;
        }
        Ok(Pki { dir, ca })
    }

    fn files(&self, stem: &str) -> ClientFiles {
        ClientFiles {
            ca: self.ca.clone(),
            cert: self.dir.join(format!("{stem}.pem")),
            key: self.dir.join(format!("{stem}.key")),
        }
    }

    /// The node's own certificate, issued if missing.
    fn node(&self, code: Code) -> anyhow::Result<ClientFiles> {
        let f = self.files(&format!("node-{code}"));
        if !f.cert.exists() {
            // The consoles are opened at 127.0.0.1 (or localhost).
            let hosts = ["127.0.0.1".to_string(), "localhost".to_string()];
            super::ca::issue_node(&super::ca::load(&self.dir)?, code, 825, &self.dir, &hosts)?;
        }
        Ok(f)
    }

    /// A client certificate for `node` with `role`, issued if missing.
    fn client(&self, node: Code, role: wuji_pki::ClientRole) -> anyhow::Result<ClientFiles> {
        let f = self.files(&format!("client-{node}-{}", role.as_str()));
        if !f.cert.exists() {
            let name = format!("federation {} {node}", role.as_str());
            super::ca::issue_client(
                &super::ca::load(&self.dir)?,
                &name,
                role,
                node,
                825,
                &self.dir,
            )?;
        }
        Ok(f)
    }
}

fn files_json(f: &ClientFiles) -> serde_json::Value {
    json!({ "ca": f.ca, "cert": f.cert, "key": f.key })
}

struct Running {
    code: &'static str,
    addr: String,
    child: Child,
    /// The operator's client files for this node (`None` in plaintext mode).
    operator: Option<ClientFiles>,
}

/// Starts the federation and keeps it running.
pub async fn up(mut a: UpArgs) -> anyhow::Result<()> {
    // The nodes' configs name files by path and each node reads relative paths
    // from its own config's folder: give them absolute ones.
    a.dir = std::path::absolute(&a.dir)
        .with_context(|| format!("cannot resolve {}", a.dir.display()))?;
    // A directory that already holds a federation is resumed, not seeded again.
    let resumed = a.dir.join("federation.json").exists();
    std::fs::create_dir_all(&a.dir)
        .with_context(|| format!("cannot create {}", a.dir.display()))?;
    let exe = std::env::current_exe().context("cannot find the wuji binary")?;
    let addr_of = |i: usize| format!("127.0.0.1:{}", a.base_port as usize + i);
    let mut nodes: Vec<Running> = Vec::new();
    let mut listing = Vec::new();
    let pki = if a.plaintext {
        eprintln!("plaintext dev mode: connections are neither encrypted nor authenticated");
        None
    } else {
        Some(Pki::open(a.dir.join("pki"))?)
    };
    let reader = match &pki {
        Some(p) => Some(p.client(Code::NATIONAL, wuji_pki::ClientRole::Reader)?),
        None => None,
    };
    let password = console_password(&a.dir)?;
    eprintln!("starting {} nodes in {}", TREE.len(), a.dir.display());
    for (i, (code, name, parent)) in TREE.iter().enumerate() {
        let c = Code::parse(code)?;
        let dir = a.dir.join(code);
        std::fs::create_dir_all(&dir)?;
        let mut cfg = Config::new(c);
        cfg.node.listen = addr_of(i);
        cfg.store.cache_mb = 16;
        cfg.ops = wuji_node::config::OpsConfig {
            enabled: true,
            listen: addr_of(TREE.len() + i),
        };
        cfg.console = wuji_node::config::ConsoleConfig {
            enabled: true,
            listen: addr_of(2 * TREE.len() + i),
            accounts: dir.join("console-accounts.toml"),
        };
        wuji_console::accounts::Accounts {
            accounts: vec![wuji_console::accounts::Account {
                name: CONSOLE_ACCOUNT.into(),
                role: wuji_console::accounts::Role::Operator,
                hash: password.1.clone(),
            }],
        }
        .save(&cfg.console.accounts)?;
        if let Some(p) = parent {
            let j = TREE
                .iter()
                .position(|(c, _, _)| c == p)
                .expect("parent in tree");
            cfg.parent = Some(ParentConfig {
                code: Code::parse(p).expect("a code of the tree"),
                addr: addr_of(j),
            });
        }
        let (operator, own) = match &pki {
            Some(p) => (
                Some(p.client(c, wuji_pki::ClientRole::Operator)?),
                Some(p.node(c)?),
            ),
            None => (None, None),
        };
        cfg.tls = own.map(|f| wuji_node::config::TlsConfig {
            sign_key: super::ca::sign_key_of(&f.cert),
            crl: None,
            ca: f.ca,
            cert: f.cert,
            key: f.key,
        });
        let path = dir.join("wuji.toml");
        std::fs::write(&path, cfg.to_commented_toml())?;
        let log = std::fs::File::create(dir.join("node.log"))?;
        let child = Command::new(&exe)
            .args(["node", "run", "--config"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start the node {code}"))?;
        let pid = child.id();
        listing.push(json!({
            "pid": pid,
            "code": code, "name": name, "level": c.level().en(), "level_zh": c.level().zh(),
            "addr": addr_of(i), "ops": addr_of(TREE.len() + i),
            "console": format!("{}://{}/", if a.plaintext { "http" } else { "https" }, addr_of(2 * TREE.len() + i)),
            "parent": parent, "data_dir": dir.join("data"), "config": path,
            "log": dir.join("node.log"),
            "operator": operator.as_ref().map(files_json),
        }));
        nodes.push(Running {
            code,
            addr: addr_of(i),
            child,
            operator,
        });
    }
    if resumed {
        eprintln!(
            "{} holds a federation already: resuming it (its data and certificates), not seeding again",
            a.dir.display()
        );
    }
    let result = run(&a, &mut nodes, &listing, reader.as_ref(), resumed).await;
    stop_all(&mut nodes);
    result
}

async fn run(
    a: &UpArgs,
    nodes: &mut [Running],
    listing: &[serde_json::Value],
    reader: Option<&ClientFiles>,
    resumed: bool,
) -> anyhow::Result<()> {
    for n in nodes.iter_mut() {
        wait_listening(n).await?;
    }
    let file = a.dir.join("federation.json");
    std::fs::write(
        &file,
        serde_json::to_string_pretty(
            &json!({ "tls": reader.is_some(), "reader": reader.map(files_json), "nodes": listing }),
        )?,
    )?;
    if !a.no_seed && !resumed {
        seed(nodes).await.context("seeding sample data")?;
    }
    let header: Vec<String> = [
        "代码 code",
        "层级 level",
        "名称 name",
        "地址 addr",
        "指标 metrics",
        "控制台 console",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows: Vec<Vec<String>> = nodes
        .iter()
        .zip(listing)
        .map(|(n, l)| {
            let text = |k: &str| l[k].as_str().unwrap_or_default().to_string();
            vec![
                n.code.to_string(),
                text("level_zh"),
                text("name"),
                n.addr.clone(),
                format!("http://{}/metrics", text("ops")),
                text("console"),
            ]
        })
        .collect();
    super::output::table(&header, &rows);
    say!("\nfederation.json: {}", file.display());
    if let Some(r) = reader {
        say!(
            "mutual TLS: certificates in {}",
            a.dir.join("pki").display()
        );
        say!(
            "to read any node (reader certificate of the national node):\n  export WUJI_CA={} WUJI_CERT={} WUJI_KEY={}",
            r.ca.display(),
            r.cert.display(),
            r.key.display()
        );
        say!("to write, use that node's operator certificate (federation.json: nodes[].operator)");
    }
    say!(
        "try:  wuji suggestion list --addr {}      (南京市: suggestions escalated from below)",
        nodes[2].addr
    );
    say!(
        "      wuji assignment list --addr {}     (雨花街道: assignments received)",
        nodes[4].addr
    );
    say!(
        "      wuji deputy list --addr {}         (雨花街道: deputies of every level attached here)",
        nodes[4].addr
    );
    say!(
        "      wuji activity report NPC-0001 --addr {}  (全国人大: a deputy's 履职档案 from a township's reception)",
        nodes[0].addr
    );
    say!(
        "console (every node; the browser will warn about the federation's own CA):\n  account {CONSOLE_ACCOUNT}, password in {}",
        a.dir.join(CONSOLE_PASSWORD).display()
    );
    say!("stop: ctrl-c");
    let wait = async {
        match a.r#for {
            Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
            None => shutdown().await,
        }
    };
    tokio::pin!(wait);
    let mut reported = std::collections::BTreeSet::new();
    loop {
        tokio::select! {
            _ = &mut wait => return Ok(()),
            _ = tokio::time::sleep(Duration::from_millis(500)) => {
                // A node that exits is reported once; the others keep running
                // (its parent and children redial it when it is back).
                for n in nodes.iter_mut() {
                    if let Some(status) = n.child.try_wait()?
                        && reported.insert(n.code)
                    {
                        eprintln!("node {} exited ({status}); the others keep running. Restart it with: wuji node run --config {}", n.code, a.dir.join(n.code).join("wuji.toml").display());
                    }
                }
            }
        }
    }
}

async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {},
                _ = tokio::signal::ctrl_c() => {},
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

async fn wait_listening(n: &mut Running) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = n.child.try_wait()? {
            bail!(
                "node {} exited at start ({status}); see its node.log",
                n.code
            );
        }
        // A connect that lands on itself (TCP simultaneous open on a local
        // port nobody listens on yet) is not the node.
        if let Ok(s) = tokio::net::TcpStream::connect(&n.addr).await
            && s.local_addr().ok() != s.peer_addr().ok()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("node {} did not start listening on {}", n.code, n.addr);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Asks every node to stop (SIGTERM) and waits for them.
fn stop_all(nodes: &mut [Running]) {
    for n in nodes.iter() {
        let _ = Command::new("kill")
            .args(["-TERM", &n.child.id().to_string()])
            .status();
    }
    for n in nodes.iter_mut() {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match n.child.try_wait() {
                Ok(Some(_)) => break,
                _ if Instant::now() > deadline => {
                    let _ = n.child.kill();
                    let _ = n.child.wait();
                    break;
                }
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
    eprintln!("every node stopped");
}

async fn channel(n: &Running) -> anyhow::Result<Channel> {
    let ep = match &n.operator {
        None => tonic::transport::Endpoint::from_shared(format!("http://{}", n.addr))?,
        Some(f) => {
            let tls = tonic::transport::ClientTlsConfig::new()
                .ca_certificate(tonic::transport::Certificate::from_pem(std::fs::read(
                    &f.ca,
                )?))
                .identity(tonic::transport::Identity::from_pem(
                    std::fs::read(&f.cert)?,
                    std::fs::read(&f.key)?,
                ))
                .domain_name(wuji_pki::node_dns_name(Code::parse(n.code)?));
            tonic::transport::Endpoint::from_shared(format!("https://{}", n.addr))?
                .tls_config(tls)?
        }
    };
    Ok(ep.connect().await?)
}

fn id_of(view: &std::collections::BTreeMap<String, String>) -> Option<pb::RecordId> {
    let (home, uuid) = view.get("id")?.split_once(':')?;
    Some(pb::RecordId {
        kind: 0,
        home: home.parse().ok()?,
        uuid: uuid::Uuid::parse_str(uuid).ok()?.as_bytes().to_vec(),
    })
}

/// Sample data: deputies at three levels, a suggestion escalated from a town to
/// its district, another at a 东莞 town, and an assignment from the province.
async fn seed(nodes: &[Running]) -> anyhow::Result<()> {
    let at = |code: &str| nodes.iter().find(|n| n.code == code).expect("in tree");
    let mut d = DeputiesClient::new(channel(at("100000")).await?);
    d.enrol(pb::EnrolRequest {
        person_id: "NPC-0001".into(),
        name: "王建国".into(),
        gender: 1,
        term: 14,
        delegation: "江苏代表团".into(),
        attached: vec![320_114],
        ..Default::default()
    })
    .await?;
    let mut d = DeputiesClient::new(channel(at("320114")).await?);
    for (pid, name, town) in [
        ("YH-001", "陈静", 320_114_001),
        ("YH-002", "丁一", 320_114_002),
        ("YH-003", "黄河", 320_114_001),
    ] {
        d.enrol(pb::EnrolRequest {
            person_id: pid.into(),
            name: name.into(),
            term: 18,
            group: "第一代表小组".into(),
            attached: vec![town],
            phone: "13800000000".into(),
            ..Default::default()
        })
        .await?;
    }
    let mut s = SuggestionsClient::new(channel(at("320114001")).await?);
    // The town knows the district's deputy once the record has come down.
    let first = pb::SubmitRequest {
        lead: "YH-001".into(),
        category: "交通".into(),
        title: "关于增设公交站点的建议".into(),
        text: "居民出行不便，建议增设公交站点。".into(),
        ..Default::default()
    };
    let mut tries = 0;
    let v = loop {
        match s.submit(first.clone()).await {
            Ok(r) => break r.into_inner().view,
            Err(e)
                if tries < 100
                    && wuji_proto::error_detail(&e).is_some_and(|d| d.rule == "deputy-unknown") =>
            {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e.into()),
        }
    };
    s.register(pb::RegisterRequest {
        id: id_of(&v),
        number: "雨花2026-001".into(),
    })
    .await?;
    s.escalate(pb::ForwardRequest {
        id: id_of(&v),
        to: 320_114,
        reason: "需区级协调".into(),
    })
    .await?;
    DeputiesClient::new(channel(at("441900003")).await?)
        .enrol(pb::EnrolRequest {
            person_id: "DG-001".into(),
            name: "林海".into(),
            term: 8,
            ..Default::default()
        })
        .await?;
    let mut s = SuggestionsClient::new(channel(at("441900003")).await?);
    s.submit(pb::SubmitRequest {
        lead: "DG-001".into(),
        category: "城建".into(),
        title: "关于老旧小区加装电梯的建议".into(),
        text: "老人上下楼困难。".into(),
        ..Default::default()
    })
    .await?;
    let mut a = AssignmentsClient::new(channel(at("320000")).await?);
    a.issue_assignment(pb::IssueRequest {
        title: "代表接待日".into(),
        text: "每月16日代表进站接待选民".into(),
        targets: vec![320_114_001, 320_114_002],
        due_on: String::new(),
    })
    .await?;
    // A reception day at 雨花街道's station with a national and a district
    // deputy: each one's own congress gets it for the deputy's 履职档案.
    use wuji_node::clock::Clock;
    wuji_proto::pb::activities_client::ActivitiesClient::new(channel(at("320114001")).await?)
        .record_activity(pb::RecordActivityRequest {
            kind: "reception".into(),
            title: "代表接待日".into(),
            held_on: wuji_node::clock::SystemClock.today().to_string(),
            place: "雨花街道代表联络站".into(),
            text: "群众反映公交线路和老旧小区加装电梯问题".into(),
            participants: vec![
                pb::Participant {
                    congress: 100_000,
                    person_id: "NPC-0001".into(),
                },
                pb::Participant {
                    congress: 320_114,
                    person_id: "YH-001".into(),
                },
            ],
        })
        .await?;
    Ok(())
}
