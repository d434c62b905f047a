//! Proptest strategies for every section type and for whole records (feature
//! `strategies`). Values come from small domains so that concurrent writes,
//! equal stamps and overlapping elements are common.

use crate::assignment::{Issue, Report, Response, ResponseState};
use crate::deputy::{DeputyStatus, Gender, Personal, Placement, Roster, StatusState};
use crate::suggestion::*;
use crate::summary::SummarySection;
use crate::supervision::{ItemReport, ItemSection, Milestone};
use crate::{Date, Note, Record, RecordId, RecordKind, Section};
use proptest::prelude::*;
use proptest::sample::select;
use uuid::Uuid;
use wuji_crdt::strategies::{history, lww, max, merge_map, orset, stamp};
use wuji_division::Code;

/// A few real codes across all five levels, with siblings and a skipped level.
pub const CODES: [u32; 8] = [
    100_000,
    320_000,
    320_100,
    320_114,
    320_114_001,
    320_114_002,
    110_000,
    110_101,
];

/// One of [`CODES`].
pub fn code() -> impl Strategy<Value = Code> {
    select(CODES.to_vec()).prop_map(|v| Code::from_value(v).expect("valid"))
}

/// A date in early 2026.
pub fn date() -> impl Strategy<Value = Date> {
    (1i8..=3, 1i8..=28).prop_map(|(m, d)| Date::new(2026, m, d).expect("valid"))
}

fn text() -> impl Strategy<Value = String> {
    select(vec!["", "甲", "乙", "丙", "交通", "教育"]).prop_map(str::to_string)
}

fn opt_date() -> impl Strategy<Value = Option<Date>> {
    proptest::option::of(date())
}

fn note() -> impl Strategy<Value = Note> {
    (text(), date()).prop_map(|(text, on)| Note { text, on })
}

fn status() -> impl Strategy<Value = StatusState> {
    let s = select(vec![
        DeputyStatus::InOffice,
        DeputyStatus::Suspended,
        DeputyStatus::Resigned,
        DeputyStatus::Deceased,
    ]);
    // Only reachable states: final statuses sit at the top epoch (see `StatusState::step`).
    (0u32..3, s).prop_map(|(epoch, status)| StatusState {
        epoch: if status.is_final() { u32::MAX } else { epoch },
        status,
    })
}

/// A roster section.
pub fn roster() -> impl Strategy<Value = Roster> {
    let gender = select(vec![Gender::Unknown, Gender::Male, Gender::Female]);
    (
        (
            max(stamp()),
            lww(text()),
            lww(text()),
            lww(gender),
            lww(0u32..3),
        ),
        (lww(text()), lww(text()), lww(text()), lww(text())),
        (max(status()), orset(code())),
        (lww(text()), lww(text()), lww(text())),
    )
        .prop_map(|(a, b, c, d)| Roster {
            at: a.0,
            person_id: a.1,
            name: a.2,
            gender: a.3,
            term: a.4,
            electoral_unit: b.0,
            delegation: b.1,
            group: b.2,
            station: b.3,
            status: c.0,
            attached: c.1,
            personal: Personal {
                phone: d.0,
                id_number: d.1,
                address: d.2,
            },
        })
}

/// A placement section.
pub fn placement() -> impl Strategy<Value = Placement> {
    (max(stamp()), lww(text()), lww(text()), lww(text())).prop_map(|(at, station, grid, group)| {
        Placement {
            at,
            station,
            grid,
            group,
        }
    })
}

fn answer_ref() -> impl Strategy<Value = AnswerRef> {
    (code(), stamp()).prop_map(|(handler, at)| AnswerRef { handler, at })
}

fn feedback() -> impl Strategy<Value = Option<Feedback>> {
    let rating = select(vec![
        Satisfaction::Dissatisfied,
        Satisfaction::Basic,
        Satisfaction::Satisfied,
    ]);
    proptest::option::of(
        (rating, text(), date()).prop_map(|(rating, comment, on)| Feedback {
            rating,
            comment,
            on,
        }),
    )
}

/// An origin section.
pub fn origin() -> impl Strategy<Value = Origin> {
    let kind = select(vec![
        SuggestionKind::Suggestion,
        SuggestionKind::BillProposal,
        SuggestionKind::CitizenOpinion,
    ]);
    (
        (max(stamp()), lww(kind), lww(text()), orset(text())),
        (lww(text()), lww(text()), lww(text()), lww(any::<bool>())),
        (
            lww(opt_date()),
            max(opt_date()),
            merge_map(answer_ref(), lww(feedback())),
            lww(text()),
            lww(proptest::option::of((0u128..3).prop_map(|u| MergeTarget {
                home: Some(Code::from_value(320_114_001).expect("a code")),
                uuid: Uuid::from_u128(u),
            }))),
        ),
    )
        .prop_map(|(a, b, c)| Origin {
            at: a.0,
            kind: a.1,
            lead: a.2,
            cosigners: a.3,
            category: b.0,
            title: b.1,
            text: b.2,
            during_session: b.3,
            submitted_on: c.0,
            withdrawn: c.1,
            feedback: c.2,
            external_id: c.3,
            from_opinion: c.4,
        })
}

