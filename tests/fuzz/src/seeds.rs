//! The seed corpus: real inputs of every target, so the fuzzer starts from
//! what peers, clients and operators actually send. Records come from the
//! model's proptest strategies (every kind, every section), messages and stored
//! values are encoded by the same code the node uses, certificates are issued
//! by `wuji-pki`, configs and rosters are the project's own examples and test
//! fixtures.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use prost::Message;
use std::path::Path;
use wuji_division::Code;
use wuji_model::{Record, RecordKind};
use wuji_proto::pb;

fn records() -> Vec<Record> {
    let mut runner = TestRunner::deterministic();
    let mut out = Vec::new();
    for kind in [
        RecordKind::Deputy,
        RecordKind::Suggestion,
        RecordKind::Assignment,
        RecordKind::Supervision,
        RecordKind::Summary,
    ] {
        for _ in 0..4 {
            let tree = wuji_model::strategies::record(kind)
                .new_tree(&mut runner)
                .expect("a record");
            out.push(tree.current());
        }
    }
    out
}

/// Writes every seed under `dir/TARGET/`; returns how many files.
pub fn write(dir: &Path) -> std::io::Result<usize> {
    let mut n = 0;
    let mut put = |target: &str, name: &str, bytes: &[u8]| -> std::io::Result<()> {
        let d = dir.join(target);
        std::fs::create_dir_all(&d)?;
        std::fs::write(d.join(name), bytes)?;
        n += 1;
        Ok(())
    };
    let recs = records();
    let issued_ca = wuji_pki::new_ca("seed CA", wuji_pki::Validity::days(30)).expect("CA");
    let ca = wuji_pki::Ca::load(&issued_ca.cert_pem, &issued_ca.key_pem).expect("CA");
    let county = Code::parse("320114").expect("code");
    let node = ca
        .issue_node(county, wuji_pki::Validity::days(30))
        .expect("node");
    let client = ca
        .issue_client(
            "王芳",
            wuji_pki::ClientRole::Operator,
            county,
            wuji_pki::Validity::days(30),
        )
        .expect("client");
    let der = |pem: &str| wuji_pki::pem_certs(pem).expect("pem")[0].clone();
    let node_der = der(&node.cert_pem);

    // Records and their stored values.
    let layout =
        wuji_store::Layout::open(std::sync::Arc::new(wuji_store::MemKv::new())).expect("layout");
    for (i, r) in recs.iter().enumerate() {
        let state = wuji_proto::record_to_state(r);
        put(
            "record_state",
            &format!("record-{i}"),
            &state.encode_to_vec(),
        )?;
        let mut b = wuji_store::Batch::default();
        layout.put_record(&mut b, r, &Default::default(), i as u64 + 1, Some(county));
        layout.put_log(&mut b, i as u64 + 1, &[r.id], None, Vec::new());
        for (k, (_, v)) in b.puts.iter().enumerate() {
            put("stored_record", &format!("value-{i}-{k}"), v)?;
        }
    }

    // Link messages: a greeting, batches with certificates, a probe, an ack.
    use pb::sync_message::Msg;
    let hello = Msg::Hello(pb::Hello {
        protocol_version: wuji_proto::PROTOCOL_VERSION,
        min_protocol_version: 1,
        node: 320_114_001,
        parent: 320_114,
        resume_from: 7,
        software: "wuji 0.1.0".into(),
        incarnation: vec![1; 16],
        resume_incarnation: vec![2; 16],
        last_seq: 9,
        horizon: 1,
        now_ms: 1_796_000_000_000,
    });
    let batch = Msg::Batch(pb::Batch {
        from_seq: 0,
        to_seq: 20,
        records: recs.iter().map(wuji_proto::record_to_state).collect(),
        repair: false,
        certificates: vec![node_der.clone()],
    });
    let probe = Msg::Probe(pb::DigestProbe {
        scope: 320_114,
        ..Default::default()
    });
    let ack = Msg::Ack(pb::Ack { seq: 20 });
    for (i, m) in [hello, batch, probe, ack].into_iter().enumerate() {
        let msg = pb::SyncMessage { msg: Some(m) };
        put(
            "link_message",
            &format!("message-{i}"),
            &msg.encode_to_vec(),
        )?;
    }

    // Certificates: DER of a node, a client and the CA; PEM; a revocation list.
    put("certificate", "node.der", &node_der)?;
    put("certificate", "client.der", &der(&client.cert_pem))?;
    put("certificate", "ca.der", &der(&issued_ca.cert_pem))?;
    put("certificate", "node.pem", node.cert_pem.as_bytes())?;
    if let Ok(crl) = ca.revocation_list(&[wuji_pki::serial_of(&node_der).expect("serial")], 1, 30) {
        put("certificate", "crl.pem", crl.as_bytes())?;
    }

    // Configs: the examples for each level, one with variables.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for level in ["national", "province", "city", "county", "township"] {
        let text = std::fs::read(root.join(format!("config/{level}.toml")))?;
        put("config", &format!("{level}.toml"), &text)?;
    }
    put(
        "config",
        "with-env",
        b"[node]\ncode = \"320114\"\n---\nWUJI_SYNC_NARROW_ABOVE=10\nWUJI_NODE=320114\n",
    )?;

    // Rosters: the import fixtures (written by openpyxl, xlwt and Python's csv).
    let fixtures = root.join("crates/wuji/tests/fixtures");
    for (file, kind) in [
        ("roster.xlsx", 1u8),
        ("roster.xls", 2),
        ("roster-gbk.csv", 0),
        ("roster-gbk-bad.csv", 0),
    ] {
        let mut bytes = vec![kind];
        bytes.extend(std::fs::read(fixtures.join(file))?);
        put("roster_file", file, &bytes)?;
    }

    // API requests: call selector, record pick, request.
    let req = |call: u8, m: &dyn Fn() -> Vec<u8>| {
        let mut v = vec![call, 0];
        v.extend(m());
        v
    };
    let submit = pb::SubmitRequest {
        lead: "P-1".into(),
        title: "关于增设公交站点的建议".into(),
        text: "居民出行不便".into(),
        category: "交通".into(),
        ..Default::default()
    };
    put("api_request", "submit", &req(0, &|| submit.encode_to_vec()))?;
    let reg = pb::RegisterRequest {
        id: None,
        number: "雨2026-001".into(),
    };
    put("api_request", "register", &req(1, &|| reg.encode_to_vec()))?;
    let enrol = pb::EnrolRequest {
        person_id: "P-1".into(),
        name: "王芳".into(),
        term: 18,
        ..Default::default()
    };
    put("api_request", "enrol", &req(16, &|| enrol.encode_to_vec()))?;
    let issue = pb::IssueRequest {
        title: "代表接待日".into(),
        text: "每月16日".into(),
        targets: vec![320_114_001],
        due_on: "2026-12-31".into(),
    };
    put("api_request", "issue", &req(22, &|| issue.encode_to_vec()))?;
    put(
        "api_request",
        "list",
        &req(30, &|| {
            pb::ListSuggestionsRequest::default().encode_to_vec()
        }),
    )?;
    Ok(n)
}
