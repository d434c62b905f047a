//! The sections of the records offices keep besides suggestions (activities,
//! vacancies, register entries) to and from their proto messages.

use super::crdt::*;
use crate::scalar::{opt_date_from_i64, opt_date_to_i64};
use crate::{Error, pb};
use wuji_crdt::Max;
use wuji_model::activity::ActivitySection;
use wuji_model::contact::ContactSection;
use wuji_model::directory::EntrySection;
use wuji_model::vacancy::VacancySection;

pub(crate) fn activity_to(s: &ActivitySection) -> pb::Activity {
    pb::Activity {
        at: at_to(&s.at),
        kind: lww_to(&s.kind),
        title: lww_to(&s.title),
        held_on: lww_to(&s.held_on),
        place: lww_to(&s.place),
        text: lww_to(&s.text),
        participants: orset_to(&s.participants),
        voided_on: opt_date_to_i64(s.voided.0),
        review: lww_to(&s.review),
    }
}

pub(crate) fn activity_from(p: pb::Activity) -> Result<ActivitySection, Error> {
    Ok(ActivitySection {
        at: at_from(p.at),
        kind: lww_from(p.kind)?,
        title: lww_from(p.title)?,
        held_on: lww_from(p.held_on)?,
        place: lww_from(p.place)?,
        text: lww_from(p.text)?,
        participants: orset_from(p.participants)?,
        voided: Max(opt_date_from_i64(p.voided_on)?),
        review: lww_from(p.review)?,
    })
}

pub(crate) fn vacancy_to(s: &VacancySection) -> pb::Vacancy {
    pb::Vacancy {
        at: at_to(&s.at),
        person: lww_to(&s.person),
        name: lww_to(&s.name),
        electoral_unit: lww_to(&s.electoral_unit),
        ground: lww_to(&s.ground),
        vacated_on: lww_to(&s.vacated_on),
        election_on: lww_to(&s.election_on),
        filled_by: lww_to(&s.filled_by),
        filled_on: opt_date_to_i64(s.filled_on.0),
    }
}

pub(crate) fn vacancy_from(p: pb::Vacancy) -> Result<VacancySection, Error> {
    Ok(VacancySection {
        at: at_from(p.at),
        person: lww_from(p.person)?,
        name: lww_from(p.name)?,
        electoral_unit: lww_from(p.electoral_unit)?,
        ground: lww_from(p.ground)?,
        vacated_on: lww_from(p.vacated_on)?,
        election_on: lww_from(p.election_on)?,
        filled_by: lww_from(p.filled_by)?,
        filled_on: Max(opt_date_from_i64(p.filled_on)?),
    })
}

pub(crate) fn entry_to(s: &EntrySection) -> pb::DirectoryEntry {
    pb::DirectoryEntry {
        at: at_to(&s.at),
        kind: lww_to(&s.kind),
        name: lww_to(&s.name),
        address: lww_to(&s.address),
        detail: lww_to(&s.detail),
        leader: lww_to(&s.leader),
        members: orset_to(&s.members),
        closed_on: opt_date_to_i64(s.closed.0),
    }
}

pub(crate) fn entry_from(p: pb::DirectoryEntry) -> Result<EntrySection, Error> {
    Ok(EntrySection {
        at: at_from(p.at),
        kind: lww_from(p.kind)?,
        name: lww_from(p.name)?,
        address: lww_from(p.address)?,
        detail: lww_from(p.detail)?,
        leader: lww_from(p.leader)?,
        members: orset_from(p.members)?,
        closed: Max(opt_date_from_i64(p.closed_on)?),
    })
}

pub(crate) fn contact_to(s: &ContactSection) -> pb::Contact {
    pb::Contact {
        at: at_to(&s.at),
        kind: lww_to(&s.kind),
        keeper: lww_to(&s.keeper),
        linked: orset_to(&s.linked),
        community: lww_to(&s.community),
        visits: super::sections::notes_to(&s.visits),
        ended_on: opt_date_to_i64(s.ended.0),
    }
}

pub(crate) fn contact_from(p: pb::Contact) -> Result<ContactSection, Error> {
    Ok(ContactSection {
        at: at_from(p.at),
        kind: lww_from(p.kind)?,
        keeper: lww_from(p.keeper)?,
        linked: orset_from(p.linked)?,
        community: lww_from(p.community)?,
        visits: super::sections::notes_from(p.visits)?,
        ended: Max(opt_date_from_i64(p.ended_on)?),
    })
}
