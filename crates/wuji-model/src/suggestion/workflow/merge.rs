//! 并案: a suggestion handled together with another one stays open for its
//! own deputy, who rates the other one's answer; then it is closed.

use super::{at_handler, at_origin, blank, delta, rate};
use crate::deputy::expect_kind;
use crate::suggestion::view::{self, Status};
use crate::suggestion::{MergeTarget, Satisfaction};
use crate::{Ctx, Error, Record, RecordId, RecordKind};
use wuji_crdt::Lww;

/// 并案: handles this suggestion together with `other` (a suggestion the
/// caller has checked exists here). It stays open for its own deputy: the
/// answer of `other` is its answer ([`feedback_merged`]), then it is closed.
pub fn merge_into(ctx: &Ctx, rec: &Record, other: RecordId) -> Result<Record, Error> {
    at_handler(ctx, rec)?;
    expect_kind(other, RecordKind::Suggestion)?;
    if other == rec.id {
        return Err(Error::MergeIntoSelf);
    }
    let mut h = blank(ctx);
    let target = MergeTarget {
        home: Some(other.home),
        uuid: other.uuid,
    };
    h.merged_into = Lww::new(ctx.at, Some(target));
    Ok(delta(ctx, rec, h))
}

/// The suggestion a merged one joined (并案), if it is merged.
pub fn merged_target(rec: &Record) -> Option<RecordId> {
    let t = (*rec.handling(view::current_handler(rec))?.merged_into.get())?;
    Some(t.id(rec.id.home))
}

/// 代表反馈 on a merged suggestion: its deputy rates the latest answer of the
/// suggestion it joined (`joined`, as this node holds it).
pub fn feedback_merged(
    ctx: &Ctx,
    rec: &Record,
    joined: &Record,
    rating: Satisfaction,
    comment: &str,
) -> Result<Record, Error> {
    let v = at_origin(ctx, rec)?;
    if v.status != Status::Merged || merged_target(rec) != Some(joined.id) {
        return Err(Error::NoSuchAnswer);
    }
    let answer = view::view(joined, ctx.rules)
        .latest_answer
        .ok_or(Error::NoSuchAnswer)?;
    Ok(rate(ctx, rec, answer, rating, comment))
}
