//! Conversions between domain records and their wire form: section envelopes and
//! record states. Decoding checks every value's domain and refuses what it cannot
//! read; encoding is canonical (collections in key order, unset registers omitted).

mod crdt;
mod duty;
pub mod enums;
mod sections;

use crate::{Error, PAYLOAD_FORMAT, pb};
use duty::*;
use prost::Message;
use sections::*;
use wuji_division::Code;
use wuji_model::{Record, RecordId, Section, SectionKey, Uuid};

/// A record id to the wire.
pub fn record_id_to_pb(id: RecordId) -> pb::RecordId {
    pb::RecordId {
        kind: enums::kind_to(id.kind),
        home: id.home.value(),
        uuid: id.uuid.as_bytes().to_vec(),
    }
}

/// A record id from the wire.
pub fn record_id_from_pb(p: &pb::RecordId) -> Result<RecordId, Error> {
    let uuid = Uuid::from_slice(&p.uuid).map_err(|e| Error::bad("record uuid", e))?;
    Ok(RecordId {
        kind: enums::kind_from(p.kind)?,
        home: Code::from_value(p.home).map_err(|e| Error::bad("record home", e))?,
        uuid,
    })
}

/// The payload message of a section, encoded.
fn payload(section: &Section) -> Vec<u8> {
    match section {
        Section::Roster(s) => roster_to(s).encode_to_vec(),
        Section::Placement(s) => placement_to(s).encode_to_vec(),
        Section::Origin(s) => origin_to(s).encode_to_vec(),
        Section::Handling(s) => handling_to(s).encode_to_vec(),
        Section::Supervision(s) => supervision_to(s).encode_to_vec(),
        Section::Issue(s) => issue_to(s).encode_to_vec(),
        Section::Response(s) => response_to(s).encode_to_vec(),
        Section::Item(s) => item_to(s).encode_to_vec(),
        Section::Report(s) => report_to(s).encode_to_vec(),
        Section::Summary(s) => summary_to(s).encode_to_vec(),
        Section::Calendar(s) => calendar_to(s).encode_to_vec(),
        Section::Activity(s) => activity_to(s).encode_to_vec(),
        Section::Vacancy(s) => vacancy_to(s).encode_to_vec(),
        Section::Directory(s) => entry_to(s).encode_to_vec(),
        Section::Contact(s) => contact_to(s).encode_to_vec(),
        Section::Seats(s) => pb::Seats {
            at: crdt::at_to(&s.at),
            quota: crdt::lww_to(&s.quota),
        }
        .encode_to_vec(),
    }
}

fn parse<M: Message + Default>(what: &'static str, bytes: &[u8]) -> Result<M, Error> {
    M::decode(bytes).map_err(|e| Error::Malformed {
        what,
        reason: e.to_string(),
    })
}

/// One section of a record as an (unsigned) envelope.
pub fn encode_section(id: RecordId, key: SectionKey, section: &Section) -> pb::SectionEnvelope {
    pb::SectionEnvelope {
        record: Some(record_id_to_pb(id)),
        role: enums::role_to(key.role),
        owner: key.owner.value(),
        written_at: Some(crdt::stamp_to(section.written_at())),
        format: PAYLOAD_FORMAT,
        payload: payload(section),
        signature: Vec::new(),
    }
}

