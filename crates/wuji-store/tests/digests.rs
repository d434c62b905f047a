//! Scope digests kept batch by batch equal digests computed from scratch over
//! the stored records, for every scope and kind, and equal a rebuild.

use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use wuji_model::strategies::{kind, record};
use wuji_model::{Code, Record, RecordId, Uuid};
use wuji_proto::{Digest, public_digest};
use wuji_store::layout::record_key;
use wuji_store::{Batch, DigestChanges, Layout, MemKv, ScopeDigest};

const HOMES: [u32; 5] = [320_114_001, 320_114_002, 320_114, 320_115_003, 110_101_001];

fn write() -> impl Strategy<Value = (usize, u8, Record)> {
    (0..HOMES.len(), 0u8..3, kind().prop_flat_map(record))
}

fn brute(records: &BTreeMap<RecordId, Record>, scope: Code, kind: u8) -> ScopeDigest {
    let mut sd = ScopeDigest::default();
    for r in records.values() {
        if record_key(&r.id)[0] == kind && scope.contains(r.id.home) {
            sd.digest.toggle(&public_digest(r));
            sd.records += 1;
        }
    }
    sd
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn kept_digests_equal_a_recount(batches in proptest::collection::vec(proptest::collection::vec(write(), 1..6), 1..6)) {
        let layout = Layout::open(Arc::new(MemKv::new())).unwrap();
        layout.ensure_digests().unwrap();
        let mut held: BTreeMap<RecordId, Record> = BTreeMap::new();
        for writes in batches {
            // As the committer does: per record, its state before the batch and after.
            let mut touched: BTreeMap<RecordId, (Option<Record>, Record)> = BTreeMap::new();
            for (h, u, mut r) in writes {
                r.id.home = Code::from_value(HOMES[h]).unwrap();
                r.id.uuid = Uuid::from_u128(u128::from(u));
                let before = touched.get(&r.id).map(|t| t.0.clone()).unwrap_or_else(|| held.get(&r.id).cloned());
                touched.insert(r.id, (before, r));
            }
            let mut batch = Batch::default();
            let mut changes = DigestChanges::default();
            for (before, now) in touched.values() {
                layout.put_record(&mut batch, now, &Default::default(), 1, None);
                changes.record(before.as_ref(), now);
                held.insert(now.id, now.clone());
            }
            changes.write(&layout, &mut batch).unwrap();
            layout.kv().apply(batch).unwrap();
        }
        let scopes: Vec<Code> = HOMES.iter().flat_map(|h| {
            let c = Code::from_value(*h).unwrap();
            std::iter::once(c).chain(c.ancestors()).collect::<Vec<_>>()
        }).collect();
        // A store holding the same records but no digests rebuilds them alike.
        let fresh = Layout::open(Arc::new(MemKv::new())).unwrap();
        let mut b = Batch::default();
        for r in held.values() { fresh.put_record(&mut b, r, &Default::default(), 1, None); }
        fresh.kv().apply(b).unwrap();
        prop_assert_eq!(fresh.ensure_digests().unwrap(), held.len() as u64);
        for scope in scopes {
            let mut all = ScopeDigest::default();
            for k in 1..=wuji_model::RecordKind::ALL.len() as u8 {
                let want = brute(&held, scope, k);
                prop_assert_eq!(layout.scope_digest_of_kind(scope, k).unwrap(), want, "scope {} kind {}", scope, k);
                prop_assert_eq!(fresh.scope_digest_of_kind(scope, k).unwrap(), want);
                all.digest.toggle(&want.digest);
                all.records += want.records;
            }
            prop_assert_eq!(layout.scope_digest(scope, None).unwrap(), all);
            // Exactly at the scope: its records without those of the regions below.
            for k in 1..=wuji_model::RecordKind::ALL.len() as u8 {
                let mut exact = ScopeDigest::default();
                for r in held.values() {
                    if record_key(&r.id)[0] == k && r.id.home == scope {
                        exact.digest.toggle(&public_digest(r));
                        exact.records += 1;
                    }
                }
                prop_assert_eq!(layout.exact_digest(scope, k).unwrap(), exact, "exact {} {}", scope, k);
                let subs = layout.sub_scopes(scope, k).unwrap();
                let want: std::collections::BTreeSet<Code> = held.values()
                    .filter(|r| record_key(&r.id)[0] == k)
                    .filter_map(|r| std::iter::once(r.id.home).chain(r.id.home.ancestors()).find(|c| c.parent() == Some(scope)))
                    .collect();
                prop_assert_eq!(subs.into_iter().collect::<std::collections::BTreeSet<_>>(), want, "subs {} {}", scope, k);
            }
        }
        // A scope holding nothing reads as empty.
        let none = layout.scope_digest(Code::from_value(650_000).unwrap(), None).unwrap();
        prop_assert_eq!(none.digest, Digest::default());
    }
}
