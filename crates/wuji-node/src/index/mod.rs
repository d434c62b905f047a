//! Secondary indexes: which index entries a record has. Lists by kind read the
//! records themselves (their keys start with the kind), so only what narrows a
//! list is indexed: sled's cost is per key, and every entry is a key per write. The committer writes the
//! difference between a record's entries before and after each change, in the
//! same batch as the record, so indexes never disagree with records.

use std::collections::BTreeSet;
use wuji_division::{Code, Level};
use wuji_model::suggestion::promises::PromiseState;
use wuji_model::suggestion::view;
use wuji_model::{Record, RecordKind, Rules, names, routing};
use wuji_proto::date_to_i64;
use wuji_store::layout::index_entry;

/// Suggestions by status: value = status byte. Written by older versions
/// only ([`STATUS_HANDLER`] now); [`upgrade`] takes them out.
pub const STATUS: u8 = 2;
/// Suggestions by current handler: value = code (u32 BE). Written by older
/// versions only, as [`STATUS`].
pub const HANDLER: u8 = 3;
/// Suggestions running against a deadline (status 办理中): value = YYYYMMDD (u32 BE).
pub const DEADLINE: u8 = 4;
/// Records by region: value = kind byte, then the region prefix of each area
/// (every kind but suggestions, which are listed by [`home_ranges`]).
pub const AREA: u8 = 5;
/// Deputies by person id: value = person id, 0.
pub const PERSON: u8 = 8;
/// Deputies by group (roster group and placement groups): value = group, 0.
pub const GROUP: u8 = 9;
/// Deputies by congress level: value = level depth.
pub const LEVEL: u8 = 10;
/// Deputies by status: value = status byte.
pub const DEPUTY_STATUS: u8 = 11;
/// Deputies in roster order (姓氏笔画): value = roster key of the name.
pub const ROSTER: u8 = 12;
/// Suggestions by the work-order id of the platform they came in from:
/// value = external id, 0.
pub const EXTERNAL: u8 = 13;
/// Activities and register entries by participant or member (履职档案,
/// where a deputy is placed): value = the deputy's congress (u32 BE),
/// person id, 0.
pub const PARTICIPANT: u8 = 14;
/// Suggestions with promises not yet done (答复承诺事项台账): value = empty.
pub const PROMISES_OPEN: u8 = 15;
/// Suggestions with promises in the ledger, done or not: value = empty.
pub const PROMISES: u8 = 16;
/// Register entries (名录) by kind: value = the entry kind's byte.
pub const DIRECTORY: u8 = 17;
/// Suggestions by the citizen opinion they take up: value = the opinion's
/// record key.
pub const FROM_OPINION: u8 = 18;
/// Suggestions by current handler and status: value = handler code (u32 BE),
/// status byte. By handler: a prefix; by status: [`status_chunk`].
pub const STATUS_HANDLER: u8 = 19;

mod suggestions;
pub use suggestions::{home_ranges, homes_chunk, status_chunk, upgrade};

/// The region prefix of a code: the digits that every code inside it starts
/// with (`""` national, `32` province, `3201` city, `320114` county,
/// `320114001` township), so a region query is a prefix scan.
pub fn region(code: Code) -> String {
    let s = code.to_string();
    match code.level() {
        Level::National => String::new(),
        Level::Province => s[..2].to_string(),
        Level::City => s[..4].to_string(),
        Level::County | Level::Township => s,
    }
}

pub use wuji_store::layout::kind_byte;