/// An envelope back to its record id, key and section, refusing anything malformed.
pub fn decode_section(env: &pb::SectionEnvelope) -> Result<(RecordId, SectionKey, Section), Error> {
    if env.format > PAYLOAD_FORMAT {
        return Err(Error::UnknownFormat {
            found: env.format,
            known: PAYLOAD_FORMAT,
        });
    }
    let id = record_id_from_pb(env.record.as_ref().ok_or(Error::Missing("record id"))?)?;
    let role = enums::role_from(env.role)?;
    let owner = Code::from_value(env.owner).map_err(|e| Error::bad("owner", e))?;
    let b = &env.payload;
    use wuji_model::Role as R;
    let section = match role {
        R::Roster => Section::Roster(roster_from(parse("roster", b)?)?),
        R::Placement => Section::Placement(placement_from(parse("placement", b)?)?),
        R::Origin => Section::Origin(origin_from(parse("origin", b)?)?),
        R::Handling => Section::Handling(handling_from(parse("handling", b)?)?),
        R::Supervision => Section::Supervision(supervision_from(parse("supervision", b)?)?),
        R::Issue => Section::Issue(issue_from(parse("issue", b)?)?),
        R::Response => Section::Response(response_from(parse("response", b)?)?),
        R::Item => Section::Item(item_from(parse("item", b)?)?),
        R::Report => Section::Report(report_from(parse("report", b)?)?),
        R::Summary => Section::Summary(summary_from(parse("summary", b)?)?),
        R::Calendar => Section::Calendar(calendar_from(parse("calendar", b)?)?),
        R::Activity => Section::Activity(activity_from(parse("activity", b)?)?),
        R::Vacancy => Section::Vacancy(vacancy_from(parse("vacancy", b)?)?),
        R::Directory => Section::Directory(entry_from(parse("directory entry", b)?)?),
        R::Contact => Section::Contact(contact_from(parse("contact", b)?)?),
        R::Seats => {
            let p: pb::Seats = parse("seats", b)?;
            Section::Seats(wuji_model::vacancy::SeatsSection {
                at: crdt::at_from(p.at),
                quota: crdt::lww_from(p.quota)?,
            })
        }
    };
    if crdt::stamp_from(env.written_at) != section.written_at() {
        return Err(Error::bad(
            "written_at",
            "the envelope's stamp differs from the payload's",
        ));
    }
    Ok((id, SectionKey { role, owner }, section))
}

/// A record as its state message: every section as an envelope, in key order.
pub fn record_to_state(rec: &Record) -> pb::RecordState {
    pb::RecordState {
        id: Some(record_id_to_pb(rec.id)),
        sections: rec
            .sections()
            .map(|(k, s)| encode_section(rec.id, *k, s))
            .collect(),
    }
}

/// Each section's signature by its owner, by key.
pub type Signatures = std::collections::BTreeMap<SectionKey, Vec<u8>>;

/// The bytes an owner signs for a section: its envelope without a signature,
/// with personal fields left out (they stop at the owner's parent and travel
/// only over links with the owner; every node holding the section can check
/// the rest). A receiver rebuilds them from the decoded section, so any change
/// to the section (or a non-canonical encoding) fails the check.
pub fn section_message(id: RecordId, key: SectionKey, section: &Section) -> Vec<u8> {
    use prost::Message;
    match section {
        Section::Roster(r) if r.personal != wuji_model::deputy::Personal::default() => {
            let mut public = r.clone();
            public.personal = wuji_model::deputy::Personal::default();
            encode_section(id, key, &Section::Roster(public)).encode_to_vec()
        }
        _ => encode_section(id, key, section).encode_to_vec(),
    }
}

/// A record as its state message with the signatures of its sections.
pub fn record_to_signed_state(rec: &Record, sigs: &Signatures) -> pb::RecordState {
    let mut state = record_to_state(rec);
    sign_state(&mut state, rec, sigs);
    state
}

/// Puts each section's signature into `state`, the encoding of `rec`.
pub(crate) fn sign_state(state: &mut pb::RecordState, rec: &Record, sigs: &Signatures) {
    for (env, (key, _)) in state.sections.iter_mut().zip(rec.sections()) {
        if let Some(sig) = sigs.get(key) {
            env.signature.clone_from(sig);
        }
    }
}

/// A record and the signatures its envelopes carry.
pub fn record_from_signed_state(p: &pb::RecordState) -> Result<(Record, Signatures), Error> {
    let rec = record_from_state(p)?;
    let mut sigs = Signatures::new();
    let mut seen = std::collections::BTreeSet::new();
    for env in &p.sections {
        let key = SectionKey {
            role: enums::role_from(env.role)?,
            owner: Code::from_value(env.owner).map_err(|e| Error::bad("owner", e))?,
        };
        if !seen.insert(key) {
            return Err(Error::bad("section", "appears twice in one record"));
        }
        if !env.signature.is_empty() {
            sigs.insert(key, env.signature.clone());
        }
    }
    Ok((rec, sigs))
}

/// A record from its state message; every envelope must belong to that record.
pub fn record_from_state(p: &pb::RecordState) -> Result<Record, Error> {
    let id = record_id_from_pb(p.id.as_ref().ok_or(Error::Missing("record id"))?)?;
    let mut rec = Record::new(id);
    for env in &p.sections {
        let (sid, key, section) = decode_section(env)?;
        if sid != id {
            return Err(Error::bad("section", "belongs to another record"));
        }
        if section.role() != key.role {
            return Err(Error::bad("section", "role and payload disagree"));
        }
        rec.put(key.owner, section);
    }
    Ok(rec)
}
