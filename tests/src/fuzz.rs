//! The fuzz targets: every decoder that a peer, a client or an operator's file
//! can reach, each a function of arbitrary bytes that must never panic, hang or
//! allocate without bound. The coverage-guided fuzzer (`tests/fuzz`, AFL++)
//! calls [`run`]; the test `fuzz_corpus` replays the seed corpus and every
//! input a fuzzer ever found (`tests/fuzz/regressions/`) through the same
//! functions on every CI run.

use prost::Message;
use std::sync::OnceLock;
use wuji_division::Code;
use wuji_model::{Record, Rules, authority, routing, summary};
use wuji_proto::pb;

/// Every target, by name (the folder names under `tests/fuzz/corpus/`).
pub const TARGETS: &[&str] = &[
    "api_request",
    "link_message",
    "record_state",
    "stored_record",
    "certificate",
    "config",
    "roster_file",
];

/// Runs one input through one target.
pub fn run(target: &str, data: &[u8]) {
    match target {
        "api_request" => api_request(data),
        "link_message" => link_message(data),
        "record_state" => record_state(data),
        "stored_record" => stored_record(data),
        "certificate" => certificate(data),
        "config" => config(data),
        "roster_file" => roster_file(data),
        other => panic!("no fuzz target {other}; targets: {TARGETS:?}"),
    }
}

/// What a node does with a record it decoded: authority, visibility, its
/// summary contribution and digest, and the canonical form being stable.
fn exercise(rec: &Record) {
    let rules = Rules::default();
    let applied = authority::apply(None, rec);
    for h in [routing::Horizon::All, routing::Horizon::Levels(1)] {
        let _ = routing::visible_to(&applied.record, rec.id.home, h);
        for c in [Code::NATIONAL, rec.id.home] {
            let _ = routing::for_recipient(rec, c, h);
        }
    }
    for c in [Code::NATIONAL, rec.id.home] {
        let _ = summary::contribution(rec, &rules, c);
    }
    let _ = wuji_proto::digest(rec);
    let again = wuji_proto::record_from_state(&wuji_proto::record_to_state(rec))
        .expect("a record this build encoded decodes");
    assert_eq!(&again, rec, "decode(encode(r)) == r");
}

/// A message on the link (`Sync.Link`): greeting, batches of signed record
/// states with certificates, probes, verdicts, acknowledgements.
fn link_message(data: &[u8]) {
    let Ok(m) = pb::SyncMessage::decode(data) else {
        return;
    };
    use pb::sync_message::Msg;
    match m.msg {
        Some(Msg::Hello(h)) => {
            let _ = Code::from_value(h.node);
            let _ = Code::from_value(h.parent);
        }
        Some(Msg::Batch(b)) => {
            for c in &b.certificates {
                let _ = wuji_pki::identity_of(c);
            }
            for s in &b.records {
                if let Ok((rec, _sigs)) = wuji_proto::record_from_signed_state(s) {
                    exercise(&rec);
                }
            }
        }
        Some(Msg::Probe(p)) => {
            let _ = Code::from_value(p.scope);
        }
        _ => {}
    }
}

/// A record state as the API returns it and a store keeps it.
fn record_state(data: &[u8]) {
    if let Ok(p) = pb::RecordState::decode(data)
        && let Ok(rec) = wuji_proto::record_from_state(&p)
    {
        exercise(&rec);
    }
}

/// A store whose values were damaged: a record, a log entry, a checkpoint, the
/// clock and a scope digest read back through the typed layout.
fn stored_record(data: &[u8]) {
    use wuji_store::{Batch, Kv, Layout, MemKv};
    let kv = std::sync::Arc::new(MemKv::new());
    let Ok(layout) = Layout::open(kv.clone()) else {
        return;
    };
    let home = Code::parse("320114").expect("code");
    let id = wuji_model::RecordId {
        kind: wuji_model::RecordKind::Suggestion,
        home,
        uuid: wuji_model::Uuid::from_u128(7),
    };
    let mut b = Batch::default();
    let mut key = vec![b'R'];
    key.extend_from_slice(&wuji_store::layout::record_key(&id));
    b.put(key, data.to_vec());
    let mut log = vec![b'L'];
    log.extend_from_slice(&1u64.to_be_bytes());
    b.put(log, data.to_vec());
    let mut cp = vec![b'C'];
    cp.extend_from_slice(&home.value().to_be_bytes());
    b.put(cp, data.to_vec());
    b.put(b"Mhlc".to_vec(), data.to_vec());
    let mut d = vec![b'D'];
    d.extend_from_slice(&home.value().to_be_bytes());
    d.push(1);
    b.put(d, data.to_vec());
    if kv.apply(b).is_err() {
        return;
    }
    if let Ok(Some(s)) = layout.record(&id) {
        exercise(&s.record);
    }
    let _ = layout.log_after(0, 16);
    let _ = layout.last_seq();
    let _ = layout.checkpoint(home);
    let _ = layout.meta(b"hlc");
    let _ = layout.scope_digest(home, Some(1));
    let _ = layout.scope_digest_of_kind(home, 1);
    let _ = layout.records(&[], None, 4);
}

/// The federation's test CA, made once per process.
fn ca() -> &'static (wuji_pki::Ca, Vec<u8>) {
    static CA: OnceLock<(wuji_pki::Ca, Vec<u8>)> = OnceLock::new();
    CA.get_or_init(|| {
        let issued = wuji_pki::new_ca("fuzz CA", wuji_pki::Validity::days(30)).expect("CA");
        let ca = wuji_pki::Ca::load(&issued.cert_pem, &issued.key_pem).expect("load");
        let der = wuji_pki::pem_certs(&issued.cert_pem).expect("pem")[0].clone();
        (ca, der)
    })
}

/// A certificate (DER) as a peer presents it in a batch or a handshake: its
/// wuji name, its signing key extension checked against the CA; a revocation
/// list; the same bytes as PEM text.
fn certificate(data: &[u8]) {
    let (_, ca_der) = ca();
    let _ = wuji_pki::identity_of(data);
    let _ = wuji_pki::serial_of(data);
    let _ = wuji_pki::node_key(data, std::slice::from_ref(ca_der));
    let _ = wuji_pki::revoked_serials(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = wuji_pki::pem_certs(text);
        let _ = wuji_pki::pem_crls(text);
        let _ = wuji_pki::SignKey::from_pem(text);
    }
}

/// A node's config file, with `WUJI_*` variables after a line `---`.
fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (file, env) = text.split_once("\n---\n").unwrap_or((text, ""));
    let env: Vec<(String, String)> = env
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let _ = wuji_node::Config::from_text(
        file,
        std::path::Path::new("/etc/wuji/wuji.toml"),
        env,
        &wuji_node::config::Overrides::default(),
    );
}

/// A roster file: the first byte picks the type, the rest is the file.
fn roster_file(data: &[u8]) {
    let Some((&kind, bytes)) = data.split_first() else {
        return;
    };
    let ext = ["csv", "xlsx", "xls", "ods"][usize::from(kind) % 4];
    let _ = wuji::roster_file::rows(ext, bytes.to_vec());
}

mod api;
pub use api::api_request;
