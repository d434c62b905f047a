//! Each section type to and from its proto message.

use super::crdt::*;
use super::enums::*;
use crate::scalar::{opt_date_from_i64, opt_date_to_i64};
use crate::{Error, pb};
use wuji_crdt::{Lww, Max, MergeMap};
use wuji_division::Code;
use wuji_model::assignment::{Issue, Report, Response};
use wuji_model::deputy::{Personal, Placement, Roster, StatusState};
use wuji_model::published::CalendarSection;
use wuji_model::suggestion::promises::Promise;
use wuji_model::suggestion::*;
use wuji_model::summary::SummarySection;
use wuji_model::supervision::{ItemReport, ItemSection, Milestone};
use wuji_model::{Date, Note};

fn date(v: i64) -> Result<Date, Error> {
    opt_date_from_i64(v)?.ok_or(Error::Missing("date"))
}

fn code(v: u32) -> Result<Code, Error> {
    Code::from_value(v).map_err(|e| Error::bad("division code", e))
}

pub(crate) fn roster_to(r: &Roster) -> pb::Roster {
    pb::Roster {
        at: at_to(&r.at),
        person_id: lww_to(&r.person_id),
        name: lww_to(&r.name),
        gender: lww_to(&r.gender),
        term: lww_to(&r.term),
        electoral_unit: lww_to(&r.electoral_unit),
        delegation: lww_to(&r.delegation),
        group: lww_to(&r.group),
        station: lww_to(&r.station),
        status: Some(pb::StatusState {
            epoch: r.status.0.epoch,
            status: status_to(r.status.0.status),
        }),
        attached: orset_to(&r.attached),
        personal: (!r.personal.is_blank()).then(|| pb::Personal {
            phone: lww_to(&r.personal.phone),
            id_number: lww_to(&r.personal.id_number),
            address: lww_to(&r.personal.address),
        }),
    }
}

pub(crate) fn roster_from(p: pb::Roster) -> Result<Roster, Error> {
    let st = p.status.unwrap_or_default();
    let personal = p.personal.unwrap_or_default();
    Ok(Roster {
        at: at_from(p.at),
        person_id: lww_from(p.person_id)?,
        name: lww_from(p.name)?,
        gender: lww_from(p.gender)?,
        term: lww_from(p.term)?,
        electoral_unit: lww_from(p.electoral_unit)?,
        delegation: lww_from(p.delegation)?,
        group: lww_from(p.group)?,
        station: lww_from(p.station)?,
        status: Max(StatusState {
            epoch: st.epoch,
            status: status_from(st.status)?,
        }),
        attached: orset_from(p.attached)?,
        personal: Personal {
            phone: lww_from(personal.phone)?,
            id_number: lww_from(personal.id_number)?,
            address: lww_from(personal.address)?,
        },
    })
}

pub(crate) fn placement_to(r: &Placement) -> pb::Placement {
    pb::Placement {
        at: at_to(&r.at),
        station: lww_to(&r.station),
        grid: lww_to(&r.grid),
        group: lww_to(&r.group),
    }
}

pub(crate) fn placement_from(p: pb::Placement) -> Result<Placement, Error> {
    Ok(Placement {
        at: at_from(p.at),
        station: lww_from(p.station)?,
        grid: lww_from(p.grid)?,
        group: lww_from(p.group)?,
    })
}

pub(crate) fn origin_to(o: &Origin) -> pb::Origin {
    pb::Origin {
        at: at_to(&o.at),
        kind: lww_to(&o.kind),
        lead: lww_to(&o.lead),
        cosigners: orset_to(&o.cosigners),
        category: lww_to(&o.category),
        title: lww_to(&o.title),
        text: lww_to(&o.text),
        during_session: lww_to(&o.during_session),
        submitted_on: lww_to(&o.submitted_on),
        withdrawn_on: opt_date_to_i64(o.withdrawn.0),
        external_id: lww_to(&o.external_id),
        from_opinion: lww_to(&o.from_opinion),
        feedback: o
            .feedback
            .iter()
            .map(|(r, f)| {
                let v = f.get().as_ref();
                pb::FeedbackEntry {
                    handler: r.handler.value(),
                    answer: Some(stamp_to(r.at)),
                    at: Some(stamp_to(f.at)),
                    given: v.is_some(),
                    rating: v.map(|f| rating_to(f.rating)).unwrap_or(0),
                    comment: v.map(|f| f.comment.clone()).unwrap_or_default(),
                    on: v.map(|f| opt_date_to_i64(Some(f.on))).unwrap_or(0),
                }
            })
            .collect(),
    }
}

