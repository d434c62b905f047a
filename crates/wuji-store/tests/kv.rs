//! Both stores behave alike (ordered scans, atomic batches), and the sled store
//! keeps what was flushed across a reopen, with records, log and indexes intact.

use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use wuji_model::strategies::{kind, record};
use wuji_store::layout::{index_entry, index_prefix};
use wuji_store::{Batch, Kv, Layout, MemKv, SledKv};

/// A made-up signature per section, to see them stored and read back.
fn sigs(r: &wuji_model::Record) -> wuji_proto::Signatures {
    r.sections()
        .map(|(k, _)| (*k, vec![k.owner.value() as u8; 64]))
        .collect()
}

fn ops() -> impl Strategy<Value = Vec<(bool, Vec<u8>, Vec<u8>)>> {
    proptest::collection::vec(
        (
            any::<bool>(),
            proptest::collection::vec(0u8..4, 1..4),
            proptest::collection::vec(any::<u8>(), 0..3),
        ),
        0..40,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn sled_and_memory_agree_with_a_model(batches in proptest::collection::vec(ops(), 1..5),
                                          prefix in proptest::collection::vec(0u8..4, 0..2),
                                          after in proptest::option::of(proptest::collection::vec(0u8..4, 1..3))) {
        let dir = tempfile::tempdir().unwrap();
        let sled = SledKv::open(dir.path(), 1 << 20).unwrap();
        let mem = MemKv::new();
        let mut model = BTreeMap::new();
        for ops in batches {
            let mut b = Batch::default();
            for (put, k, v) in ops {
                if put { b.put(k, v) } else { b.delete(k) }
            }
            for (k, v) in &b.puts { model.insert(k.clone(), v.clone()); }
            for k in &b.deletes { model.remove(k); }
            sled.apply(b.clone()).unwrap();
            mem.apply(b).unwrap();
        }
        let expect: Vec<(Vec<u8>, Vec<u8>)> = model
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix) && after.as_ref().is_none_or(|a| *k > a))
            .take(7)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        prop_assert_eq!(&sled.scan(&prefix, after.as_deref(), 7).unwrap(), &expect);
        prop_assert_eq!(&mem.scan(&prefix, after.as_deref(), 7).unwrap(), &expect);
        let last = model.iter().rev().find(|(k, _)| k.starts_with(&prefix)).map(|(k, v)| (k.clone(), v.clone()));
        prop_assert_eq!(&sled.last(&prefix).unwrap(), &last);
        prop_assert_eq!(&mem.last(&prefix).unwrap(), &last);
    }

    #[test]
    fn records_survive_a_reopen(recs in proptest::collection::vec(kind().prop_flat_map(record), 1..6)) {
        let dir = tempfile::tempdir().unwrap();
        {
            let layout = Layout::open(Arc::new(SledKv::open(dir.path(), 1 << 20).unwrap())).unwrap();
            let mut b = Batch::default();
            let ids: Vec<_> = recs.iter().map(|r| r.id).collect();
            for r in &recs {
                layout.put_record(&mut b, r, &sigs(r), 1, None);
                layout.put_index(&mut b, &index_entry(3, b"x", &r.id));
            }
            layout.put_log(&mut b, 1, &ids, None, Vec::new());
            layout.kv().apply(b).unwrap();
            layout.kv().flush().unwrap();
        }
        let layout = Layout::open(Arc::new(SledKv::open(dir.path(), 1 << 20).unwrap())).unwrap();
        for r in &recs {
            let got = layout.record(&r.id).unwrap().unwrap();
            // Records with one id in `recs` overwrite each other: the last one wins.
            let last = recs.iter().rev().find(|x| x.id == r.id).unwrap();
            prop_assert_eq!(&got.record, last);
            prop_assert_eq!(got.signatures, sigs(last), "signatures are kept");
        }
        prop_assert_eq!(layout.last_seq().unwrap(), 1);
        let log = layout.log_after(0, 10).unwrap();
        prop_assert_eq!(log.len(), 1);
        prop_assert_eq!(log[0].ids.len(), recs.len());
        prop_assert_eq!(log[0].source, None);
        let idx = layout.scan_index(&index_prefix(3, b"x"), None, 100).unwrap();
        let distinct: std::collections::BTreeSet<_> = recs.iter().map(|r| r.id).collect();
        prop_assert_eq!(idx.len(), distinct.len());
    }
}

#[test]
fn a_newer_schema_is_refused() {
    let kv = Arc::new(MemKv::new());
    let mut b = Batch::default();
    b.put(b"Mschema".to_vec(), 99u32.to_be_bytes().to_vec());
    kv.apply(b).unwrap();
    let e = Layout::open(kv).unwrap_err();
    assert!(e.to_string().contains("schema version 99"), "{e}");
}

#[test]
fn checkpoints_and_meta_round_trip() {
    let layout = Layout::open(Arc::new(MemKv::new())).unwrap();
    let peer = wuji_model::Code::parse("320114").unwrap();
    assert_eq!(layout.checkpoint(peer).unwrap(), (0, vec![]));
    assert_eq!(layout.incarnation().unwrap().len(), 16);
    let mut b = Batch::default();
    layout.put_checkpoint(&mut b, peer, 42, b"inc-1");
    layout.put_meta(&mut b, b"identity", b"320100".to_vec());
    layout.kv().apply(b).unwrap();
    assert_eq!(layout.checkpoint(peer).unwrap(), (42, b"inc-1".to_vec()));
    assert_eq!(layout.meta(b"identity").unwrap().unwrap(), b"320100");
}

#[test]
fn a_directory_held_by_another_process_is_refused_clearly() {
    // The child holds the directory open; this process must get a clear refusal.
    if let Ok(dir) = std::env::var("WUJI_STORE_HOLD") {
        let _kv = SledKv::open(std::path::Path::new(&dir), 1 << 20).unwrap();
        std::thread::sleep(std::time::Duration::from_secs(6));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_directory_held_by_another_process_is_refused_clearly",
            "--nocapture",
        ])
        .env("WUJI_STORE_HOLD", dir.path())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !dir.path().join("db").exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let e = SledKv::open(dir.path(), 1 << 20).unwrap_err();
    assert!(
        e.to_string().contains("in use by another wuji process"),
        "{e}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// A crash of the in-memory store keeps exactly what was flushed, and a
    /// snapshot (a backup) is what a crash at that moment would keep.
    #[test]
    fn a_memory_crash_keeps_what_was_flushed(flushed in proptest::collection::vec(ops(), 0..4),
                                             lost in proptest::collection::vec(ops(), 1..4)) {
        let mem = MemKv::new();
        let batch = |ops: &Vec<(bool, Vec<u8>, Vec<u8>)>| {
            let mut b = Batch::default();
            for (put, k, v) in ops {
                if *put { b.put(k.clone(), v.clone()) } else { b.delete(k.clone()) }
            }
            b
        };
        for ops in &flushed {
            mem.apply(batch(ops)).unwrap();
            mem.flush().unwrap();
        }
        let kept = mem.scan(&[], None, usize::MAX).unwrap();
        for ops in &lost {
            mem.apply(batch(ops)).unwrap();
        }
        let backup = mem.snapshot();
        prop_assert_eq!(backup.scan(&[], None, usize::MAX).unwrap(), kept.clone());
        mem.crash();
        prop_assert_eq!(mem.scan(&[], None, usize::MAX).unwrap(), kept);
    }
}
