//! Reading ahead for the committer: a sync link reads a record's stored
//! version while the batch before is committed. A read that a batch written
//! since made stale is not used (the record would count twice in the scope
//! digest, as if new); a current read gives what the committer's own read
//! gives.

mod common;

use std::sync::Arc;
use wuji_crdt::{Hlc, Merge, Stamp, WriterId};
use wuji_division::Code;
use wuji_model::calendar::Calendar;
use wuji_model::suggestion::workflow as wf;
use wuji_model::{Ctx, Record, Rules};
use wuji_node::{Committer, Op, Prior};
use wuji_store::{Layout, MemKv};

const MS: u64 = 1_796_263_200_000;

fn county() -> Code {
    Code::parse("320114").unwrap()
}

fn town() -> Code {
    Code::parse("320114001").unwrap()
}

fn committer() -> (Layout, Committer) {
    common::start_committer(county(), Arc::new(MemKv::new()))
}

/// Applies `ops` as the town's batch up to `seq`; nothing may be refused.
async fn apply(c: &Committer, ops: Vec<Op>, seq: u64) {
    let done = c.apply_remote(town(), ops, seq, vec![1]).await.unwrap();
    assert!(done.refused.is_empty(), "{:?}", done.refused);
}

/// A suggestion of the town, and the same registered there a second later.
fn versions() -> (Record, Record) {
    let first = common::submitted_at(town(), "关于修缮村道的建议", MS);
    let (rules, cal) = (Rules::default(), Calendar::builtin());
    let ctx = Ctx {
        node: town(),
        at: Stamp::new(Hlc((MS + 1_000) << 16), WriterId::new(town().value(), 0)),
        today: wuji_node::clock::cst_date(MS),
        rules: &rules,
        calendar: &cal,
    };
    let mut second = first.clone();
    second.merge(&wf::register(&ctx, &first, "雨2026-000001").unwrap());
    assert_ne!(first, second);
    (first, second)
}

/// The town's scope digest holds exactly the stored record, once.
fn counted_once(layout: &Layout, rec: &Record) {
    let stored = layout.record(&rec.id).unwrap().expect("stored").record;
    assert_eq!(&stored, rec);
    let sd = layout.scope_digest(town(), None).unwrap();
    assert_eq!(sd.records, 1, "the record counts once");
    assert_eq!(sd.digest, wuji_proto::public_digest(&stored));
}

#[tokio::test]
async fn a_read_that_a_later_batch_made_stale_is_not_used() {
    let (layout, c) = committer();
    let (first, second) = versions();
    // Read while the record is not held yet ...
    let stale = Prior::read(&layout, c.durable(), &first.id).unwrap();
    assert!(stale.stored.is_none());
    // ... then a batch stores it ...
    apply(&c, vec![Op::remote(first, Default::default())], 1).await;
    // ... and the next version arrives with the read made before that batch.
    apply(
        &c,
        vec![Op::remote_read(second.clone(), Default::default(), stale)],
        2,
    )
    .await;
    counted_once(&layout, &second);
}

#[tokio::test]
async fn a_current_read_gives_what_the_committers_own_read_gives() {
    let (layout, c) = committer();
    let (first, second) = versions();
    apply(&c, vec![Op::remote(first, Default::default())], 1).await;
    // Read after that batch, with the stored version's digest (the next
    // version changes it), and a batch of another record written between.
    let prior = Prior::read(&layout, c.durable(), &second.id)
        .unwrap()
        .digest_for(&second);
    assert!(prior.stored.is_some());
    let other = common::submitted_at(town(), "关于增设路灯的建议", MS);
    apply(&c, vec![Op::remote(other.clone(), Default::default())], 2).await;
    apply(
        &c,
        vec![Op::remote_read(second.clone(), Default::default(), prior)],
        3,
    )
    .await;
    let stored = layout.record(&second.id).unwrap().expect("stored").record;
    assert_eq!(stored, second);
    let sd = layout.scope_digest(town(), None).unwrap();
    assert_eq!(sd.records, 2);
    let mut want = wuji_proto::public_digest(&stored);
    want.toggle(&wuji_proto::public_digest(&other));
    assert_eq!(sd.digest, want);
}
