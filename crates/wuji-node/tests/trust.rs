//! Trust over real TLS sockets: every refusal is refused, counted by rule in
//! `Node.Status`, and stores nothing. A federation CA is made per test with
//! wuji-pki, like `wuji ca init` / `wuji ca issue` do.

mod common;

use common::*;
use std::path::PathBuf;
use std::time::Duration;
use tokio_stream::StreamExt;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};
use wuji_division::Code;
use wuji_node::config::{ParentConfig, TlsConfig};
use wuji_pki::{Ca, ClientRole, Issued, Validity};
use wuji_proto::pb::{
    self, node_client::NodeClient, suggestions_client::SuggestionsClient, sync_client::SyncClient,
    sync_message::Msg,
};

/// A CA and the files it issued, in a temporary directory.
struct Pki {
    dir: tempfile::TempDir,
    ca: Ca,
}

impl Pki {
    fn new() -> Pki {
        Pki::named("test CA")
    }

    fn named(name: &str) -> Pki {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let issued = wuji_pki::new_ca(name, Validity::days(30)).unwrap();
        std::fs::write(dir.path().join("ca.pem"), &issued.cert_pem).unwrap();
        let ca = Ca::load(&issued.cert_pem, &issued.key_pem).unwrap();
        Pki { dir, ca }
    }

