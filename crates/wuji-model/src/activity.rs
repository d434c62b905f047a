//! 履职活动: a deputy activity (a reception at a station, 视察, 专题调研, 列席,
//! 培训, 联系群众, 向选民报告) recorded by the node that organised it (谁组织谁登记)
//! with the deputies who took part; each reaches every participant's own
//! congress, which builds the deputy's 履职档案 and points by its own rules.

use crate::deputy::expect_kind;
use crate::suggestion::Satisfaction;
use crate::{Ctx, Date, Error, Record, RecordId, RecordKind, Rules, Section, check_text};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use wuji_crdt::{Lww, Max, OrSet, Stamp, merge_fields};
use wuji_division::Code;

/// The kinds of deputy activity the offices' 履职档案 keep.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum ActivityType {
    /// 接待群众: a reception day at a 家/站/点.
    #[default]
    Reception,
    /// 视察.
    Inspection,
    /// 专题调研.
    Research,
    /// 列席 a meeting of the standing committee or a government body.
    Attendance,
    /// 培训.
    Training,
    /// 联系群众 / 走访.
    Contact,
    /// 向原选区选民 / 原选举单位报告履职.
    Report,
    /// Anything else the office records.
    Other,
}

impl ActivityType {
    /// Every type, in the order of the offices' forms.
    pub const ALL: [ActivityType; 8] = [
        ActivityType::Reception,
        ActivityType::Inspection,
        ActivityType::Research,
        ActivityType::Attendance,
        ActivityType::Training,
        ActivityType::Contact,
        ActivityType::Report,
        ActivityType::Other,
    ];

    /// The offices' term.
    pub fn zh(self) -> &'static str {
        match self {
            ActivityType::Reception => "接待群众",
            ActivityType::Inspection => "视察",
            ActivityType::Research => "专题调研",
            ActivityType::Attendance => "列席会议",
            ActivityType::Training => "培训",
            ActivityType::Contact => "联系群众",
            ActivityType::Report => "向选民报告履职",
            ActivityType::Other => "其他活动",
        }
    }

    /// The name used in config files, JSON and counters.
    pub fn en(self) -> &'static str {
        match self {
            ActivityType::Reception => "reception",
            ActivityType::Inspection => "inspection",
            ActivityType::Research => "research",
            ActivityType::Attendance => "attendance",
            ActivityType::Training => "training",
            ActivityType::Contact => "contact",
            ActivityType::Report => "report",
            ActivityType::Other => "other",
        }
    }

    /// From the English name or the offices' term.
    pub fn parse(s: &str) -> Option<ActivityType> {
        let s = s.trim();
        ActivityType::ALL
            .into_iter()
            .find(|t| t.en().eq_ignore_ascii_case(s) || t.zh() == s)
    }
}

/// A deputy who took part: the congress the deputy belongs to and the
/// deputy's person id there.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Participant {
    /// The deputy's own congress (where the deputy record is homed).
    pub congress: Code,
    /// The person id on that congress's roster.
    pub person: String,
}

/// The activity section, written only by the organising node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivitySection {
    /// When the owner last wrote this section.
    pub at: Max<Stamp>,
    /// What kind of activity.
    pub kind: Lww<ActivityType>,
    /// 主题.
    pub title: Lww<String>,
    /// The day it was held.
    pub held_on: Lww<Option<Date>>,
    /// Where: the station (家/站/点) or place.
    pub place: Lww<String>,
    /// 活动纪要: what was raised and done.
    pub text: Lww<String>,
    /// The deputies who took part.
    pub participants: OrSet<Participant>,
    /// Set when the organiser voids a record made in error (then it counts
    /// for nobody); once set it stays.
    pub voided: Max<Option<Date>>,
    /// 评议: the electing unit's rating of a report on the deputy's duties
    /// (向原选区选民 / 原选举单位报告履职), for activities of kind `report`.
    pub review: Lww<Option<Satisfaction>>,
}
merge_fields!(ActivitySection {
    at,
    kind,
    title,
    held_on,
    place,
    text,
    participants,
    voided,
    review
});

/// What the organising office types in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewActivity {
    /// Kind.
    pub kind: ActivityType,
    /// 主题.
    pub title: String,
    /// The day (today or earlier).
    pub held_on: Date,
    /// Where.
    pub place: String,
    /// 纪要 (may be empty).
    pub text: String,
    /// Who took part.
    pub participants: Vec<Participant>,
}

/// A set of deputies as given: each checked, person ids trimmed, added at `at`.
pub(crate) fn deputies(list: &[Participant], at: Stamp) -> Result<OrSet<Participant>, Error> {
    let mut set = OrSet::default();
    add_deputies(&mut set, list, at)?;
    Ok(set)
}

