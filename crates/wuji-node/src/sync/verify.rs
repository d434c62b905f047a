//! Signatures on what a peer sends: certificates in a batch teach the keyring
//! the signing keys of section owners (each checked against the CA bundle);
//! every section that would change what this node holds must carry a valid
//! signature by its owner. Sections equal to the stored version are not checked
//! again (the cache is the store itself). Checks run batched, in parallel on
//! the blocking pool; a failed batch is re-checked one by one to name the bad
//! section, which is refused, logged and counted; the rest of the record goes on.

use crate::commit::Prior;
use crate::telemetry::Telemetry;
use crate::{Error, LinkError};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use wuji_division::Code;
use wuji_model::{Record, SectionKey};
use wuji_pki::{Check, Keyring};
use wuji_proto::{Signatures, pb, section_message};
use wuji_store::Layout;

/// What a node needs to check and pass on signatures.
#[derive(Clone)]
pub struct Signing {
    /// DER certificates of the CA bundle.
    cas: Arc<Vec<Vec<u8>>>,
    /// Serial numbers of revoked certificates.
    revoked: Arc<BTreeSet<Vec<u8>>>,
    /// Known signing keys.
    keyring: Arc<Mutex<Keyring>>,
    /// Known certificates (DER) by node, to pass on to peers.
    certs: Arc<Mutex<BTreeMap<Code, Vec<Vec<u8>>>>>,
    /// False only to measure the cost of checking (`sync.verify_signatures`).
    pub verify: bool,
}

impl Signing {
    /// Loads the keyring kept in `layout` and adds this node's own certificate.
    pub fn load(
        layout: &Layout,
        cas: Vec<Vec<u8>>,
        revoked: Vec<Vec<u8>>,
        own: &[u8],
        verify: bool,
    ) -> Result<Signing, Error> {
        let s = Signing {
            cas: Arc::new(cas),
            revoked: Arc::new(revoked.into_iter().collect()),
            keyring: Arc::default(),
            certs: Arc::default(),
            verify,
        };
        let mut known = layout.node_certs()?;
        known.push((Code::NATIONAL, own.to_vec()));
        for (_, der) in known {
            if let Err(e) = s.learn(None, &der) {
                tracing::warn!(error = %e, "a kept certificate no longer checks out");
            }
        }
        Ok(s)
    }

    /// Checks a certificate and keeps its key; persists it if `layout` is given.
    pub fn learn(&self, layout: Option<&Layout>, der: &[u8]) -> Result<Code, Error> {
        let (code, key) = wuji_pki::node_key(der, &self.cas)
            .map_err(|e| LinkError::Certificate(e.to_string()))?;
        let serial = wuji_pki::serial_of(der).map_err(|e| LinkError::Certificate(e.to_string()))?;
        if self.revoked.contains(&serial) {
            return Err(
                LinkError::Certificate(format!("node {code}'s certificate is revoked")).into(),
            );
        }
        let new = self
            .keyring
            .lock()
            .map(|mut k| k.insert(code, key))
            .unwrap_or(false);
        if new {
            if let Ok(mut c) = self.certs.lock() {
                c.entry(code).or_default().push(der.to_vec());
            }
            if let Some(l) = layout {
                l.put_node_cert(code, &key, der)?;
            }
        }
        Ok(code)
    }

    /// The certificates of `owners` not in `sent` (then marked sent).
    pub fn certs_for(&self, owners: &BTreeSet<Code>, sent: &mut BTreeSet<Code>) -> Vec<Vec<u8>> {
        let Ok(certs) = self.certs.lock() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for o in owners {
            if !sent.contains(o)
                && let Some(c) = certs.get(o)
            {
                sent.insert(*o);
                out.extend(c.iter().cloned());
            }
        }
        out
    }
}

/// The owners of every section in `records`.
pub fn owners(records: &[pb::RecordState]) -> BTreeSet<Code> {
    records
        .iter()
        .flat_map(|r| r.sections.iter())
        .filter_map(|e| Code::from_value(e.owner).ok())
        .collect()
}

