//! 督办 items: key supervision of suggestions and livelihood projects (民生实事)
//! with weighted milestones, written by the supervising node, and progress reports
//! from the nodes it covers.

use crate::deputy::expect_kind;
use crate::suggestion::SupervisionMode;
use crate::{Ctx, Date, Error, Note, Record, RecordId, RecordKind, Section, check_text};
use uuid::Uuid;
use wuji_crdt::{History, Lww, Max, MergeMap, OrSet, Stamp, merge_fields};
use wuji_division::Code;

/// One milestone of a supervised project.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Milestone {
    /// What is to be done.
    pub title: Lww<String>,
    /// Weight in the overall progress.
    pub weight: Lww<u32>,
    /// Due date.
    pub due_on: Lww<Option<Date>>,
    /// Date confirmed done by the supervising node; once set it stays.
    pub done_on: Max<Option<Date>>,
}
merge_fields!(Milestone {
    title,
    weight,
    due_on,
    done_on
});

/// The supervision item, written by the supervising node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemSection {
    /// When the owner last wrote this section.
    pub at: Max<Stamp>,
    /// 重点 / 领衔 / 专项 / 联合 / 协调督办, or 民生实事.
    pub mode: Lww<Option<SupervisionMode>>,
    /// Title.
    pub title: Lww<String>,
    /// The supervised suggestion, if any.
    pub suggestion: Lww<Option<Uuid>>,
    /// 领衔督办 leader or supervising committee.
    pub lead_supervisor: Lww<String>,
    /// Regions covered (they see the item and may report on it).
    pub covers: OrSet<Code>,
    /// Milestones by number.
    pub milestones: MergeMap<u32, Milestone>,
    /// Notes (跟踪, 回头看).
    pub notes: History<Note>,
}
merge_fields!(ItemSection {
    at,
    mode,
    title,
    suggestion,
    lead_supervisor,
    covers,
    milestones,
    notes
});

/// A covered node's progress report on an item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemReport {
    /// When the owner last wrote this section.
    pub at: Max<Stamp>,
    /// Progress notes.
    pub notes: History<Note>,
    /// Milestones this node reports done (confirmed by the supervisor).
    pub claimed_done: OrSet<u32>,
}
merge_fields!(ItemReport {
    at,
    notes,
    claimed_done
});

/// What the supervising office types in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewItem {
    /// Kind of supervision.
    pub mode: SupervisionMode,
    /// Title.
    pub title: String,
    /// The supervised suggestion, if any.
    pub suggestion: Option<Uuid>,
    /// Lead supervisor.
    pub lead_supervisor: String,
    /// Covered regions (inside or equal to the supervising node's).
    pub covers: Vec<Code>,
    /// Milestones: title, weight, due date.
    pub milestones: Vec<(String, u32, Option<Date>)>,
}

/// 立项督办: creates a supervision item.
pub fn open(ctx: &Ctx, id: RecordId, n: &NewItem) -> Result<Record, Error> {
    expect_kind(id, RecordKind::Supervision)?;
    crate::common::require_home(ctx, id.home, "open a supervision item under this id")?;
    check_text("title", &n.title, ctx.rules.max_title_chars)?;
    if n.covers.is_empty() {
        return Err(Error::NoTargets);
    }
    for c in &n.covers {
        if !id.home.contains(*c) {
            return Err(Error::OutsideRegion {
                node: *c,
                region: id.home,
            });
        }
    }
    let at = ctx.at;
    let mut s = ItemSection {
        at: Max(at),
        mode: Lww::new(at, Some(n.mode)),
        title: Lww::new(at, n.title.trim().to_string()),
        suggestion: Lww::new(at, n.suggestion),
        lead_supervisor: Lww::new(at, n.lead_supervisor.trim().to_string()),
        covers: n.covers.iter().map(|c| (*c, at)).collect(),
        ..ItemSection::default()
    };
    for (i, (title, weight, due)) in n.milestones.iter().enumerate() {
        check_text("milestone", title, ctx.rules.max_title_chars)?;
        if *weight == 0 {
            return Err(Error::ZeroWeight);
        }
        let m = s.milestones.entry(i as u32 + 1);
        m.title = Lww::new(at, title.trim().to_string());
        m.weight = Lww::new(at, *weight);
        m.due_on = Lww::new(at, *due);
    }
    Ok(Record::delta(id, ctx.node, Section::Item(s)))
}

/// The supervising node confirms a milestone done.
pub fn confirm_milestone(ctx: &Ctx, rec: &Record, milestone: u32) -> Result<Record, Error> {
    expect_kind(rec.id, RecordKind::Supervision)?;
    crate::common::require_home(ctx, rec.id.home, "confirm a milestone")?;
    let known = rec
        .item(rec.id.home)
        .is_some_and(|i| i.milestones.get(&milestone).is_some());
    if !known {
        return Err(Error::UnknownMilestone { milestone });
    }
    let mut s = ItemSection {
        at: Max(ctx.at),
        ..ItemSection::default()
    };
    s.milestones.entry(milestone).done_on = Max(Some(ctx.today));
    Ok(Record::delta(rec.id, ctx.node, Section::Item(s)))
}

/// A covered node reports progress, optionally claiming milestones done.
pub fn report(ctx: &Ctx, rec: &Record, text: &str, done: &[u32]) -> Result<Record, Error> {
    expect_kind(rec.id, RecordKind::Supervision)?;
    let item = rec.item(rec.id.home).ok_or(Error::MissingSection {
        role: crate::Role::Item,
    })?;
    if !item.covers.iter().any(|c| c.contains(ctx.node)) {
        return Err(Error::NotTarget { node: ctx.node });
    }
    check_text("text", text, ctx.rules.max_text_chars)?;
    let mut r = ItemReport {
        at: Max(ctx.at),
        ..ItemReport::default()
    };
    r.notes.push(
        ctx.at,
        Note {
            text: text.trim().to_string(),
            on: ctx.today,
        },
    );
    for m in done {
        if item.milestones.get(m).is_none() {
            return Err(Error::UnknownMilestone { milestone: *m });
        }
        r.claimed_done.add(*m, ctx.at);
    }
    Ok(Record::delta(rec.id, ctx.node, Section::Report(r)))
}

/// Weighted progress in per mille (0..=1000) of confirmed milestones.
pub fn progress_permille(rec: &Record) -> u32 {
    let Some(item) = rec.item(rec.id.home) else {
        return 0;
    };
    let (mut done, mut total) = (0u64, 0u64);
    for (_, m) in item.milestones.iter() {
        let w = u64::from(*m.weight.get());
        total += w;
        if m.done_on.0.is_some() {
            done += w;
        }
    }
    (done * 1000).checked_div(total).unwrap_or(0) as u32
}
