//! 出缺 and 补选: a congress records a vacant seat with its ground and date,
//! then the by-election that fills it; summaries count open and filled seats
//! up the tree, so a city sees its counties' vacancies.

use crate::deputy::expect_kind;
use crate::{Ctx, Date, Error, Record, RecordId, RecordKind, Section, check_text};
use wuji_crdt::{Lww, Max, Stamp, merge_fields};

/// Why a seat fell vacant (代表法 第四十九条, 第五十条).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Ground {
    /// 辞职被接受.
    #[default]
    Resigned,
    /// 调离本行政区域 / 迁出.
    MovedAway,
    /// 罢免.
    Recalled,
    /// 死亡.
    Died,
    /// 代表资格终止 on other grounds (丧失国籍, 被判处刑罚 ...).
    Terminated,
}

impl Ground {
    /// Every ground.
    pub const ALL: [Ground; 5] = [
        Ground::Resigned,
        Ground::MovedAway,
        Ground::Recalled,
        Ground::Died,
        Ground::Terminated,
    ];

    /// The offices' term.
    pub fn zh(self) -> &'static str {
        match self {
            Ground::Resigned => "辞职",
            Ground::MovedAway => "调离",
            Ground::Recalled => "罢免",
            Ground::Died => "死亡",
            Ground::Terminated => "资格终止",
        }
    }

    /// The name in JSON and on the command line.
    pub fn en(self) -> &'static str {
        match self {
            Ground::Resigned => "resigned",
            Ground::MovedAway => "moved_away",
            Ground::Recalled => "recalled",
            Ground::Died => "died",
            Ground::Terminated => "terminated",
        }
    }

    /// From the English name or the offices' term.
    pub fn parse(s: &str) -> Option<Ground> {
        let s = s.trim();
        Ground::ALL
            .into_iter()
            .find(|g| g.en().eq_ignore_ascii_case(s) || g.zh() == s)
    }
}

/// The vacancy section, written only by the congress whose seat it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VacancySection {
    /// When the owner last wrote this section.
    pub at: Max<Stamp>,
    /// Person id of the deputy who held the seat.
    pub person: Lww<String>,
    /// That deputy's name.
    pub name: Lww<String>,
    /// 选区 / 原选举单位 of the seat.
    pub electoral_unit: Lww<String>,
    /// Why it fell vacant.
    pub ground: Lww<Ground>,
    /// The day it fell vacant.
    pub vacated_on: Lww<Option<Date>>,
    /// The day set for the 补选, if one is set.
    pub election_on: Lww<Option<Date>>,
    /// Person id of the deputy elected to the seat.
    pub filled_by: Lww<String>,
    /// The day it was filled; once set it stays.
    pub filled_on: Max<Option<Date>>,
}
merge_fields!(VacancySection {
    at,
    person,
    name,
    electoral_unit,
    ground,
    vacated_on,
    election_on,
    filled_by,
    filled_on
});

/// Where a vacancy stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// 出缺, no by-election set.
    Open,
    /// 补选 set for a day.
    Scheduled,
    /// 已补选.
    Filled,
}

impl State {
    /// The offices' term.
    pub fn zh(self) -> &'static str {
        match self {
            State::Open => "出缺",
            State::Scheduled => "待补选",
            State::Filled => "已补选",
        }
    }

    /// The name in JSON and counters.
    pub fn en(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Scheduled => "scheduled",
            State::Filled => "filled",
        }
    }
}

/// What the office types in when a seat falls vacant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVacancy {
    /// The deputy who held it.
    pub person: String,
    /// The deputy's name.
    pub name: String,
    /// 选区 / 原选举单位.
    pub electoral_unit: String,
    /// Why.
    pub ground: Ground,
    /// When (today or earlier).
    pub vacated_on: Date,
}

