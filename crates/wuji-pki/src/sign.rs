//! Section signing keys: Ed25519, separate from the TLS key. A node's public
//! signing key travels inside its CA-issued certificate (extension
//! [`SIGNING_KEY_OID`]), so the CA binds it to the node's code; a [`Keyring`]
//! holds the keys of the nodes whose sections a node holds, each learned from
//! a certificate checked against the CA bundle. Verification is batched
//! (ed25519-dalek), and a failed batch is re-checked one by one to name the bad
//! signatures.

use crate::{Error, Identity, identity_of};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use std::collections::BTreeMap;
use wuji_division::Code;

/// The certificate extension holding a node's Ed25519 public key (an OCTET
/// STRING of 32 bytes). A private arc: wuji's own, not registered.
pub const SIGNING_KEY_OID: &[u64] = &[1, 3, 6, 1, 4, 1, 59_999, 1, 1];
const OID_TEXT: &str = "1.3.6.1.4.1.59999.1.1";
const PEM_LABEL: &str = "WUJI ED25519 SIGNING KEY";

/// A node's section signing key.
pub struct SignKey(SigningKey);

impl std::fmt::Debug for SignKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SignKey({:02x?}…)", &self.public()[..4])
    }
}

impl SignKey {
    /// A new random key (from the operating system's generator, via ring).
    pub fn generate() -> Result<SignKey, Error> {
        use ring::rand::SecureRandom;
        let mut seed = [0u8; 32];
        ring::rand::SystemRandom::new()
            .fill(&mut seed)
            .map_err(|_| Error::Identity("no system randomness".into()))?;
        Ok(SignKey(SigningKey::from_bytes(&seed)))
    }

    /// The key as PEM (keep it 0600, beside the TLS key).
    pub fn to_pem(&self) -> String {
        pem::encode(&pem::Pem::new(PEM_LABEL, self.0.to_bytes().to_vec()))
    }

    /// Reads a key written by [`SignKey::to_pem`].
    pub fn from_pem(text: &str) -> Result<SignKey, Error> {
        let p = pem::parse(text).map_err(|e| Error::Parse(e.to_string()))?;
        let seed: [u8; 32] = p
            .contents()
            .try_into()
            .ok()
            .filter(|_| p.tag() == PEM_LABEL)
            .ok_or_else(|| Error::Parse(format!("not a {PEM_LABEL}")))?;
        Ok(SignKey(SigningKey::from_bytes(&seed)))
    }

    /// The public key.
    pub fn public(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// Signs `msg`.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.0.sign(msg).to_bytes().to_vec()
    }
}

/// The DER content of the extension for `public`.
pub(crate) fn extension(public: &[u8; 32]) -> rcgen::CustomExtension {
    let mut der = vec![0x04, 32];
    der.extend_from_slice(public);
    rcgen::CustomExtension::from_oid_content(SIGNING_KEY_OID, der)
}

/// The node code and signing key a node certificate (DER) carries, once its
/// signature is checked against one of `cas` (DER certificates of the bundle).
/// Dates are not checked: a section signed while the certificate was valid
/// stays valid (revocation is by issuing a new CA bundle, see SECURITY.md).
pub fn node_key(cert: &[u8], cas: &[Vec<u8>]) -> Result<(Code, [u8; 32]), Error> {
    let (_, c) =
        x509_parser::parse_x509_certificate(cert).map_err(|e| Error::Parse(e.to_string()))?;
    let signed = cas.iter().any(|ca| {
        x509_parser::parse_x509_certificate(ca)
            .ok()
            .is_some_and(|(_, ca)| c.verify_signature(Some(ca.public_key())).is_ok())
    });
    if !signed {
        return Err(Error::Identity("not issued by this federation's CA".into()));
    }
    let Identity::Node(code) = identity_of(cert)? else {
        return Err(Error::Identity("not a node certificate".into()));
    };
    Ok((code, signing_key(&c, code)?))
}

