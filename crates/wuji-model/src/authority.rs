//! Authority: which node may hold which section of which record (DESIGN.md §2).
//!
//! Checked on every apply, local or remote. A section is accepted only if its owner
//! may hold such a section on that record: only the home writes roster, origin,
//! issue, item and summary; only a node in the handling chain writes handling; only
//! an ancestor-or-self of the origin writes supervision of a suggestion; only a
//! node that sees a deputy places it; only targets respond and report.

use crate::suggestion::view::handling_chain;
use crate::{Error, Record, Role, SectionKey, assignment, routing};
use wuji_crdt::Merge;
use wuji_division::Code;

/// Whether `rec` (already holding the section) may hold the section under `key`.
pub fn check(rec: &Record, key: SectionKey) -> Result<(), Error> {
    let id = rec.id;
    let refuse = |reason: &'static str| Error::Forbidden {
        role: key.role,
        owner: key.owner,
        reason,
    };
    if key.role.kind() != id.kind {
        return Err(refuse("this kind of record has no such section"));
    }
    if key.role.is_home_only() {
        return if key.owner == id.home {
            Ok(())
        } else {
            Err(refuse("only the record's home node writes this section"))
        };
    }
    let ok = match key.role {
        // Rights, not routing: any node entitled under any horizon may place.
        Role::Placement => routing::visible_to(rec, key.owner, routing::Horizon::All),
        Role::Handling => handling_chain(rec).contains(&key.owner),
        Role::Supervision => key.owner.contains(id.home),
        Role::Response => assignment::is_target(rec, key.owner),
        Role::Report => rec
            .item(id.home)
            .is_some_and(|i| i.covers.iter().any(|c| c.contains(key.owner))),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(refuse(match key.role {
            Role::Placement => "only a node that sees the deputy places it",
            Role::Handling => "the owner is not in the handling chain",
            Role::Supervision => "only a congress whose region contains the origin supervises",
            Role::Response => "the owner is not a target of the assignment",
            _ => "the owner is not covered by the supervision item",
        }))
    }
}

/// The outcome of applying a delta with authority checks.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The stored record with every accepted section merged in.
    pub record: Record,
    /// Sections accepted.
    pub accepted: Vec<SectionKey>,
    /// Sections refused, each with its reason; none of them was merged.
    pub rejected: Vec<(SectionKey, Error)>,
}

/// Merges the sections of `delta` that pass [`check`] into `stored`.
///
/// Sections are admitted in rounds until no more pass, so a delta that carries the
/// forward from a county and the city's handling it enables is accepted whole,
/// whatever the order of its sections; the outcome does not depend on order.
pub fn apply(stored: Option<&Record>, delta: &Record) -> Applied {
    let mut record = stored.cloned().unwrap_or_else(|| Record::new(delta.id));
    let mut pending: Vec<SectionKey> = delta.sections().map(|(k, _)| *k).collect();
    let mut accepted = Vec::new();
    if record.id != delta.id {
        let rejected = pending
            .into_iter()
            .map(|k| (k, Error::IdMismatch))
            .collect();
        return Applied {
            record,
            accepted,
            rejected,
        };
    }
    loop {
        let mut moved = false;
        pending.retain(|key| {
            let section = delta.get(*key).expect("key listed from delta").clone();
            // Tried in place; on refusal the section is put back as it was
            // (a copy of one section, not of the record, per try).
            let before = record.get(*key).cloned();
            record.put(key.owner, section);
            if check(&record, *key).is_ok() {
                accepted.push(*key);
                moved = true;
                false
            } else {
                record.take(*key);
                if let Some(s) = before {
                    record.put(key.owner, s);
                }
                true
            }
        });
        if !moved {
            break;
        }
    }
    let mut rejected: Vec<(SectionKey, Error)> = pending
        .into_iter()
        .map(|k| {
            let mut trial = record.clone();
            trial.merge(delta);
            (k, check(&trial, k).err().unwrap_or(Error::IdMismatch))
        })
        .collect();
    // A section admitted early can lose its authority when a later one of the
    // same delta is merged (a forged entry colliding with a stored one can
    // rewrite a forward). Whatever no longer passes is put back as stored and
    // refused, until every admitted section passes on the final record.
    loop {
        let lost: Vec<SectionKey> = accepted
            .iter()
            .copied()
            .filter(|k| check(&record, *k).is_err())
            .collect();
        if lost.is_empty() {
            break;
        }
        for key in lost {
            accepted.retain(|k| *k != key);
            record.take(key);
            if let Some(s) = stored.and_then(|s| s.get(key)) {
                record.put(key.owner, s.clone());
            }
            rejected.push((
                key,
                Error::Forbidden {
                    role: key.role,
                    owner: key.owner,
                    reason: "its authority was lost to another section of the same change",
                },
            ));
        }
    }
    Applied {
        record,
        accepted,
        rejected,
    }
}

/// Checks a local write by `node`: every section of the delta must be its own and
/// pass [`check`] against the stored record.
pub fn check_local(node: Code, stored: Option<&Record>, delta: &Record) -> Result<(), Error> {
    apply_local(node, stored, delta).map(|_| ())
}

/// Applies a local write by `node` in one pass: the merged record, or the first
/// reason a section was refused (then nothing is merged).
pub fn apply_local(node: Code, stored: Option<&Record>, delta: &Record) -> Result<Record, Error> {
    for (key, _) in delta.sections() {
        if key.owner != node {
            return Err(Error::Forbidden {
                role: key.role,
                owner: key.owner,
                reason: "a node writes only its own sections",
            });
        }
    }
    let applied = apply(stored, delta);
    match applied.rejected.into_iter().next() {
        Some((_, e)) => Err(e),
        None => Ok(applied.record),
    }
}
