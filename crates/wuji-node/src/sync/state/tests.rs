//! The link protocol alone: no tokio, no store, only messages and decisions.

use super::*;
use std::collections::BTreeMap;
use std::time::Instant;
use wuji_model::{RecordKind, Uuid};

fn code(s: &str) -> Code {
    Code::parse(s).unwrap()
}

fn conf(node: &str, parent: Option<&str>) -> LinkConf {
    LinkConf {
        keep_alive: super::KEEP_ALIVE,
        check_every: super::CHECK_EVERY,
        node: code(node),
        parent: parent.map(code),
        children: Vec::new(),
        narrow_above: 1_000,
        horizon: Default::default(),
    }
}

/// The hello that `node` (whose parent is `parent`) sends.
fn hello_of(node: &str, parent: &str) -> pb::SyncMessage {
    let peer = LinkState::new(
        conf(node, Some(parent)),
        Role::Child {
            parent: code(parent),
        },
    );
    peer.hello((0, Vec::new()), vec![7], 0, 0)
}

fn as_hello(m: pb::SyncMessage) -> pb::Hello {
    match m.msg {
        Some(Msg::Hello(h)) => h,
        other => panic!("not a hello: {other:?}"),
    }
}

fn refused_rule(state: &LinkState, m: pb::SyncMessage) -> String {
    match state.first(m).map_err(|s| *s) {
        Err(Step::End(LinkError::Refused { rule, .. }, Some(refusal))) => {
            assert!(
                matches!(refusal.msg, Some(Msg::Refusal(_))),
                "a refusal is sent back"
            );
            rule
        }
        Err(other) => panic!("ended otherwise: {other:?}"),
        Ok((_, peer)) => panic!("{peer} was accepted"),
    }
}

#[test]
fn a_greeting_from_a_sibling_or_a_grandchild_is_refused_and_a_child_is_taken() {
    let city = LinkState::new(
        conf("320100", Some("320000")),
        Role::Parent { certified: None },
    );
    // A sibling city, naming this city as its parent: not inside the region.
    assert_eq!(
        refused_rule(&city, hello_of("320200", "320100")),
        "peer-inside-region"
    );
    // A township of this city, skipping its county: not a child.
    assert_eq!(
        refused_rule(&city, hello_of("320114001", "320100")),
        "peer-is-child"
    );
    // A county of this city that names another parent.
    assert_eq!(
        refused_rule(&city, hello_of("320114", "320000")),
        "peer-names-parent"
    );
    let (_, peer) = city.first(hello_of("320114", "320100")).unwrap();
    assert_eq!(peer, code("320114"));
    // A child whose certificate is another node's.
    let certified = LinkState::new(
        conf("320100", Some("320000")),
        Role::Parent {
            certified: Some(code("320115")),
        },
    );
    assert_eq!(
        refused_rule(&certified, hello_of("320114", "320100")),
        "peer-certificate-code"
    );
    // The dialer refuses an answer from a node that is not its parent.
    let county = LinkState::new(
        conf("320114", Some("320100")),
        Role::Child {
            parent: code("320100"),
        },
    );
    let sibling = LinkState::new(
        conf("320200", Some("320000")),
        Role::Parent { certified: None },
    );
    let answer = sibling.hello((0, Vec::new()), vec![1], 0, 0);
    assert_eq!(refused_rule(&county, answer), "peer-is-parent");
}

#[test]
fn a_checkpoint_counts_only_in_the_incarnation_and_log_it_was_taken_in() {
    let mut parent = LinkState::new(conf("320100", None), Role::Parent { certified: None });
    let local = Local {
        incarnation: vec![1],
        durable: 50,
        held: (0, Vec::new()),
    };
    let mut h = as_hello(hello_of("320114", "320100"));
    h.resume_incarnation = vec![1];
    h.resume_from = 40;
    assert_eq!(
        parent.greet(h.clone(), code("320114"), &local).resume_from,
        40
    );
    h.resume_from = 60; // ahead of this log: restored from a backup
    assert_eq!(
        parent.greet(h.clone(), code("320114"), &local).resume_from,
        0
    );
    h.resume_from = 40;
    h.resume_incarnation = vec![2]; // another store of this node
    assert_eq!(
        parent.greet(h.clone(), code("320114"), &local).resume_from,
        0
    );
    // This node holds the child's log up to 30, but the child says it has 10:
    // it lost data, so what came from it is sent back.
    let held = Local {
        held: (30, vec![7]),
        ..local
    };
    h.last_seq = 10;
    assert!(parent.greet(h, code("320114"), &held).lost_data);
}

fn id(n: u128) -> RecordId {
    RecordId {
        kind: RecordKind::Suggestion,
        home: Code::parse("320114001").unwrap(),
        uuid: Uuid::from_u128(n),
    }
}

