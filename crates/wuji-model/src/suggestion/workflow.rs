//! Workflow of a suggestion: each office action becomes a section delta, or a typed
//! error naming the rule it breaks. Nothing here writes anywhere; the caller merges
//! the returned delta into its store.

use super::view::{self, Status, View};
use super::*;
use crate::deputy::expect_kind;
use crate::{Ctx, Error, Record, RecordId, RecordKind, Role, Section, check_text};
use wuji_crdt::{Lww, Max};

mod merge;
pub use merge::{feedback_merged, merge_into, merged_target};

/// What an office types in to submit a suggestion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    /// 议案 / 建议 / 群众意见.
    pub kind: SuggestionKind,
    /// Person id of the lead submitter.
    pub lead: String,
    /// Person ids of co-signers.
    pub cosigners: Vec<String>,
    /// Category.
    pub category: String,
    /// Title.
    pub title: String,
    /// Text.
    pub text: String,
    /// Raised during the session.
    pub during_session: bool,
    /// The platform's own work-order id (`12345:GD2026...`), or empty.
    pub external_id: String,
    /// The citizen opinion this suggestion takes up (群众意见 → 代表建议).
    pub from_opinion: Option<crate::RecordId>,
}

/// 提出: the origin section of a new suggestion.
pub fn submit(ctx: &Ctx, id: RecordId, d: &Draft) -> Result<Record, Error> {
    expect_kind(id, RecordKind::Suggestion)?;
    crate::common::require_home(ctx, id.home, "submit a suggestion with this origin")?;
    check_text("lead", &d.lead, 64)?;
    check_text("title", &d.title, ctx.rules.max_title_chars)?;
    check_text("text", &d.text, ctx.rules.max_text_chars)?;
    for c in &d.cosigners {
        check_text("cosigner", c, 64)?;
    }
    check_external_id(&d.external_id)?;
    if let Some(op) = d.from_opinion {
        expect_kind(op, RecordKind::Suggestion)?;
        // Taken up by a congress whose region holds the station.
        if !id.home.contains(op.home) {
            return Err(Error::OutsideRegion {
                node: op.home,
                region: id.home,
            });
        }
    }
    let at = ctx.at;
    let o = Origin {
        at: Max(at),
        kind: Lww::new(at, d.kind),
        lead: Lww::new(at, d.lead.trim().to_string()),
        cosigners: d
            .cosigners
            .iter()
            .map(|c| (c.trim().to_string(), at))
            .collect(),
        category: Lww::new(at, d.category.trim().to_string()),
        title: Lww::new(at, d.title.trim().to_string()),
        text: Lww::new(at, d.text.trim().to_string()),
        during_session: Lww::new(at, d.during_session),
        submitted_on: Lww::new(at, Some(ctx.today)),
        external_id: Lww::new(at, d.external_id.trim().to_string()),
        from_opinion: Lww::new(
            at,
            d.from_opinion.map(|op| MergeTarget {
                home: Some(op.home),
                uuid: op.uuid,
            }),
        ),
        ..Origin::default()
    };
    Ok(Record::delta(id, ctx.node, Section::Origin(o)))
}

/// The longest external id taken.
pub const MAX_EXTERNAL_ID: usize = 128;

/// An external id is empty, or a platform's id on one line of at most
/// [`MAX_EXTERNAL_ID`] characters.
pub fn check_external_id(s: &str) -> Result<(), Error> {
    if s.is_empty() {
        return Ok(());
    }
    check_text("external_id", s, MAX_EXTERNAL_ID)
}

/// 登记: the current handler registers it and gives it a number.
pub fn register(ctx: &Ctx, rec: &Record, number: &str) -> Result<Record, Error> {
    let (v, _) = at_handler(ctx, rec)?;
    check_text("number", number, 64)?;
    if v.stage != Stage::New {
        return Err(Error::AlreadyRegistered { node: ctx.node });
    }
    let mut h = blank(ctx);
    h.number = Lww::new(ctx.at, number.trim().to_string());
    h.registered_on = Lww::new(ctx.at, Some(ctx.today));
    h.progress = Max(Progress {
        round: v.round.max(1),
        stage: Stage::Registered,
    });
    Ok(delta(ctx, rec, h))
}

