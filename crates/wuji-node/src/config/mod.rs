//! Node configuration: one typed struct per component, loaded in layers:
//! built-in defaults, then the file, then `WUJI_SECTION_KEY` environment
//! variables, then command-line flags. An unknown key is an error naming it and
//! where it came from.

use crate::{ConfigError, Error};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use wuji_division::{Code, Level};
use wuji_model::Rules;

mod codes;

/// Everything a node needs to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// This node.
    pub node: NodeConfig,
    /// The node above this one (absent for the national node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentConfig>,
    /// Storage.
    #[serde(default)]
    pub store: StoreConfig,
    /// Client API limits.
    #[serde(default)]
    pub api: ApiConfig,
    /// Clock limits.
    #[serde(default)]
    pub clock: ClockConfig,
    /// Handling rules (time limits for answers, re-handling and returns).
    #[serde(default)]
    pub rules: Rules,
    /// Mutual TLS. Absent: plaintext dev mode, allowed on loopback only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsConfig>,
    /// Which children may link.
    #[serde(default)]
    pub sync: SyncConfig,
    /// Holiday calendars.
    #[serde(default)]
    pub calendar: CalendarConfig,
    /// Logging.
    #[serde(default)]
    pub log: LogConfig,
    /// The operations listener (metrics, health, readiness).
    #[serde(default)]
    pub ops: OpsConfig,
    /// The offices' console (web pages over HTTPS).
    #[serde(default)]
    pub console: ConsoleConfig,
    /// The JSON gateway (the client API as JSON over HTTPS, the feed as
    /// Server-Sent Events).
    #[serde(default)]
    pub gateway: GatewayConfig,
}

/// The JSON gateway: every call of the client API as JSON over HTTPS, with
/// the same client certificates and roles as the gRPC API
/// (docs/INTEGRATION.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    /// Serve it (off unless asked for).
    pub enabled: bool,
    /// Where (HOST:PORT): where the platforms that call it reach this host.
    pub listen: String,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            enabled: false,
            listen: "127.0.0.1:7445".into(),
        }
    }
}

/// The offices' console: web pages over HTTPS with the node's certificate,
/// for the accounts of its accounts file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// Serve it (off unless asked for).
    pub enabled: bool,
    /// Where (HOST:PORT): the office's intranet address of the node's host.
    pub listen: String,
    /// The accounts file (`wuji console account add` writes it), relative
    /// to the config file.
    pub accounts: PathBuf,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            enabled: false,
            listen: "127.0.0.1:7443".into(),
            accounts: PathBuf::from("console-accounts.toml"),
        }
    }
}

/// The operations listener: `/metrics` (Prometheus), `/healthz`, `/readyz`
/// over plain HTTP, for the office's monitoring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpsConfig {
    /// Serve it (off unless asked for).
    pub enabled: bool,
    /// Where (HOST:PORT); loopback unless the monitoring is elsewhere. It is
    /// not behind TLS: the metrics name the peers and the refusals.
    pub listen: String,
}

impl Default for OpsConfig {
    fn default() -> Self {
        OpsConfig {
            enabled: false,
            listen: "127.0.0.1:7701".into(),
        }
    }
}

/// How the node writes its log (standard error).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` (one line per event; colour only when standard error is a
    /// terminal) or `json` (one object per line, for a log collector).
    pub format: LogFormat,
}

/// A log format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// The name used in the config and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// Where the official holiday calendars are read from at start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CalendarConfig {
    /// A directory of `YEAR.toml` files (as `config/holidays/`), relative to
    /// the config file; they add to and replace the years shipped with wuji.
    pub dir: PathBuf,
}

impl Default for CalendarConfig {
    fn default() -> Self {
        CalendarConfig {
            dir: PathBuf::from("holidays"),
        }
    }
}

