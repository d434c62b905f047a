//! The federation's certificates. One CA per federation issues:
//!
//! - **node certificates**: URI SAN `urn:wuji:node:CODE` (the division code is
//!   the node's identity) and DNS SAN `node-CODE.wuji` (the name a child or a
//!   client checks when it dials the node), usable as server and as client;
//! - **client certificates** for people's tools: URI SAN
//!   `urn:wuji:client:CODE:ROLE` (the node it is for and `reader` or
//!   `operator`), the person or tool in the common name.
//!
//! Keys are ECDSA P-256 (ring). [`identity_of`] reads the identity back from a
//! presented certificate; the TLS layer has already checked its chain and dates.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use std::fmt;

mod batch;
mod sign;
pub use sign::{
    CertInfo, Check, Keyring, SIGNING_KEY_OID, SignKey, describe, node_key, verify_all,
};
use time::{Duration, OffsetDateTime};
use wuji_division::Code;

/// Everything that can go wrong with certificates.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Making or signing a certificate failed.
    #[error("certificate: {0}")]
    Rcgen(#[from] rcgen::Error),
    /// A presented certificate could not be read.
    #[error("certificate cannot be read: {0}")]
    Parse(String),
    /// A certificate names no wuji identity, or a malformed one.
    #[error("certificate names no valid wuji identity: {0}")]
    Identity(String),
}

/// What a client certificate allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClientRole {
    /// May read only.
    Reader,
    /// May read and write through the node's API.
    Operator,
}

impl ClientRole {
    /// The role's name in certificates and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientRole::Reader => "reader",
            ClientRole::Operator => "operator",
        }
    }

    /// Parses `reader` or `operator`.
    pub fn parse(s: &str) -> Result<ClientRole, Error> {
        match s {
            "reader" => Ok(ClientRole::Reader),
            "operator" => Ok(ClientRole::Operator),
            other => Err(Error::Identity(format!(
                "role {other:?}: expected reader or operator"
            ))),
        }
    }
}

/// Who presented a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// A congress's node.
    Node(Code),
    /// A person's or a tool's client for one node.
    Client {
        /// The node the certificate was issued for.
        node: Code,
        /// What it may do.
        role: ClientRole,
        /// The person or tool (the certificate's common name).
        name: String,
    },
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identity::Node(c) => write!(f, "node {c}"),
            Identity::Client { node, role, name } => {
                write!(f, "{} {name:?} of node {node}", role.as_str())
            }
        }
    }
}

/// The DNS name in a node's certificate, which dialers check.
pub fn node_dns_name(code: Code) -> String {
    format!("node-{code}.wuji")
}

/// The DNS name every node certificate also carries: a client that only needs
/// "some node of this federation" (a reader's tool) checks this one.
pub const ANY_NODE_DNS_NAME: &str = "node.wuji";

/// A certificate and its private key, both PEM.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The certificate.
    pub cert_pem: String,
    /// The private key (keep it 0600).
    pub key_pem: String,
    /// A node's section signing key (PEM; keep it 0600); `None` for others.
    pub sign_key_pem: Option<String>,
}

/// When a certificate is valid.
#[derive(Debug, Clone, Copy)]
pub struct Validity {
    /// Start.
    pub not_before: OffsetDateTime,
    /// End.
    pub not_after: OffsetDateTime,
}

impl Validity {
    /// From an hour ago (clock skew) for `days` days.
    pub fn days(days: i64) -> Validity {
        let now = OffsetDateTime::now_utc();
        Validity {
            not_before: now - Duration::hours(1),
            not_after: now + Duration::days(days),
        }
    }
}

/// Creates a federation CA named `name`.
pub fn new_ca(name: &str, validity: Validity) -> Result<Issued, Error> {
    let mut p = CertificateParams::default();
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, name);
    p.distinguished_name
        .push(DnType::OrganizationName, "wuji federation");
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = validity.not_before;
    p.not_after = validity.not_after;
    let key = KeyPair::generate()?;
    let cert = p.self_signed(&key)?;
    Ok(Issued {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        sign_key_pem: None,
    })
}