fn unit() -> impl Strategy<Value = HandlingUnit> {
    let role = select(vec![UnitRole::Lead, UnitRole::Co, UnitRole::Separate]);
    (text(), role).prop_map(|(name, role)| HandlingUnit { name, role })
}

fn progress() -> impl Strategy<Value = Progress> {
    let stage = select(vec![
        Stage::New,
        Stage::Registered,
        Stage::Assigned,
        Stage::Answered,
        Stage::Closed,
    ]);
    (0u32..3, stage).prop_map(|(round, stage)| Progress { round, stage })
}

fn answer() -> impl Strategy<Value = Answer> {
    let class = select(vec![
        AnswerClass::A,
        AnswerClass::B,
        AnswerClass::C,
        AnswerClass::D,
    ]);
    let scheme = select(vec![
        ClassScheme::Abc,
        ClassScheme::Abcd,
        ClassScheme::JiaYiBing,
    ]);
    (
        (0u32..3, text(), class, scheme),
        text(),
        proptest::collection::vec(text(), 0..2),
        date(),
    )
        .prop_map(
            |((round, unit, class, scheme), text, promises, on)| Answer {
                round,
                unit,
                class,
                scheme,
                text,
                promises,
                on,
            },
        )
}

fn forward() -> impl Strategy<Value = Forward> {
    let dir = select(vec![Direction::Escalate, Direction::Transfer]);
    (dir, code(), text(), date()).prop_map(|(direction, to, reason, on)| Forward {
        direction,
        to,
        reason,
        on,
    })
}

/// A handling section.
pub fn handling() -> impl Strategy<Value = Handling> {
    let target = proptest::option::of(
        (
            proptest::option::of(Just(Code::from_value(320_100).expect("a code"))),
            0u128..3,
        )
            .prop_map(|(home, u)| MergeTarget {
                home,
                uuid: Uuid::from_u128(u),
            }),
    );
    (
        (max(stamp()), lww(text()), lww(opt_date()), orset(unit())),
        (
            lww(opt_date()),
            lww(0u8..4),
            lww(opt_date()),
            max(progress()),
        ),
        (
            history(
                (text(), text(), date()).prop_map(|(unit, text, on)| CoView { unit, text, on }),
            ),
            history(
                (text(), text(), date()).prop_map(|(unit, reason, on)| Return { unit, reason, on }),
            ),
            history(answer()),
            history(forward()),
            lww(target),
        ),
        (
            lww(opt_date()),
            lww(proptest::bool::ANY),
            lww(opt_date()),
            merge_map(1u32..4, promise()),
        ),
    )
        .prop_map(|(a, b, c, d)| Handling {
            at: a.0,
            number: a.1,
            registered_on: a.2,
            units: a.3,
            assigned_on: b.0,
            extension_months: b.1,
            rehandle_since: b.2,
            progress: b.3,
            co_views: c.0,
            returns: c.1,
            answers: c.2,
            forwards: c.3,
            merged_into: c.4,
            deadline: d.0,
            deadline_provisional: d.1,
            closed_on: d.2,
            promises: d.3,
        })
}

/// An entry of a promise ledger.
pub fn promise() -> impl Strategy<Value = promises::Promise> {
    use promises::PromiseState as S;
    (
        (lww(text()), lww(text()), lww(opt_date())),
        (
            max(select(vec![S::Pending, S::InProgress, S::Done])),
            lww(opt_date()),
            history(note()),
        ),
    )
        .prop_map(|(a, b)| promises::Promise {
            text: a.0,
            unit: a.1,
            due_on: a.2,
            state: b.0,
            done_on: b.1,
            updates: b.2,
        })
}

fn participant() -> impl Strategy<Value = crate::activity::Participant> {
    (code(), select(vec!["p1", "p2", "p3"])).prop_map(|(congress, p)| {
        crate::activity::Participant {
            congress,
            person: p.to_string(),
        }
    })
}

