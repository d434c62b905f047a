//! The command line: `wuji init`, `wuji node run`, and the client commands
//! (`wuji deputy|suggestion|assignment|supervision|promise|activity|vacancy …`), each one subcommand per
//! API call. Tables by default, one JSON document with `--json`; errors go to
//! standard error with a non-zero exit status.

/// Prints a line on standard output; a closed pipe (`wuji … | head`) ends the
/// program quietly instead of panicking.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($t)*)
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            std::process::exit(0);
        }
    }};
}

mod activity;
mod assign_list;
mod assignment;
mod backup;
mod ca;
mod calendar;
mod check;
mod console;
mod contact;
mod deputy;
mod digest;
mod directory;
mod federation;
mod ids;
mod node;
mod output;
mod promise;
mod roster_io;
mod status;
mod suggestion;
mod supervision;
mod vacancy;
mod watch;

use clap::{Parser, Subcommand};
use output::Out;
use std::process::ExitCode;

/// wuji (五级): a node of the five-level people's congress federation, and the
/// operator's tool to run and query it.
#[derive(Debug, Parser)]
#[command(name = "wuji", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Options every client command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientOpts {
    /// Address of the node to talk to (HOST:PORT).
    #[arg(
        long,
        env = "WUJI_ADDR",
        default_value = "127.0.0.1:7700",
        global = true
    )]
    pub addr: String,
    /// Print exactly one JSON document instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// Language of tables and messages: zh (default) or en.
    #[arg(long, env = "WUJI_LANG", default_value = "zh", value_parser = ["zh", "en"], global = true)]
    pub lang: String,
    /// Show division codes instead of names (南京市人大常委会) in tables.
    #[arg(long, global = true)]
    pub codes: bool,
    /// The federation CA bundle (PEM): talk TLS to the node and check it.
    #[arg(long, env = "WUJI_CA", global = true, requires_all = ["cert", "key"])]
    pub ca: Option<std::path::PathBuf>,
    /// Your client certificate (`wuji ca issue --client NAME --role … --node CODE`).
    #[arg(long, env = "WUJI_CERT", global = true)]
    pub cert: Option<std::path::PathBuf>,
    /// Its private key.
    #[arg(long, env = "WUJI_KEY", global = true)]
    pub key: Option<std::path::PathBuf>,
    /// The node's code, checked against its certificate (default: any node of
    /// the federation, as its CA certified it).
    #[arg(long = "node-code", env = "WUJI_NODE", global = true)]
    pub node_code: Option<String>,
}