    fn ca_path(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn write(&self, stem: &str, i: &Issued) -> (PathBuf, PathBuf) {
        let (c, k) = (
            self.dir.path().join(format!("{stem}.pem")),
            self.dir.path().join(format!("{stem}.key")),
        );
        std::fs::write(&c, &i.cert_pem).unwrap();
        std::fs::write(&k, &i.key_pem).unwrap();
        (c, k)
    }

    /// A node's TLS config with a certificate naming `cert_code`.
    fn node(&self, cert_code: &str) -> TlsConfig {
        let code = Code::parse(cert_code).unwrap();
        let (cert, key) = self.write(
            &format!("node-{code}"),
            &self.ca.issue_node(code, Validity::days(1)).unwrap(),
        );
        TlsConfig {
            ca: self.ca_path(),
            cert,
            key,
        }
    }

    fn client(&self, role: ClientRole, node: &str, validity: Validity) -> (PathBuf, PathBuf) {
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
fn endpoint(
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

async fn submit_via(ep: &Endpoint, title: &str) -> Result<String, tonic::Status> {
    let ch = ep
        .connect()
        .await
        .map_err(|e| tonic::Status::unavailable(format!("{e:?}")))?;
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

async fn count(ep: &Endpoint) -> usize {
    SuggestionsClient::new(ep.connect().await.unwrap())
        .list_suggestions(pb::ListSuggestionsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .records
        .len()
}

async fn refusals(ep: &Endpoint) -> std::collections::BTreeMap<String, u64> {
    NodeClient::new(ep.connect().await.unwrap())
        .status(pb::StatusRequest {})
        .await
        .unwrap()
        .into_inner()
        .refusals
}

fn rule(s: &tonic::Status) -> &str {
    s.metadata()
        .get("wuji-rule")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_without_a_valid_certificate_or_beyond_their_role_are_refused_and_counted() {
    let pki = Pki::new();
    let tls = pki.node("320114");
    let county = TestNode::start("320114", |c| c.tls = Some(tls)).await;
    let op = pki.client(ClientRole::Operator, "320114", Validity::days(1));
    let ok = endpoint(&county.addr, "320114", &pki.ca_path(), Some(&op));

    // No client certificate.
    let none = endpoint(&county.addr, "320114", &pki.ca_path(), None);
    assert!(submit_via(&none, "无证书").await.is_err());
    // A certificate from another federation's CA.
    let other = Pki::named("another federation's CA");
    let foreign = other.client(ClientRole::Operator, "320114", Validity::days(1));
    let ep = endpoint(&county.addr, "320114", &pki.ca_path(), Some(&foreign));
    assert!(submit_via(&ep, "外来证书").await.is_err());
    // An expired certificate.
    let now = time::OffsetDateTime::now_utc();
    let old = Validity {
        not_before: now - time::Duration::days(10),
        not_after: now - time::Duration::days(1),
    };
    let expired = pki.client(ClientRole::Operator, "320114", old);
    let ep = endpoint(&county.addr, "320114", &pki.ca_path(), Some(&expired));
    assert!(submit_via(&ep, "过期证书").await.is_err());
    // A reader writing.
    let reader = pki.client(ClientRole::Reader, "320114", Validity::days(1));
    let ep = endpoint(&county.addr, "320114", &pki.ca_path(), Some(&reader));
    let e = submit_via(&ep, "只读").await.unwrap_err();
    assert_eq!(
        (e.code(), rule(&e)),
        (tonic::Code::PermissionDenied, "reader-may-not-write")
    );
    assert_eq!(count(&ep).await, 0, "a reader reads");
    // An operator of another node.
    let elsewhere = pki.client(ClientRole::Operator, "320115", Validity::days(1));
    let ep = endpoint(&county.addr, "320114", &pki.ca_path(), Some(&elsewhere));
    let e = submit_via(&ep, "别处").await.unwrap_err();
    assert_eq!(rule(&e), "client-for-another-node");

    // Nothing was stored; each refusal is counted under its rule.
    assert_eq!(count(&ok).await, 0);
    let r = refusals(&ok).await;
    for want in [
        "tls-no-client-certificate",
        "tls-unknown-ca",
        "tls-certificate-expired",
        "reader-may-not-write",
        "client-for-another-node",
    ] {
        assert!(
            r.get(want).copied().unwrap_or(0) >= 1,
            "{want} not counted: {r:?}"
        );
    }
    // The operator of this node writes.
    submit_via(&ok, "正常").await.unwrap();
    assert_eq!(count(&ok).await, 1);
    county.stop().await;
}

/// Dials `addr`'s Sync.Link with `identity`, greets as `node` naming `parent`,
/// and returns the refusal rule the peer answers with (or the stream error).
async fn greet(
    addr: &str,
    server: &str,
    pki: &Pki,
    identity: &(PathBuf, PathBuf),
    node: u32,
    parent: u32,
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_from_a_false_code_a_sibling_a_grandchild_or_a_client_are_refused_and_counted() {
    let pki = Pki::new();
    let city_tls = pki.node("320100");
    let city = TestNode::start("320100", |c| c.tls = Some(city_tls)).await;
    let county_tls = pki.node("320114");
    let (city_addr, county_addr_cfg) = (city.addr.clone(), city.addr.clone());
    let county = TestNode::start("320114", |c| {
        c.tls = Some(county_tls);
        c.parent = Some(ParentConfig {
            code: "320100".into(),
            addr: county_addr_cfg,
        });
    })
    .await;
    let city_op = pki.client(ClientRole::Operator, "320100", Validity::days(1));
    let county_op = pki.client(ClientRole::Operator, "320114", Validity::days(1));
    let city_ep = endpoint(&city.addr, "320100", &pki.ca_path(), Some(&city_op));
    let county_ep = endpoint(&county.addr, "320114", &pki.ca_path(), Some(&county_op));
    // The legitimate link works over TLS.
    submit_via(&county_ep, "区里的").await.unwrap();
    eventually(
        "the county's suggestion reaches the city over TLS",
        || async { count(&city_ep).await == 1 },
    )
    .await;

    // A township node whose certificate is another township's.
    let liar = pki.node("320114003");
    let town = TestNode::start("320114002", |c| {
        c.tls = Some(liar);
        c.parent = Some(ParentConfig {
            code: "320114".into(),
            addr: county.addr.clone(),
        });
    })
    .await;
    let town_op = pki.client(ClientRole::Operator, "320114002", Validity::days(1));
    submit_via(
        &endpoint(&town.addr, "320114003", &pki.ca_path(), Some(&town_op)),
        "冒名",
    )
    .await
    .unwrap();
    // A township that skips its county and dials the city.
    let skip_tls = pki.node("320114001");
    let skipper = TestNode::start("320114001", |c| {
        c.tls = Some(skip_tls);
        c.parent = Some(ParentConfig {
            code: "320100".into(),
            addr: city_addr.clone(),
        });
    })
    .await;
    let skip_op = pki.client(ClientRole::Operator, "320114001", Validity::days(1));
    submit_via(
        &endpoint(&skipper.addr, "320114001", &pki.ca_path(), Some(&skip_op)),
        "越级",
    )
    .await
    .unwrap();
    eventually(
        "the false code and the skipped level are refused",
        || async {
            let c = refusals(&county_ep).await;
            let y = refusals(&city_ep).await;
            c.get("peer-certificate-code").copied().unwrap_or(0) >= 1
                && y.get("peer-is-child").copied().unwrap_or(0) >= 1
        },
    )
    .await;
    // A sibling county dialing this county, and a client certificate on the link.
    let sibling = pki.node("320115");
    let sib = (sibling.cert.clone(), sibling.key.clone());
    assert_eq!(
        greet(&county.addr, "320114", &pki, &sib, 320_115, 320_114).await,
        "peer-inside-region"
    );
    assert_eq!(
        greet(
            &county.addr,
            "320114",
            &pki,
            &county_op,
            320_114_001,
            320_114
        )
        .await,
        "link-needs-node-certificate"
    );
    let c = refusals(&county_ep).await;
    assert!(
        c.get("peer-inside-region").copied().unwrap_or(0) >= 1,
        "{c:?}"
    );
    assert!(
        c.get("link-needs-node-certificate").copied().unwrap_or(0) >= 1,
        "{c:?}"
    );
    // Nothing of theirs was stored above.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(count(&county_ep).await, 1, "only the county's own");
    assert_eq!(count(&city_ep).await, 1, "only the county's");
    for n in [skipper, town, county, city] {
        n.stop().await;
    }
}

/// Frames raw bytes as gRPC messages, to send what protobuf cannot decode.
#[derive(Clone, Default)]
struct Raw;

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

/// Sends `frames` on a raw Sync.Link from the township 320114001's node
/// certificate, after a proper greeting; waits for the link to end.
async fn raw_link(addr: &str, pki: &Pki, id: &(PathBuf, PathBuf), frames: Vec<Vec<u8>>) {
    use prost::Message;
    let ch = endpoint(addr, "320114", &pki.ca_path(), Some(id))
        .connect()
        .await
        .unwrap();
    let hello = pb::SyncMessage {
        msg: Some(Msg::Hello(pb::Hello {
            protocol_version: 1,
            min_protocol_version: 1,
            node: 320_114_001,
            parent: 320_114,
            ..Default::default()
        })),
    }
    .encode_to_vec();
    let mut all = vec![hello];
    all.extend(frames);
    let out = tokio_stream::iter(all).chain(tokio_stream::pending());
    let mut grpc = tonic::client::Grpc::new(ch);
    grpc.ready().await.unwrap();
    let path = tonic::codegen::http::uri::PathAndQuery::from_static("/wuji.v1.Sync/Link");
    if let Ok(r) = grpc.streaming(tonic::Request::new(out), path, Raw).await {
        let mut inbound = r.into_inner();
        let _ = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(Ok(_)) = inbound.next().await {}
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_oversize_messages_on_a_link_are_refused_and_counted() {
    use prost::Message;
    let pki = Pki::new();
    let tls = pki.node("320114");
    let county = TestNode::start("320114", |c| {
        c.tls = Some(tls);
        c.api.max_message_bytes = 64 << 10;
    })
    .await;
    let op = pki.client(ClientRole::Operator, "320114", Validity::days(1));
    let ep = endpoint(&county.addr, "320114", &pki.ca_path(), Some(&op));
    let town = pki.node("320114001");
    let id = (town.cert, town.key);
    // Not protobuf at all.
    raw_link(&county.addr, &pki, &id, vec![vec![0xff; 16]]).await;
    // Protobuf, but a record whose id names no congress.
    let bad = pb::SyncMessage {
        msg: Some(Msg::Batch(pb::Batch {
            from_seq: 0,
            to_seq: 1,
            records: vec![pb::RecordState {
                id: Some(pb::RecordId {
                    kind: 2,
                    home: 999,
                    uuid: vec![1; 16],
                }),
                sections: vec![],
            }],
            repair: false,
        })),
    };
    raw_link(&county.addr, &pki, &id, vec![bad.encode_to_vec()]).await;
    // Larger than the node takes.
    let big = pb::SyncMessage {
        msg: Some(Msg::Batch(pb::Batch {
            from_seq: 0,
            to_seq: 1,
            records: vec![pb::RecordState {
                id: None,
                sections: vec![pb::SectionEnvelope {
                    signature: vec![7; 100 << 10],
                    ..Default::default()
                }],
            }],
            repair: false,
        })),
    };
    raw_link(&county.addr, &pki, &id, vec![big.encode_to_vec()]).await;
    eventually("each is counted", || async {
        let r = refusals(&ep).await;
        ["malformed-message", "malformed-record", "message-too-large"]
            .iter()
            .all(|k| r.get(*k).copied().unwrap_or(0) >= 1)
    })
    .await;
    assert_eq!(count(&ep).await, 0, "nothing stored");
    county.stop().await;
}