/// An activity section (履职活动).
pub fn activity() -> impl Strategy<Value = crate::activity::ActivitySection> {
    use crate::activity::ActivityType as T;
    (
        (
            max(stamp()),
            lww(select(vec![T::Reception, T::Inspection, T::Report])),
            lww(text()),
            lww(opt_date()),
        ),
        (
            lww(text()),
            lww(text()),
            orset(participant()),
            max(opt_date()),
            lww(proptest::option::of(select(vec![
                Satisfaction::Satisfied,
                Satisfaction::Basic,
                Satisfaction::Dissatisfied,
            ]))),
        ),
    )
        .prop_map(|(a, b)| crate::activity::ActivitySection {
            at: a.0,
            kind: a.1,
            title: a.2,
            held_on: a.3,
            place: b.0,
            text: b.1,
            participants: b.2,
            voided: b.3,
            review: b.4,
        })
}

/// A register entry (名录).
pub fn entry() -> impl Strategy<Value = crate::directory::EntrySection> {
    use crate::directory::EntryKind as K;
    (
        (
            max(stamp()),
            lww(select(vec![K::Station, K::Grid, K::Unit])),
            lww(text()),
            lww(text()),
        ),
        (
            lww(text()),
            lww(text()),
            orset(participant()),
            max(opt_date()),
        ),
    )
        .prop_map(|(a, b)| crate::directory::EntrySection {
            at: a.0,
            kind: a.1,
            name: a.2,
            address: a.3,
            detail: b.0,
            leader: b.1,
            members: b.2,
            closed: b.3,
        })
}

/// A contact relation (三联).
pub fn contact() -> impl Strategy<Value = crate::contact::ContactSection> {
    use crate::contact::ContactKind as K;
    (
        (
            max(stamp()),
            lww(select(vec![K::MemberDeputies, K::DeputyCommunity])),
            lww(text()),
            orset(participant()),
        ),
        (lww(text()), history(note()), max(opt_date())),
    )
        .prop_map(|(a, b)| crate::contact::ContactSection {
            at: a.0,
            kind: a.1,
            keeper: a.2,
            linked: a.3,
            community: b.0,
            visits: b.1,
            ended: b.2,
        })
}

/// A seat table (代表名额).
pub fn seats() -> impl Strategy<Value = crate::vacancy::SeatsSection> {
    (max(stamp()), lww(0u32..300))
        .prop_map(|(at, quota)| crate::vacancy::SeatsSection { at, quota })
}

/// A vacancy section (出缺).
pub fn vacancy() -> impl Strategy<Value = crate::vacancy::VacancySection> {
    use crate::vacancy::Ground as G;
    (
        (max(stamp()), lww(text()), lww(text()), lww(text())),
        (
            lww(select(vec![G::Resigned, G::Died, G::Recalled])),
            lww(opt_date()),
            lww(opt_date()),
            lww(text()),
            max(opt_date()),
        ),
    )
        .prop_map(|(a, b)| crate::vacancy::VacancySection {
            at: a.0,
            person: a.1,
            name: a.2,
            electoral_unit: a.3,
            ground: b.0,
            vacated_on: b.1,
            election_on: b.2,
            filled_by: b.3,
            filled_on: b.4,
        })
}

fn mode() -> impl Strategy<Value = Option<SupervisionMode>> {
    proptest::option::of(select(vec![
        SupervisionMode::Key,
        SupervisionMode::Led,
        SupervisionMode::Livelihood,
    ]))
}

/// A supervision section on a suggestion.
pub fn supervision() -> impl Strategy<Value = SuggestionSupervision> {
    (max(stamp()), lww(mode()), lww(text()), history(note())).prop_map(
        |(at, mode, lead_supervisor, notes)| SuggestionSupervision {
            at,
            mode,
            lead_supervisor,
            notes,
        },
    )
}

/// An assignment as issued.
pub fn issue() -> impl Strategy<Value = Issue> {
    (
        max(stamp()),
        lww(text()),
        lww(text()),
        orset(code()),
        lww(opt_date()),
        lww(opt_date()),
    )
        .prop_map(|(at, title, text, targets, due_on, issued_on)| Issue {
            at,
            title,
            text,
            targets,
            due_on,
            issued_on,
        })
}

/// A target's response.
pub fn response() -> impl Strategy<Value = Response> {
    let state = select(vec![
        ResponseState::Pending,
        ResponseState::Acknowledged,
        ResponseState::Reported,
        ResponseState::Done,
    ]);
    let report =
        (text(), any::<bool>(), date()).prop_map(|(text, done, on)| Report { text, done, on });
    (max(stamp()), max(state), lww(opt_date()), history(report)).prop_map(
        |(at, state, acknowledged_on, reports)| Response {
            at,
            state,
            acknowledged_on,
            reports,
        },
    )
}

