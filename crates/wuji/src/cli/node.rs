//! `wuji init` (write a commented config for a new node) and `wuji node run`.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use wuji_division::Code;
use wuji_node::Config;
use wuji_node::config::{Overrides, ParentConfig};

/// Arguments of `wuji init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// This congress's division code (e.g. 320114; full-width digits are accepted).
    #[arg(long)]
    code: String,
    /// Directory for the node: DIR/wuji.toml and DIR/data.
    #[arg(long)]
    dir: PathBuf,
    /// Address to serve on (HOST:PORT).
    #[arg(long, default_value = "127.0.0.1:7700")]
    listen: String,
    /// The parent congress's division code.
    #[arg(long, requires = "parent_addr")]
    parent_code: Option<String>,
    /// The parent node's address (HOST:PORT).
    #[arg(long, requires = "parent_code")]
    parent_addr: Option<String>,
    /// The federation CA bundle: turns on mutual TLS (with --cert and --key).
    #[arg(long, requires_all = ["cert", "key"])]
    ca: Option<PathBuf>,
    /// This node's certificate (`wuji ca issue --node CODE`).
    #[arg(long, requires = "ca")]
    cert: Option<PathBuf>,
    /// Its private key.
    #[arg(long, requires = "ca")]
    key: Option<PathBuf>,
    /// The node's section signing key (default: beside --cert, as
    /// node-CODE.sign.key, where `wuji ca issue --node` puts it).
    #[arg(long, requires = "ca")]
    sign_key: Option<PathBuf>,
    /// The federation's revocation list (`wuji ca revoke` writes crl.pem).
    #[arg(long, requires = "ca")]
    crl: Option<PathBuf>,
    /// Overwrite an existing DIR/wuji.toml.
    #[arg(long)]
    force: bool,
    /// Accept a code that the division tree shipped with wuji (2023
    /// statistical codes) does not have: divisions change every year.
    #[arg(long)]
    allow_unknown_code: bool,
}

/// `wuji node …`.
#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Run the node until SIGTERM or ctrl-c; in-flight writes finish and are flushed.
    Run {
        /// The node's config file (from `wuji init`).
        #[arg(long)]
        config: PathBuf,
        /// Override node.listen.
        #[arg(long)]
        listen: Option<String>,
        /// Override node.data_dir.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Log format: text (colour only when standard error is a terminal)
        /// or json (one object per line). Default: log.format in the config.
        #[arg(long, value_parser = ["text", "json"])]
        log_format: Option<String>,
    },
    /// Ask a node's ops listener whether it is healthy (exit 0) or not
    /// (exit 1): for a container's HEALTHCHECK or a load balancer's probe.
    Health {
        /// The ops listener (`[ops] listen`).
        #[arg(long, default_value = "127.0.0.1:7701")]
        ops: String,
        /// `healthz` (the process answers, its store reads) or `readyz`
        /// (and its clock is sane and its parent linked).
        #[arg(long, default_value = "healthz", value_parser = ["healthz", "readyz"])]
        probe: String,
    },
}

/// Writes DIR/wuji.toml.
pub fn init(a: InitArgs) -> anyhow::Result<()> {
    let code = Code::parse(&a.code).context("--code")?;
    let tree = wuji_division::embedded();
    if tree.get(code).is_none() {
        if !a.allow_unknown_code {
            bail!(
                "{code} is not in the division tree wuji ships (the 2023 statistical codes); \
                 check the code, or if it is a new division add --allow-unknown-code"
            );
        }
        eprintln!(
            "note: {code} is not in the shipped division tree; accepted (--allow-unknown-code)"
        );
    }
    let mut config = Config::new(code);
    config.node.listen = a.listen;
    if let (Some(pc), Some(addr)) = (a.parent_code, a.parent_addr) {
        config.parent = Some(ParentConfig {
            code: Code::parse(&pc).context("--parent-code")?,
            addr,
        });
    }
    if let (Some(ca), Some(cert), Some(key)) = (a.ca, a.cert, a.key) {
        let pem = std::fs::read_to_string(&cert)
            .with_context(|| format!("cannot read {}", cert.display()))?;
        let der = wuji_pki::pem_certs(&pem)?
            .into_iter()
            .next()
            .with_context(|| format!("{}: no certificate in it", cert.display()))?;
        let named = wuji_pki::identity_of(&der)?;
        if named != wuji_pki::Identity::Node(code) {
            bail!(
                "{} is the certificate of {named}, not of node {code} (wuji ca issue --node {code})",
                cert.display()
            );
        }
        let abs = |p: PathBuf| std::path::absolute(&p).unwrap_or(p);
        let sign_key = a.sign_key.unwrap_or_else(|| super::ca::sign_key_of(&cert));
        if !sign_key.exists() {
            bail!("{} does not exist (give --sign-key)", sign_key.display());
        }
        config.tls = Some(wuji_node::config::TlsConfig {
            ca: abs(ca),
            cert: abs(cert),
            key: abs(key),
            sign_key: abs(sign_key),
            crl: a.crl.map(abs),
        });
    }
    config.validate()?;
    if let Some(p) = &config.parent {
        skipped_levels(code, p.code);
    }
    std::fs::create_dir_all(&a.dir)
        .with_context(|| format!("cannot create {}", a.dir.display()))?;
    let path = a.dir.join("wuji.toml");
    if path.exists() && !a.force {
        bail!("{} exists; use --force to overwrite it", path.display());
    }
    std::fs::write(&path, config.to_commented_toml())
        .with_context(|| format!("cannot write {}", path.display()))?;
    say!("{}", path.display());
    Ok(())
}