/// The node's TLS files (PEM); relative paths are taken from the config file's directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The federation CA bundle (during a rotation: the old and the new CA).
    pub ca: PathBuf,
    /// This node's certificate (`wuji ca issue --node CODE`).
    pub cert: PathBuf,
    /// Its private key.
    pub key: PathBuf,
    /// The node's section signing key (`wuji ca issue --node` writes it beside
    /// the certificate as node-CODE.sign.key; the certificate carries its public half).
    pub sign_key: PathBuf,
    /// The federation's revocation list (`wuji ca revoke` writes crl.pem):
    /// connections with a revoked certificate are refused, and a revoked node's
    /// signing key is not learned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crl: Option<PathBuf>,
}

/// Which children may link to this node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyncConfig {
    /// If not empty, only these children may link (each must still be a child
    /// by the division rules, or a node below whose own level runs no node).
    #[serde(with = "codes::children")]
    pub children: Vec<Code>,
    /// Check the signature of every section a peer sends (with [tls]). Turn it
    /// off only to measure what checking costs.
    pub verify_signatures: bool,
    /// A digest difference in a region holding more records than this is
    /// narrowed to the regions below it before anything is resent.
    pub narrow_above: u64,
    /// How far above the congresses that handle a record its full detail
    /// goes (levels, or `all`); above it records are seen only as counts. A
    /// federation setting: both ends of a link must state the same.
    #[serde(with = "codes::horizon")]
    pub horizon: wuji_model::routing::Horizon,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            children: Vec::new(),
            verify_signatures: true,
            narrow_above: 1_000,
            horizon: wuji_model::routing::Horizon::default(),
        }
    }
}

/// This node's identity and where it listens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// The congress's division code (e.g. "320114").
    #[serde(with = "codes::node")]
    pub code: Code,
    /// Address for the gRPC API and sync (HOST:PORT).
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Directory of the node's store; relative paths are taken from the config file's directory.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
}

/// The parent node this node dials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParentConfig {
    /// The parent's division code; its region must contain this node's and its level be higher.
    #[serde(with = "codes::parent")]
    pub code: Code,
    /// The parent's address (HOST:PORT).
    pub addr: String,
}

/// Storage settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// sled page cache in MiB (sled's own default of 1 GiB is too much for a county server).
    pub cache_mb: u64,
    /// Most writes applied in one batch (one flush) by the committer.
    pub max_batch: usize,
}

/// Client API limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// Largest gRPC message accepted or sent, in bytes.
    pub max_message_bytes: usize,
    /// Largest page a list call returns.
    pub max_page: u32,
}

/// Clock settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClockConfig {
    /// Remote clocks further ahead than this (ms) are refused.
    pub max_ahead_ms: u64,
}

fn default_listen() -> String {
    "127.0.0.1:7700".into()
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            cache_mb: 64,
            max_batch: 1024,
        }
    }
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            max_message_bytes: 4 << 20,
            max_page: 500,
        }
    }
}

impl Default for ClockConfig {
    fn default() -> Self {
        ClockConfig {
            // 30 minutes: two offices' clocks may each be 10 minutes off
            // (the simulator's default skew); one hours off is still refused.
            max_ahead_ms: 1_800_000,
        }
    }
}

/// The sections of the config file, the only ones `WUJI_*` variables set.
const SECTIONS: &[&str] = &[
    "node", "parent", "store", "api", "clock", "rules", "tls", "sync", "calendar", "log", "ops",
    "console", "gateway",
];

/// Flags given on the command line; they override everything else.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--listen`.
    pub listen: Option<String>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
}

impl Config {
    /// A configuration for `code` with every default.
    pub fn new(code: Code) -> Config {
        Config {
            node: NodeConfig {
                code,
                listen: default_listen(),
                data_dir: default_data_dir(),
            },
            parent: None,
            store: StoreConfig::default(),
            api: ApiConfig::default(),
            clock: ClockConfig::default(),
            rules: Rules::default(),
            tls: None,
            sync: SyncConfig::default(),
            calendar: CalendarConfig::default(),
            log: LogConfig::default(),
            ops: OpsConfig::default(),
            console: ConsoleConfig::default(),
            gateway: GatewayConfig::default(),
        }
    }

