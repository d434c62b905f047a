//! 代表: deputies, their roster entry (by the electing congress) and placements.

use crate::{Ctx, Error, Record, RecordId, RecordKind, Section, check_text};
use wuji_crdt::{Lww, Max, OrSet, Stamp, merge_fields};
use wuji_division::{Code, Level};

/// A deputy's status (代表资格状态).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeputyStatus {
    /// 在任: in office.
    #[default]
    InOffice,
    /// 暂停执行代表职务: duties suspended.
    Suspended,
    /// 辞职: resigned.
    Resigned,
    /// 罢免: recalled by the electors.
    Recalled,
    /// 终止: qualification terminated.
    Terminated,
    /// 去世: deceased.
    Deceased,
}

impl DeputyStatus {
    /// True once the deputy's term has ended for good; no step leads out of it.
    pub fn is_final(self) -> bool {
        self >= DeputyStatus::Resigned
    }

    /// The office's term.
    pub fn zh(self) -> &'static str {
        match self {
            DeputyStatus::InOffice => "在任",
            DeputyStatus::Suspended => "暂停执行代表职务",
            DeputyStatus::Resigned => "辞职",
            DeputyStatus::Recalled => "罢免",
            DeputyStatus::Terminated => "代表资格终止",
            DeputyStatus::Deceased => "去世",
        }
    }
}

/// The status as a lattice point: `(epoch, status)`. Suspending and resuming open
/// a new epoch; final statuses sit at the top epoch, so an end of term can never
/// be undone by a stale or concurrent suspend.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusState {
    /// Increases with every suspend or resume; `u32::MAX` once final.
    pub epoch: u32,
    /// The status.
    pub status: DeputyStatus,
}

impl StatusState {
    /// The state after a legal step to `to`, or the rule it breaks.
    pub fn step(self, to: DeputyStatus) -> Result<StatusState, Error> {
        use DeputyStatus::*;
        let from = self.status;
        let legal = match (from, to) {
            (f, _) if f.is_final() => false,
            (InOffice, Suspended) | (Suspended, InOffice) => true,
            (_, t) => t.is_final(),
        };
        if !legal {
            return Err(Error::IllegalStatusStep { from, to });
        }
        let epoch = if to.is_final() {
            u32::MAX
        } else {
            self.epoch.saturating_add(1)
        };
        Ok(StatusState { epoch, status: to })
    }
}

/// 性别.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(missing_docs)]
pub enum Gender {
    #[default]
    Unknown,
    Male,
    Female,
}

/// Personal fields: they travel at most to the owner's parent (see `routing`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Personal {
    /// 联系电话.
    pub phone: Lww<String>,
    /// 身份证号.
    pub id_number: Lww<String>,
    /// 住址.
    pub address: Lww<String>,
}
merge_fields!(Personal {
    phone,
    id_number,
    address
});

impl Personal {
    /// True if no personal field holds anything: every register is as never
    /// written (zero stamp and empty), the same rule by which the wire format
    /// leaves a register out.
    pub fn is_blank(&self) -> bool {
        *self == Personal::default()
    }
}

/// 代表名单 entry, written only by the congress that the deputy serves in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roster {
    /// When the owner last wrote this section.
    pub at: Max<Stamp>,
    /// Person id, the same for one person serving at several levels.
    pub person_id: Lww<String>,
    /// 姓名.
    pub name: Lww<String>,
    /// 性别.
    pub gender: Lww<Gender>,
    /// 届: the congress term (e.g. 17 for 第十七届).
    pub term: Lww<u32>,
    /// 选区 (direct election) or 原选举单位 (indirect election).
    pub electoral_unit: Lww<String>,
    /// 代表团.
    pub delegation: Lww<String>,
    /// 代表小组.
    pub group: Lww<String>,
    /// 代表联络站 the deputy belongs to.
    pub station: Lww<String>,
    /// Status with its legal transitions.
    pub status: Max<StatusState>,
    /// Areas the deputy is attached to (anchors: nodes below them see the deputy).
    pub attached: OrSet<Code>,
    /// Personal fields.
    pub personal: Personal,
}
merge_fields!(Roster {
    at,
    person_id,
    name,
    gender,
    term,
    electoral_unit,
    delegation,
    group,
    station,
    status,
    attached,
    personal
});

