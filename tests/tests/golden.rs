//! Files written by earlier versions (`tests/golden/v1`, made by the
//! `golden` binary) still work: this version opens their store directory and
//! serves it, restores their backup, and accepts their greeting and batch on
//! a link, each holding the records and digests the files say.

use prost::Message;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_stream::StreamExt;
use wuji_division::Code;
use wuji_proto::pb;

/// Every directory of golden files, oldest first.
fn versions() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/golden")
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no golden files under {}", root.display());
    v
}

fn expected(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(dir.join("expected.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_written_by_earlier_versions_open_and_serve_their_records() {
    for dir in versions() {
        let want = expected(&dir);
        let tmp = tempfile::tempdir().unwrap();
        wuji_node::test_util::copy_dir(&dir.join("store"), tmp.path());
        let kv = Arc::new(wuji_store::SledKv::open(tmp.path(), 8 << 20).unwrap());
        let parts = wuji_node::Parts {
            kv,
            ..wuji_node::Parts::in_memory()
        };
        let code = Code::parse(&want["node"]).unwrap();
        let running = wuji_node::start(parts, wuji_node::Settings::new(code))
            .unwrap_or_else(|e| panic!("{}: the store does not open: {e}", dir.display()));
        let node = running.node().clone();
        let d = node.layout().scope_digest(Code::NATIONAL, None).unwrap();
        assert_eq!(
            d.records.to_string(),
            want["store_records"],
            "{}",
            dir.display()
        );
        assert_eq!(hex(&d.digest.0), want["store_digest"], "{}", dir.display());
        let (suggestions, _) = node
            .scan_kind(2, None, 100, |_| true)
            .expect("its suggestions read");
        assert!(!suggestions.is_empty());
        // And it takes new writes on top.
        let seq = node.layout().last_seq().unwrap();
        node.write(vec![wuji_node::test_util::new_suggestion(code, "升级后")])
            .await
            .unwrap();
        assert!(node.layout().last_seq().unwrap() > seq);
        drop(node);
        running.stop().await.unwrap();
    }
}

#[test]
fn backups_written_by_earlier_versions_restore() {
    for dir in versions() {
        let want = expected(&dir);
        let bytes = std::fs::read(dir.join("backup.wujibak")).unwrap();
        let (header, entries) =
            wuji_store::backup::decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        assert_eq!(header.node.to_string(), want["node"]);
        assert_eq!(header.last_seq.to_string(), want["store_last_seq"]);
        let tmp = tempfile::tempdir().unwrap();
        let kv = wuji_store::SledKv::open(tmp.path(), 8 << 20).unwrap();
        wuji_store::backup::restore(&kv, entries).unwrap();
        let layout = wuji_store::Layout::open(Arc::new(kv)).unwrap();
        let d = layout.scope_digest(Code::NATIONAL, None).unwrap();
        assert_eq!(hex(&d.digest.0), want["store_digest"], "{}", dir.display());
        assert_eq!(
            layout.last_seq().unwrap().to_string(),
            want["store_last_seq"]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_messages_of_earlier_versions_are_accepted_by_a_parent() {
    for dir in versions() {
        let want = expected(&dir);
        let bytes = std::fs::read(dir.join("sync.bin")).unwrap();
        let mut buf = &bytes[..];
        let mut messages = Vec::new();
        while !buf.is_empty() {
            messages.push(pb::SyncMessage::decode_length_delimited(&mut buf).unwrap());
        }
        let [hello, batch] = <[pb::SyncMessage; 2]>::try_from(messages).expect("two messages");
        let county = Code::parse(&want["node"]).unwrap();
        let mut end = wuji_node::test_util::parent_end_with(county, hello).await;
        end.to_parent.send(batch).await.unwrap();
        // The parent acknowledges the whole batch, and holds its records.
        let acked = tokio::time::timeout(std::time::Duration::from_secs(20), async {
            while let Some(m) = end.from_parent.next().await {
                if let Some(pb::sync_message::Msg::Ack(a)) = m.msg {
                    return a.seq;
                }
            }
            0
        })
        .await
        .expect("an acknowledgement");
        assert_eq!(acked, 3, "{}", dir.display());
        let town = Code::parse("320114001").unwrap();
        let d = end.layout.scope_digest(town, Some(2)).unwrap();
        assert_eq!(d.records.to_string(), want["batch_records"]);
        assert_eq!(hex(&d.digest.0), want["batch_digest"], "{}", dir.display());
        let _ = end.stop.send(true);
    }
}
