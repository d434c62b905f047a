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

/// Suggestions by status: value = status byte.
pub const STATUS: u8 = 2;
/// Suggestions by current handler: value = code (u32 BE).
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

/// The ranges of home codes (as stored: the number) inside the region of
/// `code`. A record key is its kind, its home, its uuid: the suggestions of a
/// region are these ranges of the suggestion keys, so suggestions carry no
/// `AREA` entry (sled's cost is per key, and every suggestion created wrote one).
pub fn home_ranges(code: Code) -> Vec<(u32, u32)> {
    let prefix = region(code);
    let Ok(v) = prefix.parse::<u32>() else {
        return vec![(0, u32::MAX)]; // national: everything
    };
    let d = prefix.len() as u32;
    [6u32, 9]
        .into_iter()
        .filter(|digits| d <= *digits)
        .map(|digits| {
            let m = 10u32.pow(digits - d);
            (v * m, v * m + (m - 1))
        })
        .collect()
}

/// Up to `page` stored records of kind byte `kind` homed in `ranges`
/// (ascending, not overlapping), in key order after the record key `cursor`.
/// Fewer than `page` only when every range is read to its end.
pub fn homes_chunk(
    layout: &wuji_store::Layout,
    kind: u8,
    ranges: &[(u32, u32)],
    cursor: Option<&[u8]>,
    page: usize,
) -> Result<Vec<wuji_store::StoredRecord>, wuji_store::Error> {
    let mut out = Vec::new();
    for &(lo, hi) in ranges {
        // From the range's first key, or from the cursor if it is further.
        let mut start = vec![kind];
        start.extend_from_slice(&lo.to_be_bytes());
        if let Some(c) = cursor.filter(|c| *c > start.as_slice()) {
            start = c.to_vec();
        }
        loop {
            let want = page - out.len();
            let chunk = layout.records(&[kind], Some(&start), want)?;
            let n = chunk.len();
            let mut past = false;
            for s in chunk {
                if s.record.id.home.value() > hi {
                    past = true;
                    break;
                }
                start = wuji_store::layout::record_key(&s.record.id).to_vec();
                out.push(s);
            }
            if past || n < want || out.len() >= page {
                break;
            }
        }
        if out.len() >= page {
            break;
        }
    }
    Ok(out)
}

/// Takes out the `AREA` entries of suggestions an older version wrote (lists by
/// area read [`home_ranges`] of the record keys now); returns how many.
pub fn forget_suggestion_areas(layout: &wuji_store::Layout) -> Result<usize, wuji_store::Error> {
    let prefix = wuji_store::layout::index_prefix(AREA, &[kind_byte(RecordKind::Suggestion)]);
    let mut n = 0;
    loop {
        let page = layout.scan_index(&prefix, None, 4096)?;
        if page.is_empty() {
            return Ok(n);
        }
        let mut batch = wuji_store::Batch::default();
        for (key, _) in &page {
            layout.delete_index(&mut batch, key);
        }
        n += page.len();
        layout.kv().apply(batch)?;
        layout.kv().flush()?;
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
            add(STATUS, vec![v.status as u8]);
            add(HANDLER, be(v.handler.value()));
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

    #[test]
    fn home_ranges_hold_exactly_the_codes_inside() {
        let c = |s: &str| Code::parse(s).unwrap();
        let codes = [
            "100000",
            "110000",
            "110101",
            "110101001",
            "320000",
            "320100",
            "320114",
            "320114001",
            "320114002",
            "320115",
            "320115001",
            "329999",
            "330000",
            "441900",
            "441900003",
            "650000",
        ];
        for outer in codes {
            let ranges = home_ranges(c(outer));
            for inner in codes {
                let v = c(inner).value();
                let within = ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&v));
                assert_eq!(within, c(outer).contains(c(inner)), "{outer} {inner}");
            }
        }
    }

    #[test]
    fn a_region_reads_its_ranges_of_record_keys_page_by_page() {
        let kv: std::sync::Arc<dyn wuji_store::Kv> =
            std::sync::Arc::new(wuji_store::MemKv::default());
        let layout = wuji_store::Layout::open(kv).unwrap();
        let homes = [
            "320100",
            "320114",
            "320114",
            "320114001",
            "320114001",
            "320114001",
            "320114002",
            "320115",
            "320115001",
            "320200",
        ];
        let mut batch = wuji_store::Batch::default();
        let mut all = Vec::new();
        for (i, h) in homes.iter().enumerate() {
            for kind in [RecordKind::Suggestion, RecordKind::Activity] {
                let id = wuji_model::RecordId {
                    kind,
                    home: Code::parse(h).unwrap(),
                    uuid: wuji_model::Uuid::now_v7(),
                };
                let rec = Record::new(id);
                layout.put_record(&mut batch, &rec, &Default::default(), i as u64 + 1, None);
                if kind == RecordKind::Suggestion {
                    all.push(id);
                }
            }
        }
        layout.kv().apply(batch).unwrap();
        let kind = kind_byte(RecordKind::Suggestion);
        for (region, page) in [
            ("320114", 1),
            ("320114", 2),
            ("320100", 3),
            ("320000", 4),
            ("320114001", 2),
            ("320116", 1),
            ("100000", 5),
        ] {
            let region = Code::parse(region).unwrap();
            let want: BTreeSet<_> = all
                .iter()
                .filter(|id| region.contains(id.home))
                .copied()
                .collect();
            let mut got = Vec::new();
            let mut cursor: Option<Vec<u8>> = None;
            loop {
                let chunk =
                    homes_chunk(&layout, kind, &home_ranges(region), cursor.as_deref(), page)
                        .unwrap();
                let n = chunk.len();
                for s in chunk {
                    cursor = Some(wuji_store::layout::record_key(&s.record.id).to_vec());
                    got.push(s.record.id);
                }
                if n < page {
                    break;
                }
            }
            assert_eq!(got.len(), want.len(), "{region}: each once");
            assert_eq!(
                got.iter().copied().collect::<BTreeSet<_>>(),
                want,
                "{region}"
            );
        }
    }

    #[test]
    fn leftover_suggestion_areas_are_taken_out_and_others_kept() {
        let kv: std::sync::Arc<dyn wuji_store::Kv> =
            std::sync::Arc::new(wuji_store::MemKv::default());
        let layout = wuji_store::Layout::open(kv).unwrap();
        let id = |kind| wuji_model::RecordId {
            kind,
            home: Code::parse("320114001").unwrap(),
            uuid: wuji_model::Uuid::now_v7(),
        };
        let mut batch = wuji_store::Batch::default();
        let mut area = |kind| {
            let mut v = vec![kind_byte(kind)];
            v.extend_from_slice(b"320114001");
            layout.put_index(&mut batch, &index_entry(AREA, &v, &id(kind)));
        };
        for _ in 0..3 {
            area(RecordKind::Suggestion);
        }
        area(RecordKind::Activity);
        layout.kv().apply(batch).unwrap();
        assert_eq!(forget_suggestion_areas(&layout).unwrap(), 3);
        assert_eq!(forget_suggestion_areas(&layout).unwrap(), 0);
        let left = layout
            .scan_index(&wuji_store::layout::index_prefix(AREA, &[]), None, 10)
            .unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].1.kind, RecordKind::Activity);
    }
}
