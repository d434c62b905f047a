//! A join-semilattice register: merge keeps the greater value, so state never moves back.

use crate::Merge;

/// A monotone register: merge keeps the maximum under `T`'s order.
///
/// Used for progress states such as `(round, stage)`: a stale write can never move
/// the state backwards, and re-handling moves forward by opening a new round.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Max<T>(pub T);

impl<T: Ord> Max<T> {
    /// Raises the value to `v` if `v` is greater; returns true if it moved.
    pub fn raise(&mut self, v: T) -> bool {
        if v > self.0 {
            self.0 = v;
            true
        } else {
            false
        }
    }

    /// The value.
    pub fn get(&self) -> &T {
        &self.0
    }
}

impl<T: Ord + Clone> Merge for Max<T> {
    fn merge(&mut self, other: &Self) {
        if other.0 > self.0 {
            self.0 = other.0.clone();
        }
    }
}