pub(crate) fn origin_from(p: pb::Origin) -> Result<Origin, Error> {
    let mut feedback = MergeMap::default();
    for f in p.feedback {
        let key = AnswerRef {
            handler: code(f.handler)?,
            at: stamp_from(f.answer),
        };
        let value = if f.given {
            Some(Feedback {
                rating: rating_from(f.rating)?,
                comment: f.comment,
                on: date(f.on)?,
            })
        } else {
            None
        };
        wuji_crdt::Merge::merge(feedback.entry(key), &Lww::new(stamp_from(f.at), value));
    }
    Ok(Origin {
        at: at_from(p.at),
        kind: lww_from(p.kind)?,
        lead: lww_from(p.lead)?,
        cosigners: orset_from(p.cosigners)?,
        category: lww_from(p.category)?,
        title: lww_from(p.title)?,
        text: lww_from(p.text)?,
        during_session: lww_from(p.during_session)?,
        submitted_on: lww_from(p.submitted_on)?,
        withdrawn: Max(opt_date_from_i64(p.withdrawn_on)?),
        feedback,
        external_id: lww_from(p.external_id)?,
        from_opinion: lww_from(p.from_opinion)?,
    })
}

pub(crate) fn handling_to(h: &Handling) -> pb::Handling {
    let d = |d: Date| opt_date_to_i64(Some(d));
    pb::Handling {
        at: at_to(&h.at),
        number: lww_to(&h.number),
        registered_on: lww_to(&h.registered_on),
        units: orset_to(&h.units),
        assigned_on: lww_to(&h.assigned_on),
        extension_months: lww_to(&h.extension_months),
        rehandle_since: lww_to(&h.rehandle_since),
        progress: Some(pb::Progress {
            round: h.progress.0.round,
            stage: stage_to(h.progress.0.stage),
        }),
        co_views: hist_to(&h.co_views, |at, v| pb::CoView {
            at: Some(stamp_to(at)),
            unit: v.unit.clone(),
            text: v.text.clone(),
            on: d(v.on),
        }),
        returns: hist_to(&h.returns, |at, v| pb::Return {
            at: Some(stamp_to(at)),
            unit: v.unit.clone(),
            reason: v.reason.clone(),
            on: d(v.on),
        }),
        answers: hist_to(&h.answers, |at, v| pb::Answer {
            at: Some(stamp_to(at)),
            round: v.round,
            unit: v.unit.clone(),
            class: class_to(v.class),
            scheme: v.scheme.name().to_string(),
            text: v.text.clone(),
            promises: v.promises.clone(),
            on: d(v.on),
        }),
        forwards: hist_to(&h.forwards, |at, v| pb::Forward {
            at: Some(stamp_to(at)),
            direction: direction_to(v.direction),
            to: v.to.value(),
            reason: v.reason.clone(),
            on: d(v.on),
        }),
        merged_into: lww_to(&h.merged_into),
        deadline: lww_to(&h.deadline),
        deadline_provisional: lww_to(&h.deadline_provisional),
        closed_on: lww_to(&h.closed_on),
        promises: h
            .promises
            .iter()
            .map(|(n, p)| pb::Promise {
                number: *n,
                text: lww_to(&p.text),
                unit: lww_to(&p.unit),
                due_on: lww_to(&p.due_on),
                state: promise_state_to(p.state.0),
                done_on: lww_to(&p.done_on),
                updates: notes_to(&p.updates),
            })
            .collect(),
    }
}

pub(crate) fn handling_from(p: pb::Handling) -> Result<Handling, Error> {
    let pr = p.progress.unwrap_or_default();
    Ok(Handling {
        at: at_from(p.at),
        number: lww_from(p.number)?,
        registered_on: lww_from(p.registered_on)?,
        units: orset_from(p.units)?,
        assigned_on: lww_from(p.assigned_on)?,
        extension_months: lww_from(p.extension_months)?,
        rehandle_since: lww_from(p.rehandle_since)?,
        progress: Max(Progress {
            round: pr.round,
            stage: stage_from(pr.stage)?,
        }),
        co_views: hist_from(p.co_views, |v| {
            Ok((
                stamp_from(v.at),
                CoView {
                    unit: v.unit,
                    text: v.text,
                    on: date(v.on)?,
                },
            ))
        })?,
        returns: hist_from(p.returns, |v| {
            Ok((
                stamp_from(v.at),
                Return {
                    unit: v.unit,
                    reason: v.reason,
                    on: date(v.on)?,
                },
            ))
        })?,
        answers: hist_from(p.answers, |v| {
            Ok((
                stamp_from(v.at),
                Answer {
                    round: v.round,
                    unit: v.unit,
                    class: class_from(v.class)?,
                    scheme: if v.scheme.is_empty() {
                        ClassScheme::Abcd
                    } else {
                        ClassScheme::parse(&v.scheme)
                            .ok_or_else(|| Error::bad("answer class scheme", &v.scheme))?
                    },
                    text: v.text,
                    promises: v.promises,
                    on: date(v.on)?,
                },
            ))
        })?,
        forwards: hist_from(p.forwards, |v| {
            Ok((
                stamp_from(v.at),
                Forward {
                    direction: direction_from(v.direction)?,
                    to: code(v.to)?,
                    reason: v.reason,
                    on: date(v.on)?,
                },
            ))
        })?,
        merged_into: lww_from(p.merged_into)?,
        deadline: lww_from(p.deadline)?,
        deadline_provisional: lww_from(p.deadline_provisional)?,
        closed_on: lww_from(p.closed_on)?,
        promises: {
            let mut m = MergeMap::default();
            for e in p.promises {
                let entry = Promise {
                    text: lww_from(e.text)?,
                    unit: lww_from(e.unit)?,
                    due_on: lww_from(e.due_on)?,
                    state: Max(promise_state_from(e.state)?),
                    done_on: lww_from(e.done_on)?,
                    updates: notes_from(e.updates)?,
                };
                wuji_crdt::Merge::merge(m.entry(e.number), &entry);
            }
            m
        },
    })
}

