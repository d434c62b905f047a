//! What a server reads from disk before it starts a node: the sled store, the
//! signing identity (key, certificates, revocation list, checked against each
//! other) and the holiday calendars.

use crate::config::TlsConfig;
use crate::node::Identity;
use crate::{Config, ConfigError, Error};
use std::path::Path;
use std::sync::Arc;
use wuji_division::Code;
use wuji_model::calendar::Calendar;
use wuji_store::SledKv;

fn read(p: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(p).map_err(|error| ConfigError::Read {
        path: p.to_path_buf(),
        error,
    })
}

/// Opens (creating if needed) the node's sled store.
pub fn open_store(config: &Config) -> Result<SledKv, Error> {
    let dir = &config.node.data_dir;
    std::fs::create_dir_all(dir).map_err(|error| ConfigError::Create {
        path: dir.clone(),
        error,
    })?;
    Ok(SledKv::open(dir, config.store.cache_mb << 20)?)
}

/// Reads the signing key, CA bundle, certificate and revocation list of
/// `t`, and checks that the certificate is `code`'s and names the key.
pub fn load_identity(t: &TlsConfig, code: Code) -> Result<Identity, Error> {
    let bad = |p: &Path, e: wuji_pki::Error| ConfigError::file(p, e);
    let signer =
        wuji_pki::SignKey::from_pem(&read(&t.sign_key)?).map_err(|e| bad(&t.sign_key, e))?;
    let cas = wuji_pki::pem_certs(&read(&t.ca)?).map_err(|e| bad(&t.ca, e))?;
    let own = wuji_pki::pem_certs(&read(&t.cert)?)
        .map_err(|e| bad(&t.cert, e))?
        .into_iter()
        .next()
        .ok_or_else(|| ConfigError::file(&t.cert, "no certificate"))?;
    match wuji_pki::node_key(&own, &cas) {
        Ok((c, public)) if c == code && public == signer.public() => {}
        Ok((c, _)) if c != code => {
            return Err(ConfigError::OtherNode {
                cert: t.cert.clone(),
                other: c,
                node: code,
            }
            .into());
        }
        Ok(_) => {
            return Err(ConfigError::KeyMismatch {
                key: t.sign_key.clone(),
                cert: t.cert.clone(),
            }
            .into());
        }
        Err(e) => return Err(bad(&t.cert, e).into()),
    }
    let mut revoked = Vec::new();
    if let Some(p) = &t.crl {
        for crl in wuji_pki::pem_crls(&read(p)?).map_err(|e| bad(p, e))? {
            revoked.extend(wuji_pki::revoked_serials(&crl).map_err(|e| bad(p, e))?);
        }
    }
    Ok(Identity {
        signer: Arc::new(signer),
        cas,
        own,
        revoked,
    })
}

/// The shipped holiday calendars plus every `YEAR.toml` in `dir` (a missing
/// directory means the shipped ones alone); a bad file stops the start.
pub fn load_calendar(dir: &Path) -> Result<Calendar, Error> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        tracing::info!(dir = %dir.display(), "no holiday directory: the shipped calendars only");
        return Ok(Calendar::builtin());
    };
    let mut files = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().is_some_and(|x| x == "toml") {
            let text = read(&path)?;
            let name = e.file_name().to_string_lossy().into_owned();
            files.push((name, text));
        }
    }
    let cal = Calendar::with_files(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .map_err(|e| ConfigError::file(dir, e))?;
    let years: Vec<i16> = cal.years().collect();
    tracing::info!(dir = %dir.display(), ?years, "holiday calendars loaded");
    Ok(cal)
}
