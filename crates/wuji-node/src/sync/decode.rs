//! A peer's batch decoded and the stored versions of its records read: on a
//! store whose reads block (sled), in two halves on the blocking pool, so that
//! two cores share a catch-up's decoding beside the committer; in memory (the
//! simulator) in order on the task, which keeps its schedule deterministic.

use crate::Error;
use crate::commit::Prior;
use wuji_model::Record;
use wuji_proto::{Signatures, pb};
use wuji_store::Layout;

/// A record of a peer's batch, its signatures and its stored version.
pub(super) type Arrived = (Record, Signatures, Prior);

/// Why a batch could not be decoded.
pub(super) enum Failed {
    /// A record state that does not decode (the peer's fault).
    Malformed(String),
    /// The store could not be read (this node's).
    Store(Error),
}

/// Batches smaller than this are decoded on the task.
const SPLIT: usize = 64;

/// Decodes `states` and reads their stored versions; `as_of` is the
/// committer's durable sequence read before (see [`Prior`]).
pub(super) async fn decode(
    layout: &Layout,
    as_of: u64,
    states: Vec<pb::RecordState>,
) -> Result<Vec<Arrived>, Failed> {
    if states.len() < SPLIT || !layout.kv().blocks() {
        return run(layout, as_of, &states);
    }
    let half = |part: Vec<pb::RecordState>| {
        let layout = layout.clone();
        tokio::task::spawn_blocking(move || run(&layout, as_of, &part))
    };
    let mut first = states;
    let second = first.split_off(first.len() / 2);
    let (a, b) = tokio::join!(half(first), half(second));
    let join = |e| Failed::Store(Error::Task(e));
    let mut out = a.map_err(join)??;
    out.extend(b.map_err(join)??);
    Ok(out)
}

fn run(layout: &Layout, as_of: u64, states: &[pb::RecordState]) -> Result<Vec<Arrived>, Failed> {
    states
        .iter()
        .map(|s| {
            let (r, sigs) = wuji_proto::record_from_signed_state(s)
                .map_err(|e| Failed::Malformed(e.to_string()))?;
            let prior = Prior::read(layout, as_of, &r.id)
                .map_err(Failed::Store)?
                .digest_for(&r);
            Ok((r, sigs, prior))
        })
        .collect()
}