fn milestone() -> impl Strategy<Value = Milestone> {
    (lww(text()), lww(0u32..4), lww(opt_date()), max(opt_date())).prop_map(
        |(title, weight, due_on, done_on)| Milestone {
            title,
            weight,
            due_on,
            done_on,
        },
    )
}

/// A supervision item section.
pub fn item() -> impl Strategy<Value = ItemSection> {
    let uuid = proptest::option::of((0u128..3).prop_map(Uuid::from_u128));
    (
        (max(stamp()), lww(mode()), lww(text()), lww(uuid)),
        (
            lww(text()),
            orset(code()),
            merge_map(0u32..3, milestone()),
            history(note()),
        ),
    )
        .prop_map(|(a, b)| ItemSection {
            at: a.0,
            mode: a.1,
            title: a.2,
            suggestion: a.3,
            lead_supervisor: b.0,
            covers: b.1,
            milestones: b.2,
            notes: b.3,
        })
}

/// A progress report on an item.
pub fn item_report() -> impl Strategy<Value = ItemReport> {
    (max(stamp()), history(note()), orset(0u32..3)).prop_map(|(at, notes, claimed_done)| {
        ItemReport {
            at,
            notes,
            claimed_done,
        }
    })
}

/// A summary section.
pub fn summary() -> impl Strategy<Value = SummarySection> {
    let name = select(vec![
        "deputy.total",
        "suggestion.closed",
        "assignment.pending",
    ])
    .prop_map(str::to_string);
    let counts = proptest::collection::btree_map(name, 1u64..100, 0..3);
    (max(stamp()), stamp(), counts).prop_map(|(at, written, counts)| SummarySection {
        at,
        counts: wuji_crdt::Lww::new(written, counts),
    })
}

/// A published calendar section (its text need not parse: merge laws hold
/// for any content).
pub fn calendar() -> impl Strategy<Value = crate::published::CalendarSection> {
    (max(stamp()), lww(text()), lww(text()))
        .prop_map(|(at, file, text)| crate::published::CalendarSection { at, file, text })
}

/// A section of a role that fits `kind`.
pub fn section(kind: RecordKind) -> BoxedStrategy<Section> {
    match kind {
        RecordKind::Deputy => prop_oneof![
            roster().prop_map(Section::Roster),
            placement().prop_map(Section::Placement)
        ]
        .boxed(),
        RecordKind::Suggestion => prop_oneof![
            origin().prop_map(Section::Origin),
            handling().prop_map(Section::Handling),
            supervision().prop_map(Section::Supervision)
        ]
        .boxed(),
        RecordKind::Assignment => prop_oneof![
            issue().prop_map(Section::Issue),
            response().prop_map(Section::Response)
        ]
        .boxed(),
        RecordKind::Supervision => prop_oneof![
            item().prop_map(Section::Item),
            item_report().prop_map(Section::Report)
        ]
        .boxed(),
        RecordKind::Summary => summary().prop_map(Section::Summary).boxed(),
        RecordKind::Calendar => calendar().prop_map(Section::Calendar).boxed(),
        RecordKind::Activity => activity().prop_map(Section::Activity).boxed(),
        RecordKind::Vacancy => vacancy().prop_map(Section::Vacancy).boxed(),
        RecordKind::Directory => entry().prop_map(Section::Directory).boxed(),
        RecordKind::Contact => contact().prop_map(Section::Contact).boxed(),
        RecordKind::Seats => seats().prop_map(Section::Seats).boxed(),
    }
}

/// A record kind.
pub fn kind() -> impl Strategy<Value = RecordKind> {
    select(RecordKind::ALL.to_vec())
}

/// A record id of `kind` homed at a fixed county.
pub fn id(kind: RecordKind) -> RecordId {
    RecordId {
        kind,
        home: Code::from_value(320_114).expect("valid"),
        uuid: Uuid::from_u128(7),
    }
}

/// A record of `kind` (the id is fixed, so records of one kind can be merged):
/// a handful of sections of fitting roles under random owners. Home-only roles
/// are put under the home node so that records look like real ones.
pub fn record(kind: RecordKind) -> impl Strategy<Value = Record> {
    proptest::collection::vec((code(), section(kind)), 0..5).prop_map(move |sections| {
        let rid = id(kind);
        let mut r = Record::new(rid);
        for (owner, s) in sections {
            let owner = if s.role().is_home_only() {
                rid.home
            } else {
                owner
            };
            r.put(owner, s);
        }
        r
    })
}

/// Deltas of one record: `n` random single-section writes of `kind`.
pub fn deltas(kind: RecordKind, n: usize) -> impl Strategy<Value = Vec<Record>> {
    proptest::collection::vec(record(kind), 1..=n)
}
