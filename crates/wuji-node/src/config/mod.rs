//! Node configuration: one typed struct per component, loaded in layers:
//! built-in defaults, then the file, then `WUJI_SECTION_KEY` environment
//! variables, then command-line flags. An unknown key is an error naming it and
//! where it came from.

use crate::{ConfigError, Error};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use wuji_division::Code;
use wuji_model::Rules;

mod codes;
mod template;

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
}

#[cfg(test)]
mod tests;