/// 交办: assigns handling units (one lead plus co-units, or all separate); the
/// deadline counts from today. Replaces the current set of units.
pub fn assign(ctx: &Ctx, rec: &Record, units: &[HandlingUnit]) -> Result<Record, Error> {
    let (v, cur) = at_handler(ctx, rec)?;
    if !matches!(v.stage, Stage::Registered | Stage::Assigned) {
        return Err(Error::WrongStage {
            action: "assign handling units",
            stage: v.stage,
        });
    }
    check_units(units)?;
    let mut h = blank(ctx);
    if let Some(cur) = cur {
        h.units = cur.units.clone();
        let present: Vec<HandlingUnit> = cur.units.iter().cloned().collect();
        for u in &present {
            h.units.remove(u);
        }
    }
    for u in units {
        let u = HandlingUnit {
            name: u.name.trim().to_string(),
            role: u.role,
        };
        h.units.add(u, ctx.at);
    }
    h.assigned_on = Lww::new(ctx.at, Some(ctx.today));
    // A change of units in a running round keeps the round's 答复期限; after a
    // 退办 left no unit to answer (待重新交办) the new units' clock starts today.
    if v.status != Status::Assigned || cur.is_none_or(|c| c.deadline.get().is_none()) {
        let months = if v.round > 1 {
            ctx.rules.rehandle_months
        } else {
            ctx.rules.answer_months + cur.map_or(0, |c| *c.extension_months.get())
        };
        fix_deadline(ctx, &mut h, ctx.today, months);
    }
    h.progress = Max(Progress {
        round: v.round,
        stage: Stage::Assigned,
    });
    Ok(delta(ctx, rec, h))
}

fn check_units(units: &[HandlingUnit]) -> Result<(), Error> {
    if units.is_empty() {
        return Err(Error::BadUnits {
            reason: "at least one handling unit is needed",
        });
    }
    for u in units {
        check_text("unit", &u.name, 100)?;
    }
    let leads = units.iter().filter(|u| u.role == UnitRole::Lead).count();
    let separate = units
        .iter()
        .filter(|u| u.role == UnitRole::Separate)
        .count();
    if separate > 0 && separate != units.len() {
        return Err(Error::BadUnits {
            reason: "分别办理: when units answer separately, every unit must be separate",
        });
    }
    if separate == 0 && leads != 1 {
        return Err(Error::BadUnits {
            reason: "主办: exactly one lead unit, the others co-handling",
        });
    }
    Ok(())
}

/// 协办意见: a co-handling unit sends its view to the lead unit.
pub fn co_view(ctx: &Ctx, rec: &Record, unit: &str, text: &str) -> Result<Record, Error> {
    let (v, cur) = at_handler(ctx, rec)?;
    require_stage(&v, Stage::Assigned, "send a co-handling view")?;
    check_text("text", text, ctx.rules.max_text_chars)?;
    if !has_unit(cur, unit, &[UnitRole::Co]) {
        return Err(Error::NotUnit {
            unit: unit.to_string(),
            role: "协办 co-handling",
        });
    }
    let mut h = blank(ctx);
    h.co_views.push(
        ctx.at,
        CoView {
            unit: unit.to_string(),
            text: text.trim().to_string(),
            on: ctx.today,
        },
    );
    Ok(delta(ctx, rec, h))
}

/// The last day a unit may return the suggestion (退办), counted in working
/// days from its assignment with this node's calendar.
pub fn return_window(ctx: &Ctx, rec: &Record) -> Option<crate::calendar::Counted> {
    let (_, cur) = at_handler(ctx, rec).ok()?;
    let assigned = (*cur?.assigned_on.get())?;
    let n = u32::from(ctx.rules.return_working_days);
    Some(ctx.calendar.add_working_days(assigned, n))
}