fn entry(seq: u64, ids: &[u128], source: Option<&str>) -> LogEntry {
    LogEntry {
        seq,
        ids: ids.iter().map(|n| id(*n)).collect(),
        source: source.map(code),
        notices: Vec::new(),
    }
}

fn greeted(lost: bool, durable: u64) -> LinkState {
    let mut s = LinkState::new(
        conf("320114", Some("320100")),
        Role::Child {
            parent: code("320100"),
        },
    );
    let mut h = as_hello(
        LinkState::new(conf("320100", None), Role::Parent { certified: None }).hello(
            (0, Vec::new()),
            vec![9],
            if lost { 0 } else { 100 },
            0,
        ),
    );
    h.resume_incarnation = Vec::new();
    let local = Local {
        incarnation: Vec::new(),
        durable,
        held: (if lost { 5 } else { 0 }, vec![9]),
    };
    h.incarnation = vec![9];
    s.greet(h, code("320100"), &local);
    s
}

#[test]
fn a_window_sends_each_record_once_at_its_last_change_and_never_echoes_the_peer() {
    let s = greeted(false, 15);
    // After checkpoint 10: record 1 changed at 11 and 14, record 2 came from
    // the parent at 12, record 3 changed at 13, record 2 again locally at 15.
    let log = [
        entry(11, &[1], None),
        entry(12, &[2], Some("320100")),
        entry(13, &[3], None),
        entry(14, &[1], None),
        entry(15, &[4], Some("320100")),
    ];
    let plan = s.plan(&log, 10);
    assert_eq!(plan.len(), 1);
    assert_eq!(
        (plan[0].from, plan[0].to),
        (10, 15),
        "the slice moves the checkpoint to the window's end"
    );
    assert_eq!(plan[0].ids, [id(1), id(3)].into_iter().collect());
    // A record stored at a later sequence is sent in this slice only if that
    // later change came from the peer (it will not be sent back later).
    assert!(s.sends_in_slice(15, 15, None));
    assert!(!s.sends_in_slice(15, 16, None));
    assert!(s.sends_in_slice(15, 16, Some(code("320100"))));
    // A peer that lost data gets back what came from it, up to now.
    let lost = greeted(true, 15);
    assert!(lost.greeting().unwrap().lost_data);
    assert_eq!(lost.plan(&log, 10)[0].ids.len(), 4);
}

#[test]
fn a_long_window_is_cut_into_batches_of_at_most_batch_records() {
    let s = greeted(false, 2_000);
    let log: Vec<LogEntry> = (1..=1_200u64)
        .map(|i| entry(i, &[u128::from(i)], None))
        .collect();
    let plan = s.plan(&log, 0);
    let sizes: Vec<usize> = plan.iter().map(|p| p.ids.len()).collect();
    assert_eq!(sizes, vec![BATCH_RECORDS, BATCH_RECORDS, 200]);
    assert_eq!(
        plan.iter().map(|p| (p.from, p.to)).collect::<Vec<_>>(),
        vec![(0, 500), (500, 1000), (1000, 1200)]
    );
    // An empty stretch of the log still moves the checkpoint.
    let echo: Vec<LogEntry> = (1..=3)
        .map(|i| entry(i, &[i.into()], Some("320100")))
        .collect();
    let plan = s.plan(&echo, 0);
    assert_eq!(plan.len(), 1);
    assert!(plan[0].ids.is_empty());
    assert_eq!(plan[0].to, 3);
}

fn probe(scope: &str, exact: bool, digests: &[(u8, u8, u64)]) -> pb::DigestProbe {
    let m = LinkState::probe(
        code(scope),
        exact,
        digests
            .iter()
            .map(|(k, d, n)| (*k, vec![*d; 32], *n))
            .collect(),
    );
    match m.msg {
        Some(Msg::Probe(p)) => p,
        _ => unreachable!(),
    }
}

fn parent_of(child: &str) -> LinkState {
    let mut s = LinkState::new(conf("320100", None), Role::Parent { certified: None });
    let mut h = as_hello(hello_of(child, "320100"));
    h.resume_incarnation = Vec::new();
    s.greet(h, code(child), &Local::default());
    s
}