/// A loaded CA that issues certificates.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    /// Loads a CA from its certificate and key (PEM).
    pub fn load(cert_pem: &str, key_pem: &str) -> Result<Ca, Error> {
        let key = KeyPair::from_pem(key_pem)?;
        Ok(Ca {
            issuer: Issuer::from_ca_cert_pem(cert_pem, key)?,
        })
    }

    /// Issues the certificate of the node `code`, with a new section signing
    /// key whose public half the certificate carries.
    pub fn issue_node(&self, code: Code, validity: Validity) -> Result<Issued, Error> {
        self.issue_node_for(code, validity, &[])
    }

    /// [`Ca::issue_node`], the certificate also naming `hosts` (IP addresses
    /// or DNS names) by which browsers reach the node's console.
    pub fn issue_node_for(
        &self,
        code: Code,
        validity: Validity,
        hosts: &[String],
    ) -> Result<Issued, Error> {
        let sign = SignKey::generate()?;
        let mut p = leaf(&format!("wuji node {code}"), validity);
        p.custom_extensions = vec![sign::extension(&sign.public())];
        p.subject_alt_names = vec![
            SanType::URI(format!("urn:wuji:node:{code}").try_into()?),
            SanType::DnsName(node_dns_name(code).try_into()?),
            SanType::DnsName(ANY_NODE_DNS_NAME.try_into()?),
        ];
        for h in hosts {
            p.subject_alt_names
                .push(match h.parse::<std::net::IpAddr>() {
                    Ok(ip) => SanType::IpAddress(ip),
                    Err(_) => SanType::DnsName(h.as_str().try_into()?),
                });
        }
        p.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let mut issued = self.sign(p)?;
        issued.sign_key_pem = Some(sign.to_pem());
        Ok(issued)
    }

    /// Issues a client certificate for `name` with `role` at node `node`.
    pub fn issue_client(
        &self,
        name: &str,
        role: ClientRole,
        node: Code,
        validity: Validity,
    ) -> Result<Issued, Error> {
        if name.trim().is_empty() {
            return Err(Error::Identity("a client needs a name".into()));
        }
        let mut p = leaf(name.trim(), validity);
        p.subject_alt_names = vec![SanType::URI(
            format!("urn:wuji:client:{node}:{}", role.as_str()).try_into()?,
        )];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.sign(p)
    }

    /// A revocation list (PEM) signed by this CA naming the certificates with
    /// `serials` (from [`serial_of`]), valid for `days`; `number` must grow
    /// with each new list.
    pub fn revocation_list(
        &self,
        serials: &[Vec<u8>],
        number: u64,
        days: i64,
    ) -> Result<String, Error> {
        let now = OffsetDateTime::now_utc();
        let params = rcgen::CertificateRevocationListParams {
            this_update: now - Duration::minutes(5),
            next_update: now + Duration::days(days),
            crl_number: rcgen::SerialNumber::from(number),
            issuing_distribution_point: None,
            revoked_certs: serials
                .iter()
                .map(|s| rcgen::RevokedCertParams {
                    serial_number: rcgen::SerialNumber::from_slice(s),
                    revocation_time: now - Duration::minutes(5),
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        Ok(params.signed_by(&self.issuer)?.pem()?)
    }

    fn sign(&self, p: CertificateParams) -> Result<Issued, Error> {
        let key = KeyPair::generate()?;
        let cert = p.signed_by(&key, &self.issuer)?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            sign_key_pem: None,
        })
    }
}

fn leaf(cn: &str, validity: Validity) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.not_before = validity.not_before;
    p.not_after = validity.not_after;
    p
}

/// The identity named by a certificate (DER).
pub fn identity_of(der: &[u8]) -> Result<Identity, Error> {
    let (_, cert) =
        x509_parser::parse_x509_certificate(der).map_err(|e| Error::Parse(e.to_string()))?;
    let san = cert
        .subject_alternative_name()
        .map_err(|e| Error::Parse(e.to_string()))?
        .ok_or_else(|| Error::Identity("no subject alternative name".into()))?;
    let uris: Vec<&str> = san
        .value
        .general_names
        .iter()
        .filter_map(|g| match g {
            x509_parser::extensions::GeneralName::URI(u) => Some(*u),
            _ => None,
        })
        .filter(|u| u.starts_with("urn:wuji:"))
        .collect();
    let [uri] = uris.as_slice() else {
        return Err(Error::Identity(format!(
            "expected one urn:wuji: name, found {}",
            uris.len()
        )));
    };
    let code = |s: &str| Code::parse(s).map_err(|e| Error::Identity(format!("{uri}: {e}")));
    let parts: Vec<&str> = uri.split(':').collect();
    match parts.as_slice() {
        ["urn", "wuji", "node", c] => Ok(Identity::Node(code(c)?)),
        ["urn", "wuji", "client", c, role] => {
            let name = cert
                .subject()
                .iter_common_name()
                .next()
                .and_then(|cn| cn.as_str().ok())
                .unwrap_or("")
                .to_string();
            Ok(Identity::Client {
                node: code(c)?,
                role: ClientRole::parse(role)?,
                name,
            })
        }
        _ => Err(Error::Identity(format!("{uri}: not a node or client name"))),
    }
}