/// 退办: a unit returns a suggestion outside its remit, within the configured
/// number of working days after assignment. A window counted through a year
/// with only a provisional calendar never refuses: the official calendar may
/// give more days off, so a late return is accepted and the caller warns.
pub fn return_unit(ctx: &Ctx, rec: &Record, unit: &str, reason: &str) -> Result<Record, Error> {
    let (v, cur) = at_handler(ctx, rec)?;
    require_stage(&v, Stage::Assigned, "return to the sender (退办)")?;
    check_text("reason", reason, 2_000)?;
    let cur = cur.ok_or(Error::MissingSection {
        role: Role::Handling,
    })?;
    let roles = [UnitRole::Lead, UnitRole::Co, UnitRole::Separate];
    if !has_unit(Some(cur), unit, &roles) {
        return Err(Error::NotUnit {
            unit: unit.to_string(),
            role: "assigned",
        });
    }
    if let Some(w) = return_window(ctx, rec)
        && ctx.today > w.date
        && w.provisional.is_empty()
    {
        return Err(Error::ReturnTooLate {
            unit: unit.to_string(),
            days: u32::from(ctx.rules.return_working_days),
            last_day: w.date,
        });
    }
    let mut h = blank(ctx);
    h.units = cur.units.clone();
    for u in cur
        .units
        .iter()
        .filter(|u| u.name == unit)
        .cloned()
        .collect::<Vec<_>>()
    {
        h.units.remove(&u);
    }
    h.returns.push(
        ctx.at,
        Return {
            unit: unit.to_string(),
            reason: reason.trim().to_string(),
            on: ctx.today,
        },
    );
    Ok(delta(ctx, rec, h))
}

/// 延期: approves a longer time limit, up to the legal maximum.
pub fn extend(ctx: &Ctx, rec: &Record, months: u8) -> Result<Record, Error> {
    let (v, cur) = at_handler(ctx, rec)?;
    require_stage(&v, Stage::Assigned, "extend the time limit")?;
    if months == 0 || months > ctx.rules.max_extension_months {
        return Err(Error::ExtensionTooLong {
            months,
            max: ctx.rules.max_extension_months,
        });
    }
    let mut h = blank(ctx);
    h.extension_months = Lww::new(ctx.at, months);
    let since = cur
        .and_then(|c| {
            if v.round > 1 {
                *c.rehandle_since.get()
            } else {
                *c.assigned_on.get()
            }
        })
        .unwrap_or(ctx.today);
    let base = if v.round > 1 {
        ctx.rules.rehandle_months
    } else {
        ctx.rules.answer_months
    };
    fix_deadline(ctx, &mut h, since, base + months);
    Ok(delta(ctx, rec, h))
}

/// 答复: the lead unit (or a separately handling unit) answers with a class.
pub fn answer(
    ctx: &Ctx,
    rec: &Record,
    unit: &str,
    class: AnswerClass,
    text: &str,
    promises: &[String],
) -> Result<Record, Error> {
    let (v, cur) = at_handler(ctx, rec)?;
    let separate = has_unit(cur, unit, &[UnitRole::Separate]);
    let may = v.stage == Stage::Assigned || (v.stage == Stage::Answered && separate);
    if !may || v.status == Status::AwaitingRehandling {
        return Err(Error::WrongStage {
            action: "answer",
            stage: v.stage,
        });
    }
    let scheme = ctx.rules.answer_classes;
    if !scheme.allows(class) {
        return Err(Error::ClassNotInScheme { class, scheme });
    }
    if !has_unit(cur, unit, &[UnitRole::Lead, UnitRole::Separate]) {
        return Err(Error::NotUnit {
            unit: unit.to_string(),
            role: "主办 lead or 分别办理 separate",
        });
    }
    check_text("text", text, ctx.rules.max_text_chars)?;
    for p in promises {
        check_text("promise", p, 2_000)?;
    }
    let mut h = blank(ctx);
    h.answers.push(
        ctx.at,
        Answer {
            round: v.round,
            unit: unit.to_string(),
            class,
            scheme,
            text: text.trim().to_string(),
            promises: promises.iter().map(|p| p.trim().to_string()).collect(),
            on: ctx.today,
        },
    );
    // Each promise becomes an entry of this node's ledger (答复承诺事项台账),
    // the answering unit responsible until the office says otherwise.
    super::promises::from_answer(
        ctx,
        &mut h,
        super::promises::next_number(cur),
        unit,
        promises,
    );
    h.progress = Max(Progress {
        round: v.round,
        stage: Stage::Answered,
    });
    Ok(delta(ctx, rec, h))
}

