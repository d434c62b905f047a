//! 名录: what a congress keeps a register of: its 代表之家, 代表联络站 and
//! 联络点 (address, reception days), 代表小组 (地域 or 专业, 组长), 网格, and
//! the 承办单位 it assigns suggestions to (contact, phone); deputies of any
//! level as members, so each member's own congress holds the entry too.

use crate::activity::Participant;
use crate::deputy::expect_kind;
use crate::{Ctx, Date, Error, Record, RecordId, RecordKind, Section, check_text};
use wuji_crdt::{Lww, Max, OrSet, Stamp, merge_fields};
use wuji_division::Code;

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum EntryKind {
    /// 代表之家.
    #[default]
    Home,
    /// 代表联络站.
    Station,
    /// 代表联络点.
    Point,
    /// 代表小组 (地域 or 专业).
    Group,
    /// 网格.
    Grid,
    /// 承办单位: a unit suggestions are assigned to.
    Unit,
}

impl EntryKind {
    /// Every kind.
    pub const ALL: [EntryKind; 6] = [
        EntryKind::Home,
        EntryKind::Station,
        EntryKind::Point,
        EntryKind::Group,
        EntryKind::Grid,
        EntryKind::Unit,
    ];

    /// The offices' term.
    pub fn zh(self) -> &'static str {
        match self {
            EntryKind::Home => "代表之家",
            EntryKind::Station => "代表联络站",
            EntryKind::Point => "代表联络点",
            EntryKind::Group => "代表小组",
            EntryKind::Grid => "网格",
            EntryKind::Unit => "承办单位",
        }
    }

    /// The name in JSON, counters and on the command line.
    pub fn en(self) -> &'static str {
        match self {
            EntryKind::Home => "home",
            EntryKind::Station => "station",
            EntryKind::Point => "point",
            EntryKind::Group => "group",
            EntryKind::Grid => "grid",
            EntryKind::Unit => "unit",
        }
    }

    /// From the English name or the offices' term.
    pub fn parse(s: &str) -> Option<EntryKind> {
        let s = s.trim();
        EntryKind::ALL
            .into_iter()
            .find(|k| k.en().eq_ignore_ascii_case(s) || k.zh() == s)
    }

    /// True for the kinds that should have deputies (家站点, groups, grids);
    /// a unit has none.
    pub fn has_deputies(self) -> bool {
        self != EntryKind::Unit
    }
}

/// The entry, written only by the congress that keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntrySection {
    /// When the owner last wrote this section.
    pub at: Max<Stamp>,
    /// What it is.
    pub kind: Lww<EntryKind>,
    /// 名称.
    pub name: Lww<String>,
    /// 地址 (家站点, 网格 area; a unit's address).
    pub address: Lww<String>,
    /// 接待日 of a 家站点 (e.g. 每月16日), a group's 地域/专业, a unit's 联系人.
    pub detail: Lww<String>,
    /// 组长 / 站长 (a person id) or a unit's phone.
    pub leader: Lww<String>,
    /// Deputies in it (进站 / 小组成员 / 网格联系代表).
    pub members: OrSet<Participant>,
    /// 撤销: once set it stays.
    pub closed: Max<Option<Date>>,
}
merge_fields!(EntrySection {
    at,
    kind,
    name,
    address,
    detail,
    leader,
    members,
    closed
});

/// What the office types in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewEntry {
    /// What it is.
    pub kind: EntryKind,
    /// 名称.
    pub name: String,
    /// 地址.
    pub address: String,
    /// 接待日 / 地域或专业 / 联系人.
    pub detail: String,
    /// 组长 / 站长 / 电话.
    pub leader: String,
    /// Deputies in it.
    pub members: Vec<Participant>,
}

fn optional(field: &'static str, s: &str, max: usize) -> Result<(), Error> {
    if s.trim().is_empty() {
        Ok(())
    } else {
        check_text(field, s, max)
    }
}

