//! Node summary: a node's counts over the records it holds (its subtree, since
//! everything below flows up to it), published upwards as its own record so that
//! ancestors read the whole tree's status without reading every record. The
//! counts are kept incrementally: each change adds its record's contribution
//! after the change and subtracts the one before.

use crate::suggestion::view;
use crate::{Ctx, Error, Record, RecordId, RecordKind, Rules, Section, assignment, supervision};
use std::collections::BTreeMap;
use uuid::Uuid;
use wuji_crdt::{Lww, Max, MergeMap, Stamp, merge_fields};
use wuji_division::Code;

/// The summary section, written only by the node it describes.
///
/// Counters are keyed by a dotted name, e.g. `suggestion.status.closed` or
/// `deputy.county.in_office`; each is a register the node overwrites.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummarySection {
    /// When the owner last wrote this section.
    pub at: Max<Stamp>,
    /// Named counters.
    pub counts: MergeMap<String, Lww<u64>>,
}
merge_fields!(SummarySection { at, counts });

/// The id of a node's one summary record.
pub fn id(node: Code) -> RecordId {
    RecordId {
        kind: RecordKind::Summary,
        home: node,
        uuid: Uuid::from_u128(u128::from(node.value())),
    }
}

fn snake(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// What one record adds to its holder's summary.
pub fn contribution(rec: &Record, rules: &Rules) -> BTreeMap<String, i64> {
    let mut m = BTreeMap::new();
    let mut add = |k: String, v: i64| *m.entry(k).or_insert(0) += v;
    match rec.id.kind {
        RecordKind::Deputy => {
            if let Some(r) = rec.roster(rec.id.home) {
                let level = rec.id.home.level().en();
                let status = snake(&format!("{:?}", r.status.0.status));
                add("deputy.total".into(), 1);
                add(format!("deputy.{level}.{status}"), 1);
            }
        }
        RecordKind::Suggestion => {
            let v = view::view(rec, rules);
            add("suggestion.total".into(), 1);
            add(
                format!("suggestion.status.{}", snake(&format!("{:?}", v.status))),
                1,
            );
            if let Some(o) = rec.origin(rec.id.home)
                && !o.category.get().is_empty()
            {
                add(format!("suggestion.category.{}", o.category.get()), 1);
            }
            if let Some(a) = v.latest_answer
                && let Some(ans) = rec.handling(a.handler).and_then(|h| h.answers.get(&a.at))
            {
                add(format!("suggestion.class.{:?}", ans.class), 1);
            }
            if let Some(r) = v.rating {
                add(format!("suggestion.rating.{}", snake(&format!("{r:?}"))), 1);
            }
        }
        RecordKind::Assignment => {
            let (done, total) = assignment::done_count(rec);
            add("assignment.total".into(), 1);
            add("assignment.targets".into(), total as i64);
            add("assignment.targets_done".into(), done as i64);
        }
        RecordKind::Supervision => {
            add("supervision.items".into(), 1);
            add(
                "supervision.progress_permille_sum".into(),
                i64::from(supervision::progress_permille(rec)),
            );
        }
        RecordKind::Summary => {}
    }
    m
}

/// Adds `b - a` to `into`.
pub fn add_difference(
    into: &mut BTreeMap<String, i64>,
    a: &BTreeMap<String, i64>,
    b: &BTreeMap<String, i64>,
) {
    for (k, v) in b {
        *into.entry(k.clone()).or_insert(0) += v;
    }
    for (k, v) in a {
        *into.entry(k.clone()).or_insert(0) -= v;
    }
    into.retain(|_, v| *v != 0);
}

/// The delta that applies `changes` to the node's summary record `current`.
pub fn publish(
    ctx: &Ctx,
    current: Option<&Record>,
    changes: &BTreeMap<String, i64>,
) -> Result<Record, Error> {
    let rid = id(ctx.node);
    let held = current.and_then(|r| r.summary(ctx.node));
    let mut s = SummarySection {
        at: Max(ctx.at),
        ..SummarySection::default()
    };
    for (k, d) in changes {
        let now = held
            .and_then(|h| h.counts.get(k))
            .map(|l| *l.get() as i64)
            .unwrap_or(0);
        s.counts
            .entry(k.clone())
            .set(ctx.at, (now + d).max(0) as u64);
    }
    Ok(Record::delta(rid, ctx.node, Section::Summary(s)))
}

/// The counters of a summary record as plain numbers.
pub fn counts(rec: &Record) -> BTreeMap<String, u64> {
    rec.summary(rec.id.home)
        .map(|s| {
            s.counts
                .iter()
                .map(|(k, v)| (k.clone(), *v.get()))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_cancel_and_keep_only_changes() {
        let a = BTreeMap::from([("x".to_string(), 1), ("y".to_string(), 2)]);
        let b = BTreeMap::from([("x".to_string(), 1), ("z".to_string(), 1)]);
        let mut d = BTreeMap::new();
        add_difference(&mut d, &a, &b);
        assert_eq!(
            d,
            BTreeMap::from([("y".to_string(), -2), ("z".to_string(), 1)])
        );
    }
}
