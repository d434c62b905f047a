//! Observed-remove set with add-wins semantics.

use crate::{Merge, Stamp};
use std::collections::BTreeMap;

/// An observed-remove set: every add is tagged with a unique [`Stamp`] (a dot);
/// a remove tombstones the dots it has seen. An element is present while it has
/// a dot not removed, so an add concurrent with a remove wins.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrSet<T: Ord> {
    /// element → dot → removed?
    entries: BTreeMap<T, BTreeMap<Stamp, bool>>,
}

impl<T: Ord> Default for OrSet<T> {
    fn default() -> Self {
        OrSet {
            entries: BTreeMap::new(),
        }
    }
}

impl<T: Ord + Clone> OrSet<T> {
    /// Adds `elem` with the fresh dot `at`.
    pub fn add(&mut self, elem: T, at: Stamp) {
        let dots = self.entries.entry(elem).or_default();
        dots.entry(at).or_insert(false);
    }

    /// Removes `elem` as observed now: tombstones every dot this replica has seen.
    /// Returns false if the element was not present.
    pub fn remove(&mut self, elem: &T) -> bool {
        let Some(dots) = self.entries.get_mut(elem) else {
            return false;
        };
        let was = dots.values().any(|removed| !removed);
        for removed in dots.values_mut() {
            *removed = true;
        }
        was
    }

    /// True if `elem` has a live dot.
    pub fn contains(&self, elem: &T) -> bool {
        self.entries
            .get(elem)
            .is_some_and(|dots| dots.values().any(|removed| !removed))
    }

    /// The present elements, in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.entries
            .iter()
            .filter(|(_, dots)| dots.values().any(|removed| !removed))
            .map(|(e, _)| e)
    }

    /// How many elements are present.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// True if no element is present.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// Every element with every dot and its tombstone, for encoding.
    pub fn raw(&self) -> impl Iterator<Item = (&T, &BTreeMap<Stamp, bool>)> {
        self.entries.iter()
    }

    /// Rebuilds a set from [`OrSet::raw`] entries.
    pub fn from_raw(entries: impl IntoIterator<Item = (T, Stamp, bool)>) -> OrSet<T> {
        let mut set = OrSet::default();
        for (e, at, removed) in entries {
            let r = set.entries.entry(e).or_default().entry(at).or_insert(false);
            *r |= removed;
        }
        set
    }
}

impl<T: Ord + Clone> Merge for OrSet<T> {
    fn merge(&mut self, other: &Self) {
        for (elem, dots) in &other.entries {
            let mine = self.entries.entry(elem.clone()).or_default();
            for (at, removed) in dots {
                let r = mine.entry(*at).or_insert(false);
                *r |= *removed;
            }
        }
    }
}

impl<T: Ord + Clone> FromIterator<(T, Stamp)> for OrSet<T> {
    fn from_iter<I: IntoIterator<Item = (T, Stamp)>>(iter: I) -> Self {
        let mut s = OrSet::default();
        for (e, at) in iter {
            s.add(e, at);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Hlc, WriterId};

    fn st(t: u64) -> Stamp {
        Stamp::new(Hlc(t), WriterId(1))
    }

    #[test]
    fn concurrent_add_wins_over_remove() {
        let mut a = OrSet::default();
        a.add("x", st(1));
        let mut b = a.clone();
        b.remove(&"x");
        a.add("x", st(2));
        a.merge(&b);
        assert!(a.contains(&"x"));
        let mut c = b.clone();
        c.merge(&OrSet::from_iter([("y", st(3))]));
        assert!(!c.contains(&"x") && c.contains(&"y"));
        assert_eq!(c.len(), 1);
    }
}
