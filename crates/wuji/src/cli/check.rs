//! `wuji check --config FILE`: what would stop or weaken the node, line by
//! line, before it is started (or beside it while it runs): the config, the
//! addresses, the store, the certificate, key and CA bundle, the parent (does
//! it answer, as itself, and how far off is its clock), disk space and the
//! holiday calendar. Exits non-zero if anything would stop the node.

use super::output;
use anyhow::bail;
use clap::Args;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;
use wuji_node::Config;
use wuji_node::config::Overrides;
use wuji_proto::pb;

/// Arguments of `wuji check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The node's config file.
    #[arg(long)]
    config: PathBuf,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Language of the table: zh (default) or en.
    #[arg(long, env = "WUJI_LANG", default_value = "zh", value_parser = ["zh", "en"])]
    lang: String,
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Ok,
    Warn,
    Fail,
}

impl Level {
    fn name(self, en: bool) -> &'static str {
        match (self, en) {
            (Level::Ok, false) => "正常",
            (Level::Warn, false) => "注意",
            (Level::Fail, false) => "错误",
            (Level::Ok, true) => "ok",
            (Level::Warn, true) => "warn",
            (Level::Fail, true) => "FAIL",
        }
    }
}

struct Line {
    item: &'static str,
    zh: &'static str,
    level: Level,
    detail: String,
}

#[derive(Default)]
struct Report(Vec<Line>);

impl Report {
    fn add(&mut self, item: &'static str, zh: &'static str, level: Level, detail: String) {
        self.0.push(Line {
            item,
            zh,
            level,
            detail,
        });
    }
}

/// Days of certificate validity below which `check` warns.
const WARN_DAYS: i64 = 30;

/// Runs every check and prints them.
pub async fn run(a: CheckArgs) -> anyhow::Result<()> {
    let en = a.lang == "en";
    let mut r = Report::default();
    match Config::load(&a.config, std::env::vars(), &Overrides::default()) {
        Ok(config) => {
            r.add(
                "config",
                "配置",
                Level::Ok,
                format!(
                    "{}: node {} ({})",
                    a.config.display(),
                    config.code(),
                    config.code().level().en()
                ),
            );
            checks(&config, &mut r).await;
        }
        Err(e) => r.add(
            "config",
            "配置",
            Level::Fail,
            format!("{}: {e}", a.config.display()),
        ),
    }
    let failed = r.0.iter().filter(|l| l.level == Level::Fail).count();
    if a.json {
        let lines: Vec<_> = r
            .0
            .iter()
            .map(|l| json!({ "item": l.item, "status": l.level.name(true).to_lowercase(), "detail": l.detail }))
            .collect();
        say!(
            "{}",
            json!({ "config": a.config, "ok": failed == 0, "checks": lines })
        );
    } else {
        let h = |zh: &str, e: &str| if en { e.to_string() } else { zh.to_string() };
        let rows: Vec<Vec<String>> =
            r.0.iter()
                .map(|l| {
                    vec![
                        if en { l.item } else { l.zh }.to_string(),
                        l.level.name(en).to_string(),
                        l.detail.clone(),
                    ]
                })
                .collect();
        output::table(
            &[h("项目", "item"), h("结果", "result"), h("说明", "detail")],
            &rows,
        );
    }
    if failed > 0 {
        bail!("{failed} check(s) failed: the node would not start or not link (see above)");
    }
    Ok(())
}

async fn checks(config: &Config, r: &mut Report) {
    let code = config.code();
    addresses(config, r);
    store(config, r);
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let tls_ok = match &config.tls {
        None => {
            r.add(
                "tls",
                "证书",
                Level::Warn,
                "no [tls]: plaintext dev mode, loopback only; issue certificates with `wuji ca issue --node`".into(),
            );
            true
        }
        Some(t) => certificates(config, t, provider, r),
    };
    if let Some(p) = &config.parent {
        if tls_ok {
            parent(config, p, r).await;
        }
    } else if code != wuji_division::Code::NATIONAL {
        r.add(
            "parent",
            "上级",
            Level::Warn,
            "no [parent]: this node does not sync upwards".into(),
        );
    }
    disk(&config.node.data_dir, r);
    match wuji_node::load_calendar(&config.calendar.dir) {
        Err(e) => r.add("calendar", "节假日", Level::Fail, e.to_string()),
        Ok(cal) => {
            let today = wuji_node::clock::Clock::today(&wuji_node::clock::SystemClock);
            let notices = cal.notices(today);
            if notices.is_empty() {
                r.add(
                    "calendar",
                    "节假日",
                    Level::Ok,
                    format!("official calendar for {} in use", today.year()),
                );
            }
            for n in notices {
                r.add("calendar", "节假日", Level::Warn, n);
            }
        }
    }
}

