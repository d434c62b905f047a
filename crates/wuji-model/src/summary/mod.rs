//! Node summary: a node's counts over its whole subtree (the records homed at
//! it, plus its children's summaries), published upwards as its own record so
//! that ancestors read the whole tree's status without holding every record.
//! The counts are kept incrementally: each change adds its record's
//! contribution after the change and subtracts the one before.

use crate::suggestion::promises::PromiseState;
use crate::suggestion::view;
use crate::{
    Ctx, Error, Record, RecordId, RecordKind, Rules, Section, activity, assignment, contact,
    directory, supervision, vacancy,
};
use std::collections::BTreeMap;
use uuid::Uuid;
use wuji_crdt::{Lww, Max, Stamp, merge_fields};
use wuji_division::Code;

pub mod months;

/// The summary section, written only by the node it describes.
///
/// Counters are keyed by a dotted name, e.g. `suggestion.status.closed` or
/// `deputy.county.in_office`. The node rewrites them all together, so they
/// are one register: a counter that falls to zero leaves it (a register per
/// counter kept every day's deadline bucket for ever, and a summary is
/// rewritten with every change below it), and the record carries one stamp,
/// not one per counter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummarySection {
    /// When the owner last wrote this section.
    pub at: Max<Stamp>,
    /// The named counters, none zero.
    pub counts: Lww<Counts>,
}

/// A summary's counters by name.
pub type Counts = BTreeMap<String, u64>;
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

/// Where a suggestion handled by `handler` is counted in `holder`'s summary:
/// the holder itself, the child region of the holder the handler lies in, or
/// (escalated above) the handler. So a summary has a handler key per child at
/// most, at any level (the national node's would otherwise name every one of
/// 44,000 congresses and be rewritten with every change; the simulator found
/// it); the breakdown below a child is in that child's summary.
pub fn handled_in(handler: Code, holder: Code) -> Code {
    if handler == holder || !holder.contains(handler) {
        return handler;
    }
    std::iter::once(handler)
        .chain(handler.ancestors())
        .find(|c| c.parent() == Some(holder))
        .unwrap_or(handler)
}

/// What one record held by `holder` adds to its summary: a record homed at
/// the holder adds its own counts ([`own_counts_of`]), the summary of a child
/// region adds that child's counts of its subtree ([`from_child`]), anything
/// else nothing. So a node's figures cover its whole subtree without holding
/// the records below it (detail stops at the horizon; counts go all the way),
/// and every record is counted once at every level.
pub fn contribution(rec: &Record, rules: &Rules, holder: Code) -> BTreeMap<String, i64> {
    contribution_adopting(rec, rules, holder, &[])
}

/// [`contribution`] at a holder that also counts the summaries of `adopted`
/// nodes below it: nodes that link to it across a level running no node.
pub fn contribution_adopting(
    rec: &Record,
    rules: &Rules,
    holder: Code,
    adopted: &[Code],
) -> BTreeMap<String, i64> {
    match rec.id.kind {
        RecordKind::Summary if counts_as_child(rec, holder, adopted) => from_child(rec, holder),
        RecordKind::Summary => BTreeMap::new(),
        _ if rec.id.home == holder => own_counts_of(rec, rules, holder),
        _ => BTreeMap::new(),
    }
}

/// A child's summary as counts of `holder`, with each handler folded to where
/// the holder counts it. (Counts per lead deputy and month, which summaries
/// written before this version carry, are left out: they grew with every
/// month and were rewritten with every change below.)
pub fn from_child(child: &Record, holder: Code) -> BTreeMap<String, i64> {
    let mut m = BTreeMap::new();
    for (k, v) in counts(child) {
        if k.starts_with("deputy_month.") || v == 0 {
            continue;
        }
        *m.entry(fold_handler(&k, holder)).or_insert(0) += v as i64;
    }
    m
}

/// True if `holder` counts the summary `rec` as a child's (its child's, or an
/// adopted node's below a level that runs none).
pub fn counts_as_child(rec: &Record, holder: Code, adopted: &[Code]) -> bool {
    rec.id.kind == RecordKind::Summary
        && (rec.id.home.parent() == Some(holder) || adopted.contains(&rec.id.home))
}

/// The change of `holder`'s counts when a child's summary goes from `before`
/// to `now`: what `from_child(now) - from_child(before)` is, from the counters
/// that changed only (a child's summary changes with every write below it,
/// and most of its counters do not).
pub fn child_change(before: Option<&Record>, now: &Record, holder: Code) -> BTreeMap<String, i64> {
    fn section(r: &Record) -> Option<&Counts> {
        r.summary(r.id.home).map(|s| s.counts.get())
    }
    let empty = Counts::new();
    let old = before.and_then(section).unwrap_or(&empty);
    let new = section(now).unwrap_or(&empty);
    let mut m = BTreeMap::new();
    let mut note = |k: &String, d: i64| {
        if d != 0 && !k.starts_with("deputy_month.") {
            *m.entry(fold_handler(k, holder)).or_insert(0) += d;
        }
    };
    for (k, v) in new {
        note(k, *v as i64 - old.get(k).map_or(0, |o| *o as i64));
    }
    for (k, v) in old {
        if !new.contains_key(k) {
            note(k, -(*v as i64));
        }
    }
    m.retain(|_, v| *v != 0);
    m
}