/// Checks a peer's record states against the stored versions read with them
/// (a section equal to the stored one is not checked again); returns them with
/// refused sections taken out, and counts each refusal.
pub async fn check(
    signing: Option<&Signing>,
    telemetry: &Telemetry,
    peer: Code,
    states: Vec<(Record, Signatures, Prior)>,
) -> Result<Vec<(Record, Signatures, Prior)>, Error> {
    let Some(signing) = signing.filter(|s| s.verify) else {
        return Ok(states);
    };
    let keyring = signing
        .keyring
        .lock()
        .map(|k| k.clone())
        .unwrap_or_default();
    let mut todo: Vec<(usize, SectionKey)> = Vec::new();
    let mut items: Vec<Item> = Vec::new();
    let mut refuse: Vec<(usize, SectionKey, &'static str)> = Vec::new();
    let mut drop: Vec<(usize, SectionKey)> = Vec::new();
    for (i, (rec, sigs, prior)) in states.iter().enumerate() {
        let stored = prior.stored.as_ref();
        let mut older = 0;
        let mut news = 0;
        for (key, section) in rec.sections() {
            let held = stored.and_then(|s| s.record.get(*key));
            if held == Some(section) {
                continue; // the stored version: checked when it was stored
            }
            if held.is_some_and(|h| h.written_at() > section.written_at()) {
                // Older than held: a genuine one adds nothing, a forged one
                // could add entries, so it is left out unchecked.
                older += 1;
                drop.push((i, *key));
                continue;
            }
            news += 1;
            let Some(sig) = sigs.get(key) else {
                refuse.push((i, *key, "unsigned-section"));
                continue;
            };
            let Some(k) = keyring.get(key.owner).last().copied() else {
                refuse.push((i, *key, "unknown-signer"));
                continue;
            };
            todo.push((i, *key));
            items.push(Item {
                msg: section_message(rec.id, *key, section),
                sig: sig.clone(),
                key: k,
            });
        }
        if older > 0 && news == 0 {
            tracing::warn!(%peer, record = %rec.id.uuid, "a record with only older sections than held (a replay?)");
            telemetry.refused("replayed-older-section");
        }
    }
    let (mut ok, items) = verify_parallel(items).await?;
    // A section signed with an older key of its owner (a re-issued certificate).
    for (((_, key), item), good) in todo.iter().zip(&items).zip(ok.iter_mut()) {
        if !*good {
            *good = keyring.get(key.owner).iter().rev().skip(1).any(|k| {
                wuji_pki::verify_all(&[Check {
                    msg: &item.msg,
                    sig: &item.sig,
                    key: *k,
                }]) == [true]
            });
        }
    }
    for ((i, key), good) in todo.iter().zip(ok) {
        if !good {
            refuse.push((*i, *key, "bad-signature"));
        }
    }
    let mut states = states;
    for (i, key) in drop {
        states[i].0.take(key);
        states[i].1.remove(&key);
    }
    for (i, key, rule) in refuse {
        tracing::warn!(%peer, record = %states[i].0.id.uuid, role = ?key.role, owner = %key.owner, rule, "section refused");
        telemetry.refused(rule);
        states[i].0.take(key);
        states[i].1.remove(&key);
    }
    states.retain(|(r, ..)| !r.is_empty());
    Ok(states)
}

/// One signature to check, owned (it moves to the blocking pool).
struct Item {
    msg: Vec<u8>,
    sig: Vec<u8>,
    key: [u8; 32],
}

/// Verifies in two halves on the blocking pool (2 cores here); gives the
/// items back with the results.
async fn verify_parallel(items: Vec<Item>) -> Result<(Vec<bool>, Vec<Item>), Error> {
    let run = |part: Vec<Item>| {
        tokio::task::spawn_blocking(move || {
            let checks: Vec<Check<'_>> = part
                .iter()
                .map(|i| Check {
                    msg: &i.msg,
                    sig: &i.sig,
                    key: i.key,
                })
                .collect();
            let ok = wuji_pki::verify_all(&checks);
            (ok, part)
        })
    };
    let join = Error::Task;
    if items.len() < 64 {
        return run(items).await.map_err(join);
    }
    let mut a = items;
    let b = a.split_off(a.len() / 2);
    let (x, y) = tokio::join!(run(a), run(b));
    let (mut ok, mut items) = x.map_err(join)?;
    let (ok2, items2) = y.map_err(join)?;
    ok.extend(ok2);
    items.extend(items2);
    Ok((ok, items))
}