fn add_deputies(
    set: &mut OrSet<Participant>,
    list: &[Participant],
    at: Stamp,
) -> Result<(), Error> {
    for p in list {
        check_text("participant", &p.person, 64)?;
        set.add(
            Participant {
                congress: p.congress,
                person: p.person.trim().to_string(),
            },
            at,
        );
    }
    Ok(())
}

/// `cur` with `remove` taken out (as observed) and `add` put in at `at`:
/// the whole set, as a delta of a section that holds one.
pub(crate) fn amended(
    cur: &OrSet<Participant>,
    add: &[Participant],
    remove: &[Participant],
    at: Stamp,
) -> Result<OrSet<Participant>, Error> {
    let mut set = cur.clone();
    for p in remove {
        set.remove(p);
    }
    add_deputies(&mut set, add, at)?;
    Ok(set)
}

/// The congresses of a set of deputies, each once (anchors of a record).
pub(crate) fn congresses_of(set: &OrSet<Participant>) -> Vec<Code> {
    let mut out: Vec<Code> = set.iter().map(|p| p.congress).collect();
    out.sort();
    out.dedup();
    out
}

/// 登记: the organising node records an activity.
pub fn record(ctx: &Ctx, id: RecordId, n: &NewActivity) -> Result<Record, Error> {
    expect_kind(id, RecordKind::Activity)?;
    crate::common::require_home(ctx, id.home, "record an activity under this id")?;
    check_text("title", &n.title, ctx.rules.max_title_chars)?;
    if !n.place.trim().is_empty() {
        check_text("place", &n.place, ctx.rules.max_title_chars)?;
    }
    if !n.text.trim().is_empty() {
        check_text("text", &n.text, ctx.rules.max_text_chars)?;
    }
    if n.held_on > ctx.today {
        return Err(Error::DateInFuture {
            field: "held_on",
            date: n.held_on,
        });
    }
    if n.participants.is_empty() {
        return Err(Error::NoParticipants);
    }
    let at = ctx.at;
    let s = ActivitySection {
        at: Max(at),
        kind: Lww::new(at, n.kind),
        title: Lww::new(at, n.title.trim().to_string()),
        held_on: Lww::new(at, Some(n.held_on)),
        place: Lww::new(at, n.place.trim().to_string()),
        text: Lww::new(at, n.text.trim().to_string()),
        participants: deputies(&n.participants, at)?,
        ..ActivitySection::default()
    };
    Ok(Record::delta(id, ctx.node, Section::Activity(s)))
}

/// The organiser adds deputies who took part and removes ones named in error.
pub fn amend_participants(
    ctx: &Ctx,
    rec: &Record,
    add: &[Participant],
    remove: &[Participant],
) -> Result<Record, Error> {
    expect_kind(rec.id, RecordKind::Activity)?;
    crate::common::require_home(ctx, rec.id.home, "change who took part")?;
    let cur = rec.activity(rec.id.home).ok_or(Error::MissingSection {
        role: crate::Role::Activity,
    })?;
    let s = ActivitySection {
        at: Max(ctx.at),
        participants: amended(&cur.participants, add, remove, ctx.at)?,
        ..ActivitySection::default()
    };
    if s.participants.is_empty() {
        return Err(Error::NoParticipants);
    }
    Ok(Record::delta(rec.id, ctx.node, Section::Activity(s)))
}

/// 作废: the organiser voids a record made in error.
pub fn void(ctx: &Ctx, rec: &Record) -> Result<Record, Error> {
    expect_kind(rec.id, RecordKind::Activity)?;
    crate::common::require_home(ctx, rec.id.home, "void an activity")?;
    let s = ActivitySection {
        at: Max(ctx.at),
        voided: Max(Some(ctx.today)),
        ..ActivitySection::default()
    };
    Ok(Record::delta(rec.id, ctx.node, Section::Activity(s)))
}

/// 评议: the organiser of a report on the deputies' duties records the
/// electing unit's rating of it.
pub fn review(ctx: &Ctx, rec: &Record, rating: Satisfaction) -> Result<Record, Error> {
    expect_kind(rec.id, RecordKind::Activity)?;
    crate::common::require_home(ctx, rec.id.home, "review a report")?;
    let kind = rec
        .activity(rec.id.home)
        .map(|a| *a.kind.get())
        .ok_or(Error::MissingSection {
            role: crate::Role::Activity,
        })?;
    if kind != ActivityType::Report {
        return Err(Error::NotAReport { kind: kind.zh() });
    }
    let s = ActivitySection {
        at: Max(ctx.at),
        review: Lww::new(ctx.at, Some(rating)),
        ..ActivitySection::default()
    };
    Ok(Record::delta(rec.id, ctx.node, Section::Activity(s)))
}