#[test]
fn a_verdict_resends_kinds_that_differ_and_narrows_large_regions_first() {
    let s = parent_of("320114");
    let mine: BTreeMap<u8, (Vec<u8>, u64)> = [
        (1, (vec![1; 32], 10)),
        (2, (vec![2; 32], 10)),
        (3, (vec![3; 32], 5_000)),
    ]
    .into();
    // Deputies agree, suggestions differ (a small region: resent), assignments
    // differ in a region of 5,000 records (narrowed first).
    let p = probe("320114", false, &[(1, 1, 10), (2, 9, 11), (3, 9, 5_000)]);
    let v = s.verdict(&p, &mine).unwrap();
    assert_eq!(v.resend, vec![2]);
    assert_eq!(v.narrow, vec![3]);
    assert_eq!(
        (v.message.differ.clone(), v.message.narrow.clone()),
        (vec![2], vec![3])
    );
    // Exactly at a region, nothing is narrowed: it is resent.
    let exact = s
        .verdict(&probe("320114", true, &[(3, 9, 5_000)]), &mine)
        .unwrap();
    assert_eq!((exact.resend, exact.narrow), (vec![3], vec![]));
    // A child may check only its own region.
    let e = s
        .verdict(&probe("320115", false, &[(2, 9, 1)]), &mine)
        .unwrap_err();
    assert!(matches!(e, LinkError::Scope { .. }), "{e}");
    // The child's side: resend what differs, probe the regions below that the
    // parent named (a name outside the scope is ignored).
    let child = greeted(false, 0);
    let mut verdict = v.message.clone();
    verdict.subs = vec![code("320114001").value(), code("320115001").value()];
    let r = child.on_verdict(&verdict).unwrap();
    assert_eq!((r.resend, r.narrow), (vec![2], vec![3]));
    assert_eq!(r.subs, [code("320114001")].into_iter().collect());
}

#[test]
fn messages_after_the_greeting_are_sorted_by_role_and_probes_wait_for_a_quiet_link() {
    let parent = parent_of("320114");
    let child = greeted(false, 0);
    let verdict = pb::SyncMessage {
        msg: Some(Msg::Verdict(pb::DigestVerdict::default())),
    };
    assert!(matches!(child.receive(verdict.clone()), Step::Verdict(_)));
    assert!(matches!(
        parent.receive(verdict),
        Step::End(LinkError::Unexpected, Some(_))
    ));
    let repair = pb::SyncMessage {
        msg: Some(Msg::Batch(pb::Batch {
            repair: true,
            ..Default::default()
        })),
    };
    assert!(matches!(parent.receive(repair), Step::Repair(_)));
    let ack = pb::SyncMessage {
        msg: Some(Msg::Ack(pb::Ack { seq: 9 })),
    };
    assert!(matches!(child.receive(ack), Step::Acked(9)));
    let now = Instant::now();
    let ago = |s: u64| now.checked_sub(Duration::from_secs(s));
    assert!(LinkState::probe_due(
        super::CHECK_EVERY,
        now,
        5,
        5,
        ago(2),
        None
    ));
    assert!(
        !LinkState::probe_due(super::CHECK_EVERY, now, 4, 5, ago(2), None),
        "not everything acknowledged"
    );
    assert!(
        !LinkState::probe_due(super::CHECK_EVERY, now, 5, 5, Some(now), None),
        "a batch just arrived"
    );
    assert!(
        !LinkState::probe_due(super::CHECK_EVERY, now, 5, 5, ago(2), ago(60)),
        "checked a minute ago"
    );
    // An idle link sleeps until its next check, not a second at a time.
    assert_eq!(
        LinkState::probe_wait(super::CHECK_EVERY, now, None),
        super::QUIET
    );
    if let Some(t) = ago(60) {
        assert_eq!(
            LinkState::probe_wait(super::CHECK_EVERY, now, Some(t)),
            super::CHECK_EVERY - Duration::from_secs(60)
        );
    }
    if let Some(t) = ago(3_600) {
        assert_eq!(
            LinkState::probe_wait(super::CHECK_EVERY, now, Some(t)),
            super::QUIET
        );
    }
}

#[test]
fn a_peer_of_protocol_one_is_not_sent_what_it_cannot_read() {
    use wuji_model::activity::{ActivitySection, Participant};
    use wuji_model::suggestion::Handling;
    use wuji_model::{Record, Section};
    let activity = Record::delta(
        RecordId {
            kind: wuji_model::RecordKind::Activity,
            home: code("320114001"),
            uuid: wuji_model::Uuid::from_u128(1),
        },
        code("320114001"),
        Section::Activity(ActivitySection {
            participants: [(
                Participant {
                    congress: code("320100"),
                    person: "C-7".into(),
                },
                wuji_crdt::Stamp::default(),
            )]
            .into_iter()
            .collect(),
            ..ActivitySection::default()
        }),
    );
    let mut h = Handling::default();
    let plain = Record::delta(id(1), code("320114"), Section::Handling(h.clone()));
    h.promises.entry(1);
    let promised = Record::delta(id(2), code("320114"), Section::Handling(h));
    for (protocol, reads) in [(1, [false, true, false]), (2, [true, true, true])] {
        let mut s = LinkState::new(conf("320100", None), Role::Parent { certified: None });
        let mut hello = as_hello(hello_of("320114", "320100"));
        hello.protocol_version = protocol;
        s.greet(hello, code("320114"), &Local::default());
        let got = [&activity, &plain, &promised].map(|r| s.peer_reads(r));
        assert_eq!(got, reads, "protocol {protocol}");
    }
}
