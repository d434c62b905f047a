//! Signed sections over real TLS: a province receives from a city (a relay) a
//! township's suggestion. The genuine one is stored; one the relay altered, one
//! it forged with its own key, one unsigned and one from a signer nobody
//! certified are refused section by section, counted, and nothing of them is
//! stored; a replayed older version of a summary is counted and leaves the
//! newer one in place. Nodes sign what they write and check what they receive,
//! so an ordinary two-level link carries signed sections end to end.

mod common;

use common::tls::*;
use common::*;
use std::collections::BTreeMap;
use wuji_crdt::{Hlc, Stamp, WriterId};
use wuji_division::Code;
use wuji_model::calendar::Calendar;
use wuji_model::suggestion::workflow::{self as wf, Draft};
use wuji_model::{Ctx, Record, RecordId, RecordKind, Rules};
use wuji_pki::{ClientRole, SignKey, Validity};
use wuji_proto::pb::{self, suggestions_client::SuggestionsClient};
use wuji_proto::{Signatures, record_to_signed_state, section_message};

const TOWN: u32 = 320_114_001;

/// A township's node identity: its certificate (DER) and signing key.
struct Signer {
    der: Vec<u8>,
    key: SignKey,
}

fn signer(pki: &Pki, code: &str) -> Signer {
    let tls = pki.node(code);
    let pem = std::fs::read_to_string(&tls.cert).unwrap();
    Signer {
        der: wuji_pki::pem_certs(&pem).unwrap().remove(0),
        key: SignKey::from_pem(&std::fs::read_to_string(&tls.sign_key).unwrap()).unwrap(),
    }
}

fn ctx<'a>(node: u32, tick: u64, rules: &'a Rules, cal: &'a Calendar) -> Ctx<'a> {
    Ctx {
        node: Code::from_value(node).unwrap(),
        at: Stamp::new(
            Hlc((1_780_000_000_000 + tick) << 16),
            WriterId::new(node, 0),
        ),
        today: jiff::civil::date(2026, 3, 2),
        rules,
        calendar: cal,
    }
}

/// A township suggestion titled `title`.
fn suggestion(title: &str, uuid: u128) -> Record {
    suggestion_at(title, uuid, 1)
}

/// [`suggestion`], written at `tick`.
fn suggestion_at(title: &str, uuid: u128, tick: u64) -> Record {
    let (rules, cal) = (Rules::default(), Calendar::builtin());
    let id = RecordId {
        kind: RecordKind::Suggestion,
        home: Code::from_value(TOWN).unwrap(),
        uuid: uuid::Uuid::from_u128(uuid),
    };
    let draft = Draft {
        lead: "YH-001".into(),
        title: title.into(),
        text: "居民出行不便".into(),
        ..Draft::default()
    };
    wf::submit(&ctx(TOWN, tick, &rules, &cal), id, &draft).unwrap()
}

/// [`suggestion`], escalated by the township to the city (so that the
/// province, the city's parent, is entitled to it under the default horizon).
fn escalated(title: &str, uuid: u128) -> Record {
    escalated_at(title, uuid, 1)
}

/// [`escalated`], written from `tick` on.
fn escalated_at(title: &str, uuid: u128, tick: u64) -> Record {
    let (rules, cal) = (Rules::default(), Calendar::builtin());
    let mut rec = suggestion_at(title, uuid, tick);
    let up = wf::escalate(
        &ctx(TOWN, tick + 1, &rules, &cal),
        &rec,
        Code::from_value(320_100).unwrap(),
        "上报",
    )
    .unwrap();
    wuji_crdt::Merge::merge(&mut rec, &up);
    rec
}

fn sign(rec: &Record, by: &SignKey) -> Signatures {
    rec.sections()
        .map(|(k, s)| (*k, by.sign(&section_message(rec.id, *k, s))))
        .collect()
}