fn addresses(config: &Config, r: &mut Report) {
    let mut bind = |item: &'static str, zh: &'static str, addr: &str| {
        match std::net::TcpListener::bind(addr) {
            Ok(_) => r.add(item, zh, Level::Ok, format!("{addr} free to listen on")),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => r.add(
                item,
                zh,
                Level::Warn,
                format!("{addr} is in use: by this node if it is running, else by another program"),
            ),
            Err(e) => r.add(
                item,
                zh,
                Level::Fail,
                format!("{addr}: cannot listen there: {e}"),
            ),
        }
    };
    bind("listen", "监听", &config.node.listen);
    if config.ops.enabled {
        bind("ops", "运维端口", &config.ops.listen);
    }
    if config.console.enabled {
        bind("console", "控制台", &config.console.listen);
        console_accounts(config, r);
    }
    if config.tls.is_none()
        && let Ok(a) = config.node.listen.parse::<std::net::SocketAddr>()
        && !a.ip().is_loopback()
    {
        r.add(
            "listen",
            "监听",
            Level::Fail,
            format!("{a} is not loopback and no [tls] is configured: the node refuses to start"),
        );
    }
}

/// The console's accounts file: readable, and with at least one account.
fn console_accounts(config: &Config, r: &mut Report) {
    let path = &config.console.accounts;
    match wuji_console::accounts::Accounts::load(path) {
        Err(e) => r.add("console", "控制台", Level::Fail, e.to_string()),
        Ok(a) if a.accounts.is_empty() => r.add(
            "console",
            "控制台",
            Level::Warn,
            format!(
                "{}: no accounts yet; nobody can log in (wuji console account add NAME --role operator)",
                path.display()
            ),
        ),
        Ok(a) => r.add(
            "console",
            "控制台",
            Level::Ok,
            format!("{} account(s) in {}", a.accounts.len(), path.display()),
        ),
    }
}

fn store(config: &Config, r: &mut Report) {
    let dir = &config.node.data_dir;
    let empty = std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_none());
    if empty {
        r.add(
            "store",
            "存储",
            Level::Ok,
            format!("{}: new, made at first start", dir.display()),
        );
        return;
    }
    match wuji_store::SledKv::open(dir, 8 << 20) {
        Err(wuji_store::Error::Locked { .. }) => r.add(
            "store",
            "存储",
            Level::Ok,
            format!("{}: open by the running node", dir.display()),
        ),
        Err(e) => r.add(
            "store",
            "存储",
            Level::Fail,
            format!("{}: {e}", dir.display()),
        ),
        Ok(kv) => {
            let layout = wuji_store::Layout::open(std::sync::Arc::new(kv));
            match layout.and_then(|l| Ok((l.meta(b"identity")?, l.last_seq()?))) {
                Ok((Some(id), _)) if id != config.code().to_string().as_bytes() => r.add(
                    "store",
                    "存储",
                    Level::Fail,
                    format!(
                        "{} holds the store of node {}, not {}",
                        dir.display(),
                        String::from_utf8_lossy(&id),
                        config.code()
                    ),
                ),
                Ok((_, seq)) => r.add(
                    "store",
                    "存储",
                    Level::Ok,
                    format!("{}: opens, log at {seq}", dir.display()),
                ),
                Err(e) => r.add(
                    "store",
                    "存储",
                    Level::Fail,
                    format!("{}: {e}", dir.display()),
                ),
            }
        }
    }
}

