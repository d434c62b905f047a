//! 三联 / 两个联系: a contact relation a congress sets up (常委会组成人员 ↔
//! 代表, 代表 ↔ 村/社区, 代表 ↔ 选民) with the visits made under it, held
//! against the congress's targets (each member linked to 3–6 deputies,
//! visiting twice a year, in the seeds).

use crate::activity::Participant;
use crate::deputy::expect_kind;
use crate::{Ctx, Date, Error, Note, Record, RecordId, RecordKind, Rules, Section, check_text};
use wuji_crdt::{History, Lww, Max, OrSet, Stamp, merge_fields};
use wuji_division::Code;

/// Which relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ContactKind {
    /// 常委会组成人员联系代表.
    #[default]
    MemberDeputies,
    /// 代表联系村（社区）.
    DeputyCommunity,
    /// 代表联系选民.
    DeputyVoters,
}

impl ContactKind {
    /// Every kind.
    pub const ALL: [ContactKind; 3] = [
        ContactKind::MemberDeputies,
        ContactKind::DeputyCommunity,
        ContactKind::DeputyVoters,
    ];

    /// The offices' term.
    pub fn zh(self) -> &'static str {
        match self {
            ContactKind::MemberDeputies => "常委会组成人员联系代表",
            ContactKind::DeputyCommunity => "代表联系村（社区）",
            ContactKind::DeputyVoters => "代表联系选民",
        }
    }

    /// The name in JSON, counters and on the command line.
    pub fn en(self) -> &'static str {
        match self {
            ContactKind::MemberDeputies => "member_deputies",
            ContactKind::DeputyCommunity => "deputy_community",
            ContactKind::DeputyVoters => "deputy_voters",
        }
    }

    /// From the English name or the offices' term.
    pub fn parse(s: &str) -> Option<ContactKind> {
        let s = s.trim();
        ContactKind::ALL
            .into_iter()
            .find(|k| k.en().eq_ignore_ascii_case(s) || k.zh() == s)
    }
}

/// The relation, written only by the congress that set it up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactSection {
    /// When the owner last wrote this section.
    pub at: Max<Stamp>,
    /// Which relation.
    pub kind: Lww<ContactKind>,
    /// Who keeps the contact: the 常委会组成人员's name, or the deputy (as
    /// CONGRESS:PERSON_ID text) for a deputy's contacts.
    pub keeper: Lww<String>,
    /// The deputies linked (a member's 3–6; the deputy for the other kinds).
    pub linked: OrSet<Participant>,
    /// The 村/社区 or the voters' area, for a deputy's contacts.
    pub community: Lww<String>,
    /// Visits made (走访, 座谈), by the stamp that recorded them.
    pub visits: History<Note>,
    /// Ended (once set it stays).
    pub ended: Max<Option<Date>>,
}
merge_fields!(ContactSection {
    at,
    kind,
    keeper,
    linked,
    community,
    visits,
    ended
});

/// What the office types in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewContact {
    /// Which relation.
    pub kind: ContactKind,
    /// Who keeps it.
    pub keeper: String,
    /// Deputies linked.
    pub linked: Vec<Participant>,
    /// 村/社区.
    pub community: String,
}

/// 建立联系: the congress sets up a relation.
pub fn add(ctx: &Ctx, id: RecordId, n: &NewContact) -> Result<Record, Error> {
    expect_kind(id, RecordKind::Contact)?;
    crate::common::require_home(ctx, id.home, "set up a contact of this congress")?;
    check_text("keeper", &n.keeper, ctx.rules.max_title_chars)?;
    if n.kind != ContactKind::MemberDeputies {
        check_text("community", &n.community, ctx.rules.max_title_chars)?;
    }
    if n.linked.is_empty() {
        return Err(Error::NoParticipants);
    }
    let at = ctx.at;
    let s = ContactSection {
        at: Max(at),
        kind: Lww::new(at, n.kind),
        keeper: Lww::new(at, n.keeper.trim().to_string()),
        community: Lww::new(at, n.community.trim().to_string()),
        linked: crate::activity::deputies(&n.linked, at)?,
        ..ContactSection::default()
    };
    Ok(Record::delta(id, ctx.node, Section::Contact(s)))
}

fn held<'a>(ctx: &Ctx, rec: &'a Record) -> Result<&'a ContactSection, Error> {
    expect_kind(rec.id, RecordKind::Contact)?;
    crate::common::require_home(ctx, rec.id.home, "change a contact of this congress")?;
    rec.contact(rec.id.home).ok_or(Error::MissingSection {
        role: crate::Role::Contact,
    })
}

/// Changes the deputies linked; at least one stays.
pub fn link(
    ctx: &Ctx,
    rec: &Record,
    add: &[Participant],
    remove: &[Participant],
) -> Result<Record, Error> {
    let cur = held(ctx, rec)?;
    let s = ContactSection {
        at: Max(ctx.at),
        linked: crate::activity::amended(&cur.linked, add, remove, ctx.at)?,
        ..ContactSection::default()
    };
    if s.linked.is_empty() {
        return Err(Error::NoParticipants);
    }
    Ok(Record::delta(rec.id, ctx.node, Section::Contact(s)))
}

/// 走访: a visit made under the relation, on `on` (today or earlier).
pub fn visit(ctx: &Ctx, rec: &Record, text: &str, on: Date) -> Result<Record, Error> {
    held(ctx, rec)?;
    check_text("note", text, ctx.rules.max_text_chars)?;
    if on > ctx.today {
        return Err(Error::DateInFuture {
            field: "visited_on",
            date: on,
        });
    }
    let mut s = ContactSection {
        at: Max(ctx.at),
        ..ContactSection::default()
    };
    s.visits.push(
        ctx.at,
        Note {
            text: text.trim().to_string(),
            on,
        },
    );
    Ok(Record::delta(rec.id, ctx.node, Section::Contact(s)))
}

/// Ends the relation.
pub fn end(ctx: &Ctx, rec: &Record) -> Result<Record, Error> {
    held(ctx, rec)?;
    let s = ContactSection {
        at: Max(ctx.at),
        ended: Max(Some(ctx.today)),
        ..ContactSection::default()
    };
    Ok(Record::delta(rec.id, ctx.node, Section::Contact(s)))
}

/// The relation of a record if it is running (not ended).
pub fn running(rec: &Record) -> Option<&ContactSection> {
    rec.contact(rec.id.home).filter(|c| c.ended.0.is_none())
}

/// The congresses of the linked deputies (each an anchor of the record).
pub fn congresses(rec: &Record) -> Vec<Code> {
    rec.contact(rec.id.home)
        .map(|c| crate::activity::congresses_of(&c.linked))
        .unwrap_or_default()
}

/// How a running relation stands against the congress's targets in `year`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Deputies linked.
    pub linked: u32,
    /// Visits made in the year.
    pub visits: u32,
    /// True if the linked deputies are within the target range (a member's
    /// relation only) and the visits reach the yearly target.
    pub on_target: bool,
}

/// The standing of `rec` in `year` under `rules`.
pub fn standing(rec: &Record, rules: &Rules, year: i16) -> Option<Standing> {
    let c = running(rec)?;
    let linked = c.linked.len() as u32;
    let visits = c.visits.iter().filter(|(_, n)| n.on.year() == year).count() as u32;
    let (lo, hi) = rules.duty.contact_deputies;
    let range_ok = *c.kind.get() != ContactKind::MemberDeputies || (lo..=hi).contains(&linked);
    Some(Standing {
        linked,
        visits,
        on_target: range_ok && visits >= rules.duty.contact_visits_per_year,
    })
}