/// The day `person` of `congress` last reported on the deputy's duties
/// (a live activity of kind `report` that the deputy took part in).
pub fn last_report<'a>(
    records: impl IntoIterator<Item = &'a Record>,
    congress: Code,
    person: &str,
) -> Option<Date> {
    records
        .into_iter()
        .filter(|r| took_part(r, congress, person))
        .filter_map(live)
        .filter(|a| *a.kind.get() == ActivityType::Report)
        .filter_map(|a| *a.held_on.get())
        .max()
}

/// The activity section of a record, if it counts (held, not voided).
pub fn live(rec: &Record) -> Option<&ActivitySection> {
    rec.activity(rec.id.home).filter(|a| a.voided.0.is_none())
}

/// The congresses of the deputies who took part (each an anchor of the record).
pub fn congresses(rec: &Record) -> Vec<Code> {
    rec.activity(rec.id.home)
        .map(|a| congresses_of(&a.participants))
        .unwrap_or_default()
}

/// True if the deputy `person` of `congress` took part in a live activity.
pub fn took_part(rec: &Record, congress: Code, person: &str) -> bool {
    live(rec).is_some_and(|a| {
        a.participants
            .iter()
            .any(|p| p.congress == congress && p.person == person)
    })
}

/// The points an activity of `kind` earns under `rules` (履职积分).
pub fn points(rules: &Rules, kind: ActivityType) -> u32 {
    rules.duty.points.get(&kind).copied().unwrap_or(0)
}

/// A deputy's duty report for a year (履职报告): per kind the activities and
/// points, the total, and the congress's annual targets (履职清单) beside them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DutyReport {
    /// Per kind: (activities, points).
    pub by_kind: BTreeMap<ActivityType, (u32, u32)>,
    /// Total points.
    pub points: u32,
    /// Activities in all.
    pub activities: u32,
    /// Kinds whose annual target is not yet met: (kind, done, target).
    pub short: Vec<(ActivityType, u32, u32)>,
}

/// The duty report of the deputy `person` of `congress` over `records`
/// held between `from` and `to` (inclusive), under that congress's rules.
pub fn duty_report<'a>(
    records: impl IntoIterator<Item = &'a Record>,
    rules: &Rules,
    congress: Code,
    person: &str,
    from: Date,
    to: Date,
) -> DutyReport {
    let mut r = DutyReport::default();
    for rec in records {
        let Some(a) = live(rec) else { continue };
        if !a.held_on.get().is_some_and(|d| d >= from && d <= to) {
            continue;
        }
        if !took_part(rec, congress, person) {
            continue;
        }
        let kind = *a.kind.get();
        let p = points(rules, kind);
        let e = r.by_kind.entry(kind).or_insert((0, 0));
        e.0 += 1;
        e.1 += p;
        r.points += p;
        r.activities += 1;
    }
    for (kind, target) in &rules.duty.targets {
        let done = r.by_kind.get(kind).map_or(0, |e| e.0);
        if done < *target {
            r.short.push((*kind, done, *target));
        }
    }
    r
}

/// The duty rules a congress sets (履职积分管理办法, the annual 履职清单).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DutyRules {
    /// Points per activity of each kind.
    pub points: BTreeMap<ActivityType, u32>,
    /// Activities of each kind a deputy is expected to take part in a year
    /// (e.g. "5+4": at least one reception a year).
    pub targets: BTreeMap<ActivityType, u32>,
    /// 常委会组成人员联系代表: how many deputies each member keeps in touch
    /// with (at least, at most).
    pub contact_deputies: (u32, u32),
    /// Visits expected under each contact relation a year.
    pub contact_visits_per_year: u32,
}

impl Default for DutyRules {
    /// An example of a congress's 履职积分 rules: a reception or a report to
    /// the voters weighs most; the target is one reception a year (the
    /// "五个一" of the seeds) and one report to the voters.
    fn default() -> DutyRules {
        use ActivityType::*;
        DutyRules {
            points: [
                (Reception, 3),
                (Inspection, 2),
                (Research, 3),
                (Attendance, 2),
                (Training, 1),
                (Contact, 2),
                (Report, 5),
                (Other, 1),
            ]
            .into_iter()
            .collect(),
            targets: [(Reception, 1)].into_iter().collect(),
            contact_deputies: (3, 6),
            contact_visits_per_year: 2,
        }
    }
}
