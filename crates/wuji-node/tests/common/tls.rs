//! Mutual TLS for tests: a CA per test (as `wuji ca init` / `issue` make),
//! endpoints with or without a client certificate, raw link streams.

use std::path::PathBuf;
use std::time::Duration;
use tokio_stream::StreamExt;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};
use wuji_division::Code;
use wuji_node::config::TlsConfig;
use wuji_pki::{Ca, ClientRole, Issued, Validity};
use wuji_proto::pb::{
    self, node_client::NodeClient, suggestions_client::SuggestionsClient, sync_client::SyncClient,
    sync_message::Msg,
};

/// A CA and the files it issued, in a temporary directory.
pub struct Pki {
    pub dir: tempfile::TempDir,
    pub ca: Ca,
}

impl Pki {
    pub fn new() -> Pki {
        Pki::named("test CA")
    }

    pub fn named(name: &str) -> Pki {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let issued = wuji_pki::new_ca(name, Validity::days(30)).unwrap();
        std::fs::write(dir.path().join("ca.pem"), &issued.cert_pem).unwrap();
        std::fs::write(dir.path().join("ca.key"), &issued.key_pem).unwrap();
        let ca = Ca::load(&issued.cert_pem, &issued.key_pem).unwrap();
        Pki { dir, ca }
    }

    /// A client certificate signed by this CA naming `uri` (any text), as a
    /// careless or hostile issuer might make one.
    pub fn odd_client(&self, uri: &str) -> (PathBuf, PathBuf) {
        let read = |f: &str| std::fs::read_to_string(self.dir.path().join(f)).unwrap();
        let issuer = rcgen::Issuer::from_ca_cert_pem(
            &read("ca.pem"),
            rcgen::KeyPair::from_pem(&read("ca.key")).unwrap(),
        )
        .unwrap();
        let mut p = rcgen::CertificateParams::default();
        p.subject_alt_names = vec![rcgen::SanType::URI(uri.try_into().unwrap())];
        p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, &issuer).unwrap();
        let stem = format!("odd-{}", uri.len());
        self.write(
            &stem,
            &Issued {
                cert_pem: cert.pem(),
                key_pem: key.serialize_pem(),
                sign_key_pem: None,
            },
        )
    }

    pub fn ca_path(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    pub fn write(&self, stem: &str, i: &Issued) -> (PathBuf, PathBuf) {
        let (c, k) = (
            self.dir.path().join(format!("{stem}.pem")),
            self.dir.path().join(format!("{stem}.key")),
        );
        std::fs::write(&c, &i.cert_pem).unwrap();
        std::fs::write(&k, &i.key_pem).unwrap();
        (c, k)
    }

    /// A node's TLS config with a certificate naming `cert_code`.
    pub fn node(&self, cert_code: &str) -> TlsConfig {
        let code = Code::parse(cert_code).unwrap();
        let issued = self.ca.issue_node(code, Validity::days(1)).unwrap();
        let (cert, key) = self.write(&format!("node-{code}"), &issued);
        let sign_key = self.dir.path().join(format!("node-{code}.sign.key"));
        std::fs::write(&sign_key, issued.sign_key_pem.unwrap()).unwrap();
        TlsConfig {
            ca: self.ca_path(),
            cert,
            key,
            sign_key,
            crl: None,
        }
    }

    pub fn client(&self, role: ClientRole, node: &str, validity: Validity) -> (PathBuf, PathBuf) {
        let n = Code::parse(node).unwrap();
        let stem = format!(
            "client-{node}-{}-{}",
            role.as_str(),
            validity.not_after.unix_timestamp()
        );
        self.write(
            &stem,
            &self.ca.issue_client("测试", role, n, validity).unwrap(),
        )
    }
}

/// An endpoint to `addr` checking the server is `server`, with `ca` as trust
/// and `identity` (certificate, key) as the client's, if any.
pub fn endpoint(
    addr: &str,
    server: &str,
    ca: &PathBuf,
    identity: Option<&(PathBuf, PathBuf)>,
) -> Endpoint {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(std::fs::read(ca).unwrap()))
        .domain_name(format!("node-{server}.wuji"));
    if let Some((c, k)) = identity {
        tls = tls.identity(Identity::from_pem(
            std::fs::read(c).unwrap(),
            std::fs::read(k).unwrap(),
        ));
    }
    Endpoint::from_shared(format!("https://{addr}"))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
}