/// The signing key in a parsed node certificate.
fn signing_key(
    c: &x509_parser::certificate::X509Certificate<'_>,
    code: Code,
) -> Result<[u8; 32], Error> {
    let ext = c
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == OID_TEXT)
        .ok_or_else(|| {
            Error::Identity(format!("node {code}'s certificate carries no signing key"))
        })?;
    let key: [u8; 32] = ext
        .value
        .strip_prefix(&[0x04, 32])
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| Error::Identity("malformed signing key extension".into()))?;
    Ok(key)
}

/// What a certificate says, for people (`wuji ca show`); nothing is checked.
#[derive(Debug, Clone)]
pub struct CertInfo {
    /// The wuji identity, or why there is none.
    pub identity: Result<Identity, String>,
    /// The issuer's name.
    pub issuer: String,
    /// Valid from (RFC 2822).
    pub not_before: String,
    /// Valid until (RFC 2822).
    pub not_after: String,
    /// True if the dates include now.
    pub valid_now: bool,
    /// A node's section signing key, hex.
    pub signing_key: Option<String>,
}

/// Describes a certificate (DER).
pub fn describe(der: &[u8]) -> Result<CertInfo, Error> {
    let (_, c) =
        x509_parser::parse_x509_certificate(der).map_err(|e| Error::Parse(e.to_string()))?;
    let identity = identity_of(der).map_err(|e| e.to_string());
    let signing_key = match &identity {
        Ok(Identity::Node(code)) => signing_key(&c, *code)
            .ok()
            .map(|k| k.iter().map(|b| format!("{b:02x}")).collect()),
        _ => None,
    };
    let v = c.validity();
    Ok(CertInfo {
        identity,
        issuer: c.issuer().to_string(),
        not_before: v.not_before.to_rfc2822().unwrap_or_default(),
        not_after: v.not_after.to_rfc2822().unwrap_or_default(),
        valid_now: v.is_valid(),
        signing_key,
    })
}

/// One signature to check.
pub struct Check<'a> {
    /// The signed bytes.
    pub msg: &'a [u8],
    /// The signature.
    pub sig: &'a [u8],
    /// The signer's public key.
    pub key: [u8; 32],
}

/// Checks every signature; true where valid. One batch first (each signer's
/// key decompressed once, see `batch`); if it fails, one by one, to name the
/// bad ones.
pub fn verify_all(checks: &[Check<'_>]) -> Vec<bool> {
    let items: Vec<crate::batch::Item<'_>> = checks
        .iter()
        .map(|c| crate::batch::Item {
            msg: c.msg,
            sig: c.sig,
            key: &c.key,
        })
        .collect();
    if crate::batch::verify(&items) {
        return vec![true; checks.len()];
    }
    let mut keys: std::collections::HashMap<[u8; 32], Option<VerifyingKey>> =
        std::collections::HashMap::new();
    checks
        .iter()
        .map(|c| {
            let key = *keys
                .entry(c.key)
                .or_insert_with(|| VerifyingKey::from_bytes(&c.key).ok());
            let sig = Signature::from_slice(c.sig).ok();
            key.zip(sig)
                .is_some_and(|(key, sig)| key.verify_strict(c.msg, &sig).is_ok())
        })
        .collect()
}

/// The signing keys a node knows, by node code: every key a code's
/// certificates ever carried (a re-issued certificate brings a new key, and
/// sections signed with the old one stay valid).
#[derive(Debug, Clone, Default)]
pub struct Keyring(BTreeMap<Code, Vec<[u8; 32]>>);

impl Keyring {
    /// Adds a key of `code` (the newest last); true if it was new.
    pub fn insert(&mut self, code: Code, key: [u8; 32]) -> bool {
        let keys = self.0.entry(code).or_default();
        if keys.contains(&key) {
            return false;
        }
        keys.push(key);
        true
    }

    /// The keys of `code`, newest last.
    pub fn get(&self, code: Code) -> &[[u8; 32]] {
        self.0.get(&code).map(Vec::as_slice).unwrap_or(&[])
    }
}
