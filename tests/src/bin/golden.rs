//! Writes the golden files of this version into DIR (`tests/golden/v1`),
//! which every later version must still open, accept and restore
//! (`tests/tests/golden.rs`): a county's store directory made by a real node
//! on sled, a backup of it taken by `Node::backup`, and a township's greeting
//! and batch of sync messages, with the figures they hold (`expected.txt`).
//!
//! Run once when a format changes, into a new directory (`v2`, ...), and keep
//! the old ones: `cargo run -p wuji-tests --bin golden -- tests/golden/v2`.

use prost::Message;
use std::path::PathBuf;
use std::sync::Arc;
use wuji_division::Code;
use wuji_node::test_util;
use wuji_proto::pb;

/// 2026-12-01 08:00 China Standard Time.
const AT_MS: u64 = 1_796_083_200_000;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: golden DIR")?);
    if dir.exists() {
        return Err(format!("{} exists: golden files are written once", dir.display()).into());
    }
    std::fs::create_dir_all(&dir)?;
    let county = Code::parse("320114")?;
    let town = Code::parse("320114001")?;

    // A county node on sled, with suggestions written through its committer.
    let kv = Arc::new(wuji_store::SledKv::open(&dir.join("store"), 8 << 20)?);
    let parts = wuji_node::Parts {
        kv,
        clock: Arc::new(wuji_node::clock::TestClock::at(AT_MS)),
        ..wuji_node::Parts::in_memory()
    };
    let running = wuji_node::start(parts, wuji_node::Settings::new(county))?;
    let node = running.node().clone();
    for title in ["村道路灯不亮", "学校门口增设斑马线", "农贸市场排水改造"] {
        node.write(vec![test_util::new_suggestion(county, title)])
            .await?;
    }
    let backup = node.backup().await?;
    std::fs::write(dir.join("backup.wujibak"), &backup)?;
    let layout = node.layout().clone();
    let store = layout.scope_digest(Code::NATIONAL, None)?;
    let last_seq = layout.last_seq()?;
    drop(node); // (the committer ends once no handle is left)
    running.stop().await?;

    // What a township sends its county: its greeting, then a batch.
    let records: Vec<_> = (0..3)
        .map(|i| test_util::submitted_at(town, &format!("镇级意见 {i}"), AT_MS + i))
        .collect();
    let mut hello = test_util::hello(town.value(), county.value());
    if let Some(pb::sync_message::Msg::Hello(h)) = &mut hello.msg {
        h.now_ms = AT_MS;
        h.software = format!("wuji {}", env!("CARGO_PKG_VERSION"));
    }
    let batch = pb::SyncMessage {
        msg: Some(pb::sync_message::Msg::Batch(pb::Batch {
            from_seq: 0,
            to_seq: 3,
            records: records.iter().map(wuji_proto::record_to_state).collect(),
            repair: false,
            certificates: Vec::new(),
        })),
    };
    let mut sync = Vec::new();
    for m in [hello, batch] {
        m.encode_length_delimited(&mut sync)?;
    }
    std::fs::write(dir.join("sync.bin"), &sync)?;
    let mut batch_digest = wuji_proto::Digest::default();
    for r in &records {
        batch_digest.toggle(&wuji_proto::public_digest(r));
    }
    std::fs::write(
        dir.join("expected.txt"),
        format!(
            "# Written by wuji {} (protocol {}, store schema {}, backup format {}).\n\
             node 320114\nstore_records {}\nstore_digest {}\nstore_last_seq {last_seq}\n\
             batch_records {}\nbatch_digest {}\n",
            env!("CARGO_PKG_VERSION"),
            wuji_proto::PROTOCOL_VERSION,
            wuji_store::layout::SCHEMA_VERSION,
            wuji_store::backup::FORMAT,
            store.records,
            hex(&store.digest.0),
            records.len(),
            hex(&batch_digest.0),
        ),
    )?;
    println!("golden files written to {}", dir.display());
    Ok(())
}
