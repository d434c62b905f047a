//! What must hold at the end of every run, checked against the stores
//! themselves: every link's two ends hold equal digests of the child's region
//! (kind by kind); no acknowledged write is lost; every node holds every
//! record it is entitled to, equal to its home's copy, and nothing it is not
//! entitled to, and no personal field beyond the owner's parent; every
//! summary equals a recount of what its node holds. A failed check names the
//! first divergence.

use crate::Error;
use crate::topology::Topology;
use std::collections::{BTreeMap, BTreeSet};
use wuji_crdt::Stamp;
use wuji_division::Code;
use wuji_model::routing::{self, Horizon, Reach};
use wuji_model::{Record, RecordId, RecordKind, Section};
use wuji_store::Layout;

/// One check and what it saw.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    /// What must hold.
    pub name: String,
    /// Whether it held.
    pub ok: bool,
    /// Figures, or the first divergence.
    pub detail: String,
}

/// The latest stamp of `writer`'s sections of `rec`.
pub fn own_stamp(rec: &Record, writer: Code) -> Option<Stamp> {
    rec.sections()
        .filter(|(k, _)| k.owner == writer)
        .map(|(_, s)| s.written_at())
        .max()
}

/// Every acknowledged write: per writer, per record, the stamp it reached.
#[derive(Debug, Default)]
pub struct Ledger {
    acked: BTreeMap<Code, BTreeMap<RecordId, Stamp>>,
    excused: BTreeSet<(Code, RecordId)>,
}

impl Ledger {
    /// `writer` acknowledged `rec` as it now stands.
    pub fn acked(&mut self, rec: &Record, writer: Code) {
        if let Some(s) = own_stamp(rec, writer) {
            let e = self
                .acked
                .entry(writer)
                .or_default()
                .entry(rec.id)
                .or_insert(s);
            *e = (*e).max(s);
        }
    }

