//! 交办: tasks a higher congress hands down to regions below, with per-target
//! acknowledgement and reports.

use crate::deputy::expect_kind;
use crate::{Ctx, Date, Error, Record, RecordId, RecordKind, Section, check_text};
use wuji_crdt::{History, Lww, Max, OrSet, Stamp, merge_fields};
use wuji_division::Code;

/// Where a target stands, as a lattice: it only moves forward.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResponseState {
    /// 待签收: not yet acknowledged.
    #[default]
    Pending,
    /// 已签收.
    Acknowledged,
    /// 已报告: at least one progress report.
    Reported,
    /// 已完成.
    Done,
}

/// A progress report from a target.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Report {
    /// What was done.
    pub text: String,
    /// True if this report says the task is complete.
    pub done: bool,
    /// When.
    pub on: Date,
}

/// The assignment as issued, written by the issuer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Issue {
    /// When the owner last wrote this section.
    pub at: Max<Stamp>,
    /// Title.
    pub title: Lww<String>,
    /// Text.
    pub text: Lww<String>,
    /// Target regions (each target and every node inside it sees the assignment).
    pub targets: OrSet<Code>,
    /// Due date.
    pub due_on: Lww<Option<Date>>,
    /// Date issued.
    pub issued_on: Lww<Option<Date>>,
}
merge_fields!(Issue {
    at,
    title,
    text,
    targets,
    due_on,
    issued_on
});

/// A target's response, written by the target node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// When the owner last wrote this section.
    pub at: Max<Stamp>,
    /// Where it stands.
    pub state: Max<ResponseState>,
    /// Date acknowledged.
    pub acknowledged_on: Lww<Option<Date>>,
    /// Progress reports.
    pub reports: History<Report>,
}
merge_fields!(Response {
    at,
    state,
    acknowledged_on,
    reports
});

/// 下发: issues an assignment to target regions strictly inside the issuer's.
pub fn issue(
    ctx: &Ctx,
    id: RecordId,
    title: &str,
    text: &str,
    targets: &[Code],
    due_on: Option<Date>,
) -> Result<Record, Error> {
    expect_kind(id, RecordKind::Assignment)?;
    crate::common::require_home(ctx, id.home, "issue an assignment under this id")?;
    check_text("title", title, ctx.rules.max_title_chars)?;
    check_text("text", text, ctx.rules.max_text_chars)?;
    if targets.is_empty() {
        return Err(Error::NoTargets);
    }
    for t in targets {
        if !t.is_inside(id.home) {
            return Err(Error::OutsideRegion {
                node: *t,
                region: id.home,
            });
        }
    }
    if let Some(due) = due_on
        && due < ctx.today
    {
        return Err(Error::DueInPast { due });
    }
    let at = ctx.at;
    let s = Issue {
        at: Max(at),
        title: Lww::new(at, title.trim().to_string()),
        text: Lww::new(at, text.trim().to_string()),
        targets: targets.iter().map(|t| (*t, at)).collect(),
        due_on: Lww::new(at, due_on),
        issued_on: Lww::new(at, Some(ctx.today)),
    };
    Ok(Record::delta(id, ctx.node, Section::Issue(s)))
}

/// True if `node` is one of the targets or lies inside one.
pub fn is_target(rec: &Record, node: Code) -> bool {
    rec.issue(rec.id.home)
        .is_some_and(|i| i.targets.iter().any(|t| t.contains(node)))
}

/// 签收: a target acknowledges the assignment.
pub fn acknowledge(ctx: &Ctx, rec: &Record) -> Result<Record, Error> {
    let cur = target_response(ctx, rec)?;
    if cur.is_some_and(|r| r.state.0 >= ResponseState::Acknowledged) {
        return Err(Error::AlreadyAcknowledged);
    }
    let r = Response {
        at: Max(ctx.at),
        state: Max(ResponseState::Acknowledged),
        acknowledged_on: Lww::new(ctx.at, Some(ctx.today)),
        ..Response::default()
    };
    Ok(Record::delta(rec.id, ctx.node, Section::Response(r)))
}

/// 报告: a target reports progress, or completion with `done`.
pub fn report(ctx: &Ctx, rec: &Record, text: &str, done: bool) -> Result<Record, Error> {
    let cur = target_response(ctx, rec)?;
    check_text("text", text, ctx.rules.max_text_chars)?;
    let state = cur.map(|r| r.state.0).unwrap_or_default();
    if state == ResponseState::Done {
        return Err(Error::AlreadyDone);
    }
    let mut r = Response {
        at: Max(ctx.at),
        state: Max(if done {
            ResponseState::Done
        } else {
            ResponseState::Reported
        }),
        ..Response::default()
    };
    if state < ResponseState::Acknowledged {
        r.acknowledged_on = Lww::new(ctx.at, Some(ctx.today));
    }
    r.reports.push(
        ctx.at,
        Report {
            text: text.trim().to_string(),
            done,
            on: ctx.today,
        },
    );
    Ok(Record::delta(rec.id, ctx.node, Section::Response(r)))
}

fn target_response<'a>(ctx: &Ctx, rec: &'a Record) -> Result<Option<&'a Response>, Error> {
    expect_kind(rec.id, RecordKind::Assignment)?;
    if !is_target(rec, ctx.node) {
        return Err(Error::NotTarget { node: ctx.node });
    }
    Ok(rec.response(ctx.node))
}

/// How many targets have finished, and how many there are.
pub fn done_count(rec: &Record) -> (usize, usize) {
    let Some(issue) = rec.issue(rec.id.home) else {
        return (0, 0);
    };
    let total = issue.targets.len();
    let done = issue
        .targets
        .iter()
        .filter(|t| {
            rec.response(**t)
                .is_some_and(|r| r.state.0 == ResponseState::Done)
        })
        .count();
    (done, total)
}