pub(crate) fn notes_to(h: &wuji_crdt::History<Note>) -> Vec<pb::Note> {
    hist_to(h, |at, n| pb::Note {
        at: Some(stamp_to(at)),
        text: n.text.clone(),
        on: opt_date_to_i64(Some(n.on)),
    })
}

pub(crate) fn notes_from(list: Vec<pb::Note>) -> Result<wuji_crdt::History<Note>, Error> {
    hist_from(list, |n| {
        Ok((
            stamp_from(n.at),
            Note {
                text: n.text,
                on: date(n.on)?,
            },
        ))
    })
}

pub(crate) fn supervision_to(s: &SuggestionSupervision) -> pb::SuggestionSupervision {
    pb::SuggestionSupervision {
        at: at_to(&s.at),
        mode: lww_to(&s.mode),
        lead_supervisor: lww_to(&s.lead_supervisor),
        notes: notes_to(&s.notes),
    }
}

pub(crate) fn supervision_from(
    p: pb::SuggestionSupervision,
) -> Result<SuggestionSupervision, Error> {
    Ok(SuggestionSupervision {
        at: at_from(p.at),
        mode: lww_from(p.mode)?,
        lead_supervisor: lww_from(p.lead_supervisor)?,
        notes: notes_from(p.notes)?,
    })
}

pub(crate) fn issue_to(s: &Issue) -> pb::Issue {
    pb::Issue {
        at: at_to(&s.at),
        title: lww_to(&s.title),
        text: lww_to(&s.text),
        targets: orset_to(&s.targets),
        due_on: lww_to(&s.due_on),
        issued_on: lww_to(&s.issued_on),
    }
}

pub(crate) fn issue_from(p: pb::Issue) -> Result<Issue, Error> {
    Ok(Issue {
        at: at_from(p.at),
        title: lww_from(p.title)?,
        text: lww_from(p.text)?,
        targets: orset_from(p.targets)?,
        due_on: lww_from(p.due_on)?,
        issued_on: lww_from(p.issued_on)?,
    })
}

pub(crate) fn response_to(s: &Response) -> pb::Response {
    pb::Response {
        at: at_to(&s.at),
        state: response_to_i32(s),
        acknowledged_on: lww_to(&s.acknowledged_on),
        reports: hist_to(&s.reports, |at, r| pb::Report {
            at: Some(stamp_to(at)),
            text: r.text.clone(),
            done: r.done,
            on: opt_date_to_i64(Some(r.on)),
        }),
    }
}

fn response_to_i32(s: &Response) -> i32 {
    super::enums::response_to(s.state.0)
}

pub(crate) fn response_from(p: pb::Response) -> Result<Response, Error> {
    Ok(Response {
        at: at_from(p.at),
        state: Max(super::enums::response_from(p.state)?),
        acknowledged_on: lww_from(p.acknowledged_on)?,
        reports: hist_from(p.reports, |r| {
            Ok((
                stamp_from(r.at),
                Report {
                    text: r.text,
                    done: r.done,
                    on: date(r.on)?,
                },
            ))
        })?,
    })
}

pub(crate) fn item_to(s: &ItemSection) -> pb::Item {
    pb::Item {
        at: at_to(&s.at),
        mode: lww_to(&s.mode),
        title: lww_to(&s.title),
        suggestion: lww_to(&s.suggestion),
        lead_supervisor: lww_to(&s.lead_supervisor),
        covers: orset_to(&s.covers),
        milestones: s
            .milestones
            .iter()
            .map(|(id, m)| pb::Milestone {
                id: *id,
                title: lww_to(&m.title),
                weight: lww_to(&m.weight),
                due_on: lww_to(&m.due_on),
                done_on: opt_date_to_i64(m.done_on.0),
            })
            .collect(),
        notes: notes_to(&s.notes),
    }
}

