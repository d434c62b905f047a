//! The committer's digest bookkeeping at start: the scope digests built for
//! this encoding, and the digests of what the parent may not hold and of what
//! this node no longer may, rebuilt whenever the routing that decides them
//! changed.

use crate::Error;
use wuji_division::Code;
use wuji_model::Record;
use wuji_model::routing::{self, Horizon};
use wuji_store::Layout;

/// True if `node` holds `rec` without being entitled to it (any more: the
/// horizon was narrowed); never under `all`.
pub(super) fn stale_at(rec: &Record, node: Code, horizon: Horizon) -> bool {
    horizon != Horizon::All && !routing::visible_to(rec, node, horizon)
}

/// True if `parent` (the node linked up to) is not entitled to `rec`.
pub(super) fn hidden_from(rec: &Record, parent: Option<Code>, horizon: Horizon) -> bool {
    parent.is_some_and(|p| !routing::visible_to(rec, p, horizon))
}

/// Builds or rebuilds the store's digests as this start needs them.
pub(super) fn prepare(
    layout: &Layout,
    node: Code,
    parent: Option<Code>,
    horizon: Horizon,
) -> Result<(), Error> {
    let rebuilt = layout.ensure_digests()?;
    if rebuilt > 0 {
        tracing::info!(
            records = rebuilt,
            "scope digests built for a store that had none"
        );
    }
    // The routing rules' version is part of the tag: what is hidden from
    // the parent changes with them as with the setting (r2: summaries
    // follow the horizon; r3: digests of the encoding with a summary's
    // counters as one register; r4: and the stale digests).
    let tag = format!(
        "r4/{horizon}/{}",
        parent.map(|p| p.to_string()).unwrap_or_default()
    );
    let read = layout.ensure_hidden_digests(
        tag.as_bytes(),
        &|r| hidden_from(r, parent, horizon),
        &|r| stale_at(r, node, horizon),
    )?;
    if read > 0 {
        tracing::info!(records = read, horizon = %horizon, "digests of what the parent holds rebuilt");
    }
    Ok(())
}