pub async fn submit_via(ep: &Endpoint, title: &str) -> Result<String, tonic::Status> {
    let ch = ep
        .connect()
        .await
        .map_err(|e| tonic::Status::unavailable(format!("{e:?}")))?;
    // The lead must be a deputy of the node: enrol P first (a caller refused
    // here is refused for the same reason as the submission would be).
    let enrolled = wuji_proto::pb::deputies_client::DeputiesClient::new(ch.clone())
        .enrol(pb::EnrolRequest {
            person_id: "P".into(),
            name: "代表P".into(),
            term: 14,
            ..Default::default()
        })
        .await;
    if let Err(e) = enrolled
        && wuji_proto::error_detail(&e).is_none_or(|d| d.rule != "person-id-unique")
    {
        return Err(e);
    }
    let r = SuggestionsClient::new(ch)
        .submit(pb::SubmitRequest {
            lead: "P".into(),
            title: title.into(),
            text: "x".into(),
            ..Default::default()
        })
        .await?;
    Ok(r.into_inner().view["id"].clone())
}

pub async fn count(ep: &Endpoint) -> usize {
    SuggestionsClient::new(ep.connect().await.unwrap())
        .list_suggestions(pb::ListSuggestionsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .records
        .len()
}

pub async fn refusals(ep: &Endpoint) -> std::collections::BTreeMap<String, u64> {
    NodeClient::new(ep.connect().await.unwrap())
        .status(pb::StatusRequest::default())
        .await
        .unwrap()
        .into_inner()
        .refusals
}

/// The rule of a refusal, from its `ErrorDetail` (checked like [`super::code_of`]).
pub fn rule(s: &tonic::Status) -> String {
    super::detail_rule(s)
}

/// Dials `addr`'s Sync.Link with `identity`, greets as `node` naming `parent`,
/// and returns the refusal rule the peer answers with (or the stream error).
pub async fn greet(
    addr: &str,
    server: &str,
    pki: &Pki,
    identity: &(PathBuf, PathBuf),
    node: u32,
    parent: u32,
) -> String {
    let horizon = wuji_model::routing::Horizon::default();
    greet_with(addr, server, pki, identity, (node, parent), horizon).await
}

/// [`greet`], stating `horizon` in the hello.
pub async fn greet_with(
    addr: &str,
    server: &str,
    pki: &Pki,
    identity: &(PathBuf, PathBuf),
    (node, parent): (u32, u32),
    horizon: wuji_model::routing::Horizon,
) -> String {
    let ch = endpoint(addr, server, &pki.ca_path(), Some(identity))
        .connect()
        .await
        .unwrap();
    let hello = pb::SyncMessage {
        msg: Some(Msg::Hello(pb::Hello {
            protocol_version: 1,
            min_protocol_version: 1,
            node,
            parent,
            horizon: horizon.to_wire(),
            ..Default::default()
        })),
    };
    let out = tokio_stream::iter(vec![hello]).chain(tokio_stream::pending());
    let mut inbound = match SyncClient::new(ch).link(out).await {
        Ok(r) => r.into_inner(),
        Err(e) => return rule(&e).to_string(),
    };
    match tokio::time::timeout(Duration::from_secs(10), inbound.next()).await {
        Ok(Some(Ok(pb::SyncMessage {
            msg: Some(Msg::Refusal(r)),
        }))) => r.rule,
        Ok(Some(Err(e))) => rule(&e).to_string(),
        other => format!("not refused: {other:?}"),
    }
}

/// Frames raw bytes as gRPC messages, to send what protobuf cannot decode.
#[derive(Clone, Default)]
pub struct Raw;

impl tonic::codec::Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Raw;
    type Decoder = Raw;
    fn encoder(&mut self) -> Raw {
        Raw
    }
    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl tonic::codec::Encoder for Raw {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(
        &mut self,
        item: Vec<u8>,
        dst: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        use bytes::BufMut;
        dst.put_slice(&item);
        Ok(())
    }
}

impl tonic::codec::Decoder for Raw {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(
        &mut self,
        src: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<Vec<u8>>, tonic::Status> {
        use bytes::Buf;
        let mut v = vec![0; src.remaining()];
        src.copy_to_slice(&mut v);
        Ok(Some(v))
    }
}

/// Sends `frames` on a raw Sync.Link to `server` at `addr` with the node
/// certificate `id`, after greeting as `(node, parent)`; waits for the link to
/// end (or 10 s).
pub async fn raw_link(
    addr: &str,
    server: &str,
    pki: &Pki,
    id: &(PathBuf, PathBuf),
    (node, parent): (u32, u32),
    frames: Vec<Vec<u8>>,
) {
    use prost::Message;
    let ch = endpoint(addr, server, &pki.ca_path(), Some(id))
        .connect()
        .await
        .unwrap();
    let hello = pb::SyncMessage {
        msg: Some(Msg::Hello(pb::Hello {
            protocol_version: 1,
            min_protocol_version: 1,
            node,
            parent,
            horizon: wuji_model::routing::Horizon::default().to_wire(),
            ..Default::default()
        })),
    }
    .encode_to_vec();
    let frames_sent = frames.len();
    let mut all = vec![hello];
    all.extend(frames);
    let out = tokio_stream::iter(all).chain(tokio_stream::pending());
    let mut grpc = tonic::client::Grpc::new(ch);
    grpc.ready().await.unwrap();
    let path = tonic::codegen::http::uri::PathAndQuery::from_static("/wuji.v1.Sync/Link");
    if let Ok(r) = grpc.streaming(tonic::Request::new(out), path, Raw).await {
        // Until every batch is answered (acknowledged or refused) or the link ends.
        let mut inbound = r.into_inner();
        let _ = tokio::time::timeout(Duration::from_secs(10), async {
            let mut answered = 0;
            while let Some(Ok(bytes)) = inbound.next().await {
                match pb::SyncMessage::decode(bytes.as_slice()).map(|m| m.msg) {
                    Ok(Some(Msg::Ack(_))) => answered += 1,
                    Ok(Some(Msg::Refusal(_))) => return,
                    _ => {}
                }
                if answered >= frames_sent {
                    return;
                }
            }
        })
        .await;
    }
}

/// A lazy channel to the node `code` at `addr` as its operator, with a client
/// certificate issued by the CA whose files (ca.pem, ca.key) sit beside
/// `tls.ca` (as `Pki` writes them).
pub fn operator_channel(tls: &TlsConfig, code: &str, addr: &str) -> tonic::transport::Channel {
    let dir = tls.ca.parent().unwrap();
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let ca = Ca::load(&read("ca.pem"), &read("ca.key")).unwrap();
    let i = ca
        .issue_client(
            "test operator",
            ClientRole::Operator,
            Code::parse(code).unwrap(),
            Validity::days(1),
        )
        .unwrap();
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(read("ca.pem")))
        .identity(Identity::from_pem(i.cert_pem, i.key_pem))
        .domain_name(format!("node-{code}.wuji"));
    Endpoint::from_shared(format!("https://{addr}"))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect_lazy()
}

/// A node `code` with mutual TLS from `pki`, and an endpoint to it as its operator.
pub async fn tls_node(pki: &Pki, code: &str) -> (super::TestNode, Endpoint) {
    let tls = pki.node(code);
    let node = super::TestNode::start(code, |c| c.tls = Some(tls)).await;
    let op = pki.client(ClientRole::Operator, code, Validity::days(1));
    let ep = endpoint(&node.addr, code, &pki.ca_path(), Some(&op));
    (node, ep)
}

/// A link `Batch` (seq 0..1) of `records` and `certificates`, encoded.
pub fn batch(records: Vec<pb::RecordState>, certificates: Vec<Vec<u8>>) -> Vec<u8> {
    use prost::Message;
    pb::SyncMessage {
        msg: Some(Msg::Batch(pb::Batch {
            from_seq: 0,
            to_seq: 1,
            records,
            repair: false,
            certificates,
        })),
    }
    .encode_to_vec()
}

/// A node `code` with the TLS files `tls`, whose parent `parent_code` is at `parent_addr`.
pub async fn tls_child(
    tls: TlsConfig,
    code: &str,
    parent_code: &str,
    parent_addr: &str,
) -> super::TestNode {
    tls_child_with(tls, code, parent_code, parent_addr, |_| {}).await
}

/// [`tls_child`] with the config adjusted.
pub async fn tls_child_with(
    tls: TlsConfig,
    code: &str,
    parent_code: &str,
    parent_addr: &str,
    adjust: impl FnOnce(&mut wuji_node::Config),
) -> super::TestNode {
    let (pc, addr) = (
        wuji_division::Code::parse(parent_code).unwrap(),
        parent_addr.to_string(),
    );
    super::TestNode::start(code, move |c| {
        c.tls = Some(tls);
        c.parent = Some(wuji_node::config::ParentConfig { code: pc, addr });
        adjust(c);
    })
    .await
}