/// When a certificate (DER) stops being valid, in Unix seconds.
pub fn not_after_of(der: &[u8]) -> Result<i64, Error> {
    let (_, cert) =
        x509_parser::parse_x509_certificate(der).map_err(|e| Error::Parse(e.to_string()))?;
    Ok(cert.validity().not_after.timestamp())
}

/// A certificate's serial number (DER bytes), as revocation lists name it.
pub fn serial_of(der: &[u8]) -> Result<Vec<u8>, Error> {
    let (_, c) =
        x509_parser::parse_x509_certificate(der).map_err(|e| Error::Parse(e.to_string()))?;
    Ok(c.raw_serial().to_vec())
}

/// The serial numbers a revocation list (DER) names.
pub fn revoked_serials(crl: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    let (_, l) = x509_parser::parse_x509_crl(crl).map_err(|e| Error::Parse(e.to_string()))?;
    Ok(l.iter_revoked_certificates()
        .map(|r| r.raw_serial().to_vec())
        .collect())
}

/// The DER bytes of every revocation list in a PEM text.
pub fn pem_crls(pem: &str) -> Result<Vec<Vec<u8>>, Error> {
    let mut out = Vec::new();
    for p in x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes()) {
        let p = p.map_err(|e| Error::Parse(e.to_string()))?;
        if p.label == "X509 CRL" {
            out.push(p.contents);
        }
    }
    Ok(out)
}

/// The DER bytes of every certificate in a PEM text.
pub fn pem_certs(pem: &str) -> Result<Vec<Vec<u8>>, Error> {
    let mut out = Vec::new();
    for p in x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes()) {
        let p = p.map_err(|e| Error::Parse(e.to_string()))?;
        if p.label == "CERTIFICATE" {
            out.push(p.contents);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_certificates_name_their_identity() {
        let ca = new_ca("test CA", Validity::days(30)).unwrap();
        let ca_pem = ca.cert_pem.clone();
        let ca = Ca::load(&ca.cert_pem, &ca.key_pem).unwrap();
        let town = Code::parse("320114001").unwrap();
        let n = ca.issue_node(town, Validity::days(1)).unwrap();
        let der = pem_certs(&n.cert_pem).unwrap().remove(0);
        assert_eq!(identity_of(&der).unwrap(), Identity::Node(town));
        // The signing key is bound to the code by the CA.
        let sign = SignKey::from_pem(n.sign_key_pem.as_deref().unwrap()).unwrap();
        let cas = pem_certs(&ca_pem).unwrap();
        assert_eq!(node_key(&der, &cas).unwrap(), (town, sign.public()));
        let other = new_ca("other", Validity::days(1)).unwrap();
        assert!(node_key(&der, &pem_certs(&other.cert_pem).unwrap()).is_err());
        let msg = b"section";
        let sig = sign.sign(msg);
        let mut bad = sig.clone();
        bad[0] ^= 1;
        let checks = [
            Check {
                msg,
                sig: &sig,
                key: sign.public(),
            },
            Check {
                msg,
                sig: &bad,
                key: sign.public(),
            },
            Check {
                msg: b"other",
                sig: &sig,
                key: sign.public(),
            },
        ];
        assert_eq!(verify_all(&checks), vec![true, false, false]);
        assert_eq!(verify_all(&checks[..1]), vec![true]);
        let c = ca
            .issue_client("王小明", ClientRole::Reader, town, Validity::days(1))
            .unwrap();
        let der = pem_certs(&c.cert_pem).unwrap().remove(0);
        assert_eq!(
            identity_of(&der).unwrap(),
            Identity::Client {
                node: town,
                role: ClientRole::Reader,
                name: "王小明".into()
            }
        );
        assert!(
            ca.issue_client(" ", ClientRole::Reader, town, Validity::days(1))
                .is_err()
        );
    }

    #[test]
    fn a_certificate_without_a_wuji_name_or_with_a_bad_code_is_refused() {
        let plain = rcgen::generate_simple_self_signed(vec!["example.org".into()]).unwrap();
        let e = identity_of(plain.cert.der()).unwrap_err();
        assert!(e.to_string().contains("urn:wuji"), "{e}");
        let mut p = CertificateParams::default();
        p.subject_alt_names = vec![SanType::URI("urn:wuji:node:999999".try_into().unwrap())];
        let k = KeyPair::generate().unwrap();
        let bad = p.self_signed(&k).unwrap();
        assert!(identity_of(bad.der()).is_err());
    }
}
