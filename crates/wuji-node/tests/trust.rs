//! Trust over real TLS sockets: every refusal is refused, counted by rule in
//! `Node.Status`, and stores nothing. A federation CA is made per test with
//! wuji-pki, like `wuji ca init` / `wuji ca issue` do.

mod common;

use common::tls::*;
use common::*;
use std::time::Duration;
use wuji_division::Code;
use wuji_model::routing::Horizon;
use wuji_pki::{ClientRole, Validity};
use wuji_proto::pb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_without_a_valid_certificate_or_beyond_their_role_are_refused_and_counted() {
    let pki = Pki::new();
    let (county, ok) = tls_node(&pki, "320114").await;

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
    // A certificate of this CA whose code is malformed, or that names no wuji identity.
    for uri in ["urn:wuji:client:3201149:operator", "https://example.org/"] {
        let odd = pki.odd_client(uri);
        let ep = endpoint(&county.addr, "320114", &pki.ca_path(), Some(&odd));
        assert!(submit_via(&ep, "怪证书").await.is_err(), "{uri}");
    }
    // A reader writing.
    let reader = pki.client(ClientRole::Reader, "320114", Validity::days(1));
    let ep = endpoint(&county.addr, "320114", &pki.ca_path(), Some(&reader));
    let e = submit_via(&ep, "只读").await.unwrap_err();
    assert_eq!(
        (e.code(), rule(&e).as_str()),
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
        "certificate-identity",
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_from_a_false_code_a_sibling_a_grandchild_or_a_client_are_refused_and_counted() {
    let pki = Pki::new();
    let city_tls = pki.node("320100");
    let city = TestNode::start("320100", |c| c.tls = Some(city_tls)).await;
    let county_tls = pki.node("320114");
    let (city_addr, county_addr_cfg) = (city.addr.clone(), city.addr.clone());
    let county = tls_child(county_tls, "320114", "320100", &county_addr_cfg).await;
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

    // A township node whose certificate is another township's: the node
    // refuses to start with it, and a greeting under the other code is refused.
    let liar = pki.node("320114003");
    let mut cfg = wuji_node::Config::new(Code::parse("320114002").unwrap());
    let dir = tempfile::tempdir().unwrap();
    cfg.node.data_dir = dir.path().join("data");
    cfg.tls = Some(liar.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let e = wuji_node::run(listener, cfg, async {}).await.unwrap_err();
    assert!(e.to_string().contains("certificate of 320114003"), "{e}");
    let liar_id = (liar.cert.clone(), liar.key.clone());
    assert_eq!(
        greet(&county.addr, "320114", &pki, &liar_id, 320_114_002, 320_114).await,
        "peer-certificate-code"
    );
    // A township that skips its county and dials the city.
    let skip_tls = pki.node("320114001");
    let skipper = tls_child(skip_tls, "320114001", "320100", &city_addr).await;
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
    for n in [skipper, county, city] {
        n.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_oversize_messages_on_a_link_are_refused_and_counted() {
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
    raw_link(
        &county.addr,
        "320114",
        &pki,
        &id,
        (320_114_001, 320_114),
        vec![vec![0xff; 16]],
    )
    .await;
    // Protobuf, but a record whose id names no congress.
    let bad = batch(
        vec![pb::RecordState {
            id: Some(pb::RecordId {
                kind: 2,
                home: 999,
                uuid: vec![1; 16],
            }),
            sections: vec![],
        }],
        vec![],
    );
    raw_link(
        &county.addr,
        "320114",
        &pki,
        &id,
        (320_114_001, 320_114),
        vec![bad],
    )
    .await;
    // Larger than the node takes.
    let big = batch(
        vec![pb::RecordState {
            id: None,
            sections: vec![pb::SectionEnvelope {
                signature: vec![7; 100 << 10],
                ..Default::default()
            }],
        }],
        vec![],
    );
    raw_link(
        &county.addr,
        "320114",
        &pki,
        &id,
        (320_114_001, 320_114),
        vec![big],
    )
    .await;
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

/// CA rotation: with old and new CA in one bundle, a node holding a new
/// certificate and one holding an old one link, sign and check each other,
/// and clients of either CA are served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_a_ca_rotation_old_and_new_certificates_work_side_by_side() {
    let old = Pki::named("old CA");
    let new = Pki::named("new CA");
    let bundle = new.dir.path().join("bundle.pem");
    let mut text = std::fs::read_to_string(old.ca_path()).unwrap();
    text.push_str(&std::fs::read_to_string(new.ca_path()).unwrap());
    std::fs::write(&bundle, text).unwrap();
    let mut city_tls = new.node("320100");
    city_tls.ca = bundle.clone();
    let city = TestNode::start("320100", |c| c.tls = Some(city_tls)).await;
    let mut county_tls = old.node("320114");
    county_tls.ca = bundle.clone();
    let addr = city.addr.clone();
    let county = tls_child(county_tls, "320114", "320100", &addr).await;
    let county_op = old.client(ClientRole::Operator, "320114", Validity::days(1));
    let city_reader = new.client(ClientRole::Reader, "320100", Validity::days(1));
    submit_via(
        &endpoint(&county.addr, "320114", &bundle, Some(&county_op)),
        "轮换中",
    )
    .await
    .unwrap();
    let city_ep = endpoint(&city.addr, "320100", &bundle, Some(&city_reader));
    eventually(
        "an old-CA county's signed suggestion reaches a new-CA city",
        || async { count(&city_ep).await == 1 },
    )
    .await;
    assert!(refusals(&city_ep).await.is_empty());
    county.stop().await;
    city.stop().await;
}

/// `sync.children` narrows who may link (only those listed) and is the one way
/// to let a node below link past a level that runs no node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_children_allow_list_narrows_links_and_admits_a_listed_skip() {
    let pki = Pki::new();
    let tls = pki.node("320114");
    let county = TestNode::start("320114", |c| {
        c.tls = Some(tls);
        c.sync.children = vec![Code::parse("320114002").unwrap()];
    })
    .await;
    let a = pki.node("320114001");
    let b = pki.node("320114002");
    let (a, b) = ((a.cert, a.key), (b.cert, b.key));
    assert_eq!(
        greet(&county.addr, "320114", &pki, &a, 320_114_001, 320_114).await,
        "peer-is-child"
    );
    let listed = greet(&county.addr, "320114", &pki, &b, 320_114_002, 320_114).await;
    assert!(
        listed.contains("Hello"),
        "a listed child is greeted: {listed}"
    );
    // A skip past a level needs a horizon that carries its records that far.
    let tls = pki.node("320100");
    let city = TestNode::start("320100", |c| {
        c.tls = Some(tls);
        c.sync.children = vec![Code::parse("320114001").unwrap()];
    })
    .await;
    let skip = greet(&city.addr, "320100", &pki, &a, 320_114_001, 320_100).await;
    assert_eq!(skip, "horizon-skips-level", "under the default horizon");
    city.stop().await;
    let tls = pki.node("320100");
    let city = TestNode::start("320100", |c| {
        c.tls = Some(tls);
        c.sync.children = vec![Code::parse("320114001").unwrap()];
        c.sync.horizon = Horizon::Levels(2);
    })
    .await;
    let two = Horizon::Levels(2);
    let skip = greet_with(&city.addr, "320100", &pki, &a, (320_114_001, 320_100), two).await;
    assert!(
        skip.contains("Hello"),
        "a listed township may skip its county with sync.horizon = 2: {skip}"
    );
    let one = greet_with(
        &city.addr,
        "320100",
        &pki,
        &a,
        (320_114_001, 320_100),
        Horizon::All,
    )
    .await;
    assert_eq!(one, "horizon", "a peer stating another horizon is refused");
    county.stop().await;
    city.stop().await;
}

/// A certificate on the revocation list (`[tls] crl`) is refused at the
/// handshake; others of the same CA are served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_certificate_is_refused_at_the_handshake() {
    let pki = Pki::new();
    let revoked = pki.client(ClientRole::Operator, "320114", Validity::days(1));
    let serial = wuji_pki::serial_of(
        &wuji_pki::pem_certs(&std::fs::read_to_string(&revoked.0).unwrap())
            .unwrap()
            .remove(0),
    )
    .unwrap();
    let crl = pki.dir.path().join("crl.pem");
    std::fs::write(&crl, pki.ca.revocation_list(&[serial], 1, 30).unwrap()).unwrap();
    let mut tls = pki.node("320114");
    tls.crl = Some(crl);
    let county = TestNode::start("320114", |c| c.tls = Some(tls)).await;
    let bad = endpoint(&county.addr, "320114", &pki.ca_path(), Some(&revoked));
    assert!(submit_via(&bad, "已吊销").await.is_err());
    let good = pki.client(ClientRole::Operator, "320114", Validity::days(1));
    let ok = endpoint(&county.addr, "320114", &pki.ca_path(), Some(&good));
    submit_via(&ok, "正常").await.unwrap();
    assert_eq!(count(&ok).await, 1);
    let r = refusals(&ok).await;
    // At least once: a client may try its connection more than once.
    assert!(
        r.get("tls-certificate-revoked").copied().unwrap_or(0) >= 1,
        "{r:?}"
    );
    county.stop().await;
}

/// A child checks its parent's certificate against the revocation list too:
/// with the parent's certificate revoked, nothing crosses the link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_refuses_a_parent_whose_certificate_is_revoked() {
    let pki = Pki::new();
    let city_tls = pki.node("320100");
    let serial = wuji_pki::serial_of(
        &wuji_pki::pem_certs(&std::fs::read_to_string(&city_tls.cert).unwrap())
            .unwrap()
            .remove(0),
    )
    .unwrap();
    let crl = pki.dir.path().join("crl.pem");
    std::fs::write(&crl, pki.ca.revocation_list(&[serial], 1, 30).unwrap()).unwrap();
    let city = TestNode::start("320100", |c| c.tls = Some(city_tls)).await;
    let mut county_tls = pki.node("320114");
    county_tls.crl = Some(crl);
    let addr = city.addr.clone();
    let county = tls_child(county_tls, "320114", "320100", &addr).await;
    let county_op = pki.client(ClientRole::Operator, "320114", Validity::days(1));
    let city_op = pki.client(ClientRole::Operator, "320100", Validity::days(1));
    submit_via(
        &endpoint(&county.addr, "320114", &pki.ca_path(), Some(&county_op)),
        "不该上传",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let city_ep = endpoint(&city.addr, "320100", &pki.ca_path(), Some(&city_op));
    assert_eq!(count(&city_ep).await, 0, "nothing reached a revoked parent");
    let st = pb::node_client::NodeClient::new(county.channel.clone())
        .status(pb::StatusRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(
        st.links.iter().all(|l| !l.connected),
        "no link up: {:?}",
        st.links
    );
    county.stop().await;
    city.stop().await;
}
