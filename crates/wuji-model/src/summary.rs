//! Node summary: a node's counts over its subtree, published upwards as its own
//! record (shape only in this wave; maintained by the node in the replication wave).

use wuji_crdt::{Lww, Max, MergeMap, Stamp, merge_fields};

/// The summary section, written only by the node it describes.
///
/// Counters are keyed by a dotted name, e.g. `suggestion.status.closed` or
/// `deputy.level.county.in_office`; each is a register the node overwrites.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummarySection {
    /// When the owner last wrote this section.
    pub at: Max<Stamp>,
    /// Named counters.
    pub counts: MergeMap<String, Lww<u64>>,
}
merge_fields!(SummarySection { at, counts });
