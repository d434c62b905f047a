//! The `Merge` trait and its laws, and pointwise merge of maps.

use std::collections::BTreeMap;

/// A state-based CRDT: a value that can absorb another replica's value.
///
/// Laws, for all `a`, `b`, `c` (checked by property tests for every implementation):
/// - **commutative**: `a ⊔ b == b ⊔ a`
/// - **associative**: `(a ⊔ b) ⊔ c == a ⊔ (b ⊔ c)`
/// - **idempotent**: `a ⊔ a == a`
///
/// Together they make delivery order, duplication and replays harmless: replicas
/// that have merged the same set of values are equal.
pub trait Merge {
    /// Absorbs `other` into `self` (`self ← self ⊔ other`).
    fn merge(&mut self, other: &Self);

    /// Returns `self ⊔ other` without changing either.
    fn merged(&self, other: &Self) -> Self
    where
        Self: Clone,
    {
        let mut out = self.clone();
        out.merge(other);
        out
    }
}

impl<T: Merge + Clone> Merge for Option<T> {
    fn merge(&mut self, other: &Self) {
        match (self.as_mut(), other) {
            (_, None) => {}
            (None, Some(o)) => *self = Some(o.clone()),
            (Some(s), Some(o)) => s.merge(o),
        }
    }
}

/// A map whose values merge pointwise; a key present on one side only is kept.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MergeMap<K: Ord, V>(pub BTreeMap<K, V>);

impl<K: Ord, V> Default for MergeMap<K, V> {
    fn default() -> Self {
        MergeMap(BTreeMap::new())
    }
}

impl<K: Ord + Clone, V: Merge + Clone> Merge for MergeMap<K, V> {
    fn merge(&mut self, other: &Self) {
        for (k, v) in &other.0 {
            match self.0.get_mut(k) {
                Some(mine) => mine.merge(v),
                None => {
                    self.0.insert(k.clone(), v.clone());
                }
            }
        }
    }
}

impl<K: Ord, V> MergeMap<K, V> {
    /// The value at `key`, if any.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.0.get(key)
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Ord, V: Default> MergeMap<K, V> {
    /// The value at `key`, inserting the default first if absent.
    pub fn entry(&mut self, key: K) -> &mut V {
        self.0.entry(key).or_default()
    }
}

/// Implements [`Merge`] for a struct whose every field is a CRDT, field by field.
///
/// The struct is destructured without `..`, so adding a field and forgetting it
/// here is a compile error rather than a silently unmerged field.
#[macro_export]
macro_rules! merge_fields {
    ($t:ty { $($f:ident),* $(,)? }) => {
        impl $crate::Merge for $t {
            fn merge(&mut self, other: &Self) {
                let Self { $($f),* } = self;
                $( $crate::Merge::merge($f, &other.$f); )*
            }
        }
    };
}
