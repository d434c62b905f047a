//! `wuji ca init` and `wuji ca issue`: the federation's certificate authority
//! and the certificates of its nodes and of the people who use them.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use wuji_division::Code;
use wuji_pki::{Ca, ClientRole, Issued, Validity};

/// `wuji ca …`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a federation CA: DIR/ca.pem (give it to every node) and DIR/ca.key
    /// (keep it offline; it can issue any identity).
    Init {
        /// Directory of the CA.
        #[arg(long)]
        dir: PathBuf,
        /// The CA's name.
        #[arg(long, default_value = "wuji federation CA")]
        name: String,
        /// Days the CA is valid.
        #[arg(long, default_value_t = 3650)]
        days: i64,
        /// Print the files written as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Issue a node certificate (--node CODE: node-CODE.pem, .key and
    /// .sign.key, the key that signs its sections) or a client certificate
    /// (--client NAME --role reader|operator --node CODE: client-CODE-ROLE.pem, .key).
    Issue(IssueArgs),
    /// Revoke certificates: adds them to DIR/revoked.txt and writes a new
    /// DIR/crl.pem signed by the CA; give crl.pem to every node ([tls] crl,
    /// `wuji init --crl`) and restart them. Connections with a revoked
    /// certificate are then refused, and a revoked node's signing key is not learned.
    Revoke {
        /// Directory of the CA.
        #[arg(long)]
        dir: PathBuf,
        /// The certificates (PEM files) to revoke.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Days until the list should be renewed (run revoke again with no new file… or with one).
        #[arg(long, default_value_t = 365)]
        days: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show what a certificate file says: whose it is (node or client, code,
    /// role), who issued it, when it is valid, a node's signing key.
    Show {
        /// A PEM file (a bundle shows every certificate in it).
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Arguments of `wuji ca issue`.
#[derive(Debug, Args)]
pub struct IssueArgs {
    /// Directory of the CA (from `wuji ca init`).
    #[arg(long)]
    dir: PathBuf,
    /// The node's division code; with --client, the node the client may use.
    #[arg(long)]
    node: String,
    /// A client certificate for this person or tool instead of a node certificate.
    #[arg(long, requires = "role")]
    client: Option<String>,
    /// What the client may do: reader (read only, on the node and the nodes
    /// below it) or operator (read and write, on that node only).
    #[arg(long, value_parser = ["reader", "operator"])]
    role: Option<String>,
    /// A node certificate also names this host (an IP address or DNS name),
    /// by which the office's browsers open the node's console; repeatable.
    #[arg(long, value_name = "HOST", conflicts_with = "client")]
    host: Vec<String>,
    /// Days the certificate is valid.
    #[arg(long, default_value_t = 825)]
    days: i64,
    /// Directory for the certificate and key (default: the CA directory).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the files written as JSON.
    #[arg(long)]
    json: bool,
}

fn write_pair(dir: &Path, stem: &str, issued: &Issued) -> anyhow::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let cert = dir.join(format!("{stem}.pem"));
    let key = dir.join(format!("{stem}.key"));
    for p in [&cert, &key] {
        if p.exists() {
            bail!(
                "{} exists: remove it first (nothing was written)",
                p.display()
            );
        }
    }
    let sign = dir.join(format!("{stem}.sign.key"));
    if issued.sign_key_pem.is_some() && sign.exists() {
        bail!(
            "{} exists: remove it first (nothing was written)",
            sign.display()
        );
    }
    std::fs::write(&cert, &issued.cert_pem)
        .with_context(|| format!("cannot write {}", cert.display()))?;
    write_private(&key, &issued.key_pem)?;
    if let Some(s) = &issued.sign_key_pem {
        write_private(&sign, s)?;
    }
    Ok((cert, key))
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn report(json: bool, cert: &Path, key: &Path, what: &str) {
    if json {
        say!(
            "{}",
            serde_json::json!({ "certificate": cert, "key": key, "identity": what,
                "signing_key": Some(sign_key_of(cert)).filter(|s| s.exists()) })
        );
    } else {
        say!(
            "{what}\n  证书 certificate: {}\n  私钥 key:         {}",
            cert.display(),
            key.display()
        );
    }
}

/// Where `wuji ca issue --node` puts the signing key of the certificate `cert`
/// (node-CODE.pem → node-CODE.sign.key).
pub fn sign_key_of(cert: &Path) -> PathBuf {
    cert.with_extension("sign.key")
}

/// Loads the CA in `dir`.
pub fn load(dir: &Path) -> anyhow::Result<Ca> {
    let read = |f: &str| {
        let p = dir.join(f);
        std::fs::read_to_string(&p).with_context(|| {
            format!(
                "cannot read {} (run `wuji ca init --dir {}` first)",
                p.display(),
                dir.display()
            )
        })
    };
    Ok(Ca::load(&read("ca.pem")?, &read("ca.key")?)?)
}

/// Creates a CA in `dir`; returns the paths of its certificate and key.
pub fn init_ca(dir: &Path, name: &str, days: i64) -> anyhow::Result<(PathBuf, PathBuf)> {
    let issued = wuji_pki::new_ca(name, Validity::days(days))?;
    write_pair(dir, "ca", &issued)
}

/// Issues the certificate of node `code` into `out` as node-CODE.{pem,key}.
pub fn issue_node(
    ca: &Ca,
    code: Code,
    days: i64,
    out: &Path,
    hosts: &[String],
) -> anyhow::Result<(PathBuf, PathBuf)> {
    write_pair(
        out,
        &format!("node-{code}"),
        &ca.issue_node_for(code, Validity::days(days), hosts)?,
    )
}

/// Issues a client certificate into `out` as client-CODE-ROLE.{pem,key}.
pub fn issue_client(
    ca: &Ca,
    name: &str,
    role: ClientRole,
    node: Code,
    days: i64,
    out: &Path,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    let issued = ca.issue_client(name, role, node, Validity::days(days))?;
    write_pair(out, &format!("client-{node}-{}", role.as_str()), &issued)
}

fn show(file: &Path, json: bool) -> anyhow::Result<()> {
    let pem =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let certs = wuji_pki::pem_certs(&pem)?;
    if certs.is_empty() {
        bail!("{}: no certificate in it", file.display());
    }
    let mut out = Vec::new();
    for der in certs {
        let i = wuji_pki::describe(&der)?;
        let who = match &i.identity {
            Ok(id) => id.to_string(),
            Err(e) => format!("no wuji identity ({e})"),
        };
        if json {
            out.push(serde_json::json!({
                "identity": i.identity.as_ref().ok().map(|id| id.to_string()),
                "error": i.identity.as_ref().err(),
                "issuer": i.issuer, "not_before": i.not_before, "not_after": i.not_after,
                "valid_now": i.valid_now, "signing_key": i.signing_key,
            }));
        } else {
            say!("身份 identity:   {who}");
            say!("签发者 issuer:   {}", i.issuer);
            say!(
                "有效期 valid:    {} — {}{}",
                i.not_before,
                i.not_after,
                if i.valid_now {
                    ""
                } else {
                    "  (不在有效期内 NOT valid now)"
                }
            );
            if let Some(k) = &i.signing_key {
                say!("签名公钥 signing key: {k}");
            }
            say!();
        }
    }
    if json {
        say!("{}", serde_json::Value::Array(out));
    }
    Ok(())
}

/// Adds the certificates in `files` to the CA's revocation list and writes
/// DIR/crl.pem; returns its path and the identities revoked.
pub fn revoke(dir: &Path, files: &[PathBuf], days: i64) -> anyhow::Result<(PathBuf, Vec<String>)> {
    let ca = load(dir)?;
    let list = dir.join("revoked.txt");
    let mut lines: Vec<String> = match std::fs::read_to_string(&list) {
        Ok(t) => t.lines().map(str::to_string).collect(),
        Err(_) => Vec::new(),
    };
    let mut who = Vec::new();
    for f in files {
        let pem =
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
        let certs = wuji_pki::pem_certs(&pem)?;
        if certs.is_empty() {
            bail!(
                "{}: no certificate in it (nothing was revoked)",
                f.display()
            );
        }
        for der in certs {
            let serial: String = wuji_pki::serial_of(&der)?
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let id = wuji_pki::identity_of(&der)
                .map(|i| i.to_string())
                .unwrap_or_else(|e| e.to_string());
            if !lines
                .iter()
                .any(|l| l.split_whitespace().next() == Some(serial.as_str()))
            {
                lines.push(format!("{serial} {id}"));
            }
            who.push(id);
        }
    }
    let serials: Vec<Vec<u8>> = lines
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .map(|h| {
            (0..h.len())
                .step_by(2)
                .filter_map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
                .collect()
        })
        .collect();
    let number = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let crl = ca.revocation_list(&serials, number, days)?;
    std::fs::write(&list, lines.join("\n") + "\n")
        .with_context(|| format!("cannot write {}", list.display()))?;
    let path = dir.join("crl.pem");
    std::fs::write(&path, crl).with_context(|| format!("cannot write {}", path.display()))?;
    Ok((path, who))
}

/// Runs `wuji ca …`.
pub fn run(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Revoke {
            dir,
            files,
            days,
            json,
        } => {
            let (crl, who) = revoke(&dir, &files, days)?;
            if json {
                say!("{}", serde_json::json!({ "crl": crl, "revoked": who }));
            } else {
                for w in &who {
                    say!("已吊销 revoked: {w}");
                }
                say!(
                    "吊销列表 revocation list: {}  (give it to every node: [tls] crl, then restart)",
                    crl.display()
                );
            }
        }
        Command::Show { file, json } => show(&file, json)?,
        Command::Init {
            dir,
            name,
            days,
            json,
        } => {
            let (cert, key) = init_ca(&dir, &name, days)?;
            report(json, &cert, &key, &format!("CA {name:?}, {days} days"));
        }
        Command::Issue(a) => {
            let ca = load(&a.dir)?;
            let node = Code::parse(&a.node).context("--node")?;
            let out = a.out.clone().unwrap_or_else(|| a.dir.clone());
            match (&a.client, &a.role) {
                (Some(name), Some(role)) => {
                    let role = ClientRole::parse(role)?;
                    let (cert, key) = issue_client(&ca, name, role, node, a.days, &out)?;
                    report(
                        a.json,
                        &cert,
                        &key,
                        &format!("{} {name:?} of node {node}, {} days", role.as_str(), a.days),
                    );
                }
                _ => {
                    let (cert, key) = issue_node(&ca, node, a.days, &out, &a.host)?;
                    report(
                        a.json,
                        &cert,
                        &key,
                        &format!("node {node}, {} days", a.days),
                    );
                }
            }
        }
    }
    Ok(())
}