fn days_left(der: &[u8]) -> Option<i64> {
    let at = wuji_pki::not_after_of(der).ok()?;
    let now = jiff::Timestamp::now().as_second();
    Some((at - now).div_euclid(86_400))
}

fn certificates(
    config: &Config,
    t: &wuji_node::config::TlsConfig,
    provider: std::sync::Arc<rustls::crypto::CryptoProvider>,
    r: &mut Report,
) -> bool {
    let code = config.code();
    let mut ok = true;
    match std::fs::read_to_string(&t.ca)
        .map_err(|e| e.to_string())
        .and_then(|p| wuji_pki::pem_certs(&p).map_err(|e| e.to_string()))
    {
        Ok(cas) if cas.is_empty() => {
            ok = false;
            r.add(
                "ca",
                "CA",
                Level::Fail,
                format!("{}: no certificate in it", t.ca.display()),
            );
        }
        Ok(cas) => {
            for der in &cas {
                match days_left(der) {
                    Some(d) if d < 0 => r.add(
                        "ca",
                        "CA",
                        Level::Warn,
                        format!("{}: a CA in it has expired", t.ca.display()),
                    ),
                    Some(d) if d < WARN_DAYS => r.add(
                        "ca",
                        "CA",
                        Level::Warn,
                        format!("{}: a CA in it expires in {d} days", t.ca.display()),
                    ),
                    _ => {}
                }
            }
            r.add(
                "ca",
                "CA",
                Level::Ok,
                format!("{}: {} CA certificate(s)", t.ca.display(), cas.len()),
            );
        }
        Err(e) => {
            ok = false;
            r.add("ca", "CA", Level::Fail, format!("{}: {e}", t.ca.display()));
        }
    }
    if let Err(e) = wuji_node::load_identity(t, code) {
        ok = false;
        r.add("certificate", "证书", Level::Fail, e.to_string());
        return ok;
    }
    let files = wuji_node::trust::tls::TlsFiles::from(t);
    if let Err(e) = wuji_node::trust::tls::server_config(&files, provider) {
        ok = false;
        r.add(
            "certificate",
            "证书",
            Level::Fail,
            format!("{} with {}: {e}", t.cert.display(), t.key.display()),
        );
        return ok;
    }
    let der = std::fs::read_to_string(&t.cert)
        .ok()
        .and_then(|p| wuji_pki::pem_certs(&p).ok())
        .and_then(|c| c.into_iter().next());
    match der.as_deref().and_then(days_left) {
        Some(d) if d < 0 => {
            ok = false;
            r.add("certificate", "证书", Level::Fail, format!("{}: expired {} days ago", t.cert.display(), -d));
        }
        Some(d) if d < WARN_DAYS => r.add(
            "certificate",
            "证书",
            Level::Warn,
            format!("{}: node {code}'s, expires in {d} days: issue a new one (wuji ca issue --node {code})", t.cert.display()),
        ),
        Some(d) => r.add(
            "certificate",
            "证书",
            Level::Ok,
            format!("{}: node {code}'s, matches its key and signing key, {d} days left", t.cert.display()),
        ),
        None => r.add("certificate", "证书", Level::Fail, format!("{}: unreadable", t.cert.display())),
    }
    if let Some(crl) = &t.crl {
        match std::fs::read_to_string(crl)
            .map_err(|e| e.to_string())
            .and_then(|p| wuji_pki::pem_crls(&p).map_err(|e| e.to_string()))
        {
            Ok(l) => r.add(
                "crl",
                "吊销列表",
                Level::Ok,
                format!("{}: {} list(s)", crl.display(), l.len()),
            ),
            Err(e) => {
                ok = false;
                r.add(
                    "crl",
                    "吊销列表",
                    Level::Fail,
                    format!("{}: {e}", crl.display()),
                );
            }
        }
    }
    ok
}