/// A child's counter name as `holder` counts it: a handler folded to where
/// the holder counts it ([`handled_in`]), anything else as it is.
fn fold_handler(k: &str, holder: Code) -> String {
    match k
        .strip_prefix("suggestion.handler.")
        .and_then(|c| Code::parse(c).ok())
    {
        Some(h) => format!("suggestion.handler.{}", handled_in(h, holder)),
        None => k.to_string(),
    }
}

/// The counts `holder`'s summary holds for its subtree, recounted from the
/// records themselves wherever they are held (summaries left out): each
/// record homed in the holder's region counted once. What the simulator
/// checks every summary against.
pub fn recount_subtree<'a>(
    records: impl IntoIterator<Item = &'a Record>,
    rules: &Rules,
    holder: Code,
) -> BTreeMap<String, i64> {
    sum(records
        .into_iter()
        .filter(|r| r.id.kind != RecordKind::Summary && holder.contains(r.id.home))
        .map(|r| own_counts_of(r, rules, holder)))
}

/// The sum of counts, as a map without zeros.
fn sum(parts: impl Iterator<Item = BTreeMap<String, i64>>) -> BTreeMap<String, i64> {
    let mut total = BTreeMap::new();
    for p in parts {
        add_difference(&mut total, &BTreeMap::new(), &p);
    }
    total
}

/// The counts one record adds to `holder`'s figures, whichever node holds it:
/// by status, category, handler (folded by [`handled_in`]), class, rating and
/// running deadline, and the months of its 提出 and 办结. Nothing keyed by
/// deputy, and months only within a rolling window ([`months`]): a summary is
/// rewritten with every change below it, so its size must not grow with time
/// (a deputy's own congress holds the deputy's suggestions to count from).
pub fn own_counts_of(rec: &Record, rules: &Rules, holder: Code) -> BTreeMap<String, i64> {
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
            add(
                format!("suggestion.handler.{}", handled_in(v.handler, holder)),
                1,
            );
            // Running deadlines by day: overdue on any date is the sum of the
            // days before it, so the count needs no daily recomputation.
            if v.status == view::Status::Assigned
                && let Some(d) = v.deadline
            {
                add(format!("suggestion.deadline.{}", d.strftime("%Y%m%d")), 1);
            }
            if let Some(o) = rec.origin(rec.id.home) {
                if !o.category.get().is_empty() {
                    add(format!("suggestion.category.{}", o.category.get()), 1);
                }
                if let Some(on) = o.submitted_on.get() {
                    add(months::submitted_key(*on), 1);
                }
            }
            if v.status == view::Status::Closed
                && let Some(on) = rec.handling(v.handler).and_then(|h| *h.closed_on.get())
            {
                add(months::closed_key(on), 1);
            }
            if let Some(a) = v.latest_answer
                && let Some(ans) = rec.handling(a.handler).and_then(|h| h.answers.get(&a.at))
            {
                add(
                    format!("suggestion.class.{}.{:?}", ans.scheme.name(), ans.class),
                    1,
                );
                // 按时答复: answered by the round's 答复期限.
                add("suggestion.answered".into(), 1);
                if v.deadline.is_some_and(|d| ans.on <= d) {
                    add("suggestion.answered_on_time".into(), 1);
                }
            }
            if let Some(r) = v.rating {
                add(format!("suggestion.rating.{}", snake(&format!("{r:?}"))), 1);
            }
            // 答复承诺事项台账: entries by state, and the open ones by due day
            // (overdue on a date is the sum of the days before it, as above).
            for (_, h) in rec.handlings() {
                for (_, p) in h.promises.iter() {
                    add(format!("promise.{}", p.state.0.en()), 1);
                    if p.state.0 != PromiseState::Done
                        && let Some(d) = p.due_on.get()
                    {
                        add(format!("promise.due.{}", d.strftime("%Y%m%d")), 1);
                    }
                }
            }
        }
        RecordKind::Activity => {
            if let Some(a) = activity::live(rec) {
                add("activity.total".into(), 1);
                add(format!("activity.kind.{}", a.kind.get().en()), 1);
                add(
                    "activity.participations".into(),
                    a.participants.len() as i64,
                );
                if let Some(r) = a.review.get() {
                    add(format!("activity.review.{}", snake(&format!("{r:?}"))), 1);
                }
            }
        }
        RecordKind::Directory => {
            if let Some(e) = directory::open(rec) {
                let kind = e.kind.get().en();
                add(format!("directory.{kind}"), 1);
                if directory::without_deputy(rec) {
                    add(format!("directory.{kind}.without_deputy"), 1);
                }
            }
        }
        RecordKind::Contact => {
            if let Some(c) = contact::running(rec) {
                add(format!("contact.{}", c.kind.get().en()), 1);
                add("contact.visits".into(), c.visits.iter().count() as i64);
            }
        }
        RecordKind::Seats => {
            if let Some(s) = rec.seats(rec.id.home) {
                add("seats.quota".into(), i64::from(*s.quota.get()));
            }
        }
        RecordKind::Vacancy => {
            add("vacancy.total".into(), 1);
            add(format!("vacancy.{}", vacancy::state(rec).en()), 1);
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
        RecordKind::Summary | RecordKind::Calendar => {}
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

/// The counts of `holder` recounted from scratch over the `records` it holds
/// (its own and its children's summaries), as a map without zeros.
pub fn recount<'a>(
    records: impl IntoIterator<Item = &'a Record>,
    rules: &Rules,
    holder: Code,
) -> BTreeMap<String, i64> {
    sum(records.into_iter().map(|r| contribution(r, rules, holder)))
}