async fn title_at(ep: &tonic::transport::Endpoint, uuid: u128) -> Option<String> {
    let id = Some(pb::RecordId {
        kind: 0,
        home: TOWN,
        uuid: uuid::Uuid::from_u128(uuid).as_bytes().to_vec(),
    });
    SuggestionsClient::new(ep.connect().await.unwrap())
        .get_suggestion(pb::Get { id })
        .await
        .ok()
        .and_then(|r| r.into_inner().view.get("title").cloned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_cannot_alter_forge_or_replay_a_townships_sections() {
    let pki = Pki::new();
    let (province, ep) = tls_node(&pki, "320000").await;
    let town = signer(&pki, "320114001");
    let city = signer(&pki, "320100");
    let city_tls = pki.node("320100"); // the relay's TLS identity (and a new key)
    let relay = (city_tls.cert.clone(), city_tls.key.clone());
    let via_city = |frames| {
        raw_link(
            &province.addr,
            "320000",
            &pki,
            &relay,
            (320_100, 320_000),
            frames,
        )
    };

    // Genuine: stored.
    let good = escalated("关于增设公交站点的建议", 1);
    let state = record_to_signed_state(&good, &sign(&good, &town.key));
    via_city(vec![batch(vec![state.clone()], vec![town.der.clone()])]).await;
    assert_eq!(
        title_at(&ep, 1).await.as_deref(),
        Some("关于增设公交站点的建议")
    );

    // Altered by the relay: the township's signature over another title.
    let genuine = suggestion("原标题", 2);
    let altered = suggestion("被改过的标题", 2);
    let altered_state = record_to_signed_state(&altered, &sign(&genuine, &town.key));
    // Forged: the relay signs a township section with its own key.
    let forged = suggestion("伪造", 3);
    let forged_state = record_to_signed_state(&forged, &sign(&forged, &city.key));
    // Unsigned.
    let unsigned = record_to_signed_state(&suggestion("无签名", 4), &BTreeMap::new());
    // Signed by a node whose certificate nobody sent (320114002's key).
    let stranger = signer(&pki, "320114002");
    let mut other = suggestion("陌生签名者", 5);
    other.id.home = Code::from_value(320_114_002).unwrap();
    let mut moved = Record::new(other.id);
    for (k, s) in other.sections() {
        moved.put(Code::from_value(320_114_002).unwrap(), s.clone());
        let _ = k;
    }
    let stranger_state = record_to_signed_state(&moved, &sign(&moved, &stranger.key));
    via_city(vec![batch(
        vec![altered_state, forged_state, unsigned, stranger_state],
        vec![],
    )])
    .await;
    for uuid in [2, 3, 4] {
        assert_eq!(
            title_at(&ep, uuid).await,
            None,
            "record {uuid} was not stored"
        );
    }
    let r = refusals(&ep).await;
    assert_eq!(r.get("bad-signature"), Some(&2), "{r:?}");
    assert_eq!(r.get("unsigned-section"), Some(&1), "{r:?}");
    assert_eq!(r.get("unknown-signer"), Some(&1), "{r:?}");

    // Replay: a township suggestion at version 2 (retitled later), then
    // version 1 again.
    let v1 = escalated_at("第一版", 6, 10);
    let v2 = escalated_at("第二版", 6, 20);
    let s2 = record_to_signed_state(&v2, &sign(&v2, &town.key));
    let s1 = record_to_signed_state(&v1, &sign(&v1, &town.key));
    via_city(vec![batch(vec![s2], vec![]), batch(vec![s1], vec![])]).await;
    assert_eq!(
        title_at(&ep, 6).await.as_deref(),
        Some("第二版"),
        "version 2 stays"
    );
    let st = pb::node_client::NodeClient::new(ep.connect().await.unwrap())
        .status(pb::StatusRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        st.refusals.get("replayed-older-section"),
        Some(&1),
        "{:?}",
        st.refusals
    );
    province.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_sign_what_they_write_and_their_parent_checks_it() {
    let pki = Pki::new();
    let city_tls = pki.node("320100");
    let city = TestNode::start("320100", |c| c.tls = Some(city_tls)).await;
    let county_tls = pki.node("320114");
    let addr = city.addr.clone();
    let county = tls_child(county_tls, "320114", "320100", &addr).await;
    let county_op = pki.client(ClientRole::Operator, "320114", Validity::days(1));
    let city_op = pki.client(ClientRole::Operator, "320100", Validity::days(1));
    let county_ep = endpoint(&county.addr, "320114", &pki.ca_path(), Some(&county_op));
    let city_ep = endpoint(&city.addr, "320100", &pki.ca_path(), Some(&city_op));
    for i in 0..20 {
        submit_via(&county_ep, &format!("区里的 {i}"))
            .await
            .unwrap();
    }
    eventually(
        "signed sections cross and pass the city's checks",
        || async { count(&city_ep).await == 20 },
    )
    .await;
    let r = refusals(&city_ep).await;
    assert!(r.is_empty(), "nothing refused on a genuine link: {r:?}");
    // The city holds the county's signatures: stop it and read its store.
    let dir = city.stop().await;
    let kv = wuji_store::SledKv::open(&dir.path().join("data"), 1 << 20).unwrap();
    let layout = wuji_store::Layout::open(std::sync::Arc::new(kv)).unwrap();
    let held = layout.records(&[2], None, 100).unwrap();
    assert_eq!(held.len(), 20);
    for s in held {
        for (k, _) in s.record.sections() {
            assert!(s.signatures.contains_key(k), "{k:?} is signed");
        }
    }
    county.stop().await;
}

/// A child writing a section it does not own: a township sends its county a
/// county-homed suggestion whose origin (the county's to write) it signed
/// itself, and another whose origin it claims as its own. The first fails the
/// signature check, the second the authority rules; nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_cannot_write_a_section_it_does_not_own() {
    let pki = Pki::new();
    let (county, ep) = tls_node(&pki, "320114").await;
    let town = signer(&pki, "320114001");
    let town_tls = pki.node("320114001");
    let id = (town_tls.cert.clone(), town_tls.key.clone());
    let (rules, cal) = (Rules::default(), Calendar::builtin());
    let county_code = Code::from_value(320_114).unwrap();
    let draft = Draft {
        lead: "P".into(),
        title: "区里的建议".into(),
        text: "x".into(),
        ..Draft::default()
    };
    let rid = |u: u128| RecordId {
        kind: RecordKind::Suggestion,
        home: county_code,
        uuid: uuid::Uuid::from_u128(u),
    };
    // The county's own origin section, signed by the township.
    let theirs = wf::submit(&ctx(320_114, 1, &rules, &cal), rid(7), &draft).unwrap();
    let s1 = record_to_signed_state(&theirs, &sign(&theirs, &town.key));
    // An origin section in the county's record under the township's name.
    let mut claimed = Record::new(rid(8));
    for (_, s) in wf::submit(&ctx(320_114, 1, &rules, &cal), rid(8), &draft)
        .unwrap()
        .sections()
    {
        claimed.put(Code::from_value(TOWN).unwrap(), s.clone());
    }
    let s2 = record_to_signed_state(&claimed, &sign(&claimed, &town.key));
    raw_link(
        &county.addr,
        "320114",
        &pki,
        &id,
        (TOWN, 320_114),
        vec![batch(vec![s1, s2], vec![town.der.clone()])],
    )
    .await;
    let r = refusals(&ep).await;
    assert_eq!(r.get("bad-signature"), Some(&1), "{r:?}");
    assert_eq!(r.get("section-refused"), Some(&1), "{r:?}");
    assert_eq!(count(&ep).await, 0, "nothing stored");
    county.stop().await;
}

/// A revoked node's certificate is not learned: its sections are refused as
/// from an unknown signer, however they arrive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_nodes_sections_are_refused() {
    let pki = Pki::new();
    let town = signer(&pki, "320114001");
    let crl = pki.dir.path().join("crl.pem");
    let serial = wuji_pki::serial_of(&town.der).unwrap();
    std::fs::write(&crl, pki.ca.revocation_list(&[serial], 1, 30).unwrap()).unwrap();
    let mut tls = pki.node("320114");
    tls.crl = Some(crl);
    let county = TestNode::start("320114", |c| c.tls = Some(tls)).await;
    let op = pki.client(ClientRole::Operator, "320114", Validity::days(1));
    let ep = endpoint(&county.addr, "320114", &pki.ca_path(), Some(&op));
    // Relayed by its sibling, whose own certificate is fine.
    let sibling = pki.node("320114002");
    let id = (sibling.cert.clone(), sibling.key.clone());
    let rec = suggestion("被吊销的镇", 9);
    let state = record_to_signed_state(&rec, &sign(&rec, &town.key));
    raw_link(
        &county.addr,
        "320114",
        &pki,
        &id,
        (320_114_002, 320_114),
        vec![batch(vec![state], vec![town.der.clone()])],
    )
    .await;
    let r = refusals(&ep).await;
    assert_eq!(r.get("bad-certificate"), Some(&1), "{r:?}");
    assert_eq!(r.get("unknown-signer"), Some(&1), "{r:?}");
    assert_eq!(count(&ep).await, 0);
    county.stop().await;
}
