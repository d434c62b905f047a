//! Registers and links offices keep: 名录 entries (家站点, groups, grids,
//! units), 三联 contact relations and their visits against the targets, and a
//! citizen opinion taken up as a deputy's suggestion: steps, refusals,
//! routing on the real codes, counts.

mod common;
use common::*;
use jiff::civil::date;
use wuji_model::activity::Participant;
use wuji_model::routing::{self, Horizon};
use wuji_model::suggestion::workflow as wf;
use wuji_model::{Record, RecordId, RecordKind, Uuid, summary};

fn rid(kind: RecordKind, home: &str, n: u128) -> RecordId {
    RecordId {
        kind,
        home: c(home),
        uuid: Uuid::from_u128(n),
    }
}

#[test]
fn a_register_keeps_stations_with_deputies_of_any_level_and_units_without() {
    use wuji_model::directory::{self, EntryKind, NewEntry};
    let mut w = World::new();
    let day = date(2026, 3, 10);
    let id = rid(RecordKind::Directory, "320114001", 9);
    let mut st = Record::new(id);
    let city = Participant {
        congress: c("320100"),
        person: "C-7".into(),
    };
    step!(
        st,
        directory::add(
            &w.ctx("320114001", day),
            id,
            &NewEntry {
                kind: EntryKind::Station,
                name: "雨花街道代表联络站".into(),
                detail: "每月16日".into(),
                members: vec![city.clone()],
                ..NewEntry::default()
            }
        )
    );
    // The city deputy's congress holds it; the sibling township does not.
    assert!(routing::visible_to(&st, c("320100"), Horizon::default()));
    assert!(!routing::visible_to(
        &st,
        c("320114002"),
        Horizon::default()
    ));
    assert!(!directory::without_deputy(&st));
    step!(
        st,
        directory::members(&w.ctx("320114001", day), &st, &[], &[city])
    );
    assert!(directory::without_deputy(&st));
    let counts = summary::own_counts_of(&st, &w.rules, c("320114001"));
    assert_eq!(counts.get("directory.station.without_deputy"), Some(&1));
    // A unit takes no deputies; closed entries count for nothing.
    let uid = rid(RecordKind::Directory, "320114", 10);
    let unit = NewEntry {
        kind: EntryKind::Unit,
        name: "区交通局".into(),
        members: vec![Participant {
            congress: c("320114"),
            person: "P".into(),
        }],
        ..NewEntry::default()
    };
    assert_eq!(
        rule(directory::add(&w.ctx("320114", day), uid, &unit)),
        "unit-members"
    );
    assert_eq!(
        rule(directory::add(
            &w.ctx("320100", day),
            uid,
            &NewEntry {
                members: vec![],
                ..unit.clone()
            }
        )),
        "home-only"
    );
    step!(st, directory::close(&w.ctx("320114001", day), &st));
    assert!(summary::own_counts_of(&st, &w.rules, c("320114001")).is_empty());
    assert_eq!(EntryKind::parse("网格"), Some(EntryKind::Grid));
}

#[test]
fn a_contact_relation_counts_its_visits_against_the_targets() {
    use wuji_model::contact::{self, ContactKind, NewContact};
    let mut w = World::new();
    let day = date(2026, 3, 10);
    let id = rid(RecordKind::Contact, "320100", 11);
    let mut rec = Record::new(id);
    let deputies: Vec<Participant> = ["C-1", "C-2"]
        .iter()
        .map(|p| Participant {
            congress: c("320100"),
            person: p.to_string(),
        })
        .collect();
    step!(
        rec,
        contact::add(
            &w.ctx("320100", day),
            id,
            &NewContact {
                kind: ContactKind::MemberDeputies,
                keeper: "常委会委员张某".into(),
                linked: deputies.clone(),
                community: String::new(),
            }
        )
    );
    // Two deputies and no visit: short of 3–6 and of two visits a year.
    let s = contact::standing(&rec, &w.rules, 2026).unwrap();
    assert_eq!((s.linked, s.visits, s.on_target), (2, 0, false));
    let third = Participant {
        congress: c("320114"),
        person: "Q-1".into(),
    };
    step!(
        rec,
        contact::link(&w.ctx("320100", day), &rec, &[third], &[])
    );
    for on in [date(2025, 12, 1), date(2026, 2, 1), date(2026, 3, 1)] {
        step!(
            rec,
            contact::visit(&w.ctx("320100", day), &rec, "走访座谈", on)
        );
    }
    let s = contact::standing(&rec, &w.rules, 2026).unwrap();
    assert_eq!((s.linked, s.visits, s.on_target), (3, 2, true));
    // A county deputy linked: the county holds the relation too.
    assert!(routing::visible_to(&rec, c("320114"), Horizon::default()));
    assert_eq!(
        rule(contact::visit(
            &w.ctx("320100", day),
            &rec,
            "x",
            date(2026, 3, 11)
        )),
        "date-not-future"
    );
    assert_eq!(
        rule(contact::link(
            &w.ctx("320100", day),
            &rec,
            &[],
            &rec.contact(c("320100"))
                .unwrap()
                .linked
                .iter()
                .cloned()
                .collect::<Vec<_>>()
        )),
        "participants-required"
    );
    let counts = summary::own_counts_of(&rec, &w.rules, c("320100"));
    assert_eq!(counts.get("contact.member_deputies"), Some(&1));
    assert_eq!(counts.get("contact.visits"), Some(&3));
    step!(rec, contact::end(&w.ctx("320100", day), &rec));
    assert!(contact::standing(&rec, &w.rules, 2026).is_none());
}

#[test]
fn a_citizen_opinion_taken_up_as_a_suggestion_links_back_to_its_station() {
    let mut w = World::new();
    let day = date(2026, 3, 10);
    let opinion = RecordId {
        kind: RecordKind::Suggestion,
        home: c("320114001"),
        uuid: Uuid::from_u128(21),
    };
    let id = rid(RecordKind::Suggestion, "320100", 22);
    let mut rec = Record::new(id);
    let d = wf::Draft {
        lead: "C-7".into(),
        title: "关于公交线路优化的建议".into(),
        text: "来自雨花街道代表联络站的群众意见".into(),
        from_opinion: Some(opinion),
        ..wf::Draft::default()
    };
    step!(rec, wf::submit(&w.ctx("320100", day), id, &d));
    // The station's township and the county between hold the city's
    // suggestion; a sibling township does not.
    let h = Horizon::default();
    assert!(routing::visible_to(&rec, c("320114001"), h));
    assert!(routing::visible_to(&rec, c("320114"), h));
    assert!(!routing::visible_to(&rec, c("320114002"), h));
    // Only an opinion from inside the congress's region is taken up.
    let far = wf::Draft {
        from_opinion: Some(RecordId {
            home: c("110101001"),
            ..opinion
        }),
        ..d
    };
    assert_eq!(
        rule(wf::submit(
            &w.ctx("320100", day),
            rid(RecordKind::Suggestion, "320100", 23),
            &far
        )),
        "inside-region"
    );
}
