//! Derived views of a suggestion: status, current handler, round, deadline, overdue.
//!
//! Pure functions of the merged record, so they converge when the sections do.
//! Precedence where sections disagree: a withdrawal by the origin ends handling
//! everywhere; then 并案; then the current handler's own progress. The current
//! handler is the target of the latest forward (a later escalation wins over an
//! earlier one), or the origin if nothing was forwarded.

use super::{Answer, AnswerRef, Handling, Satisfaction, Stage, UnitRole};
use crate::{Date, Record, Rules};
use std::collections::BTreeSet;
use wuji_division::Code;

/// A suggestion's status as an office sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// 待登记: at a handler that has not registered it.
    Submitted,
    /// 已登记.
    Registered,
    /// 办理中: assigned to units, deadline running.
    Assigned,
    /// 待重新交办: the lead unit (or every unit) returned it (退办); its clock
    /// stops until the handler assigns it again.
    AwaitingReassignment,
    /// 已答复.
    Answered,
    /// 不满意待重办: the deputy rated the latest answer dissatisfied.
    AwaitingRehandling,
    /// 办结.
    Closed,
    /// 已撤回.
    Withdrawn,
    /// 已并案: handled together with another suggestion; it stays open until
    /// its own deputy has rated the answer of that suggestion and it is closed.
    Merged,
}

impl Status {
    /// The office's term.
    pub fn zh(self) -> &'static str {
        match self {
            Status::Submitted => "待登记",
            Status::Registered => "已登记",
            Status::Assigned => "办理中",
            Status::AwaitingReassignment => "待重新交办",
            Status::Answered => "已答复",
            Status::AwaitingRehandling => "待重办",
            Status::Closed => "已办结",
            Status::Withdrawn => "已撤回",
            Status::Merged => "已并案",
        }
    }

    /// True when nothing more will happen to it.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Closed | Status::Withdrawn)
    }
}

/// Everything derived about a suggestion at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// Status.
    pub status: Status,
    /// The node handling it now.
    pub handler: Code,
    /// The current round at that handler (0 before registration).
    pub round: u32,
    /// The stage of that round.
    pub stage: Stage,
    /// When the current round must be answered (答复期限), once assigned.
    pub deadline: Option<Date>,
    /// True if the handler fixed that date under a provisional holiday calendar.
    pub deadline_provisional: bool,
    /// The latest answer of the current round.
    pub latest_answer: Option<AnswerRef>,
    /// The deputy's rating of that answer.
    pub rating: Option<Satisfaction>,
}

impl View {
    /// True if the current round is past its deadline on `on` with no answer.
    pub fn is_overdue(&self, on: Date) -> bool {
        self.status == Status::Assigned && self.deadline.is_some_and(|d| on > d)
    }
}

/// Every node entitled to hold a handling section: the origin, and the target of
/// every forward made by a node already in the chain (least fixpoint, so a node
/// that forwards without being in the chain adds nobody).
pub fn handling_chain(rec: &Record) -> BTreeSet<Code> {
    let mut chain = BTreeSet::from([rec.id.home]);
    loop {
        let mut grew = false;
        for (owner, h) in rec.handlings() {
            if !chain.contains(&owner) {
                continue;
            }
            for (_, f) in h.forwards.iter() {
                grew |= chain.insert(f.to);
            }
        }
        if !grew {
            return chain;
        }
    }
}

/// The node handling the suggestion now.
pub fn current_handler(rec: &Record) -> Code {
    let chain = handling_chain(rec);
    rec.handlings()
        .filter(|(owner, _)| chain.contains(owner))
        .flat_map(|(_, h)| h.forwards.iter())
        .max_by_key(|(at, _)| **at)
        .map(|(_, f)| f.to)
        .unwrap_or(rec.id.home)
}

/// The latest answer of the handler's current round.
pub fn latest_answer(h: &Handling) -> Option<(wuji_crdt::Stamp, &Answer)> {
    let round = h.progress.0.round;
    h.answers
        .iter()
        .rev()
        .find(|(_, a)| a.round == round)
        .map(|(at, a)| (*at, a))
}

/// The answer deadline of a handling section's current round: the date the
/// handler fixed, or for sections written before deadlines were stored, the
/// period counted with `rules` (not moved off holidays).
pub fn deadline(h: &Handling, rules: &Rules) -> Option<Date> {
    if let Some(d) = *h.deadline.get() {
        return Some(d);
    }
    let months = |n: u8| jiff::Span::new().months(i64::from(n));
    if h.progress.0.round > 1 {
        let since = (*h.rehandle_since.get())?;
        since.checked_add(months(rules.rehandle_months)).ok()
    } else {
        let from = (*h.assigned_on.get())?;
        let ext = (*h.extension_months.get()).min(rules.max_extension_months);
        from.checked_add(months(rules.answer_months + ext)).ok()
    }
}

/// True when no unit is left to answer: every unit returned it, or the lead
/// of a lead-and-co assignment did.
pub fn needs_reassignment(h: &Handling) -> bool {
    let roles: Vec<UnitRole> = h.units.iter().map(|u| u.role).collect();
    roles.is_empty() || (!roles.contains(&UnitRole::Separate) && !roles.contains(&UnitRole::Lead))
}

/// Derives the full view of a suggestion.
pub fn view(rec: &Record, rules: &Rules) -> View {
    let handler = current_handler(rec);
    let origin = rec.origin(rec.id.home);
    let h = rec.handling(handler);
    let progress = h.map(|h| h.progress.0).unwrap_or_default();
    let latest = h
        .and_then(latest_answer)
        .map(|(at, _)| AnswerRef { handler, at });
    let merged = h.is_some_and(|h| h.merged_into.get().is_some());
    let rating = if merged {
        // A merged suggestion's deputy rates the answer of the one it joined:
        // the latest rating given.
        origin.and_then(|o| {
            o.feedback
                .iter()
                .filter_map(|(_, f)| f.get().as_ref().map(|x| (f.at, x.rating)))
                .max()
                .map(|(_, r)| r)
        })
    } else {
        latest.and_then(|r| {
            origin
                .and_then(|o| o.feedback.get(&r))
                .and_then(|f| f.get().as_ref())
                .map(|f| f.rating)
        })
    };
    let status = if origin.is_some_and(|o| o.withdrawn.0.is_some()) {
        Status::Withdrawn
    } else if merged && progress.stage == Stage::Closed {
        Status::Closed
    } else if merged {
        Status::Merged
    } else {
        match progress.stage {
            Stage::New => Status::Submitted,
            Stage::Registered => Status::Registered,
            Stage::Assigned if h.is_some_and(needs_reassignment) => Status::AwaitingReassignment,
            Stage::Assigned => Status::Assigned,
            Stage::Answered if rating == Some(Satisfaction::Dissatisfied) => {
                Status::AwaitingRehandling
            }
            Stage::Answered => Status::Answered,
            Stage::Closed => Status::Closed,
        }
    };
    View {
        status,
        handler,
        round: progress.round,
        stage: progress.stage,
        deadline: h.and_then(|h| deadline(h, rules)),
        deadline_provisional: h.is_some_and(|h| *h.deadline_provisional.get()),
        latest_answer: latest,
        rating,
    }
}