/// Placement of a deputy in a station, grid or group run by the owner node, so a
/// township can place a national deputy in its grid without touching the roster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placement {
    /// When the owner last wrote this section.
    pub at: Max<Stamp>,
    /// 代表联络站 / 代表之家.
    pub station: Lww<String>,
    /// 网格.
    pub grid: Lww<String>,
    /// 代表小组.
    pub group: Lww<String>,
}
merge_fields!(Placement {
    at,
    station,
    grid,
    group
});

/// What an office types in to enrol a deputy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewDeputy {
    /// Person id.
    pub person_id: String,
    /// 姓名.
    pub name: String,
    /// 性别.
    pub gender: Gender,
    /// 届.
    pub term: u32,
    /// 选区 / 原选举单位.
    pub electoral_unit: String,
    /// 代表团.
    pub delegation: String,
    /// 代表小组.
    pub group: String,
    /// 联络站.
    pub station: String,
    /// Areas the deputy is attached to (inside or equal to the congress's region).
    pub attached: Vec<Code>,
    /// 联系电话.
    pub phone: String,
    /// 身份证号.
    pub id_number: String,
    /// 住址.
    pub address: String,
}

/// The optional fields of a roster entry: a term of 1 to 99 (0: not given),
/// texts on one line without control characters.
fn check_details(d: &NewDeputy) -> Result<(), Error> {
    crate::common::check_range("term", u64::from(d.term), 0, 99)?;
    for (field, v) in [
        ("electoral_unit", &d.electoral_unit),
        ("delegation", &d.delegation),
        ("group", &d.group),
        ("station", &d.station),
        ("phone", &d.phone),
        ("id_number", &d.id_number),
        ("address", &d.address),
    ] {
        if !v.trim().is_empty() {
            check_text(field, v, 200)?;
        }
    }
    Ok(())
}

/// The level of the congress a deputy serves in.
pub fn level(id: &RecordId) -> Level {
    id.home.level()
}

/// 新增代表: the roster section for a new deputy of the node's own congress.
pub fn enrol(ctx: &Ctx, id: RecordId, d: &NewDeputy) -> Result<Record, Error> {
    expect_kind(id, RecordKind::Deputy)?;
    crate::common::require_home(ctx, id.home, "enrol a deputy of its congress")?;
    check_text("person_id", &d.person_id, 64)?;
    check_text("name", &d.name, 64)?;
    check_details(d)?;
    for area in &d.attached {
        if !id.home.contains(*area) {
            return Err(Error::OutsideRegion {
                node: *area,
                region: id.home,
            });
        }
    }
    let at = ctx.at;
    let s = |v: &str| Lww::new(at, v.trim().to_string());
    let roster = Roster {
        at: Max(at),
        person_id: s(&d.person_id),
        name: s(&d.name),
        gender: Lww::new(at, d.gender),
        term: Lww::new(at, d.term),
        electoral_unit: s(&d.electoral_unit),
        delegation: s(&d.delegation),
        group: s(&d.group),
        station: s(&d.station),
        status: Max(StatusState::default()),
        attached: d.attached.iter().map(|c| (*c, at)).collect(),
        personal: Personal {
            phone: s(&d.phone),
            id_number: s(&d.id_number),
            address: s(&d.address),
        },
    };
    Ok(Record::delta(id, ctx.node, Section::Roster(roster)))
}

/// 修改代表信息: overwrites the roster fields given (empty text and 0 leave a
/// field as it is) and attaches any new areas.
pub fn update(ctx: &Ctx, rec: &Record, d: &NewDeputy) -> Result<Record, Error> {
    let roster = own_roster(ctx, rec)?;
    let at = ctx.at;
    let text = |v: &str| -> Lww<String> {
        if v.trim().is_empty() {
            Lww::default()
        } else {
            Lww::new(at, v.trim().to_string())
        }
    };
    if !d.name.trim().is_empty() {
        check_text("name", &d.name, 64)?;
    }
    check_details(d)?;
    let mut delta = Roster {
        at: Max(at),
        person_id: text(&d.person_id),
        name: text(&d.name),
        gender: if d.gender == Gender::Unknown {
            Lww::default()
        } else {
            Lww::new(at, d.gender)
        },
        term: if d.term == 0 {
            Lww::default()
        } else {
            Lww::new(at, d.term)
        },
        electoral_unit: text(&d.electoral_unit),
        delegation: text(&d.delegation),
        group: text(&d.group),
        station: text(&d.station),
        personal: Personal {
            phone: text(&d.phone),
            id_number: text(&d.id_number),
            address: text(&d.address),
        },
        ..Roster::default()
    };
    for area in &d.attached {
        if !rec.id.home.contains(*area) {
            return Err(Error::OutsideRegion {
                node: *area,
                region: rec.id.home,
            });
        }
        if !roster.attached.contains(area) {
            delta.attached.add(*area, at);
        }
    }
    Ok(Record::delta(rec.id, ctx.node, Section::Roster(delta)))
}