impl ClientOpts {
    fn out(&self) -> Out {
        Out {
            json: self.json,
            en: self.lang == "en",
            codes: self.codes,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a commented wuji.toml for a new node (DIR/wuji.toml).
    Init(node::InitArgs),
    /// 状态: this node's summary, its subtree's summaries, its links and their lag.
    Status(status::StatusArgs),
    /// 摘要: the digest of a node's records in a scope (equal digests: the nodes agree).
    Digest(digest::DigestArgs),
    /// 订阅: follow a node's change feed: changes, arrivals (到达), 临期 and 超期
    /// as they happen (docs/INTEGRATION.md).
    Watch(watch::WatchArgs),
    /// 证书: the federation CA and the certificates of nodes and clients.
    Ca {
        #[command(subcommand)]
        command: ca::Command,
    },
    /// A whole federation on this machine: `wuji federation up --dir DIR`.
    Federation {
        #[command(subcommand)]
        command: FederationCommand,
    },
    /// Run a node.
    Node {
        #[command(subcommand)]
        command: node::NodeCommand,
    },
    /// 代表: deputies of this congress and those placed here.
    Deputy {
        #[command(flatten)]
        opts: ClientOpts,
        #[command(subcommand)]
        command: deputy::Command,
    },
    /// 建议: suggestions, bill proposals and citizen opinions, and their handling.
    Suggestion {
        #[command(flatten)]
        opts: ClientOpts,
        #[command(subcommand)]
        command: suggestion::Command,
    },
    /// 交办: tasks handed down to regions below.
    Assignment {
        #[command(flatten)]
        opts: ClientOpts,
        #[command(subcommand)]
        command: assignment::Command,
    },
    /// 督办: supervision items and livelihood projects (民生实事).
    Supervision {
        #[command(flatten)]
        opts: ClientOpts,
        #[command(subcommand)]
        command: supervision::Command,
    },
    /// 承诺事项: the ledger of what answers promised (答复承诺事项台账).
    Promise {
        #[command(flatten)]
        opts: ClientOpts,
        #[command(subcommand)]
        command: promise::Command,
    },
    /// 履职活动 and 履职档案: activities recorded where they were organised,
    /// a deputy's record and points for a year.
    Activity {
        #[command(flatten)]
        opts: ClientOpts,
        #[command(subcommand)]
        command: activity::Command,
    },
    /// 名录: this congress's 代表之家/联络站/联络点, 代表小组, 网格 and 承办单位.
    Directory {
        #[command(flatten)]
        opts: ClientOpts,
        #[command(subcommand)]
        command: directory::Command,
    },
    /// 三联 / 两个联系: contact relations and their visits.
    Contact {
        #[command(flatten)]
        opts: ClientOpts,
        #[command(subcommand)]
        command: contact::Command,
    },
    /// 出缺 and 补选: vacant seats of this congress.
    Vacancy {
        #[command(flatten)]
        opts: ClientOpts,
        #[command(subcommand)]
        command: vacancy::Command,
    },
    /// 检查: what would stop or weaken a node (config, certificates, parent,
    /// clock, disk, calendar), line by line; non-zero exit if it would not run.
    Check(check::CheckArgs),
    /// 备份: an online, consistent snapshot of a running node into a file
    /// (its operator's certificate; the file holds personal fields, 0600).
    Backup(backup::BackupArgs),
    /// 恢复: make a node directory (DIR/data) from a backup file; the node
    /// then rejoins and gets back what was written after the snapshot.
    Restore(backup::RestoreArgs),
    /// 控制台: the accounts of a node's web console (`[console]` in its config).
    Console {
        #[command(subcommand)]
        command: console::Command,
    },
    /// 节假日: publish a year's official holiday calendar to every node.
    Calendar {
        #[command(flatten)]
        opts: ClientOpts,
        #[command(subcommand)]
        command: calendar::Command,
    },
}

/// `wuji federation …`.
#[derive(Debug, Subcommand)]
enum FederationCommand {
    /// Start a five-level federation of real node processes (13 congresses from
    /// the real division tree, with a municipality and a city without counties),
    /// seed sample data, write DIR/federation.json, run until ctrl-c.
    Up(federation::UpArgs),
}

/// Runs the command line; the binary's `main`.
pub fn main() -> ExitCode {
    // One crypto provider for the whole process (ring; see docs/SECURITY.md).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    let json = match &cli.command {
        Command::Deputy { opts, .. }
        | Command::Suggestion { opts, .. }
        | Command::Assignment { opts, .. }
        | Command::Supervision { opts, .. }
        | Command::Promise { opts, .. }
        | Command::Activity { opts, .. }
        | Command::Vacancy { opts, .. }
        | Command::Directory { opts, .. }
        | Command::Contact { opts, .. }
        | Command::Calendar { opts, .. } => opts.json,
        Command::Backup(a) => a.json(),
        Command::Check(a) => a.json,
        Command::Restore(a) => a.json,
        Command::Console { command } => command.json(),
        Command::Digest(_) | Command::Status(_) | Command::Watch(_) => {
            std::env::args().any(|a| a == "--json")
        }
        _ => false,
    };
    let en = match &cli.command {
        Command::Deputy { opts, .. }
        | Command::Suggestion { opts, .. }
        | Command::Assignment { opts, .. }
        | Command::Supervision { opts, .. }
        | Command::Promise { opts, .. }
        | Command::Activity { opts, .. }
        | Command::Vacancy { opts, .. }
        | Command::Directory { opts, .. }
        | Command::Contact { opts, .. }
        | Command::Calendar { opts, .. } => opts.lang == "en",
        Command::Console { command } => command.en(),
        _ => std::env::var("WUJI_LANG").is_ok_and(|l| l == "en"),
    };
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = rt.block_on(async move {
        match cli.command {
            Command::Init(a) => node::init(a),
            Command::Ca { command } => ca::run(command),
            Command::Node { command } => node::run(command).await,
            Command::Federation {
                command: FederationCommand::Up(a),
            } => federation::up(a).await,
            Command::Digest(a) => digest::run(a).await,
            Command::Status(a) => status::run(a).await,
            Command::Watch(a) => watch::run(a).await,
            Command::Check(a) => check::run(a).await,
            Command::Backup(a) => backup::run_backup(a).await,
            Command::Restore(a) => backup::run_restore(a),
            Command::Deputy { opts, command } => deputy::run(&opts, command).await,
            Command::Suggestion { opts, command } => suggestion::run(&opts, command).await,
            Command::Assignment { opts, command } => assignment::run(&opts, command).await,
            Command::Supervision { opts, command } => supervision::run(&opts, command).await,
            Command::Calendar { opts, command } => calendar::run(&opts, command).await,
            Command::Promise { opts, command } => promise::run(&opts, command).await,
            Command::Activity { opts, command } => activity::run(&opts, command).await,
            Command::Vacancy { opts, command } => vacancy::run(&opts, command).await,
            Command::Directory { opts, command } => directory::run(&opts, command).await,
            Command::Contact { opts, command } => contact::run(&opts, command).await,
            Command::Console { command } => console::run(command),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            report(&e, json, en);
            ExitCode::from(1)
        }
    }
}

/// Prints an error for a person (stderr) or a script (`--json`, still stderr).
fn report(e: &anyhow::Error, json: bool, en: bool) {
    let (code, rule, msg) = match e.downcast_ref::<tonic::Status>() {
        Some(s) => (
            format!("{:?}", s.code()),
            // The rule from the refusal's ErrorDetail (the metadata for
            // nodes of an older version).
            wuji_proto::error_detail(s)
                .map(|d| d.rule)
                .unwrap_or_else(|| {
                    s.metadata()
                        .get("wuji-rule")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string()
                }),
            s.message().to_string(),
        ),
        None => ("Error".to_string(), String::new(), format!("{e:#}")),
    };
    let zh = e
        .downcast_ref::<tonic::Status>()
        .and_then(wuji_proto::error_detail)
        .map(|d| d.message_zh)
        .unwrap_or_default();
    let msg = if code == "Unavailable" {
        format!(
            "cannot reach a wuji node: {msg} (is `wuji node run` running there? set --addr or WUJI_ADDR)"
        )
    } else {
        msg
    };
    // A person reading Chinese gets the refusal's Chinese message, if any.
    let shown = if en || zh.is_empty() { &msg } else { &zh };
    if json {
        eprintln!(
            "{}",
            serde_json::json!({ "error": { "code": code, "rule": rule, "message": msg, "message_zh": zh } })
        );
        return;
    }
    let msg = shown;
    if rule.is_empty() {
        eprintln!("错误 error: {msg}");
    } else {
        eprintln!("错误 error [{rule}]: {msg}");
    }
}

/// Connects to a node's API: over TLS with a client certificate when `--ca`,
/// `--cert` and `--key` are given, in plaintext otherwise (dev mode nodes).
pub async fn channel(opts: &ClientOpts) -> anyhow::Result<tonic::transport::Channel> {
    use anyhow::Context as _;
    let host = opts
        .addr
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    let tls = match (&opts.ca, &opts.cert, &opts.key) {
        (Some(ca), Some(cert), Some(key)) => Some((ca, cert, key)),
        _ => None,
    };
    let url = match tls {
        Some(_) => format!("https://{host}"),
        None => format!("http://{host}"),
    };
    let mut ep = tonic::transport::Endpoint::from_shared(url)
        .map_err(|e| anyhow::anyhow!("--addr {}: {e}", opts.addr))?
        .connect_timeout(std::time::Duration::from_secs(5));
    if let Some((ca, cert, key)) = tls {
        let read = |p: &std::path::PathBuf| {
            std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))
        };
        let cert_pem = read(cert)?;
        let server_name = match &opts.node_code {
            Some(c) => {
                wuji_pki::node_dns_name(wuji_division::Code::parse(c).context("--node-code")?)
            }
            None => wuji_pki::ANY_NODE_DNS_NAME.to_string(),
        };
        let tls = tonic::transport::ClientTlsConfig::new()
            .ca_certificate(tonic::transport::Certificate::from_pem(read(ca)?))
            .identity(tonic::transport::Identity::from_pem(cert_pem, read(key)?))
            .domain_name(server_name);
        ep = ep.tls_config(tls)?;
    }
    // Connect on the first call, so that bad arguments are reported first.
    Ok(ep.connect_lazy())
}
