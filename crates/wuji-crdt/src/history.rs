//! Grow-only history: a map keyed by the stamp of the write that added each entry.

use crate::{Merge, Stamp};
use std::collections::BTreeMap;

/// A grow-only map keyed by (HLC, writer): answers, notes, milestones, reports.
///
/// Entries are never changed or removed; merge is set union. Should two replicas
/// hold different entries under one stamp (impossible for an honest writer), the
/// greater entry wins so that merge stays commutative.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct History<V> {
    entries: BTreeMap<Stamp, V>,
}

impl<V> Default for History<V> {
    fn default() -> Self {
        History {
            entries: BTreeMap::new(),
        }
    }
}

impl<V: Ord + Clone> History<V> {
    /// Records `entry` at `at`.
    pub fn push(&mut self, at: Stamp, entry: V) {
        match self.entries.get_mut(&at) {
            Some(old) if *old >= entry => {}
            Some(old) => *old = entry,
            None => {
                self.entries.insert(at, entry);
            }
        }
    }

    /// The entries in stamp order, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Stamp, &V)> {
        self.entries.iter()
    }

    /// The newest entry.
    pub fn last(&self) -> Option<(&Stamp, &V)> {
        self.entries.iter().next_back()
    }

    /// The entry written at `at`.
    pub fn get(&self, at: &Stamp) -> Option<&V> {
        self.entries.get(at)
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<V: Ord + Clone> Merge for History<V> {
    fn merge(&mut self, other: &Self) {
        for (at, v) in &other.entries {
            self.push(*at, v.clone());
        }
    }
}

impl<V: Ord + Clone> FromIterator<(Stamp, V)> for History<V> {
    fn from_iter<I: IntoIterator<Item = (Stamp, V)>>(iter: I) -> Self {
        let mut h = History::default();
        for (at, v) in iter {
            h.push(at, v);
        }
        h
    }
}