/// 代表反馈: the origin records the deputy's rating of one answer.
pub fn feedback(
    ctx: &Ctx,
    rec: &Record,
    answer: AnswerRef,
    rating: Satisfaction,
    comment: &str,
) -> Result<Record, Error> {
    let v = at_origin(ctx, rec)?;
    if v.status.is_final() {
        return Err(Error::Final { status: v.status });
    }
    let exists = rec
        .handling(answer.handler)
        .is_some_and(|h| h.answers.get(&answer.at).is_some());
    if !exists {
        return Err(Error::NoSuchAnswer);
    }
    Ok(rate(ctx, rec, answer, rating, comment))
}

/// The view of a suggestion whose deputy's feedback this node (its origin)
/// records.
fn at_origin(ctx: &Ctx, rec: &Record) -> Result<View, Error> {
    expect_kind(rec.id, RecordKind::Suggestion)?;
    crate::common::require_home(ctx, rec.id.home, "record the deputy's feedback")?;
    Ok(view::view(rec, ctx.rules))
}

/// The origin's delta recording a rating of `answer`.
fn rate(ctx: &Ctx, rec: &Record, answer: AnswerRef, rating: Satisfaction, comment: &str) -> Record {
    let mut o = Origin {
        at: Max(ctx.at),
        ..Origin::default()
    };
    let fb = Feedback {
        rating,
        comment: comment.trim().to_string(),
        on: ctx.today,
    };
    o.feedback.entry(answer).set(ctx.at, Some(fb));
    Record::delta(rec.id, ctx.node, Section::Origin(o))
}

/// 重新办理: after a dissatisfied rating the handler opens a new round.
pub fn rehandle(ctx: &Ctx, rec: &Record) -> Result<Record, Error> {
    let (v, _) = at_handler(ctx, rec)?;
    if v.status != Status::AwaitingRehandling {
        return Err(Error::NotDissatisfied);
    }
    let mut h = blank(ctx);
    h.progress = Max(Progress {
        round: v.round + 1,
        stage: Stage::Assigned,
    });
    h.rehandle_since = Lww::new(ctx.at, Some(ctx.today));
    fix_deadline(ctx, &mut h, ctx.today, ctx.rules.rehandle_months);
    Ok(delta(ctx, rec, h))
}

/// 办结: closes an answered suggestion the deputy is not dissatisfied with;
/// a merged one once its deputy has rated the joined suggestion's answer.
pub fn close(ctx: &Ctx, rec: &Record) -> Result<Record, Error> {
    let merged = view::view(rec, ctx.rules);
    if merged.status == Status::Merged {
        if merged.handler != ctx.node {
            return Err(Error::NotHandler {
                node: ctx.node,
                handler: merged.handler,
            });
        }
        match merged.rating {
            None => return Err(Error::NotRated),
            Some(Satisfaction::Dissatisfied) => return Err(Error::Dissatisfied),
            Some(_) => {}
        }
        let mut h = blank(ctx);
        h.progress = Max(Progress {
            round: merged.round,
            stage: Stage::Closed,
        });
        h.closed_on = Lww::new(ctx.at, Some(ctx.today));
        return Ok(delta(ctx, rec, h));
    }
    let (v, _) = at_handler(ctx, rec)?;
    require_stage(&v, Stage::Answered, "close (办结)")?;
    if v.rating == Some(Satisfaction::Dissatisfied) {
        return Err(Error::Dissatisfied);
    }
    let mut h = blank(ctx);
    h.progress = Max(Progress {
        round: v.round,
        stage: Stage::Closed,
    });
    h.closed_on = Lww::new(ctx.at, Some(ctx.today));
    Ok(delta(ctx, rec, h))
}