    /// `node` is restored from a backup: what it acknowledged that none of
    /// `keep` (the backup, its neighbours) holds is lost by the operator's
    /// choice and no longer expected. Returns how many writes that is.
    pub fn excuse(&mut self, node: Code, keep: &[Layout]) -> Result<u64, Error> {
        let mut n = 0;
        for (id, stamp) in self.acked.get(&node).into_iter().flatten() {
            let mut held = false;
            for l in keep {
                if let Some(s) = l.record(id)? {
                    held |= own_stamp(&s.record, node).is_some_and(|h| h >= *stamp);
                }
            }
            if !held && self.excused.insert((node, *id)) {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Writes acknowledged (record, writer pairs).
    pub fn len(&self) -> usize {
        self.acked.values().map(BTreeMap::len).sum()
    }

    /// Whether nothing was acknowledged.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The first link whose ends disagree on a kind of the child's region, or `None`.
pub fn links_agree(
    layouts: &BTreeMap<Code, Layout>,
    topo: &Topology,
) -> Result<Option<String>, Error> {
    for &c in &topo.nodes {
        let Some(p) = topo.parent(c) else { continue };
        let (Some(child), Some(parent)) = (layouts.get(&c), layouts.get(&p)) else {
            return Ok(Some(format!("{c} or {p} is down")));
        };
        for k in wuji_node::sync::kinds() {
            // What the child holds of its region that the parent is
            // entitled to, against what the parent holds of it.
            let (a, b) = (
                child.parent_digest_of_kind(c, k)?,
                parent.scope_digest_of_kind(c, k)?,
            );
            if a != b {
                return Ok(Some(format!(
                    "link {c} → {p}, {}: {} records at {c}, {} at {p} (digests differ)",
                    kind_name(k),
                    a.records,
                    b.records
                )));
            }
        }
    }
    Ok(None)
}

/// The name of the record kind stored as `byte`.
fn kind_name(byte: u8) -> String {
    RecordKind::ALL
        .into_iter()
        .find(|k| wuji_store::layout::kind_byte(*k) == byte)
        .map(|k| format!("{k:?}").to_lowercase())
        .unwrap_or_else(|| format!("kind {byte}"))
}

/// Every record a node holds (summaries too), read a page at a time.
fn each_record(l: &Layout, mut f: impl FnMut(Record) -> Result<(), Error>) -> Result<(), Error> {
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = l.records(&[], after.as_deref(), 512)?;
        let done = page.len() < 512;
        for s in page {
            after = Some(wuji_store::layout::record_key(&s.record.id).to_vec());
            f(s.record)?;
        }
        if done {
            return Ok(());
        }
    }
}

/// The simulated nodes entitled to `rec` under `horizon`: of the nodes above
/// its home and anchors, and below its `down` anchors, those the routing rule
/// admits.
pub fn entitled(rec: &Record, topo: &Topology, horizon: Horizon) -> BTreeSet<Code> {
    let mut out = BTreeSet::new();
    let home = rec.id.home;
    let anchors = routing::anchors(rec);
    for a in anchors.iter().map(|a| a.code).chain([home]) {
        if topo.has(a) {
            out.extend(topo.up(a));
        }
    }
    for a in &anchors {
        if a.reach == Reach::Down && topo.has(a.code) {
            out.extend(topo.subtree(a.code));
        }
    }
    out.retain(|n| routing::visible_to(rec, *n, horizon));
    out
}

fn personal_beyond(rec: &Record, holder: Code) -> bool {
    rec.sections().any(|(k, s)| match s {
        Section::Roster(r) => {
            !r.personal.is_blank() && !routing::may_hold_personal(k.owner, holder)
        }
        _ => false,
    })
}

/// Holdings of one node: records by kind.
pub type Held = BTreeMap<Code, BTreeMap<RecordKind, u64>>;

/// Runs every check; also returns each node's records by kind.
pub fn all(
    layouts: &BTreeMap<Code, Layout>,
    topo: &Topology,
    ledger: &Ledger,
    horizon: Horizon,
    today: wuji_model::Date,
) -> Result<(Vec<Check>, Held), Error> {
    let mut checks = Vec::new();
    let links = links_agree(layouts, topo)?;
    checks.push(Check {
        name: "every link's two ends hold equal digests of the child's region".into(),
        ok: links.is_none(),
        detail: links.unwrap_or_else(|| {
            format!(
                "{} links, {} kinds each",
                topo.nodes.len() - 1,
                wuji_node::sync::kinds().len()
            )
        }),
    });

    // Acknowledged writes.
    let (mut expected, mut missing, mut first) = (0u64, 0u64, None);
    for (writer, recs) in &ledger.acked {
        let Some(l) = layouts.get(writer) else {
            continue;
        };
        for (id, stamp) in recs {
            if ledger.excused.contains(&(*writer, *id)) {
                continue;
            }
            expected += 1;
            let held = l.record(id)?.and_then(|s| own_stamp(&s.record, *writer));
            if held.is_none_or(|h| h < *stamp) {
                missing += 1;
                first.get_or_insert_with(|| {
                    format!("{writer} lost its write to {}:{}", id.home, id.uuid)
                });
            }
        }
    }
    checks.push(Check {
        name: "no acknowledged write is lost".into(),
        ok: missing == 0,
        detail: first.unwrap_or_else(|| {
            format!(
                "{expected} writes checked at their writers ({} given up to restores)",
                ledger.excused.len()
            )
        }),
    });

    // Every summary against a recount of its subtree from each record's
    // home: each record's counts added at its home and every node above.
    let rules = wuji_model::Rules::default();
    let mut recounts: BTreeMap<Code, BTreeMap<String, i64>> = BTreeMap::new();
    for (&home, l) in layouts {
        each_record(l, |r| {
            if r.id.home == home && r.id.kind != RecordKind::Summary {
                for holder in topo.up(home) {
                    let c = wuji_model::summary::own_counts_of(&r, &rules, holder);
                    let m = recounts.entry(holder).or_default();
                    wuji_model::summary::add_difference(m, &BTreeMap::new(), &c);
                }
            }
            Ok(())
        })?;
    }

    // Entitlement, personal fields and summaries, node by node; then
    // completeness from each record's home.
    let (mut beyond, mut personal, mut summaries) = (None, None, None);
    let mut held: Held = BTreeMap::new();
    for (&c, l) in layouts {
        let mut own_summary = None;
        let counts = held.entry(c).or_default();
        each_record(l, |r| {
            *counts.entry(r.id.kind).or_default() += 1;
            if beyond.is_none() && !routing::visible_to(&r, c, horizon) {
                beyond = Some(format!(
                    "{c} holds {:?} {}:{} it is not entitled to",
                    r.id.kind, r.id.home, r.id.uuid
                ));
            }
            if personal.is_none() && personal_beyond(&r, c) {
                personal = Some(format!(
                    "{c} holds personal fields of {}:{}",
                    r.id.home, r.id.uuid
                ));
            }
            if r.id.kind == RecordKind::Summary && r.id.home == c {
                own_summary = Some(wuji_model::summary::counts(&r));
            }
            Ok(())
        })?;
        let in_window = |k: &String| wuji_model::summary::months::in_window(k, today);
        let recount: BTreeMap<String, u64> = recounts
            .remove(&c)
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, v)| *v != 0 && in_window(k))
            .map(|(k, v)| (k, v as u64))
            .collect();
        let own: BTreeMap<String, u64> = own_summary
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, v)| *v != 0 && in_window(k))
            .collect();
        if summaries.is_none() && own != recount {
            let key = recount
                .keys()
                .chain(own.keys())
                .find(|k| own.get(*k) != recount.get(*k))
                .cloned()
                .unwrap_or_default();
            summaries = Some(format!(
                "{c}: {key} is {} in its summary, {} by a recount",
                own.get(&key).copied().unwrap_or(0),
                recount.get(&key).copied().unwrap_or(0)
            ));
        }
    }
    checks.push(Check {
        name: "no node holds a record it is not entitled to".into(),
        ok: beyond.is_none(),
        detail: beyond.unwrap_or_else(|| "every record of every node".into()),
    });
    checks.push(Check {
        name: "no personal field above the owner's parent".into(),
        ok: personal.is_none(),
        detail: personal.unwrap_or_else(|| "every roster section of every node".into()),
    });
    checks.push(Check {
        name: "every summary equals a recount of its subtree's records".into(),
        ok: summaries.is_none(),
        detail: summaries.unwrap_or_else(|| format!("{} nodes", layouts.len())),
    });

    let (mut checked, mut incomplete) = (0u64, None);
    for (&home, l) in layouts {
        each_record(l, |r| {
            if r.id.home != home {
                return Ok(());
            }
            let want = wuji_proto::public_digest(&r);
            for n in entitled(&r, topo, horizon) {
                if n == home {
                    continue;
                }
                checked += 1;
                let Some(other) = layouts.get(&n) else {
                    continue;
                };
                let there = other.record(&r.id)?;
                let same = there
                    .as_ref()
                    .is_some_and(|s| wuji_proto::public_digest(&s.record) == want);
                if !same && incomplete.is_none() {
                    incomplete = Some(format!(
                        "{n} {} {:?} {}:{} as its home holds it",
                        if there.is_some() {
                            "holds a different"
                        } else {
                            "lacks"
                        },
                        r.id.kind,
                        r.id.home,
                        r.id.uuid
                    ));
                }
            }
            Ok(())
        })?;
    }
    checks.push(Check {
        name: "every entitled node holds each record as its home does".into(),
        ok: incomplete.is_none(),
        detail: incomplete.unwrap_or_else(|| format!("{checked} copies compared")),
    });
    Ok((checks, held))
}