async fn parent(config: &Config, p: &wuji_node::config::ParentConfig, r: &mut Report) {
    let url = match config.tls {
        Some(_) => format!("https://{}", p.addr),
        None => format!("http://{}", p.addr),
    };
    let mut ep = match tonic::transport::Endpoint::from_shared(url) {
        Ok(ep) => ep
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10)),
        Err(e) => {
            r.add(
                "parent",
                "上级",
                Level::Fail,
                format!("parent.addr {}: {e}", p.addr),
            );
            return;
        }
    };
    if let Some(t) = &config.tls {
        let read = |f: &Path| std::fs::read(f).unwrap_or_default();
        let tls = tonic::transport::ClientTlsConfig::new()
            .ca_certificate(tonic::transport::Certificate::from_pem(read(&t.ca)))
            .identity(tonic::transport::Identity::from_pem(
                read(&t.cert),
                read(&t.key),
            ))
            .domain_name(wuji_pki::node_dns_name(p.code));
        ep = match ep.tls_config(tls) {
            Ok(ep) => ep,
            Err(e) => {
                r.add("parent", "上级", Level::Fail, format!("TLS: {e}"));
                return;
            }
        };
    }
    let sent = jiff::Timestamp::now().as_millisecond();
    let answer = match ep.connect().await {
        Ok(ch) => pb::sync_client::SyncClient::new(ch)
            .digest(pb::DigestRequest {
                scope: config.code().value(),
                kind: 0,
                for_parent: false,
            })
            .await
            .map(|r| r.into_inner())
            .map_err(|s| format!("{}: {}", p.addr, s.message())),
        Err(e) => Err(format!("{}: {}", p.addr, error_chain(&e))),
    };
    let back = jiff::Timestamp::now().as_millisecond();
    match answer {
        Err(e) => {
            let as_other = e.contains("NotValidForName") || e.contains("not valid for");
            r.add(
                "parent",
                "上级",
                Level::Fail,
                if as_other {
                    format!(
                        "{e}: the server there is not node {} (its certificate names another)",
                        p.code
                    )
                } else {
                    format!(
                        "{e}: parent {} unreachable; the node will keep retrying",
                        p.code
                    )
                },
            );
        }
        Ok(d) => {
            r.add(
                "parent",
                "上级",
                Level::Ok,
                format!(
                    "{} answers at {} as itself; it holds {} records of this region",
                    p.code, p.addr, d.records
                ),
            );
            if d.now_ms != 0 {
                let offset = d.now_ms as i64 - (sent + back) / 2;
                let level = if offset.unsigned_abs() > config.clock.max_ahead_ms {
                    Level::Fail
                } else if offset.abs() > 10_000 {
                    Level::Warn
                } else {
                    Level::Ok
                };
                r.add(
                    "clock",
                    "时钟",
                    level,
                    format!(
                        "the parent's clock is {:+.1} s from this machine's (round trip {} ms; changes stamped over {} s ahead are held back)",
                        offset as f64 / 1000.0,
                        back - sent,
                        config.clock.max_ahead_ms / 1000
                    ),
                );
            }
        }
    }
}

/// An error and its causes, on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(&format!(": {c}"));
        cur = c.source();
    }
    s
}

fn disk(dir: &Path, r: &mut Report) {
    // The directory may not exist yet: its nearest existing ancestor's filesystem.
    let mut at = dir.to_path_buf();
    while !at.exists() {
        match at.parent() {
            Some(p) => at = p.to_path_buf(),
            None => break,
        }
    }
    match (fs2::available_space(&at), fs2::total_space(&at)) {
        (Ok(avail), Ok(total)) if total > 0 => {
            let share = avail as f64 / total as f64;
            let gib = avail as f64 / f64::from(1u32 << 30);
            let level = if avail < 100 << 20 {
                Level::Fail
            } else if share < 0.10 || avail < 1 << 30 {
                Level::Warn
            } else {
                Level::Ok
            };
            r.add(
                "disk",
                "磁盘",
                level,
                format!(
                    "{gib:.1} GiB free ({:.0}%) where {} is",
                    share * 100.0,
                    dir.display()
                ),
            );
        }
        (Err(e), _) | (_, Err(e)) => r.add(
            "disk",
            "磁盘",
            Level::Warn,
            format!("{}: {e}", at.display()),
        ),
        _ => {}
    }
}