/// 撤回: the origin withdraws it, which ends handling everywhere.
pub fn withdraw(ctx: &Ctx, rec: &Record) -> Result<Record, Error> {
    expect_kind(rec.id, RecordKind::Suggestion)?;
    crate::common::require_home(ctx, rec.id.home, "withdraw a suggestion")?;
    let v = view::view(rec, ctx.rules);
    if v.status.is_final() {
        return Err(Error::Final { status: v.status });
    }
    let o = Origin {
        at: Max(ctx.at),
        withdrawn: Max(Some(ctx.today)),
        ..Origin::default()
    };
    Ok(Record::delta(rec.id, ctx.node, Section::Origin(o)))
}

/// 督办: a congress whose region contains the origin puts the suggestion under
/// supervision (or changes how), names the lead supervisor, and adds a note.
pub fn supervise(
    ctx: &Ctx,
    rec: &Record,
    mode: Option<SupervisionMode>,
    lead_supervisor: &str,
    note: &str,
) -> Result<Record, Error> {
    expect_kind(rec.id, RecordKind::Suggestion)?;
    if !ctx.node.contains(rec.id.home) {
        return Err(Error::OutsideRegion {
            node: rec.id.home,
            region: ctx.node,
        });
    }
    if rec.origin(rec.id.home).is_none() {
        return Err(Error::MissingSection { role: Role::Origin });
    }
    supervision_delta(ctx, rec.id, mode, lead_supervisor, note)
}

/// 督办 on a suggestion homed below this node that it does not hold (beyond
/// the routing horizon it sees only counts): the supervision section alone.
/// It travels down to the nodes holding the suggestion, and since a 督办
/// anchors the record here, they send it up in full.
pub fn supervise_unseen(
    ctx: &Ctx,
    id: RecordId,
    mode: Option<SupervisionMode>,
    lead_supervisor: &str,
    note: &str,
) -> Result<Record, Error> {
    expect_kind(id, RecordKind::Suggestion)?;
    if !id.home.is_inside(ctx.node) {
        return Err(Error::OutsideRegion {
            node: id.home,
            region: ctx.node,
        });
    }
    supervision_delta(ctx, id, mode, lead_supervisor, note)
}

fn supervision_delta(
    ctx: &Ctx,
    id: RecordId,
    mode: Option<SupervisionMode>,
    lead_supervisor: &str,
    note: &str,
) -> Result<Record, Error> {
    let mut s = SuggestionSupervision {
        at: Max(ctx.at),
        mode: Lww::new(ctx.at, mode),
        ..SuggestionSupervision::default()
    };
    if !lead_supervisor.trim().is_empty() {
        check_text("lead_supervisor", lead_supervisor, 100)?;
        s.lead_supervisor = Lww::new(ctx.at, lead_supervisor.trim().to_string());
    }
    if !note.trim().is_empty() {
        check_text("note", note, ctx.rules.max_text_chars)?;
        s.notes.push(
            ctx.at,
            crate::Note {
                text: note.trim().to_string(),
                on: ctx.today,
            },
        );
    }
    Ok(Record::delta(id, ctx.node, Section::Supervision(s)))
}

/// 上报: escalates to a higher congress (the node's parent) that can act.
pub fn escalate(ctx: &Ctx, rec: &Record, to: Code, reason: &str) -> Result<Record, Error> {
    if !ctx.node.is_inside(to) {
        return Err(Error::NotAbove { node: ctx.node, to });
    }
    forward(ctx, rec, Direction::Escalate, to, reason)
}

