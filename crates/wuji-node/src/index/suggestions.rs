//! The index entries of suggestions, as few keys as lists allow (sled's cost
//! is per key, and every suggestion created wrote each one): no region entry
//! (a region is at most two ranges of the record keys, [`home_ranges`]), and
//! one entry for status and handler together (handler · status · record:
//! lists by handler are a prefix, lists by status a skip scan over the
//! handlers, [`status_chunk`]). [`upgrade`] rewrites what older versions wrote.

use super::{AREA, HANDLER, STATUS, STATUS_HANDLER, entries, kind_byte, region};
use wuji_division::Code;
use wuji_model::{RecordId, RecordKind, Rules};
use wuji_store::layout::index_prefix;
use wuji_store::{Batch, Layout};

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

/// Up to `page` index entries (key, record id) of suggestions in `status`,
/// by handler then record key, after the entry key `cursor`: a skip scan
/// that reads one key to step over each handler's other statuses. Fewer than
/// `page` only at the end.
pub fn status_chunk(
    layout: &Layout,
    status: u8,
    cursor: Option<&[u8]>,
    page: usize,
) -> Result<Vec<(Vec<u8>, RecordId)>, wuji_store::Error> {
    let base = index_prefix(STATUS_HANDLER, &[]);
    let mut out = Vec::new();
    let mut after: Option<Vec<u8>> = cursor.map(<[u8]>::to_vec);
    while out.len() < page {
        let Some((key, _)) = layout.scan_index(&base, after.as_deref(), 1)?.pop() else {
            break;
        };
        let (Some(h), Some(st)) = (key.get(2..6), key.get(6).copied()) else {
            break; // not an entry this version writes
        };
        let handler = u32::from_be_bytes(h.try_into().unwrap_or_default());
        let mut at = base.clone();
        at.extend_from_slice(h);
        if st < status {
            at.push(status); // every entry of (handler, status) sorts after this
            after = Some(at);
            continue;
        }
        if st > status {
            let Some(next) = handler.checked_add(1) else {
                break;
            };
            after = Some(index_prefix(STATUS_HANDLER, &next.to_be_bytes()));
            continue;
        }
        // The entries of (handler, status), from the key found on.
        at.push(status);
        let from = after.as_ref().filter(|a| a.starts_with(&at)).cloned();
        let want = page - out.len();
        let got = layout.scan_index(&at, from.as_deref(), want)?;
        let n = got.len();
        out.extend(got);
        if n < want {
            at.extend_from_slice(&[0xff; 32]); // after every entry of (handler, status)
            after = Some(at);
        }
    }
    Ok(out)
}

/// Brings the index entries of suggestions to this version's: takes out the
/// region entries and, where the separate status and handler entries are
/// found, writes the joint entry of every suggestion first and then takes
/// them out (a crash in between leaves them to be found again). Returns how
/// many region entries were taken out and how many suggestions were
/// reindexed.
pub fn upgrade(layout: &Layout, rules: &Rules) -> Result<(usize, usize), wuji_store::Error> {
    let areas = take_out(
        layout,
        &index_prefix(AREA, &[kind_byte(RecordKind::Suggestion)]),
    )?;
    let old = [index_prefix(STATUS, &[]), index_prefix(HANDLER, &[])];
    let mut found = false;
    for p in &old {
        found |= !layout.scan_index(p, None, 1)?.is_empty();
    }
    if !found {
        return Ok((areas, 0));
    }
    let joint = index_prefix(STATUS_HANDLER, &[]);
    let kind = [kind_byte(RecordKind::Suggestion)];
    let (mut after, mut reindexed) = (None::<Vec<u8>>, 0);
    tracing::info!("rewriting the index entries of every suggestion (once, after an upgrade)");
    loop {
        let page = layout.records(&kind, after.as_deref(), 1024)?;
        let Some(last) = page.last() else { break };
        after = Some(wuji_store::layout::record_key(&last.record.id).to_vec());
        let mut batch = Batch::default();
        for s in &page {
            for e in entries(&s.record, rules)
                .iter()
                .filter(|e| e.starts_with(&joint))
            {
                layout.put_index(&mut batch, e);
            }
        }
        reindexed += page.len();
        layout.kv().apply(batch)?;
        layout.kv().flush()?;
        if reindexed % (100 * 1024) == 0 {
            tracing::info!(suggestions = reindexed, "rewriting index entries");
        }
    }
    for p in &old {
        take_out(layout, p)?;
    }
    Ok((areas, reindexed))
}

