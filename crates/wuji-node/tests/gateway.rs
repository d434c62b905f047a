//! The JSON gateway with an independent client (curl) over real mutual TLS:
//! a call and its reply in the proto3 JSON mapping, the same refusals as the
//! gRPC API gives for three calls, the feed as Server-Sent Events, and no
//! answer at all to a client without a certificate.

mod common;

use common::tls::{Pki, endpoint};
use common::*;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wuji_pki::{ClientRole, Validity};
use wuji_proto::pb::{self, suggestions_client::SuggestionsClient};

struct Gw {
    port: u16,
    ca: PathBuf,
}

impl Gw {
    /// curl's arguments for `path` as the holder of `cert`.
    fn curl(&self, cert: Option<&(PathBuf, PathBuf)>, path: &str) -> Command {
        let mut c = Command::new("curl");
        c.args(["-sS", "--max-time", "20", "--cacert"])
            .arg(&self.ca)
            .arg("--resolve")
            .arg(format!("node-320114.wuji:{}:127.0.0.1", self.port))
            .arg(format!("https://node-320114.wuji:{}{path}", self.port));
        if let Some((cert, key)) = cert {
            c.arg("--cert").arg(cert).arg("--key").arg(key);
        }
        c
    }

    /// POSTs `body` to `path`: the HTTP status and the JSON answer.
    fn post(&self, cert: &(PathBuf, PathBuf), path: &str, body: &str) -> (u16, serde_json::Value) {
        let out = self
            .curl(Some(cert), path)
            .args(["-H", "content-type: application/json", "-d", body])
            .args(["-w", "\n%{http_code}"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        let (json, code) = text.rsplit_once('\n').unwrap();
        let v = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
        (code.parse().unwrap(), v)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_gateway_answers_refuses_and_streams_as_the_grpc_api_does() {
    let pki = Pki::new();
    let port = free_port();
    let tls = pki.node("320114");
    let node = TestNode::start("320114", |c| {
        c.tls = Some(tls);
        c.gateway.enabled = true;
        c.gateway.listen = format!("127.0.0.1:{port}");
    })
    .await;
    let op = pki.client(ClientRole::Operator, "320114", Validity::days(1));
    let reader = pki.client(ClientRole::Reader, "320100", Validity::days(1));
    let ch = node.channel.clone();
    enrol(&ch, &["P"]).await;
    let gw = Gw {
        port,
        ca: pki.ca_path(),
    };
    // The gateway starts beside the node: wait for its port.
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the gateway did not listen");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    tokio::task::block_in_place(|| {
        // The calls it answers.
        let out = gw.curl(Some(&op), "/").output().unwrap();
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let paths: Vec<&str> = list["methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["path"].as_str().unwrap())
            .collect();
        assert!(paths.contains(&"/wuji.v1.Suggestions/Submit"), "{paths:?}");
        assert!(paths.contains(&"/wuji.v1.Feed/Watch"));
        assert!(
            !paths.iter().any(|p| p.contains("Sync")),
            "links are gRPC's own"
        );
    });

    // A submission in JSON, read back over gRPC.
    let (code, v) = tokio::task::block_in_place(|| {
        gw.post(
            &op,
            "/wuji.v1.Suggestions/Submit",
            r#"{"lead":"P","title":"增设公交站点","text":"居民出行不便","externalId":"app:A-1"}"#,
        )
    });
    assert_eq!(code, 200, "{v}");
    let id = v["view"]["id"].as_str().unwrap().to_string();
    assert_eq!(v["view"]["status"], "submitted");
    assert!(
        v["seq"].is_string(),
        "64-bit numbers are strings in the mapping: {v}"
    );
    let got = SuggestionsClient::new(ch.clone())
        .list_suggestions(pb::ListSuggestionsRequest {
            external_id: "app:A-1".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.records[0].view["id"], id);

    // The same refusals as over gRPC, for three calls.
    let reader_grpc = endpoint(&node.addr, "320114", &pki.ca_path(), Some(&reader)).connect_lazy();
    let grpc = [
        SuggestionsClient::new(ch.clone())
            .submit(pb::SubmitRequest {
                lead: "P".into(),
                title: " ".into(),
                text: "x".into(),
                ..Default::default()
            })
            .await
            .unwrap_err(),
        SuggestionsClient::new(reader_grpc)
            .register(pb::RegisterRequest {
                id: vid(&[("id".to_string(), id.clone())].into()),
                number: "1".into(),
            })
            .await
            .unwrap_err(),
        pb::assignments_client::AssignmentsClient::new(ch.clone())
            .get_assignment(pb::Get {
                id: Some(pb::RecordId {
                    kind: 0,
                    home: 320_114,
                    uuid: vec![7; 16],
                }),
            })
            .await
            .unwrap_err(),
    ];
    let uuid = id.split(':').nth(1).unwrap().replace('-', "");
    let uuid_b64 = {
        let bytes: Vec<u8> = (0..16)
            .map(|i| u8::from_str_radix(&uuid[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        base64(&bytes)
    };
    let json = tokio::task::block_in_place(|| {
        [
            gw.post(
                &op,
                "/wuji.v1.Suggestions/Submit",
                r#"{"lead":"P","title":" ","text":"x"}"#,
            ),
            gw.post(
                &reader,
                "/wuji.v1.Suggestions/Register",
                &format!(r#"{{"id":{{"home":320114,"uuid":"{uuid_b64}"}},"number":"1"}}"#),
            ),
            gw.post(
                &op,
                "/wuji.v1.Assignments/GetAssignment",
                &format!(
                    r#"{{"id":{{"home":320114,"uuid":"{}"}}}}"#,
                    base64(&[7; 16])
                ),
            ),
        ]
    });
    for ((code, j), s) in json.iter().zip(&grpc) {
        let d = wuji_proto::error_detail(s).unwrap();
        assert_eq!(j["rule"], d.rule.as_str(), "{j} / {s:?}");
        assert_eq!(j["message"], d.message.as_str());
        assert_eq!(j["message_zh"], d.message_zh.as_str());
        assert_eq!(j["code"], format!("{:?}", s.code()));
        let want = match s.code() {
            tonic::Code::InvalidArgument => 400,
            tonic::Code::PermissionDenied => 403,
            tonic::Code::NotFound => 404,
            c => panic!("{c:?}"),
        };
        assert_eq!(*code, want, "{j}");
    }
    let rules: Vec<&str> = json
        .iter()
        .map(|(_, j)| j["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["text-required", "reader-may-not-write", "not-found"]
    );
    // Bad JSON is refused by the gateway itself, naming the message.
    let (code, j) = tokio::task::block_in_place(|| {
        gw.post(&op, "/wuji.v1.Suggestions/Submit", r#"{"titel":"x"}"#)
    });
    assert_eq!((code, j["rule"].as_str()), (400, Some("json")), "{j}");
    assert!(
        j["message"]
            .as_str()
            .unwrap()
            .contains("wuji.v1.SubmitRequest"),
        "{j}"
    );

    // The feed as Server-Sent Events: from the start, the suggestion comes
    // as a change with its cursor as the event's id.
    let mut sse = gw
        .curl(
            Some(&op),
            "/wuji.v1.Feed/Watch?cursor=0&kinds=suggestion&heartbeat_seconds=1",
        )
        .arg("-N")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(sse.stdout.take().unwrap());
    let (mut event, mut idline, mut data) = (String::new(), String::new(), String::new());
    for line in lines.lines() {
        let line = line.unwrap();
        if let Some(e) = line.strip_prefix("event: ") {
            event = e.to_string();
        } else if let Some(i) = line.strip_prefix("id: ") {
            idline = i.to_string();
        } else if let Some(d) = line.strip_prefix("data: ") {
            data = d.to_string();
        } else if line.is_empty() && event == "change" {
            break;
        }
    }
    let _ = sse.kill();
    let _ = sse.wait();
    let ev: serde_json::Value = serde_json::from_str(&data).unwrap();
    assert_eq!(ev["change"]["view"]["id"], id.as_str(), "{ev}");
    assert_eq!(ev["change"]["view"]["title"], "增设公交站点");
    assert_eq!(ev["cursor"], idline.as_str());

    // No certificate: no TLS session, nothing of the data.
    let out = tokio::task::block_in_place(|| {
        gw.curl(None, "/wuji.v1.Suggestions/ListSuggestions")
            .args(["-d", "{}"])
            .output()
            .unwrap()
    });
    assert!(!out.status.success(), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("增设公交站点"));
}

/// Standard base64, as the JSON mapping writes bytes.
fn base64(b: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