/// 代表资格变动: moves the status one legal step.
pub fn change_status(ctx: &Ctx, rec: &Record, to: DeputyStatus) -> Result<Record, Error> {
    let roster = own_roster(ctx, rec)?;
    let next = roster.status.0.step(to)?;
    let delta = Roster {
        at: Max(ctx.at),
        status: Max(next),
        ..Roster::default()
    };
    Ok(Record::delta(rec.id, ctx.node, Section::Roster(delta)))
}

/// Attaches the deputy to another area (its region grows: nodes there now see it).
pub fn attach(ctx: &Ctx, rec: &Record, area: Code) -> Result<Record, Error> {
    own_roster(ctx, rec)?;
    if !rec.id.home.contains(area) {
        return Err(Error::OutsideRegion {
            node: area,
            region: rec.id.home,
        });
    }
    let mut delta = Roster {
        at: Max(ctx.at),
        ..Roster::default()
    };
    delta.attached.add(area, ctx.at);
    Ok(Record::delta(rec.id, ctx.node, Section::Roster(delta)))
}

/// 进站 / 进网格: the node places a deputy it can see in its own station, grid or group.
pub fn place(
    ctx: &Ctx,
    rec: &Record,
    station: Option<&str>,
    grid: Option<&str>,
    group: Option<&str>,
) -> Result<Record, Error> {
    expect_kind(rec.id, RecordKind::Deputy)?;
    if !crate::routing::visible_to(rec, ctx.node, crate::routing::Horizon::All) {
        return Err(Error::OutsideRegion {
            node: ctx.node,
            region: rec.id.home,
        });
    }
    let set = |v: Option<&str>| {
        v.map(|s| Lww::new(ctx.at, s.trim().to_string()))
            .unwrap_or_default()
    };
    let p = Placement {
        at: Max(ctx.at),
        station: set(station),
        grid: set(grid),
        group: set(group),
    };
    Ok(Record::delta(rec.id, ctx.node, Section::Placement(p)))
}

fn own_roster<'a>(ctx: &Ctx, rec: &'a Record) -> Result<&'a Roster, Error> {
    expect_kind(rec.id, RecordKind::Deputy)?;
    crate::common::require_home(ctx, rec.id.home, "change a deputy's roster entry")?;
    rec.roster(rec.id.home).ok_or(Error::MissingSection {
        role: crate::Role::Roster,
    })
}

pub(crate) fn expect_kind(id: RecordId, kind: RecordKind) -> Result<(), Error> {
    if id.kind != kind {
        return Err(Error::WrongKind {
            expected: kind,
            got: id.kind,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::DeputyStatus::*;
    use super::*;

    #[test]
    fn every_status_step_is_legal_or_names_the_rule() {
        let all = [
            InOffice, Suspended, Resigned, Recalled, Terminated, Deceased,
        ];
        for from in all {
            for to in all {
                let s = StatusState {
                    epoch: if from.is_final() { u32::MAX } else { 1 },
                    status: from,
                };
                let expect = !from.is_final()
                    && (to.is_final()
                        || matches!((from, to), (InOffice, Suspended) | (Suspended, InOffice)));
                match s.step(to) {
                    Ok(next) => {
                        assert!(expect, "{from:?} -> {to:?} should be refused");
                        assert!(next > s, "a step always moves the lattice up");
                    }
                    Err(e) => {
                        assert!(!expect, "{from:?} -> {to:?} should be legal");
                        assert_eq!(e.rule(), "deputy-status-step");
                    }
                }
            }
        }
    }

    #[test]
    fn an_end_of_term_beats_a_concurrent_suspension() {
        let s = StatusState::default();
        let suspended = s.step(Suspended).unwrap();
        let resigned = s.step(Resigned).unwrap();
        assert_eq!(suspended.max(resigned).status, Resigned);
    }
}