/// 出缺: the congress records one of its seats as vacant.
pub fn record(ctx: &Ctx, id: RecordId, n: &NewVacancy) -> Result<Record, Error> {
    expect_kind(id, RecordKind::Vacancy)?;
    crate::common::require_home(ctx, id.home, "record a vacancy of this congress")?;
    check_text("person_id", &n.person, 64)?;
    check_text("name", &n.name, 64)?;
    if !n.electoral_unit.trim().is_empty() {
        check_text(
            "electoral_unit",
            &n.electoral_unit,
            ctx.rules.max_title_chars,
        )?;
    }
    if n.vacated_on > ctx.today {
        return Err(Error::DateInFuture {
            field: "vacated_on",
            date: n.vacated_on,
        });
    }
    let at = ctx.at;
    let s = VacancySection {
        at: Max(at),
        person: Lww::new(at, n.person.trim().to_string()),
        name: Lww::new(at, n.name.trim().to_string()),
        electoral_unit: Lww::new(at, n.electoral_unit.trim().to_string()),
        ground: Lww::new(at, n.ground),
        vacated_on: Lww::new(at, Some(n.vacated_on)),
        ..VacancySection::default()
    };
    Ok(Record::delta(id, ctx.node, Section::Vacancy(s)))
}

fn open_section<'a>(ctx: &Ctx, rec: &'a Record) -> Result<&'a VacancySection, Error> {
    expect_kind(rec.id, RecordKind::Vacancy)?;
    crate::common::require_home(ctx, rec.id.home, "change a vacancy of this congress")?;
    let v = rec.vacancy(rec.id.home).ok_or(Error::MissingSection {
        role: crate::Role::Vacancy,
    })?;
    if let Some(on) = v.filled_on.0 {
        return Err(Error::VacancyFilled { on });
    }
    Ok(v)
}

/// 补选 set for a day (any day; a later call moves it).
pub fn schedule(ctx: &Ctx, rec: &Record, on: Date) -> Result<Record, Error> {
    open_section(ctx, rec)?;
    let s = VacancySection {
        at: Max(ctx.at),
        election_on: Lww::new(ctx.at, Some(on)),
        ..VacancySection::default()
    };
    Ok(Record::delta(rec.id, ctx.node, Section::Vacancy(s)))
}

/// 补选 held: the seat is filled by the deputy `person` on `on`.
pub fn fill(ctx: &Ctx, rec: &Record, person: &str, on: Date) -> Result<Record, Error> {
    let v = open_section(ctx, rec)?;
    check_text("person_id", person, 64)?;
    if on > ctx.today {
        return Err(Error::DateInFuture {
            field: "filled_on",
            date: on,
        });
    }
    if let Some(vacated) = *v.vacated_on.get()
        && on < vacated
    {
        return Err(Error::DateBefore {
            field: "filled_on",
            date: on,
            before: vacated,
        });
    }
    let s = VacancySection {
        at: Max(ctx.at),
        election_on: Lww::new(ctx.at, Some(on)),
        filled_by: Lww::new(ctx.at, person.trim().to_string()),
        filled_on: Max(Some(on)),
        ..VacancySection::default()
    };
    Ok(Record::delta(rec.id, ctx.node, Section::Vacancy(s)))
}

/// Where the vacancy of `rec` stands.
pub fn state(rec: &Record) -> State {
    match rec.vacancy(rec.id.home) {
        Some(v) if v.filled_on.0.is_some() => State::Filled,
        Some(v) if v.election_on.get().is_some() => State::Scheduled,
        _ => State::Open,
    }
}

/// 代表名额: the seats of a congress as its office records them, one record
/// per congress (its id is fixed by the code, [`seats_id`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeatsSection {
    /// When the owner last wrote this section.
    pub at: Max<Stamp>,
    /// 代表名额.
    pub quota: Lww<u32>,
}
merge_fields!(SeatsSection { at, quota });

/// The id of `congress`'s one seat record.
pub fn seats_id(congress: wuji_division::Code) -> RecordId {
    RecordId {
        kind: RecordKind::Seats,
        home: congress,
        uuid: uuid::Uuid::from_u128(u128::from(congress.value())),
    }
}

/// 代表名额: the congress sets the number of its seats.
pub fn set_quota(ctx: &Ctx, quota: u32) -> Result<Record, Error> {
    crate::common::check_range("quota", u64::from(quota), 1, 5_000)?;
    let id = seats_id(ctx.node);
    let s = SeatsSection {
        at: Max(ctx.at),
        quota: Lww::new(ctx.at, quota),
    };
    Ok(Record::delta(id, ctx.node, Section::Seats(s)))
}
