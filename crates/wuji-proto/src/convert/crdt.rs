//! Conversions of the CRDT building blocks: stamps, registers, sets, histories.

use crate::scalar::Scalar;
use crate::{Error, pb};
use wuji_crdt::{History, Hlc, Lww, Max, OrSet, Stamp, WriterId};

pub(crate) fn stamp_to(s: Stamp) -> pb::Stamp {
    pb::Stamp {
        hlc: s.hlc.0,
        writer: s.writer.0,
    }
}

pub(crate) fn stamp_from(p: Option<pb::Stamp>) -> Stamp {
    p.map(|p| Stamp::new(Hlc(p.hlc), WriterId(p.writer)))
        .unwrap_or_default()
}

/// A section's "last written" stamp; omitted when zero.
pub(crate) fn at_to(m: &Max<Stamp>) -> Option<pb::Stamp> {
    (!m.0.is_zero()).then(|| stamp_to(m.0))
}

pub(crate) fn at_from(p: Option<pb::Stamp>) -> Max<Stamp> {
    Max(stamp_from(p))
}

/// A register; omitted when never written and holding the default.
pub(crate) fn lww_to<T: Scalar + Default + PartialEq>(l: &Lww<T>) -> Option<pb::Lww> {
    if l.at.is_zero() && l.value == T::default() {
        return None;
    }
    let (s, i) = l.value.to_wire();
    Some(pb::Lww {
        at: Some(stamp_to(l.at)),
        s,
        i,
    })
}

pub(crate) fn lww_from<T: Scalar + Default>(p: Option<pb::Lww>) -> Result<Lww<T>, Error> {
    match p {
        None => Ok(Lww::default()),
        Some(p) => Ok(Lww::new(stamp_from(p.at), T::from_wire(p.s, p.i)?)),
    }
}

/// A set with every dot; omitted when it has no entries at all.
pub(crate) fn orset_to<T: Scalar + Ord + Clone>(set: &OrSet<T>) -> Option<pb::OrSet> {
    let entries: Vec<pb::OrEntry> = set
        .raw()
        .map(|(e, dots)| {
            let (s, i) = e.to_wire();
            pb::OrEntry {
                s,
                i,
                dots: dots
                    .iter()
                    .map(|(at, removed)| pb::Dot {
                        at: Some(stamp_to(*at)),
                        removed: *removed,
                    })
                    .collect(),
            }
        })
        .collect();
    (!entries.is_empty()).then_some(pb::OrSet { entries })
}

pub(crate) fn orset_from<T: Scalar + Ord + Clone>(p: Option<pb::OrSet>) -> Result<OrSet<T>, Error> {
    let mut raw = Vec::new();
    for e in p.map(|p| p.entries).unwrap_or_default() {
        if e.dots.is_empty() {
            return Err(Error::Missing("set element without dots"));
        }
        let elem = T::from_wire(e.s, e.i)?;
        for d in e.dots {
            raw.push((elem.clone(), stamp_from(d.at), d.removed));
        }
    }
    Ok(OrSet::from_raw(raw))
}

/// A history as a list of entry messages in stamp order.
pub(crate) fn hist_to<V, P>(h: &History<V>, f: impl Fn(Stamp, &V) -> P) -> Vec<P>
where
    V: Ord + Clone,
{
    h.iter().map(|(at, v)| f(*at, v)).collect()
}

pub(crate) fn hist_from<V, P>(
    list: Vec<P>,
    f: impl Fn(P) -> Result<(Stamp, V), Error>,
) -> Result<History<V>, Error>
where
    V: Ord + Clone,
{
    let mut h = History::default();
    for p in list {
        let (at, v) = f(p)?;
        h.push(at, v);
    }
    Ok(h)
}