/// 转办: transfers down to a congress inside the node's region.
pub fn transfer(ctx: &Ctx, rec: &Record, to: Code, reason: &str) -> Result<Record, Error> {
    if !to.is_inside(ctx.node) {
        return Err(Error::NotBelow { node: ctx.node, to });
    }
    forward(ctx, rec, Direction::Transfer, to, reason)
}

fn forward(
    ctx: &Ctx,
    rec: &Record,
    direction: Direction,
    to: Code,
    reason: &str,
) -> Result<Record, Error> {
    let (v, _) = at_handler(ctx, rec)?;
    check_text("reason", reason, 2_000)?;
    if v.stage == Stage::Closed {
        return Err(Error::Final {
            status: Status::Closed,
        });
    }
    let mut h = blank(ctx);
    h.forwards.push(
        ctx.at,
        Forward {
            direction,
            to,
            reason: reason.trim().to_string(),
            on: ctx.today,
        },
    );
    Ok(delta(ctx, rec, h))
}

/// Checks that the node is the current handler of a live suggestion.
fn at_handler<'a>(ctx: &Ctx, rec: &'a Record) -> Result<(View, Option<&'a Handling>), Error> {
    expect_kind(rec.id, RecordKind::Suggestion)?;
    if rec.origin(rec.id.home).is_none() {
        return Err(Error::MissingSection { role: Role::Origin });
    }
    let v = view::view(rec, ctx.rules);
    if matches!(
        v.status,
        Status::Withdrawn | Status::Merged | Status::Closed
    ) {
        return Err(Error::Final { status: v.status });
    }
    if v.handler != ctx.node {
        return Err(Error::NotHandler {
            node: ctx.node,
            handler: v.handler,
        });
    }
    Ok((v, rec.handling(ctx.node)))
}

fn require_stage(v: &View, stage: Stage, action: &'static str) -> Result<(), Error> {
    if v.stage != stage {
        return Err(Error::WrongStage {
            action,
            stage: v.stage,
        });
    }
    Ok(())
}

fn has_unit(h: Option<&Handling>, name: &str, roles: &[UnitRole]) -> bool {
    h.is_some_and(|h| {
        h.units
            .iter()
            .any(|u| u.name == name && roles.contains(&u.role))
    })
}

/// Fixes again, with the calendar this node has now, a 答复期限 it fixed under
/// a provisional year (once the official calendar arrives): the delta, or
/// `None` when the date and its flag stay as they are.
pub fn refix_deadline(ctx: &Ctx, rec: &Record) -> Option<Record> {
    let h = rec.handling(ctx.node)?;
    if !*h.deadline_provisional.get() || h.deadline.get().is_none() {
        return None;
    }
    let v = view::view(rec, ctx.rules);
    let (since, months) = if v.round > 1 {
        ((*h.rehandle_since.get())?, ctx.rules.rehandle_months)
    } else {
        let ext = (*h.extension_months.get()).min(ctx.rules.max_extension_months);
        ((*h.assigned_on.get())?, ctx.rules.answer_months + ext)
    };
    let end = ctx.calendar.period_end(since, months);
    if Some(end.date) == *h.deadline.get() && !end.provisional.is_empty() {
        return None;
    }
    let mut again = blank(ctx);
    fix_deadline(ctx, &mut again, since, months);
    Some(delta(ctx, rec, again))
}

/// Fixes the 答复期限 of a period of `months` from `since` with this node's
/// calendar: a last day off moves to the next working day.
fn fix_deadline(ctx: &Ctx, h: &mut Handling, since: Date, months: u8) {
    let end = ctx.calendar.period_end(since, months);
    h.deadline = Lww::new(ctx.at, Some(end.date));
    h.deadline_provisional = Lww::new(ctx.at, !end.provisional.is_empty());
}

fn blank(ctx: &Ctx) -> Handling {
    Handling {
        at: Max(ctx.at),
        ..Handling::default()
    }
}

fn delta(ctx: &Ctx, rec: &Record, h: Handling) -> Record {
    Record::delta(rec.id, ctx.node, Section::Handling(h))
}
