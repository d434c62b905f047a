//! TLS for a node with rustls (ring provider): the server side requires a client
//! certificate from the federation CA bundle (several CAs during a rotation),
//! handshakes run in parallel and each failure is logged and counted by reason;
//! the client side, for dialing the parent, presents the node certificate and
//! checks that the server is the expected node (`node-CODE.wuji`) and not
//! revoked. Without TLS
//! (dev mode) connections are plain and each one is warned about.

use super::Peer;
use crate::telemetry::Telemetry;
use crate::{ConfigError, Error};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use wuji_division::Code;

/// The files of a node's (or a client's) TLS identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The CA bundle (PEM; old and new CA during a rotation).
    pub ca: PathBuf,
    /// This side's certificate (PEM).
    pub cert: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
    /// Revocation lists (PEM), if any.
    pub crl: Option<PathBuf>,
}

impl From<&crate::config::TlsConfig> for TlsFiles {
    fn from(t: &crate::config::TlsConfig) -> TlsFiles {
        TlsFiles {
            ca: t.ca.clone(),
            cert: t.cert.clone(),
            key: t.key.clone(),
            crl: t.crl.clone(),
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|error| {
        ConfigError::Read {
            path: path.to_path_buf(),
            error,
        }
        .into()
    })
}

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let pem = read(path)?;
    let out = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ConfigError::file(path, e))?;
    if out.is_empty() {
        return Err(ConfigError::file(path, "no certificate in it").into());
    }
    Ok(out)
}

fn key(path: &Path) -> Result<PrivateKeyDer<'static>, Error> {
    PrivateKeyDer::from_pem_slice(&read(path)?)
        .map_err(|e| ConfigError::file(path, format!("no private key: {e}")).into())
}

fn roots(path: &Path) -> Result<rustls::RootCertStore, Error> {
    let mut roots = rustls::RootCertStore::empty();
    for c in certs(path)? {
        roots.add(c).map_err(|e| ConfigError::file(path, e))?;
    }
    Ok(roots)
}

/// The server configuration: this node's certificate, client certificates required.
pub fn server_config(
    files: &TlsFiles,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<Arc<rustls::ServerConfig>, Error> {
    let bad = ConfigError::Tls;
    let mut builder = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots(&files.ca)?),
        provider.clone(),
    );
    if let Some(crl) = &files.crl {
        // Certificates of a CA without a list in the file (during a rotation)
        // are not refused for that.
        builder = builder
            .with_crls(crls(crl)?)
            .allow_unknown_revocation_status();
    }
    let verifier = builder.build().map_err(|e| ConfigError::Verifier {
        side: "client",
        message: e.to_string(),
    })?;
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(bad)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs(&files.cert)?, key(&files.key)?)
        .map_err(bad)?;
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(cfg))
}

/// The console's server side: the node's certificate, HTTP/1.1, and no
/// client certificate asked for (the console's accounts log in instead).
pub fn console_server_config(
    files: &TlsFiles,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<Arc<rustls::ServerConfig>, Error> {
    let bad = ConfigError::Tls;
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(bad)?
        .with_no_client_auth()
        .with_single_cert(certs(&files.cert)?, key(&files.key)?)
        .map_err(bad)?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// The rustls client configuration for dialing a parent: this node's
/// certificate, the CA bundle, and the revocation list if any (tonic's own
/// client TLS takes no revocation list, hence our own).
pub fn client_config(
    files: &TlsFiles,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<Arc<rustls::ClientConfig>, Error> {
    let bad = ConfigError::Tls;
    let mut builder = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots(&files.ca)?),
        provider.clone(),
    );
    if let Some(crl) = &files.crl {
        builder = builder
            .with_crls(crls(crl)?)
            .allow_unknown_revocation_status();
    }
    let verifier = builder.build().map_err(|e| ConfigError::Verifier {
        side: "server",
        message: e.to_string(),
    })?;
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(bad)?
        .with_webpki_verifier(verifier)
        .with_client_auth_cert(certs(&files.cert)?, key(&files.key)?)
        .map_err(bad)?;
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(cfg))
}

/// Connects `endpoint` (an `http://` endpoint for `addr`) over mutual TLS to the
/// node `server`, whose certificate must name `node-CODE.wuji`.
pub async fn connect(
    endpoint: tonic::transport::Endpoint,
    addr: String,
    server: Code,
    cfg: Arc<rustls::ClientConfig>,
) -> Result<tonic::transport::Channel, tonic::transport::Error> {
    let name = rustls::pki_types::ServerName::try_from(wuji_pki::node_dns_name(server))
        .unwrap_or_else(|_| {
            rustls::pki_types::ServerName::try_from("node.wuji").expect("a DNS name")
        });
    let connector = tower::service_fn(move |_: tonic::codegen::http::Uri| {
        let (addr, name, cfg) = (addr.clone(), name.clone(), cfg.clone());
        async move {
            let tcp = TcpStream::connect(&addr).await?;
            tcp.set_nodelay(true)?;
            let tls = tokio_rustls::TlsConnector::from(cfg)
                .connect(name, tcp)
                .await?;
            Ok::<_, io::Error>(hyper_util::rt::TokioIo::new(tls))
        }
    });
    endpoint.connect_with_connector(connector).await
}

