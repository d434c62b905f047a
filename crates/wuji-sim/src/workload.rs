//! The offices' work as timed actions, and the writes each makes through the
//! real workflow functions: deputies enrolled and changed, opinions raised,
//! registered, escalated, assigned, supervised, answered, rated, re-handled
//! and closed; assignments issued monthly to each region below, acknowledged
//! and reported.

use wuji_division::Code;
use wuji_model::deputy::{self, NewDeputy};
use wuji_model::suggestion::view::{current_handler, latest_answer};
use wuji_model::suggestion::workflow::{self as wf, Draft};
use wuji_model::suggestion::{AnswerClass, AnswerRef, HandlingUnit, Satisfaction, UnitRole};
use wuji_model::{Record, RecordId, RecordKind, assignment};
use wuji_node::Op;

/// One step of a suggestion's handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// 登记, or 上报 to the parent when the draw says so.
    Handle,
    /// 交办 to a unit.
    Assign,
    /// 督办 by the handler's parent.
    Supervise,
    /// 答复.
    Answer,
    /// 代表反馈 at the origin (不满意 leads to re-handling once).
    Feedback,
    /// 重新办理.
    Rehandle,
    /// 办结.
    Close,
}

/// Something the run does at a simulated time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// The start of a simulated day: draw its opinions and faults.
    Day(u32),
    /// Enrol every deputy of a congress.
    Enrol(Code),
    /// A deputy of this congress raises an opinion.
    Raise(Code),
    /// A step of a suggestion at a node (and how often it was tried: the
    /// record may not have arrived yet).
    Suggestion(Code, RecordId, Step, u16),
    /// A congress issues an assignment to each region below it.
    Issue(Code),
    /// A target acknowledges an assignment.
    Acknowledge(Code, RecordId, u16),
    /// A target reports it done.
    Report(Code, RecordId, u16),
    /// A roster change (a deputy's phone number).
    Roster(Code),
    /// A reception day at a township's station with its deputies and one of
    /// its parent's (履职活动).
    Activity(Code),
    /// A seat of a congress falls vacant (出缺).
    Vacate(Code),
    /// The vacancy is filled by a by-election (补选).
    Fill(Code, RecordId),
    /// A fault.
    Fault(crate::faults::Fault),
}

/// The person id of deputy `i` of `node`.
pub fn person(node: Code, i: u32) -> String {
    format!("{node}-{i:04}")
}

/// The id of deputy `i` of `node` (made from the node and the number, so the
/// workload can find it again).
pub fn deputy_id(node: Code, i: u32) -> RecordId {
    RecordId {
        kind: RecordKind::Deputy,
        home: node,
        uuid: uuid::Uuid::from_u64_pair(u64::from(node.value()), u64::from(i) + 1),
    }
}

/// Enrols deputies `range` of `node`.
pub fn enrol(node: Code, range: std::ops::Range<u32>) -> Vec<Op> {
    range
        .map(|i| {
            let id = deputy_id(node, i);
            let d = NewDeputy {
                person_id: person(node, i),
                name: format!("代表{i}"),
                term: 1,
                group: format!("第{}代表小组", i % 12 + 1),
                phone: format!(
                    "139{:08}",
                    u64::from(node.value()) % 100_000 * 1000 + u64::from(i)
                ),
                ..NewDeputy::default()
            };
            Op::new(id, move |ctx, _| Ok(deputy::enrol(ctx, id, &d)?))
        })
        .collect()
}

/// A new phone number for deputy `i` of `node` (a personal field: it must
/// stop at the node's parent).
pub fn roster_change(node: Code, i: u32, n: u64) -> Op {
    let id = deputy_id(node, i);
    let d = NewDeputy {
        phone: format!("138{:08}", n % 100_000_000),
        ..NewDeputy::default()
    };
    Op::new(id, move |ctx, rec| {
        let rec = rec.ok_or(wuji_model::Error::MissingSection {
            role: wuji_model::Role::Roster,
        })?;
        Ok(deputy::update(ctx, rec, &d)?)
    })
}

/// A new opinion at `node`, led by `lead`.
pub fn raise(id: RecordId, lead: String, n: u64) -> Op {
    let d = Draft {
        kind: wuji_model::suggestion::SuggestionKind::CitizenOpinion,
        lead,
        category: ["城乡建设", "教育", "医疗卫生", "交通", "社会保障"][(n % 5) as usize].into(),
        title: format!("社情民意第{n}号"),
        text: "群众反映的问题和建议。".into(),
        ..Draft::default()
    };
    Op::new(id, move |ctx, _| Ok(wf::submit(ctx, id, &d)?))
}

/// Whether `step` can run at `node` on `rec` as it stands there (the record
/// has arrived, and what the step needs has too).
pub fn ready(step: Step, node: Code, rec: Option<&Record>) -> bool {
    let Some(rec) = rec else { return false };
    match step {
        Step::Handle | Step::Assign | Step::Answer | Step::Rehandle | Step::Close => {
            current_handler(rec) == node
        }
        Step::Supervise => true,
        Step::Feedback => rec
            .handling(current_handler(rec))
            .and_then(latest_answer)
            .is_some(),
    }
}