/// Says plainly when the named parent is above a division that the tree has
/// between it and `code` (e.g. a county under its province, past its city).
fn skipped_levels(code: Code, parent: Code) {
    let tree = wuji_division::embedded();
    let mut between = Vec::new();
    let mut at = tree.get(code).and_then(|d| d.parent);
    while let Some(c) = at
        && c != parent
        && c.is_inside(parent)
    {
        between.push(format!("{} ({c})", tree.name_of(c)));
        at = tree.get(c).and_then(|d| d.parent);
    }
    if !between.is_empty() {
        eprintln!(
            "note: the parent {} ({parent}) skips {} that the division tree has between it and {} ({code}); \
             this node will sync with {parent} directly",
            tree.name_of(parent),
            between.join(", "),
            tree.name_of(code),
        );
    }
}

/// Runs the node in the foreground, or probes one.
pub async fn run(cmd: NodeCommand) -> anyhow::Result<()> {
    let (config, listen, data_dir, log_format) = match cmd {
        NodeCommand::Run {
            config,
            listen,
            data_dir,
            log_format,
        } => (config, listen, data_dir, log_format),
        NodeCommand::Health { ops, probe } => return health(&ops, &probe),
    };
    let flags = Overrides { listen, data_dir };
    let cfg = Config::load(&config, std::env::vars(), &flags)?;
    init_tracing(log_format.as_deref().unwrap_or(cfg.log.format.as_str()));
    // The handlers are in place before the port opens: a SIGTERM as soon as
    // a connect succeeds still finishes writes and flushes the store.
    let shutdown = shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(&cfg.node.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.node.listen))?;
    let sidecars = wuji_console::sidecar(&cfg).await?.into_iter().collect();
    wuji_node::run_with(listener, cfg, shutdown, sidecars).await?;
    Ok(())
}

/// GET /PROBE on the ops listener at `ops` over plain HTTP/1.0; prints the
/// answer, and fails unless it is 200.
fn health(ops: &str, probe: &str) -> anyhow::Result<()> {
    use std::io::{Read, Write};
    let timeout = std::time::Duration::from_secs(3);
    let addr = std::net::ToSocketAddrs::to_socket_addrs(ops)
        .with_context(|| format!("--ops {ops}"))?
        .next()
        .with_context(|| format!("--ops {ops}: no address"))?;
    let mut s = std::net::TcpStream::connect_timeout(&addr, timeout)
        .with_context(|| format!("nothing answers at {ops} (is [ops] enabled?)"))?;
    s.set_read_timeout(Some(timeout))?;
    write!(s, "GET /{probe} HTTP/1.0\r\nHost: {ops}\r\n\r\n")?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let code = head.split_whitespace().nth(1).unwrap_or("");
    say!("{}", body.trim_end());
    if code != "200" {
        bail!("{probe}: {}", head.lines().next().unwrap_or("no answer"));
    }
    Ok(())
}

fn init_tracing(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("WUJI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// SIGTERM or ctrl-c, with the handlers installed now (not when first polled).
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut term = {
        use tokio::signal::unix::{SignalKind, signal};
        signal(SignalKind::terminate()).context("cannot handle SIGTERM")?
    };
    let ctrl_c = tokio::signal::ctrl_c();
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = term.recv() => {},
            _ = ctrl_c => {},
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutting down: finishing in-flight writes");
    })
}
