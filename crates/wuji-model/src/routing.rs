//! Routing: which node sees which record, and which fields are stripped on the way
//! (DESIGN.md §3). A record's full state flows up from its anchors as far as the
//! federation's [`Horizon`] (by default the parent of each node that handles it;
//! a summary to the parent of the node it describes, calendars all the way);
//! records with `down` reach flow into
//! the anchor's whole region; siblings never see each other's suggestions;
//! personal fields stop at the owner's parent.

use crate::deputy::Personal;
use crate::suggestion::view::handling_chain;
use crate::{Record, RecordKind, Role, Section};
use std::fmt;
use std::str::FromStr;
use wuji_division::Code;

/// How far above the nodes that handle a record its full state travels: a
/// federation setting, the same on both ends of every link. Above it,
/// ancestors see the record only as counts in the summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Horizon {
    /// This many levels above the highest node that handles or supervises the
    /// record (at least 1: the parent supervises its child's work).
    Levels(u8),
    /// Every ancestor holds every record below it (the first wave's rule).
    All,
}

impl Default for Horizon {
    fn default() -> Self {
        Horizon::Levels(1)
    }
}

impl Horizon {
    /// The greeting's form: 0 is `all` (what a node that predates the setting
    /// behaves as), otherwise the number of levels.
    pub fn to_wire(self) -> u32 {
        match self {
            Horizon::All => 0,
            Horizon::Levels(n) => u32::from(n),
        }
    }

    /// The setting a greeting states.
    pub fn from_wire(v: u32) -> Horizon {
        match u8::try_from(v) {
            Ok(0) | Err(_) => Horizon::All,
            Ok(n) => Horizon::Levels(n),
        }
    }

    /// True if `n` tree steps above a handler is within the horizon.
    fn covers(self, steps: usize) -> bool {
        match self {
            Horizon::All => true,
            Horizon::Levels(n) => steps <= usize::from(n),
        }
    }
}

impl fmt::Display for Horizon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Horizon::All => f.write_str("all"),
            Horizon::Levels(n) => write!(f, "{n}"),
        }
    }
}

impl FromStr for Horizon {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("all") {
            return Ok(Horizon::All);
        }
        match s.parse::<u8>() {
            Ok(n) if (1..=4).contains(&n) => Ok(Horizon::Levels(n)),
            _ => Err(format!(
                "horizon must be `all` or a number of levels from 1 to 4, not `{s}`"
            )),
        }
    }
}

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
/// | suggestion | the origin, every node in the handling chain and every supervisor (督办) (up) |
/// | assignment | the issuer (up), each target region (down) |
/// | supervision item | the supervising node (up), each covered region (down) |
/// | summary | the node (up) |
/// | activity 履职活动 | the organiser (up), each participant's congress (up) |
/// | vacancy 出缺 | the congress (up) |
/// | directory 名录 | the congress (up), each member's congress (up) |
/// | contact 三联 | the congress (up), each linked deputy's congress (up) |
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
        RecordKind::Suggestion => {
            out.extend(handling_chain(rec).into_iter().map(up));
            out.extend(rec.role(Role::Supervision).map(|(owner, _)| up(owner)));
            // A deputy's suggestion taking up a citizen opinion reaches the
            // opinion's home, so the result flows back to the station.
            if let Some(t) = rec.origin(home).and_then(|o| *o.from_opinion.get()) {
                out.push(up(t.home.unwrap_or(home)));
            }
        }
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
        // Every participant's own congress keeps the deputy's 履职档案.
        RecordKind::Activity => out.extend(crate::activity::congresses(rec).into_iter().map(up)),
        // Every member's own congress knows where its deputy is placed.
        RecordKind::Directory => out.extend(crate::directory::congresses(rec).into_iter().map(up)),
        // Every linked deputy's own congress sees the contacts kept with its deputy.
        RecordKind::Contact => out.extend(crate::contact::congresses(rec).into_iter().map(up)),
        RecordKind::Summary | RecordKind::Vacancy | RecordKind::Seats => {}
        // A published calendar reaches every node of the home's region (the
        // national node's: all of them).
        RecordKind::Calendar => out.push(down(home)),
    }
    out.sort();
    out.dedup();
    out
}

/// How many tree steps `above` lies over `code` (0 if equal), if it contains it.
fn steps_up(code: Code, above: Code) -> Option<usize> {
    if code == above {
        return Some(0);
    }
    code.ancestors().position(|a| a == above).map(|i| i + 1)
}

/// True if `node` lies on the tree path between `x` and `y` (through their
/// lowest common ancestor), ends included.
fn on_path(x: Code, y: Code, node: Code) -> bool {
    let Some(lca) = std::iter::once(x)
        .chain(x.ancestors())
        .find(|c| c.contains(y))
    else {
        return false;
    };
    lca.contains(node) && (node.contains(x) || node.contains(y))
}

/// True if `node` is entitled to see the record under `horizon`: it is inside
/// an anchor whose reach is `down`, on the tree path between the record's home
/// and one of its anchors, or within the horizon above an anchor (above a
/// suggestion's supervisor that does not handle it, no further: a 督办
/// anchors the record at the supervisor itself).
///
/// The path rule lets every node that relays the record between its home and
/// an anchor hold it (an escalation, a supervisor above, a transfer or an
/// assignment's target below), and means a node never holds a record homed
/// below it that its child towards the home does not (so the link digests
/// compare like with like). A summary is anchored at the node it describes
/// and so reaches the horizon above it (its parent, by default), which counts
/// it in its own: counts go all the way, one level at a time, and an ancestor
/// further up drills down for the breakdown. Calendars go to every node of
/// their publisher's region whatever the horizon.
pub fn visible_to(rec: &Record, node: Code, horizon: Horizon) -> bool {
    let horizon = match rec.id.kind {
        RecordKind::Calendar => Horizon::All,
        _ => horizon,
    };
    let home = rec.id.home;
    let chain = match rec.id.kind {
        RecordKind::Suggestion => Some(handling_chain(rec)),
        _ => None,
    };
    let only_supervises = |c: Code| chain.as_ref().is_some_and(|ch| !ch.contains(&c));
    anchors(rec).iter().any(|a| {
        (a.reach == Reach::Down && a.code.contains(node))
            || steps_up(a.code, node).is_some_and(|s| {
                if only_supervises(a.code) {
                    s == 0
                } else {
                    horizon.covers(s)
                }
            })
            || on_path(home, a.code, node)
    })
}

/// False if no record with this id can be visible to `node` under `horizon`,
/// judged from the id alone (exact for a summary, whose only anchor is its
/// home; true for every other kind, whose anchors are in its sections): what
/// a link checks before it reads a record to ship.
pub fn may_see(id: &crate::RecordId, node: Code, horizon: Horizon) -> bool {
    match id.kind {
        RecordKind::Summary => steps_up(id.home, node).is_some_and(|s| horizon.covers(s)),
        _ => true,
    }
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
/// the record under `horizon`; otherwise a copy with personal fields blanked
/// where it may not hold them.
pub fn for_recipient(rec: &Record, recipient: Code, horizon: Horizon) -> Option<Record> {
    if !visible_to(rec, recipient, horizon) {
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