/// Deletes every index entry under `prefix`; how many.
fn take_out(layout: &Layout, prefix: &[u8]) -> Result<usize, wuji_store::Error> {
    let mut n = 0;
    loop {
        let page = layout.scan_index(prefix, None, 4096)?;
        if page.is_empty() {
            return Ok(n);
        }
        let mut batch = Batch::default();
        for (key, _) in &page {
            layout.delete_index(&mut batch, key);
        }
        n += page.len();
        layout.kv().apply(batch)?;
        layout.kv().flush()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use wuji_model::Record;
    use wuji_store::layout::index_entry;

    fn store() -> Layout {
        let kv: std::sync::Arc<dyn wuji_store::Kv> =
            std::sync::Arc::new(wuji_store::MemKv::default());
        Layout::open(kv).unwrap()
    }

    fn id(kind: RecordKind, home: &str) -> RecordId {
        RecordId {
            kind,
            home: Code::parse(home).unwrap(),
            uuid: wuji_model::Uuid::now_v7(),
        }
    }

    #[test]
    fn a_status_reads_every_handlers_entries_page_by_page() {
        let layout = store();
        let handlers = [320100u32, 320114, 320114001, 320114002, 320115, u32::MAX];
        let mut batch = Batch::default();
        let mut want: Vec<BTreeSet<RecordId>> = vec![BTreeSet::new(); 6];
        for (i, h) in handlers.iter().enumerate() {
            for status in 0u8..6 {
                // Each (handler, status) pair some of the time, 0 to 3 entries.
                for _ in 0..((i + status as usize) % 4) {
                    let rid = id(RecordKind::Suggestion, "320114001");
                    let mut v = h.to_be_bytes().to_vec();
                    v.push(status);
                    layout.put_index(&mut batch, &index_entry(STATUS_HANDLER, &v, &rid));
                    want[status as usize].insert(rid);
                }
            }
        }
        layout.kv().apply(batch).unwrap();
        for status in 0u8..6 {
            for page in [1usize, 2, 3, 50] {
                let mut got = Vec::new();
                let mut cursor: Option<Vec<u8>> = None;
                loop {
                    let chunk = status_chunk(&layout, status, cursor.as_deref(), page).unwrap();
                    let n = chunk.len();
                    for (key, rid) in chunk {
                        assert_eq!(key[6], status);
                        cursor = Some(key);
                        got.push(rid);
                    }
                    if n < page {
                        break;
                    }
                }
                assert_eq!(
                    got.len(),
                    want[status as usize].len(),
                    "status {status} page {page}: each once"
                );
                assert_eq!(
                    got.into_iter().collect::<BTreeSet<_>>(),
                    want[status as usize]
                );
            }
        }
        assert!(status_chunk(&layout, 9, None, 10).unwrap().is_empty());
    }

    #[test]
    fn separate_status_and_handler_entries_become_the_joint_one() {
        use wuji_model::calendar::Calendar;
        let layout = store();
        let rules = Rules::default();
        let home = Code::parse("320114001").unwrap();
        let ctx = wuji_model::Ctx {
            node: home,
            at: wuji_crdt::Stamp::new(
                wuji_crdt::Hlc(1 << 40),
                wuji_crdt::WriterId::new(home.value(), 0),
            ),
            today: jiff::civil::date(2026, 3, 2),
            rules: &rules,
            calendar: &Calendar::builtin(),
        };
        let mut batch = Batch::default();
        let mut ids = Vec::new();
        for i in 0..3 {
            let draft = wuji_model::suggestion::workflow::Draft {
                lead: "P-1".into(),
                title: format!("建议 {i}"),
                text: "内容".into(),
                ..Default::default()
            };
            let rec: Record = wuji_model::suggestion::workflow::submit(
                &ctx,
                id(RecordKind::Suggestion, "320114001"),
                &draft,
            )
            .unwrap();
            layout.put_record(&mut batch, &rec, &Default::default(), 1, None);
            // What an older version wrote.
            let v = wuji_model::suggestion::view::view(&rec, &rules);
            layout.put_index(&mut batch, &index_entry(STATUS, &[v.status as u8], &rec.id));
            layout.put_index(
                &mut batch,
                &index_entry(HANDLER, &v.handler.value().to_be_bytes(), &rec.id),
            );
            ids.push((rec.id, v.status as u8, v.handler.value()));
        }
        layout.kv().apply(batch).unwrap();
        assert_eq!(upgrade(&layout, &rules).unwrap(), (0, 3));
        assert_eq!(upgrade(&layout, &rules).unwrap(), (0, 0), "once");
        for p in [index_prefix(STATUS, &[]), index_prefix(HANDLER, &[])] {
            assert!(layout.scan_index(&p, None, 10).unwrap().is_empty());
        }
        for (rid, status, handler) in ids {
            let mut v = handler.to_be_bytes().to_vec();
            v.push(status);
            let got = layout
                .scan_index(&index_prefix(STATUS_HANDLER, &v), None, 10)
                .unwrap();
            assert!(got.iter().any(|(_, r)| *r == rid));
            assert!(
                status_chunk(&layout, status, None, 10)
                    .unwrap()
                    .iter()
                    .any(|(_, r)| *r == rid)
            );
        }
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
    fn leftover_suggestion_areas_are_taken_out_and_others_kept_by_the_upgrade() {
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
        assert_eq!(upgrade(&layout, &Rules::default()).unwrap(), (3, 0));
        assert_eq!(upgrade(&layout, &Rules::default()).unwrap(), (0, 0));
        let left = layout
            .scan_index(&wuji_store::layout::index_prefix(AREA, &[]), None, 10)
            .unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].1.kind, RecordKind::Activity);
    }
}
