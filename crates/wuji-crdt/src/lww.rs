//! Last-writer-wins register ordered by stamp (HLC, then writer id).

use crate::{Merge, Stamp};

/// A last-writer-wins register: the value with the greatest [`Stamp`] wins.
///
/// Two writes with the same stamp cannot come from different writers (the writer
/// is in the stamp) and one writer never reuses a stamp, so equal stamps carry
/// equal values; should they not (a bug or a forged replay), the greater value
/// wins so that merge stays commutative.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lww<T> {
    /// The stamp of the write that set `value`; zero if never written.
    pub at: Stamp,
    /// The current value (the type's default if never written).
    pub value: T,
}

impl<T> Lww<T> {
    /// A register written once at `at`.
    pub fn new(at: Stamp, value: T) -> Lww<T> {
        Lww { at, value }
    }

    /// Writes `value` at `at` if that is newer than the current write.
    pub fn set(&mut self, at: Stamp, value: T)
    where
        T: Ord,
    {
        if (at, &value) > (self.at, &self.value) {
            self.at = at;
            self.value = value;
        }
    }

    /// True if the register has never been written.
    pub fn is_unset(&self) -> bool {
        self.at.is_zero()
    }

    /// The value.
    pub fn get(&self) -> &T {
        &self.value
    }
}

impl<T: Ord + Clone> Merge for Lww<T> {
    fn merge(&mut self, other: &Self) {
        if (other.at, &other.value) > (self.at, &self.value) {
            self.at = other.at;
            self.value = other.value.clone();
        }
    }
}