/// The delta that sets the node's summary record `current` to exactly `full`
/// (every counter not in `full` to zero): how a node replaces counts it cannot
/// trust, e.g. its own summary returned by a peer after a rebuild or restore.
pub fn restate(
    ctx: &Ctx,
    current: Option<&Record>,
    full: &BTreeMap<String, i64>,
) -> Result<Record, Error> {
    let held: BTreeMap<String, i64> = current
        .map(counts)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v as i64))
        .collect();
    let mut changes = BTreeMap::new();
    add_difference(&mut changes, &held, full);
    publish(ctx, current, &changes)
}

/// The delta that applies `changes` to the node's summary record `current`:
/// every counter, as the register is written whole.
pub fn publish(
    ctx: &Ctx,
    current: Option<&Record>,
    changes: &BTreeMap<String, i64>,
) -> Result<Record, Error> {
    let rid = id(ctx.node);
    let mut counts: Counts = current
        .and_then(|r| r.summary(ctx.node))
        .map(|h| h.counts.get().clone())
        .unwrap_or_default();
    for (k, d) in changes {
        let now = counts.get(k).map_or(0, |v| *v as i64);
        let next = (now + d).max(0) as u64;
        if next == 0 {
            counts.remove(k);
        } else {
            counts.insert(k.clone(), next);
        }
    }
    months::keep_window(&mut counts, ctx.today);
    let s = SummarySection {
        at: Max(ctx.at),
        counts: Lww::new(ctx.at, counts),
    };
    Ok(Record::delta(rid, ctx.node, Section::Summary(s)))
}

/// Suggestions past their deadline on `today` with no answer, from the
/// deadline buckets of a summary's counters.
pub fn overdue(counts: &BTreeMap<String, u64>, today: crate::Date) -> u64 {
    let today = today.strftime("%Y%m%d").to_string();
    counts
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("suggestion.deadline.").map(|d| (d, v)))
        .filter(|(d, _)| *d < today.as_str())
        .map(|(_, v)| *v)
        .sum()
}

/// Promises not done whose due date is before `today` (逾期未落实), from the
/// due-day buckets of a summary's counters.
pub fn promises_overdue(counts: &BTreeMap<String, u64>, today: crate::Date) -> u64 {
    let today = today.strftime("%Y%m%d").to_string();
    counts
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("promise.due.").map(|d| (d, v)))
        .filter(|(d, _)| *d < today.as_str())
        .map(|(_, v)| *v)
        .sum()
}

/// Suggestions in handling whose 答复期限 falls in the next `days` days after
/// `today` (临期; 15 days in the offices' reports).
pub fn due_within(counts: &BTreeMap<String, u64>, today: crate::Date, days: i64) -> u64 {
    let until = today
        .checked_add(jiff::Span::new().days(days))
        .unwrap_or(today)
        .strftime("%Y%m%d")
        .to_string();
    let today = today.strftime("%Y%m%d").to_string();
    counts
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("suggestion.deadline.").map(|d| (d, v)))
        .filter(|(d, _)| *d >= today.as_str() && *d <= until.as_str())
        .map(|(_, v)| *v)
        .sum()
}

/// Each node's own figure of `key` where every summary counts its subtree:
/// its count less the counts of the nearest nodes below it in `rows`, so the
/// own figures of a node and everything below it add up to its subtree figure.
pub fn own_counts(rows: &[(Code, &BTreeMap<String, u64>)], key: &str) -> Vec<u64> {
    let get = |m: &BTreeMap<String, u64>| m.get(key).copied().unwrap_or(0);
    let mut own: Vec<u64> = rows.iter().map(|(_, m)| get(m)).collect();
    let at: BTreeMap<Code, usize> = rows.iter().enumerate().map(|(i, (c, _))| (*c, i)).collect();
    for (code, m) in rows {
        // The nearest row above this one: its first ancestor with a row
        // (a walk up the tree, not a search of every row: the national node
        // holds tens of thousands).
        let mut up = code.parent();
        while let Some(c) = up {
            if let Some(&j) = at.get(&c) {
                own[j] = own[j].saturating_sub(get(m));
                break;
            }
            up = c.parent();
        }
    }
    own
}

/// The counters of a summary record as plain numbers.
pub fn counts(rec: &Record) -> BTreeMap<String, u64> {
    rec.summary(rec.id.home)
        .map(|s| s.counts.get().clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
