//! 答复承诺解决事项台账: what an answer promised, each entry with its
//! responsible unit, due date and state, kept by the node that answered in its
//! handling section and updated after 办结 too, so the handler and the
//! deputy's congress (the origin) see the same ledger and the same overdue.

use super::{Handling, Stage};
use crate::deputy::expect_kind;
use crate::{Ctx, Date, Error, Note, Record, RecordKind, Section, check_text};
use wuji_crdt::{History, Lww, Max, merge_fields};
use wuji_division::Code;

/// Where a promise stands; it only moves forward.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PromiseState {
    /// 未落实.
    #[default]
    Pending,
    /// 落实中.
    InProgress,
    /// 已落实.
    Done,
}

impl PromiseState {
    /// Every state, in order.
    pub const ALL: [PromiseState; 3] = [
        PromiseState::Pending,
        PromiseState::InProgress,
        PromiseState::Done,
    ];

    /// The offices' term.
    pub fn zh(self) -> &'static str {
        match self {
            PromiseState::Pending => "未落实",
            PromiseState::InProgress => "落实中",
            PromiseState::Done => "已落实",
        }
    }

    /// The name in JSON and counters.
    pub fn en(self) -> &'static str {
        match self {
            PromiseState::Pending => "pending",
            PromiseState::InProgress => "in_progress",
            PromiseState::Done => "done",
        }
    }

    /// From the English name or the offices' term.
    pub fn parse(s: &str) -> Option<PromiseState> {
        let s = s.trim();
        PromiseState::ALL
            .into_iter()
            .find(|p| p.en().eq_ignore_ascii_case(s) || p.zh() == s)
    }
}

/// One entry of the ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Promise {
    /// What was promised.
    pub text: Lww<String>,
    /// The responsible unit.
    pub unit: Lww<String>,
    /// By when.
    pub due_on: Lww<Option<Date>>,
    /// 未落实 < 落实中 < 已落实.
    pub state: Max<PromiseState>,
    /// The day it was reported done.
    pub done_on: Lww<Option<Date>>,
    /// Progress notes.
    pub updates: History<Note>,
}
merge_fields!(Promise {
    text,
    unit,
    due_on,
    state,
    done_on,
    updates
});

/// A ledger entry as the lists show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The node that answered and keeps the entry.
    pub keeper: Code,
    /// Its number in that node's ledger.
    pub number: u32,
    /// What was promised.
    pub text: String,
    /// The responsible unit.
    pub unit: String,
    /// By when.
    pub due_on: Option<Date>,
    /// Where it stands.
    pub state: PromiseState,
    /// True if not done and the due date has passed.
    pub overdue: bool,
}

/// The next free number in a handling section's ledger.
pub(crate) fn next_number(cur: Option<&Handling>) -> u32 {
    cur.and_then(|h| h.promises.iter().map(|(n, _)| *n).max())
        .unwrap_or(0)
        + 1
}

/// Adds the entries an answer names to the delta `h` (numbers from `first`).
pub(crate) fn from_answer(ctx: &Ctx, h: &mut Handling, first: u32, unit: &str, texts: &[String]) {
    for (i, t) in texts.iter().enumerate() {
        let e = h.promises.entry(first + i as u32);
        e.text = Lww::new(ctx.at, t.trim().to_string());
        e.unit = Lww::new(ctx.at, unit.trim().to_string());
    }
}

/// The node that answered the suggestion keeps its promises: its handling
/// section must hold an answer.
fn keeper<'a>(ctx: &Ctx, rec: &'a Record) -> Result<&'a Handling, Error> {
    expect_kind(rec.id, RecordKind::Suggestion)?;
    rec.handling(ctx.node)
        .filter(|h| h.answers.iter().next().is_some() || h.progress.0.stage >= Stage::Answered)
        .ok_or(Error::NotAnswerer { node: ctx.node })
}

/// 登记承诺事项: the answering node adds a promise to its ledger, at any stage
/// after its answer (after 办结 too).
pub fn add(
    ctx: &Ctx,
    rec: &Record,
    text: &str,
    unit: &str,
    due_on: Option<Date>,
) -> Result<Record, Error> {
    let cur = keeper(ctx, rec)?;
    check_text("promise", text, 2_000)?;
    check_text("unit", unit, ctx.rules.max_title_chars)?;
    let mut h = blank(ctx);
    let e = h.promises.entry(next_number(Some(cur)));
    e.text = Lww::new(ctx.at, text.trim().to_string());
    e.unit = Lww::new(ctx.at, unit.trim().to_string());
    e.due_on = Lww::new(ctx.at, due_on);
    Ok(Record::delta(rec.id, ctx.node, Section::Handling(h)))
}

/// What a ledger update changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Update {
    /// Move to this state (never back).
    pub state: Option<PromiseState>,
    /// Set a new due date (延期 of the promise).
    pub due_on: Option<Date>,
    /// Set another responsible unit.
    pub unit: Option<String>,
    /// A progress note.
    pub note: Option<String>,
}

/// 跟踪落实: the keeper updates an entry (after 办结 too).
pub fn update(ctx: &Ctx, rec: &Record, number: u32, u: &Update) -> Result<Record, Error> {
    let cur = keeper(ctx, rec)?;
    let held = cur
        .promises
        .get(&number)
        .ok_or(Error::UnknownPromise { number })?;
    let mut h = blank(ctx);
    let e = h.promises.entry(number);
    if let Some(s) = u.state {
        if s < held.state.0 {
            return Err(Error::WrongPromiseStep {
                from: held.state.0,
                to: s,
            });
        }
        e.state = Max(s);
        if s == PromiseState::Done && held.state.0 != PromiseState::Done {
            e.done_on = Lww::new(ctx.at, Some(ctx.today));
        }
    }
    if let Some(d) = u.due_on {
        e.due_on = Lww::new(ctx.at, Some(d));
    }
    if let Some(unit) = &u.unit {
        check_text("unit", unit, ctx.rules.max_title_chars)?;
        e.unit = Lww::new(ctx.at, unit.trim().to_string());
    }
    if let Some(n) = &u.note {
        check_text("note", n, ctx.rules.max_text_chars)?;
        e.updates.push(
            ctx.at,
            Note {
                text: n.trim().to_string(),
                on: ctx.today,
            },
        );
    }
    Ok(Record::delta(rec.id, ctx.node, Section::Handling(h)))
}

fn blank(ctx: &Ctx) -> Handling {
    Handling {
        at: Max(ctx.at),
        ..Handling::default()
    }
}

/// Every entry of every keeper's ledger on the suggestion, as of `today`.
pub fn ledger(rec: &Record, today: Date) -> Vec<Entry> {
    rec.handlings()
        .flat_map(|(keeper, h)| {
            h.promises.iter().map(move |(n, p)| {
                let state = p.state.0;
                Entry {
                    keeper,
                    number: *n,
                    text: p.text.get().clone(),
                    unit: p.unit.get().clone(),
                    due_on: *p.due_on.get(),
                    state,
                    overdue: state != PromiseState::Done
                        && p.due_on.get().is_some_and(|d| d < today),
                }
            })
        })
        .collect()
}