fn text_key(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

fn be(v: u32) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

/// The index entries of a record.
pub fn entries(rec: &Record, rules: &Rules) -> BTreeSet<Vec<u8>> {
    let id = &rec.id;
    let mut out = BTreeSet::new();
    let mut add = |index: u8, value: Vec<u8>| {
        out.insert(index_entry(index, &value, id));
    };
    let area = |code: Code, add: &mut dyn FnMut(u8, Vec<u8>)| {
        let mut v = vec![kind_byte(id.kind)];
        v.extend_from_slice(region(code).as_bytes());
        add(AREA, v);
    };
    match id.kind {
        RecordKind::Suggestion => {
            let v = view::view(rec, rules);
            let mut sh = be(v.handler.value());
            sh.push(v.status as u8);
            add(STATUS_HANDLER, sh);
            if v.status == view::Status::Assigned
                && let Some(d) = v.deadline
            {
                add(DEADLINE, be(date_to_i64(d) as u32));
            }
            // By area: the record keys themselves (`home_ranges`).
            if let Some(o) = rec.origin(id.home)
                && !o.external_id.get().is_empty()
            {
                add(EXTERNAL, text_key(o.external_id.get()));
            }
            if let Some(t) = rec.origin(id.home).and_then(|o| *o.from_opinion.get()) {
                let op = t.id(id.home);
                add(FROM_OPINION, wuji_store::layout::record_key(&op).to_vec());
            }
            let states: Vec<PromiseState> = rec
                .handlings()
                .flat_map(|(_, h)| h.promises.iter().map(|(_, p)| p.state.0))
                .collect();
            if !states.is_empty() {
                add(PROMISES, Vec::new());
            }
            if states.iter().any(|s| *s != PromiseState::Done) {
                add(PROMISES_OPEN, Vec::new());
            }
        }
        RecordKind::Activity => {
            for a in routing::anchors(rec) {
                area(a.code, &mut add);
            }
            if let Some(a) = rec.activity(id.home) {
                for p in a.participants.iter() {
                    let mut v = be(p.congress.value());
                    v.extend(text_key(&p.person));
                    add(PARTICIPANT, v);
                }
            }
        }
        RecordKind::Deputy => {
            add(LEVEL, vec![id.home.level().depth()]);
            for a in routing::anchors(rec) {
                area(a.code, &mut add);
            }
            if let Some(r) = rec.roster(id.home) {
                add(PERSON, text_key(r.person_id.get()));
                add(DEPUTY_STATUS, vec![r.status.0.status as u8]);
                let mut key = names::roster_key(r.name.get());
                key.push(0);
                add(ROSTER, key);
                if !r.group.get().is_empty() {
                    add(GROUP, text_key(r.group.get()));
                }
            }
            for (_, p) in rec.placements() {
                if !p.group.get().is_empty() {
                    add(GROUP, text_key(p.group.get()));
                }
            }
        }
        RecordKind::Contact => {
            for a in routing::anchors(rec) {
                area(a.code, &mut add);
            }
            if let Some(c) = rec.contact(id.home) {
                for p in c.linked.iter() {
                    let mut v = be(p.congress.value());
                    v.extend(text_key(&p.person));
                    add(PARTICIPANT, v);
                }
            }
        }
        RecordKind::Directory => {
            for a in routing::anchors(rec) {
                area(a.code, &mut add);
            }
            if let Some(e) = rec.directory(id.home) {
                add(DIRECTORY, vec![*e.kind.get() as u8]);
                for p in e.members.iter() {
                    let mut v = be(p.congress.value());
                    v.extend(text_key(&p.person));
                    add(PARTICIPANT, v);
                }
            }
        }
        RecordKind::Assignment
        | RecordKind::Supervision
        | RecordKind::Summary
        | RecordKind::Vacancy
        | RecordKind::Seats
        | RecordKind::Calendar => {
            for a in routing::anchors(rec) {
                area(a.code, &mut add);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_prefixes_of_everything_inside() {
        let c = |s: &str| Code::parse(s).unwrap();
        for (outer, inner) in [
            ("320000", "320114001"),
            ("320100", "320114"),
            ("441900", "441900003"),
            ("110000", "110101001"),
            ("100000", "650000"),
        ] {
            assert!(
                region(c(inner)).starts_with(&region(c(outer))),
                "{outer} {inner}"
            );
        }
        assert!(!region(c("320115")).starts_with(&region(c("320114"))));
    }
}
