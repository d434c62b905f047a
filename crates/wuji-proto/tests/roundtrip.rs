//! Every record of every kind survives the wire: domain → proto → bytes → proto →
//! domain gives the same record and the same canonical bytes; malformed input is
//! refused with a clear error.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use prost::Message;
use wuji_model::strategies::{kind, record};
use wuji_model::{Code, RecordKind, Role};
use wuji_proto::{
    Error, Signatures, canonical_bytes, decode_section, digest, encode_section, pb, public_digest,
    record_from_state, record_to_signed_state, record_to_state, signed_state_with_digest,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn records_round_trip_through_bytes(rec in kind().prop_flat_map(record)) {
        let bytes = record_to_state(&rec).encode_to_vec();
        let state = pb::RecordState::decode(bytes.as_slice()).unwrap();
        let back = record_from_state(&state).unwrap();
        prop_assert_eq!(&back, &rec);
        prop_assert_eq!(canonical_bytes(&back), canonical_bytes(&rec));
        prop_assert_eq!(digest(&back), digest(&rec));
    }

    #[test]
    fn one_encoding_gives_the_stored_state_and_the_public_digest(
        rec in kind().prop_flat_map(record),
        signed in proptest::collection::vec(any::<bool>(), 0..8),
    ) {
        // Some sections signed, some not (records of every kind, deputies'
        // personal fields among them).
        let sigs: Signatures = rec
            .sections()
            .zip(signed.iter().cycle())
            .filter(|(_, s)| **s)
            .map(|((k, _), _)| (*k, vec![k.owner.value() as u8; 64]))
            .collect();
        let (state, d) = signed_state_with_digest(&rec, &sigs);
        prop_assert_eq!(&state, &record_to_signed_state(&rec, &sigs));
        prop_assert_eq!(d, public_digest(&rec));
    }

    #[test]
    fn every_section_round_trips_alone(rec in kind().prop_flat_map(record)) {
        for (key, section) in rec.sections() {
            let env = encode_section(rec.id, *key, section);
            let (id, k, s) = decode_section(&env).unwrap();
            prop_assert_eq!(id, rec.id);
            prop_assert_eq!(k, *key);
            prop_assert_eq!(&s, section);
        }
    }

    #[test]
    fn garbage_payloads_are_refused_not_panicked_on(
        rec in kind().prop_flat_map(record),
        noise in proptest::collection::vec(any::<u8>(), 1..64),
    ) {
        for (key, section) in rec.sections() {
            let mut env = encode_section(rec.id, *key, section);
            env.payload = noise.clone();
            // Either refused, or (rarely) valid protobuf for the payload type.
            if let Ok((_, k, s)) = decode_section(&env) {
                prop_assert_eq!(k, *key);
                prop_assert_eq!(s.role(), key.role);
            }
        }
    }
}

fn sample() -> wuji_model::Record {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    loop {
        let r = record(RecordKind::Suggestion)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        if !r.is_empty() {
            return r;
        }
    }
}

#[test]
fn malformed_envelopes_say_what_is_wrong() {
    let rec = sample();
    let (key, section) = rec.sections().next().unwrap();
    let good = encode_section(rec.id, *key, section);

    let mut bad = good.clone();
    bad.payload = vec![0xff, 0xff, 0xff];
    assert!(matches!(decode_section(&bad), Err(Error::Malformed { .. })));

    let mut bad = good.clone();
    bad.format = wuji_proto::PAYLOAD_FORMAT + 1;
    let e = decode_section(&bad).unwrap_err();
    assert!(e.to_string().contains("newer than this build"), "{e}");

    let mut bad = good.clone();
    bad.owner = 110_100; // a statistical stand-in, not a congress
    assert!(
        decode_section(&bad)
            .unwrap_err()
            .to_string()
            .contains("stand-in")
    );

    let mut bad = good.clone();
    bad.role = 42;
    assert!(decode_section(&bad).is_err());

    let mut bad = good.clone();
    bad.record = None;
    assert_eq!(
        decode_section(&bad).unwrap_err(),
        Error::Missing("record id")
    );

    let mut bad = good.clone();
    bad.written_at = Some(pb::Stamp { hlc: 1, writer: 1 });
    assert!(
        decode_section(&bad)
            .unwrap_err()
            .to_string()
            .contains("written_at")
    );

    // A section of another record inside a record state is refused.
    let mut state = record_to_state(&rec);
    let mut other = good.clone();
    other.record.as_mut().unwrap().uuid = vec![9; 16];
    state.sections.push(other);
    assert!(record_from_state(&state).is_err());
}