fn crls(
    path: &Path,
) -> Result<Vec<rustls::pki_types::CertificateRevocationListDer<'static>>, Error> {
    use rustls::pki_types::CertificateRevocationListDer;
    let pem = read(path)?;
    CertificateRevocationListDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ConfigError::file(path, e).into())
}

/// One accepted connection, plain or TLS, with who is at the other end.
pub struct Conn {
    io: Io,
    peer: Peer,
}

enum Io {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = Peer;
    fn connect_info(&self) -> Peer {
        self.peer.clone()
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }
    fn is_write_vectored(&self) -> bool {
        match &self.io {
            Io::Plain(s) => s.is_write_vectored(),
            Io::Tls(s) => s.is_write_vectored(),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// True if the peer closed before any TLS message (not a refusal).
fn is_probe(e: &io::Error) -> bool {
    let rustls = e.get_ref().is_some_and(|i| i.is::<rustls::Error>());
    !rustls
        && matches!(
            e.kind(),
            io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
        )
}

/// The rule a failed handshake broke, from rustls's error.
fn handshake_rule(e: &io::Error) -> &'static str {
    use rustls::{CertificateError as C, Error as R};
    match e.get_ref().and_then(|i| i.downcast_ref::<R>()) {
        Some(R::NoCertificatesPresented) => "tls-no-client-certificate",
        Some(R::InvalidCertificate(C::Expired | C::ExpiredContext { .. })) => {
            "tls-certificate-expired"
        }
        Some(R::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. })) => {
            "tls-certificate-not-yet-valid"
        }
        Some(R::InvalidCertificate(C::UnknownIssuer)) => "tls-unknown-ca",
        Some(R::InvalidCertificate(C::Revoked)) => "tls-certificate-revoked",
        Some(R::InvalidCertificate(C::BadSignature)) => "tls-bad-signature",
        Some(R::InvalidCertificate(_)) => "tls-bad-certificate",
        _ => "tls-handshake",
    }
}

/// Accepted connections: TLS handshakes run in parallel (10 s each at most);
/// a refused handshake is logged with its reason and counted, and never reaches
/// the server. Without `tls` every connection is plain and warned about.
pub fn incoming(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    telemetry: Telemetry,
) -> ReceiverStream<io::Result<Conn>> {
    let (tx, rx) = mpsc::channel(64);
    let acceptor = tls.map(TlsAcceptor::from);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = tx.closed() => break,
            };
            let (tcp, addr) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            // A small reply must not wait for the client's delayed ACK (~40 ms).
            let _ = tcp.set_nodelay(true);
            let Some(acceptor) = acceptor.clone() else {
                tracing::warn!(peer = %addr, "plaintext connection (dev mode): not encrypted, not authenticated");
                let conn = Conn {
                    io: Io::Plain(tcp),
                    peer: Peer {
                        addr: Some(addr),
                        identity: None,
                    },
                };
                if tx.send(Ok(conn)).await.is_err() {
                    break;
                }
                continue;
            };
            let (tx, telemetry) = (tx.clone(), telemetry.clone());
            tokio::spawn(async move {
                let refuse = |rule: &str, why: String| {
                    tracing::warn!(peer = %addr, rule, reason = %why, "connection refused");
                    telemetry.refused(rule);
                };
                let stream = match tokio::time::timeout(
                    Duration::from_secs(10),
                    acceptor.accept(tcp),
                )
                .await
                {
                    Ok(Ok(s)) => s,
                    // A bare TCP probe (a load balancer's check, `federation
                    // up` waiting for the port) closes before saying anything.
                    Ok(Err(e)) if is_probe(&e) => {
                        tracing::debug!(peer = %addr, "closed before a TLS hello (a port probe)");
                        return;
                    }
                    Ok(Err(e)) => return refuse(handshake_rule(&e), e.to_string()),
                    Err(_) => return refuse("tls-timeout", "no handshake within 10 s".into()),
                };
                let leaf = stream
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first());
                let identity = match leaf.map(|c| wuji_pki::identity_of(c.as_ref())) {
                    Some(Ok(id)) => id,
                    Some(Err(e)) => return refuse("certificate-identity", e.to_string()),
                    None => return refuse("tls-no-client-certificate", "no certificate".into()),
                };
                tracing::debug!(peer = %addr, %identity, "TLS connection");
                let conn = Conn {
                    io: Io::Tls(Box::new(stream)),
                    peer: Peer {
                        addr: Some(addr),
                        identity: Some(identity),
                    },
                };
                let _ = tx.send(Ok(conn)).await;
            });
        }
    });
    ReceiverStream::new(rx)
}
