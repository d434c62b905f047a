//! Proptest strategies for every CRDT type (feature `strategies`), drawn from small
//! domains so that equal stamps, equal elements and concurrent writes are common.

use crate::{History, Hlc, Lww, Max, MergeMap, OrSet, Stamp, WriterId};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// A stamp from 8 clock values × 3 writers.
pub fn stamp() -> impl Strategy<Value = Stamp> {
    (0u64..8, 0u64..3).prop_map(|(t, w)| Stamp::new(Hlc(t), WriterId(w)))
}

/// A register holding a value drawn from `value`.
pub fn lww<T: std::fmt::Debug + Clone>(
    value: impl Strategy<Value = T>,
) -> impl Strategy<Value = Lww<T>> {
    (stamp(), value).prop_map(|(at, v)| Lww::new(at, v))
}

/// A monotone register.
pub fn max<T: std::fmt::Debug + Clone>(
    value: impl Strategy<Value = T>,
) -> impl Strategy<Value = Max<T>> {
    value.prop_map(Max)
}

/// An observed-remove set in any reachable state (dots, some tombstoned).
pub fn orset<T: std::fmt::Debug + Ord + Clone>(
    elem: impl Strategy<Value = T>,
) -> impl Strategy<Value = OrSet<T>> {
    vec((elem, stamp(), any::<bool>()), 0..6).prop_map(OrSet::from_raw)
}

/// A grow-only history.
pub fn history<V: std::fmt::Debug + Ord + Clone>(
    entry: impl Strategy<Value = V>,
) -> impl Strategy<Value = History<V>> {
    vec((stamp(), entry), 0..5).prop_map(|v| v.into_iter().collect())
}

/// A pointwise-merged map.
pub fn merge_map<K: std::fmt::Debug + Ord + Clone, V: std::fmt::Debug + Clone>(
    key: impl Strategy<Value = K>,
    value: impl Strategy<Value = V>,
) -> impl Strategy<Value = MergeMap<K, V>> {
    btree_map(key, value, 0..4).prop_map(|m: BTreeMap<K, V>| MergeMap(m))
}
