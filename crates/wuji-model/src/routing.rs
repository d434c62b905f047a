//! Routing: which node sees which record, and which fields are stripped on the way
//! (DESIGN.md §3). Everything flows up to the ancestors of a record's anchors;
//! records with `down` reach flow into the anchor's whole region; siblings never
//! see each other's suggestions; personal fields stop at the owner's parent.

use crate::deputy::Personal;
use crate::suggestion::view::handling_chain;
use crate::{Record, RecordKind, Section};
use wuji_division::Code;

/// How far below an anchor a record travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reach {
    /// Only the anchor and its ancestors see it.
    Up,
    /// The anchor's whole region sees it too.
    Down,
}

/// A region a record is attached to, and its reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Anchor {
    /// The region.
    pub code: Code,
    /// Up only, or down into the region too.
    pub reach: Reach,
}

/// The anchors of a record, derived from its merged sections.
///
/// | record | anchors |
/// |---|---|
/// | deputy | the electing congress (up), each attached area (down) |
/// | suggestion | the origin and every node in the handling chain (up) |
/// | assignment | the issuer (up), each target region (down) |
/// | supervision item | the supervising node (up), each covered region (down) |
/// | summary | the node (up) |
pub fn anchors(rec: &Record) -> Vec<Anchor> {
    let home = rec.id.home;
    let up = |code| Anchor {
        code,
        reach: Reach::Up,
    };
    let down = |code| Anchor {
        code,
        reach: Reach::Down,
    };
    let mut out = vec![up(home)];
    match rec.id.kind {
        RecordKind::Deputy => {
            if let Some(r) = rec.roster(home) {
                out.extend(r.attached.iter().copied().map(down));
            }
        }
        RecordKind::Suggestion => out.extend(handling_chain(rec).into_iter().map(up)),
        RecordKind::Assignment => {
            if let Some(i) = rec.issue(home) {
                out.extend(i.targets.iter().copied().map(down));
            }
        }
        RecordKind::Supervision => {
            if let Some(i) = rec.item(home) {
                out.extend(i.covers.iter().copied().map(down));
            }
        }
        RecordKind::Summary => {}
        // A published calendar reaches every node of the home's region (the
        // national node's: all of them).
        RecordKind::Calendar => out.push(down(home)),
    }
    out.sort();
    out.dedup();
    out
}

/// True if `node` is entitled to see the record: it is an ancestor-or-self of an
/// anchor, or inside an anchor whose reach is `down`.
pub fn visible_to(rec: &Record, node: Code) -> bool {
    anchors(rec)
        .iter()
        .any(|a| node.contains(a.code) || (a.reach == Reach::Down && a.code.contains(node)))
}

/// True if `node` may hold the personal fields of a section owned by `owner`: the
/// owner itself, its parent, and nodes inside the owner's region; never above.
pub fn may_hold_personal(owner: Code, node: Code) -> bool {
    owner.contains(node) || owner.parent() == Some(node)
}

/// The record without any personal field: what every node entitled to it may
/// hold (scope digests compare this form).
pub fn public(rec: &Record) -> Record {
    let mut out = rec.clone();
    for (_, section) in out.sections_mut() {
        if let Section::Roster(r) = section {
            r.personal = Personal::default();
        }
    }
    out
}

/// The record as `recipient` may receive it: `None` if it is not entitled to see
/// the record; otherwise a copy with personal fields blanked where it may not
/// hold them.
pub fn for_recipient(rec: &Record, recipient: Code) -> Option<Record> {
    if !visible_to(rec, recipient) {
        return None;
    }
    let mut out = rec.clone();
    for (key, section) in out.sections_mut() {
        if let Section::Roster(r) = section
            && !may_hold_personal(key.owner, recipient)
        {
            r.personal = Personal::default();
        }
    }
    Some(out)
}