/// The write of `step` at `node`; `parent` is the node's parent (for 上报),
/// `escalate` and `dissatisfied` the draws.
pub fn suggestion_op(
    id: RecordId,
    step: Step,
    parent: Option<Code>,
    escalate: bool,
    dissatisfied: bool,
) -> Op {
    Op::new(id, move |ctx, rec| {
        let rec = rec.ok_or(wuji_model::Error::MissingSection {
            role: wuji_model::Role::Origin,
        })?;
        let r = match step {
            Step::Handle => match parent {
                Some(p) if escalate => wf::escalate(ctx, rec, p, "需上级协调")?,
                _ => wf::register(
                    ctx,
                    rec,
                    &format!("{}-{}", ctx.node, ctx.at.hlc.0 % 100_000),
                )?,
            },
            Step::Assign => wf::assign(
                ctx,
                rec,
                &[HandlingUnit {
                    name: "承办单位".into(),
                    role: UnitRole::Lead,
                }],
            )?,
            Step::Supervise => wf::supervise(ctx, rec, None, "常委会领导", "重点督办")?,
            // Each answer promises one thing: an entry of the handler's ledger.
            Step::Answer => wf::answer(
                ctx,
                rec,
                "承办单位",
                AnswerClass::A,
                "已办理。",
                &["年内落实。".into()],
            )?,
            Step::Feedback => {
                let handler = current_handler(rec);
                let (at, _) = rec
                    .handling(handler)
                    .and_then(latest_answer)
                    .ok_or(wuji_model::Error::NoSuchAnswer)?;
                let rating = if dissatisfied {
                    Satisfaction::Dissatisfied
                } else {
                    Satisfaction::Satisfied
                };
                wf::feedback(ctx, rec, AnswerRef { handler, at }, rating, "")?
            }
            Step::Rehandle => wf::rehandle(ctx, rec)?,
            Step::Close => wf::close(ctx, rec)?,
        };
        Ok(r)
    })
}

/// An assignment from `node` to `targets`, due in 30 days.
pub fn issue(id: RecordId, targets: Vec<Code>, n: u64) -> Op {
    Op::new(id, move |ctx, _| {
        let due = ctx.today.checked_add(jiff::Span::new().days(30)).ok();
        Ok(assignment::issue(
            ctx,
            id,
            &format!("交办事项第{n}号"),
            "请按期办理并报告。",
            &targets,
            due,
        )?)
    })
}

/// A target's acknowledgement or report of an assignment.
pub fn respond(id: RecordId, report: bool) -> Op {
    Op::new(id, move |ctx, rec| {
        let rec = rec.ok_or(wuji_model::Error::MissingSection {
            role: wuji_model::Role::Issue,
        })?;
        Ok(if report {
            assignment::report(ctx, rec, "已完成。", true)?
        } else {
            assignment::acknowledge(ctx, rec)?
        })
    })
}

/// A reception day at `id.home`'s station with the deputies `who`
/// (congress, number).
pub fn reception(id: RecordId, who: Vec<(Code, u32)>, n: u64) -> Op {
    let a = wuji_model::activity::NewActivity {
        kind: wuji_model::activity::ActivityType::Reception,
        title: format!("代表接待日第{n}次"),
        held_on: jiff::civil::date(2000, 1, 1),
        place: "代表联络站".into(),
        text: String::new(),
        participants: who
            .into_iter()
            .map(|(c, i)| wuji_model::activity::Participant {
                congress: c,
                person: person(c, i),
            })
            .collect(),
    };
    Op::new(id, move |ctx, _| {
        let a = wuji_model::activity::NewActivity {
            held_on: ctx.today,
            ..a.clone()
        };
        Ok(wuji_model::activity::record(ctx, id, &a)?)
    })
}

/// Deputy `i`'s seat of `id.home` falls vacant today.
pub fn vacate(id: RecordId, i: u32) -> Op {
    Op::new(id, move |ctx, _| {
        let v = wuji_model::vacancy::NewVacancy {
            person: person(id.home, i),
            name: format!("代表{i}"),
            electoral_unit: String::new(),
            ground: wuji_model::vacancy::Ground::Resigned,
            vacated_on: ctx.today,
        };
        Ok(wuji_model::vacancy::record(ctx, id, &v)?)
    })
}

/// The vacancy `id` is filled today.
pub fn fill(id: RecordId) -> Op {
    Op::new(id, move |ctx, rec| {
        let rec = rec.ok_or(wuji_model::Error::MissingSection {
            role: wuji_model::Role::Vacancy,
        })?;
        Ok(wuji_model::vacancy::fill(
            ctx,
            rec,
            &format!("{}-by", id.home),
            ctx.today,
        )?)
    })
}

/// `node`'s 代表名额 set to `quota`.
pub fn seats(node: Code, quota: u32) -> Op {
    Op::new(wuji_model::vacancy::seats_id(node), move |ctx, _| {
        Ok(wuji_model::vacancy::set_quota(ctx, quota)?)
    })
}