/// 新增: the congress adds an entry to its register.
pub fn add(ctx: &Ctx, id: RecordId, n: &NewEntry) -> Result<Record, Error> {
    expect_kind(id, RecordKind::Directory)?;
    crate::common::require_home(ctx, id.home, "add to this congress's register")?;
    check_text("name", &n.name, ctx.rules.max_title_chars)?;
    let max = ctx.rules.max_title_chars;
    optional("address", &n.address, max)?;
    optional("detail", &n.detail, max)?;
    optional("leader", &n.leader, max)?;
    if n.kind == EntryKind::Unit && !n.members.is_empty() {
        return Err(Error::UnitWithMembers);
    }
    let at = ctx.at;
    let s = EntrySection {
        at: Max(at),
        kind: Lww::new(at, n.kind),
        name: Lww::new(at, n.name.trim().to_string()),
        address: Lww::new(at, n.address.trim().to_string()),
        detail: Lww::new(at, n.detail.trim().to_string()),
        leader: Lww::new(at, n.leader.trim().to_string()),
        members: crate::activity::deputies(&n.members, at)?,
        ..EntrySection::default()
    };
    Ok(Record::delta(id, ctx.node, Section::Directory(s)))
}

fn held<'a>(ctx: &Ctx, rec: &'a Record) -> Result<&'a EntrySection, Error> {
    expect_kind(rec.id, RecordKind::Directory)?;
    crate::common::require_home(ctx, rec.id.home, "change this congress's register")?;
    rec.directory(rec.id.home).ok_or(Error::MissingSection {
        role: crate::Role::Directory,
    })
}

/// Changes who is in it: deputies added and removed.
pub fn members(
    ctx: &Ctx,
    rec: &Record,
    add: &[Participant],
    remove: &[Participant],
) -> Result<Record, Error> {
    let cur = held(ctx, rec)?;
    if *cur.kind.get() == EntryKind::Unit && !add.is_empty() {
        return Err(Error::UnitWithMembers);
    }
    let s = EntrySection {
        at: Max(ctx.at),
        members: crate::activity::amended(&cur.members, add, remove, ctx.at)?,
        ..EntrySection::default()
    };
    Ok(Record::delta(rec.id, ctx.node, Section::Directory(s)))
}

/// Changes its details; `None` keeps a field.
pub fn update(
    ctx: &Ctx,
    rec: &Record,
    address: Option<&str>,
    detail: Option<&str>,
    leader: Option<&str>,
) -> Result<Record, Error> {
    held(ctx, rec)?;
    let max = ctx.rules.max_title_chars;
    let mut s = EntrySection {
        at: Max(ctx.at),
        ..EntrySection::default()
    };
    if let Some(a) = address {
        optional("address", a, max)?;
        s.address = Lww::new(ctx.at, a.trim().to_string());
    }
    if let Some(d) = detail {
        optional("detail", d, max)?;
        s.detail = Lww::new(ctx.at, d.trim().to_string());
    }
    if let Some(l) = leader {
        optional("leader", l, max)?;
        s.leader = Lww::new(ctx.at, l.trim().to_string());
    }
    Ok(Record::delta(rec.id, ctx.node, Section::Directory(s)))
}

/// 撤销: the entry is closed (it stays in the record, out of the lists).
pub fn close(ctx: &Ctx, rec: &Record) -> Result<Record, Error> {
    held(ctx, rec)?;
    let s = EntrySection {
        at: Max(ctx.at),
        closed: Max(Some(ctx.today)),
        ..EntrySection::default()
    };
    Ok(Record::delta(rec.id, ctx.node, Section::Directory(s)))
}

/// The entry of a record if it is open (not closed).
pub fn open(rec: &Record) -> Option<&EntrySection> {
    rec.directory(rec.id.home).filter(|e| e.closed.0.is_none())
}

/// True for an open 家站点, group or grid without any deputy.
pub fn without_deputy(rec: &Record) -> bool {
    open(rec).is_some_and(|e| e.kind.get().has_deputies() && e.members.is_empty())
}

/// The congresses of its members (each an anchor of the record).
pub fn congresses(rec: &Record) -> Vec<Code> {
    rec.directory(rec.id.home)
        .map(|e| crate::activity::congresses_of(&e.members))
        .unwrap_or_default()
}