    /// Loads `path`, then the `WUJI_*` variables of `env`, then `flags`.
    pub fn load(
        path: &Path,
        env: impl IntoIterator<Item = (String, String)>,
        flags: &Overrides,
    ) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        Config::from_text(&text, path, env, flags)
    }

    /// Reads the text of the config file at `path` (relative paths in it are
    /// taken from its folder), then the `WUJI_*` variables of `env`, then `flags`.
    pub fn from_text(
        text: &str,
        path: &Path,
        env: impl IntoIterator<Item = (String, String)>,
        flags: &Overrides,
    ) -> Result<Config, Error> {
        let mut table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::Parse {
                    origin: path.display().to_string(),
                    message: e.to_string(),
                })?;
        let mut from_env = Vec::new();
        for (name, value) in env {
            let Some(rest) = name.strip_prefix("WUJI_") else {
                continue;
            };
            // Only WUJI_<SECTION>_<KEY> of a config section is the node's; the
            // others (WUJI_ADDR, WUJI_NODE, WUJI_LANG, ... of the CLI and the
            // tests) are not, and are left alone.
            let lower = rest.to_ascii_lowercase();
            let Some((section, key)) = lower.split_once('_') else {
                continue;
            };
            if !SECTIONS.contains(&section) {
                continue;
            }
            let v: toml::Value = format!("v = {value}")
                .parse::<toml::Table>()
                .ok()
                .and_then(|mut t| t.remove("v"))
                .unwrap_or(toml::Value::String(value.clone()));
            let sect = table
                .entry(section.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match sect.as_table_mut() {
                Some(t) => {
                    t.insert(key.to_string(), v);
                }
                None => {
                    return Err(ConfigError::Parse {
                        origin: name,
                        message: format!("[{section}] is not a section"),
                    }
                    .into());
                }
            }
            from_env.push(name);
        }
        let mut config: Config = toml::Value::Table(table).try_into().map_err(|e| {
            let src = if from_env.is_empty() {
                path.display().to_string()
            } else {
                format!("{} (with {})", path.display(), from_env.join(", "))
            };
            ConfigError::Parse {
                origin: src,
                message: e.to_string(),
            }
        })?;
        if let Some(l) = &flags.listen {
            config.node.listen = l.clone();
        }
        if let Some(d) = &flags.data_dir {
            config.node.data_dir = d.clone();
        }
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut config.node.data_dir,
            &mut config.calendar.dir,
            &mut config.console.accounts,
        ] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        if let Some(t) = &mut config.tls {
            for p in [&mut t.ca, &mut t.cert, &mut t.key, &mut t.sign_key]
                .into_iter()
                .chain(t.crl.as_mut())
            {
                if p.is_relative() {
                    *p = base.join(&*p);
                }
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// This node's code.
    pub fn code(&self) -> Code {
        self.node.code
    }

    /// Checks the values that the types alone do not.
    pub fn validate(&self) -> Result<(), Error> {
        let code = self.code();
        if let Some(p) = &self.parent {
            let pc = p.code;
            if !code.is_inside(pc) {
                return Err(ConfigError::invalid(
                    "parent.code",
                    format!(
                        "parent.code {pc} does not contain node.code {code}: the parent must be a higher congress whose region contains this one"
                    ),
                )
                .into());
            }
            if p.addr.trim().is_empty() {
                return Err(ConfigError::invalid("parent.addr", "parent.addr is empty").into());
            }
        }
        for child in &self.sync.children {
            if !child.is_inside(code) {
                return Err(ConfigError::invalid(
                    "sync.children",
                    format!("sync.children: {child} is not inside {code}"),
                )
                .into());
            }
        }
        if self.store.cache_mb == 0 {
            return Err(ConfigError::invalid(
                "store.cache_mb",
                "store.cache_mb must be at least 1",
            )
            .into());
        }
        if self.rules.answer_months + self.rules.max_extension_months > 6 {
            return Err(ConfigError::invalid(
                "rules",
                "rules: answer_months + max_extension_months may not exceed 6 (legal maximum)",
            )
            .into());
        }
        Ok(())
    }

    /// The commented `wuji.toml` that `wuji init` writes for this configuration.
    pub fn to_commented_toml(&self) -> String {
        let code = self.code().level();
        let parent = match &self.parent {
            Some(p) => format!(
                "\n# The node above this one; this node dials it (only outbound connections\n# are needed from behind a county firewall).\n[parent]\n# Its division code: a higher congress whose region contains this one.\ncode = \"{}\"\n# Its address.\naddr = \"{}\"\n",
                p.code, p.addr
            ),
            None if code == Level::National => "\n# The national node has no parent.\n".to_string(),
            None => "\n# No parent configured: this node runs alone until you add one:\n# [parent]\n# code = \"...\"\n# addr = \"HOST:PORT\"\n".to_string(),
        };
        let tls = match &self.tls {
            Some(t) => format!(
                "\n# Mutual TLS: certificates from the federation CA (wuji ca issue).\n[tls]\n# CA bundle (old and new CA while rotating).\nca = \"{}\"\n# This node's certificate and key.\ncert = \"{}\"\nkey = \"{}\"\n# The key that signs every section this node writes.\nsign_key = \"{}\"\n{}",
                t.ca.display(),
                t.cert.display(),
                t.key.display(),
                t.sign_key.display(),
                match &t.crl {
                    Some(c) => format!("# Revoked certificates (wuji ca revoke).\ncrl = \"{}\"\n", c.display()),
                    None => "# Revoked certificates (wuji ca revoke writes crl.pem):\n# crl = \"pki/crl.pem\"\n".to_string(),
                }
            ),
            None => "\n# No [tls]: plaintext dev mode, allowed only when listening on loopback.\n# [tls]\n# ca = \"pki/ca.pem\"\n# cert = \"pki/node.pem\"\n# key = \"pki/node.key\"\n".to_string(),
        };
        format!(
            "# wuji node configuration ({level} congress {code}).\n\
             # Every key can also be set as WUJI_SECTION_KEY in the environment\n\
             # (e.g. WUJI_NODE_LISTEN=0.0.0.0:7700); flags override both.\n\
             \n[node]\n# This congress's division code.\ncode = \"{code}\"\n\
             # Address of the gRPC API (operators' CLI, other systems) and of sync.\nlisten = \"{listen}\"\n\
             # Where the store lives (relative to this file).\ndata_dir = \"{data}\"\n\
             {parent}{tls}\
             \n[sync]\n# How far above the congresses that handle a record its full detail goes:\n\
             # 1 = up to their parents (the level that supervises them), `all` = every\n\
             # level. Above it, records are seen only as counts. The same on every node.\nhorizon = {horizon}\n\
             \n[store]\n# sled page cache in MiB.\ncache_mb = {cache}\n\
             # Most writes applied and flushed together.\nmax_batch = {batch}\n\
             \n[api]\n# Largest gRPC message in bytes.\nmax_message_bytes = {msg}\n\
             # Largest page a list call returns.\nmax_page = {page}\n\
             \n[clock]\n# Refuse changes stamped further than this many ms in the future (30 min:\n# two offices' clocks may each be 10 min off; one hours off is refused).\nmax_ahead_ms = {ahead}\n\
             \n[calendar]\n# Official holiday files (YEAR.toml, as config/holidays/ in the source),\n\
             # read at start; they add to the years shipped with wuji. A year with\n\
             # neither is provisional: statutory days only, and deadlines say so.\ndir = \"{cal}\"\n\
             \n[rules]\n# 办理时限: months from 交办 to the answer.\nanswer_months = {am}\n\
             # Longest approved extension (answer_months + this <= 6).\nmax_extension_months = {ext}\n\
             # Months to answer again after a 不满意 rating.\nrehandle_months = {rh}\n\
             # 退办: working days after 交办 within which a unit may return a suggestion.\nreturn_working_days = {ret}\n\
             # 答复类别: this congress's scheme of answer classes, ABC, ABCD or 甲乙丙.\nanswer_classes = \"{cls}\"\n\
             # Longest title and text, in characters.\nmax_title_chars = {mt}\nmax_text_chars = {mx}\n\
             \n[rules.duty]\n# 常委会组成人员联系代表: deputies each member keeps in touch with (at least,\n\
             # at most), and visits expected under each contact relation a year.\n\
             contact_deputies = [{cd_lo}, {cd_hi}]\ncontact_visits_per_year = {cv}\n\
             \n[rules.duty.points]\n# 履职积分: points for each activity of a kind (this congress's 积分管理办法):\n\
             # reception 接待群众, inspection 视察, research 专题调研, attendance 列席会议,\n\
             # training 培训, contact 联系群众, report 向选民报告履职, other 其他活动.\n{points}\
             \n[rules.duty.targets]\n# 年度履职清单: activities of a kind each deputy is expected to take part in\n\
             # a year (shown against the 履职档案).\n{targets}\
             \n[log]\n# Log lines on standard error: text (colour only on a terminal) or json\n\
             # (one object per line, for a log collector); --log-format overrides it.\nformat = \"{log}\"\n\
             \n[ops]\n# Metrics (/metrics, Prometheus), /healthz and /readyz over plain HTTP for\n\
             # the office's monitoring; see deploy/prometheus/ for alerts.\nenabled = {ops}\n\
             # Loopback unless the monitoring runs elsewhere (it is not behind TLS).\nlisten = \"{ops_listen}\"\n\
             \n[console]\n# The offices' console: web pages over HTTPS with this node's certificate\n\
             # (docs/CONSOLE.md). Accounts: `wuji console account add`.\nenabled = {con}\n\
             # The office intranet's address of this host.\nlisten = \"{con_listen}\"\n\
             # The accounts file (relative to this file).\naccounts = \"{con_acc}\"\n\
             \n[gateway]\n# The client API as JSON over HTTPS and the change feed as Server-Sent\n\
             # Events, for platforms without gRPC (docs/INTEGRATION.md); the same client\n\
             # certificates and roles as the gRPC API.\nenabled = {gw}\nlisten = \"{gw_listen}\"\n",
            level = code.zh(),
            code = self.node.code,
            listen = self.node.listen,
            data = self.node.data_dir.display(),
            horizon = match self.sync.horizon {
                wuji_model::routing::Horizon::All => "\"all\"".to_string(),
                h => h.to_string(),
            },
            cache = self.store.cache_mb,
            batch = self.store.max_batch,
            msg = self.api.max_message_bytes,
            page = self.api.max_page,
            ahead = self.clock.max_ahead_ms,
            cal = self.calendar.dir.display(),
            am = self.rules.answer_months,
            ext = self.rules.max_extension_months,
            rh = self.rules.rehandle_months,
            ret = self.rules.return_working_days,
            cls = self.rules.answer_classes.name(),
            mt = self.rules.max_title_chars,
            mx = self.rules.max_text_chars,
            points = toml_map(&self.rules.duty.points),
            cd_lo = self.rules.duty.contact_deputies.0,
            cd_hi = self.rules.duty.contact_deputies.1,
            cv = self.rules.duty.contact_visits_per_year,
            targets = toml_map(&self.rules.duty.targets),
            log = self.log.format.as_str(),
            ops = self.ops.enabled,
            ops_listen = self.ops.listen,
            con = self.console.enabled,
            con_listen = self.console.listen,
            con_acc = self.console.accounts.display(),
            gw = self.gateway.enabled,
            gw_listen = self.gateway.listen,
        )
    }
}

#[cfg(test)]
mod tests;

/// `kind = n` lines of a duty rule map.
fn toml_map(m: &std::collections::BTreeMap<wuji_model::activity::ActivityType, u32>) -> String {
    m.iter()
        .map(|(k, v)| format!("{} = {v}\n", k.en()))
        .collect()
}