pub(crate) fn item_from(p: pb::Item) -> Result<ItemSection, Error> {
    let mut milestones = MergeMap::default();
    for m in p.milestones {
        let value = Milestone {
            title: lww_from(m.title)?,
            weight: lww_from(m.weight)?,
            due_on: lww_from(m.due_on)?,
            done_on: Max(opt_date_from_i64(m.done_on)?),
        };
        wuji_crdt::Merge::merge(milestones.entry(m.id), &value);
    }
    Ok(ItemSection {
        at: at_from(p.at),
        mode: lww_from(p.mode)?,
        title: lww_from(p.title)?,
        suggestion: lww_from(p.suggestion)?,
        lead_supervisor: lww_from(p.lead_supervisor)?,
        covers: orset_from(p.covers)?,
        milestones,
        notes: notes_from(p.notes)?,
    })
}

pub(crate) fn report_to(s: &ItemReport) -> pb::ItemReport {
    pb::ItemReport {
        at: at_to(&s.at),
        notes: notes_to(&s.notes),
        claimed_done: orset_to(&s.claimed_done),
    }
}

pub(crate) fn report_from(p: pb::ItemReport) -> Result<ItemReport, Error> {
    Ok(ItemReport {
        at: at_from(p.at),
        notes: notes_from(p.notes)?,
        claimed_done: orset_from(p.claimed_done)?,
    })
}

pub(crate) fn summary_to(s: &SummarySection) -> pb::Summary {
    pb::Summary {
        at: at_to(&s.at),
        counts: Vec::new(),
        stamp: Some(stamp_to(s.counts.at)),
        values: s
            .counts
            .get()
            .iter()
            .map(|(name, v)| pb::Count {
                name: name.clone(),
                value: *v,
            })
            .collect(),
    }
}

pub(crate) fn summary_from(p: pb::Summary) -> Result<SummarySection, Error> {
    let mut stamp = stamp_from(p.stamp);
    let mut values = std::collections::BTreeMap::new();
    // The format before one register: the latest of the counters' stamps.
    for c in p.counts {
        let v: Lww<u64> = lww_from(c.value)?;
        stamp = stamp.max(v.at);
        if *v.get() != 0 {
            values.insert(c.name, *v.get());
        }
    }
    for c in p.values {
        if c.value != 0 {
            values.insert(c.name, c.value);
        }
    }
    Ok(SummarySection {
        at: at_from(p.at),
        counts: Lww::new(stamp, values),
    })
}

pub(crate) fn calendar_to(s: &CalendarSection) -> pb::CalendarYear {
    pb::CalendarYear {
        at: at_to(&s.at),
        file: lww_to(&s.file),
        text: lww_to(&s.text),
    }
}

pub(crate) fn calendar_from(p: pb::CalendarYear) -> Result<CalendarSection, Error> {
    Ok(CalendarSection {
        at: at_from(p.at),
        file: lww_from(p.file)?,
        text: lww_from(p.text)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wuji_crdt::{Hlc, Stamp, WriterId};

    fn stamp(t: u64) -> Stamp {
        Stamp::new(Hlc(t << 16), WriterId::new(320_114, 0))
    }

    /// A summary as written before its counters became one register (one
    /// register per counter, zeros kept) reads as one register at the latest
    /// of their stamps, zeros left out; written back, it is the new form.
    #[test]
    fn a_summary_of_the_per_counter_form_reads_as_one_register() {
        let counter = |name: &str, v: u64, t: u64| pb::Counter {
            name: name.into(),
            value: lww_to(&Lww::new(stamp(t), v)),
        };
        let old = pb::Summary {
            at: Some(stamp_to(stamp(9))),
            counts: vec![
                counter("suggestion.total", 3, 7),
                counter("suggestion.deadline.20260301", 0, 9),
                counter("deputy.total", 2, 5),
            ],
            stamp: None,
            values: Vec::new(),
        };
        let s = summary_from(old).unwrap();
        assert_eq!(s.counts.at, stamp(9));
        let want: std::collections::BTreeMap<String, u64> = [
            ("deputy.total".to_string(), 2),
            ("suggestion.total".to_string(), 3),
        ]
        .into();
        assert_eq!(s.counts.get(), &want);
        let new = summary_to(&s);
        assert!(new.counts.is_empty(), "never written in the old form");
        assert_eq!(summary_from(new).unwrap(), s);
    }
}