#[test]
fn a_bad_division_code_inside_a_payload_is_refused() {
    let id = wuji_model::strategies::id(RecordKind::Assignment);
    let payload = pb::Issue {
        targets: Some(pb::OrSet {
            entries: vec![pb::OrEntry {
                s: String::new(),
                i: 999_999,
                dots: vec![pb::Dot {
                    at: None,
                    removed: false,
                }],
            }],
        }),
        ..Default::default()
    };
    let env = pb::SectionEnvelope {
        record: Some(wuji_proto::record_id_to_pb(id)),
        role: pb::Role::Issue as i32,
        owner: id.home.value(),
        payload: payload.encode_to_vec(),
        format: 1,
        ..Default::default()
    };
    let e = decode_section(&env).unwrap_err();
    assert!(e.to_string().contains("division code"), "{e}");
}

#[test]
fn model_errors_map_to_grpc_codes_with_the_rule() {
    use wuji_model::Error as E;
    let s = wuji_proto::to_status(&E::NoTargets);
    assert_eq!(s.code(), tonic::Code::InvalidArgument);
    assert_eq!(s.metadata().get("wuji-rule").unwrap(), "targets-required");
    let s = wuji_proto::to_status(&E::NotDissatisfied);
    assert_eq!(s.code(), tonic::Code::FailedPrecondition);
    let s = wuji_proto::to_status(&E::Forbidden {
        role: Role::Origin,
        owner: Code::NATIONAL,
        reason: "x",
    });
    assert_eq!(s.code(), tonic::Code::PermissionDenied);
    assert_eq!(
        wuji_proto::to_status(&E::NoSuchAnswer).code(),
        tonic::Code::NotFound
    );
}

/// Every refusal of the model, as the API sends it: a gRPC status whose
/// details hold an `ErrorDetail` with the rule and both messages.
#[test]
fn every_model_refusal_carries_an_error_detail_with_its_rule_in_two_languages() {
    use wuji_model::Error as E;
    use wuji_model::deputy::DeputyStatus;
    use wuji_model::suggestion::view::Status;
    use wuji_model::suggestion::{AnswerClass, ClassScheme, Stage};
    use wuji_model::{Date, RecordKind};
    let c = Code::NATIONAL;
    let day = Date::constant(2026, 10, 12);
    let every = vec![
        E::EmptyText { field: "title" },
        E::TextTooLong {
            field: "title",
            len: 9,
            max: 1,
        },
        E::ControlCharacter {
            field: "title",
            code: 0,
            at: 1,
        },
        E::OutOfRange {
            field: "term",
            value: 100,
            min: 1,
            max: 99,
        },
        E::NotHome {
            node: c,
            home: c,
            action: "x",
        },
        E::WrongKind {
            expected: RecordKind::Deputy,
            got: RecordKind::Suggestion,
        },
        E::MissingSection { role: Role::Origin },
        E::OutsideRegion { node: c, region: c },
        E::IllegalStatusStep {
            from: DeputyStatus::Deceased,
            to: DeputyStatus::InOffice,
        },
        E::NotHandler {
            node: c,
            handler: c,
        },
        E::Final {
            status: Status::Closed,
        },
        E::AlreadyRegistered { node: c },
        E::WrongStage {
            action: "answer",
            stage: Stage::New,
        },
        E::BadUnits { reason: "x" },
        E::NotUnit {
            unit: "局".into(),
            role: "lead",
        },
        E::ReturnTooLate {
            unit: "局".into(),
            days: 7,
            last_day: day,
        },
        E::ExtensionTooLong { months: 9, max: 3 },
        E::NoSuchAnswer,
        E::NotDissatisfied,
        E::Dissatisfied,
        E::NotRated,
        E::ClassNotInScheme {
            class: AnswerClass::D,
            scheme: ClassScheme::Abc,
        },
        E::MergeIntoSelf,
        E::NotAbove { node: c, to: c },
        E::NotBelow { node: c, to: c },
        E::NoTargets,
        E::DueInPast { due: day },
        E::NotTarget { node: c },
        E::AlreadyAcknowledged,
        E::AlreadyDone,
        E::UnknownMilestone { milestone: 3 },
        E::ZeroWeight,
        E::Forbidden {
            role: Role::Origin,
            owner: c,
            reason: "x",
        },
        E::IdMismatch,
        E::Calendar {
            file: "2027.toml".into(),
            reason: "x".into(),
        },
    ];
    let mut rules = std::collections::BTreeSet::new();
    for e in &every {
        let s = wuji_proto::to_status(e);
        let d = wuji_proto::error_detail(&s).unwrap_or_else(|| panic!("{e:?}: no ErrorDetail"));
        assert_eq!(d.rule, e.rule(), "{e:?}");
        assert!(!d.rule.is_empty() && !d.message.is_empty(), "{e:?}");
        assert!(
            !d.message_zh.is_empty() && d.message_zh != d.message,
            "{e:?}: no Chinese"
        );
        assert_eq!(s.metadata().get("wuji-rule").unwrap(), d.rule.as_str());
        rules.insert(d.rule);
    }
    // One rule each, apart from the variants that share one on purpose.
    assert!(rules.len() >= every.len() - 2, "{rules:?}");
}
