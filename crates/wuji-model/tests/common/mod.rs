//! Helpers shared by the workflow tests: a world with rules, a calendar and a
//! clock, and steps applied as a node applies them.
#![allow(dead_code, unused_imports)]

use jiff::civil::{Date, date};
use wuji_crdt::{Hlc, Stamp, WriterId};
use wuji_model::calendar::Calendar;
use wuji_model::deputy::{self, DeputyStatus, NewDeputy};
use wuji_model::suggestion::view::{self, Status};
use wuji_model::suggestion::workflow::{self as wf, Draft};
use wuji_model::suggestion::{AnswerClass, AnswerRef, HandlingUnit, Satisfaction, UnitRole};
use wuji_model::{
    Code, Ctx, Error, Record, RecordId, RecordKind, Rules, Uuid, assignment, authority, supervision,
};

pub struct World {
    pub rules: Rules,
    pub cal: Calendar,
    pub clock: u64,
}

impl World {
    pub fn new() -> World {
        World {
            rules: Rules::default(),
            cal: Calendar::builtin(),
            clock: 1_000,
        }
    }

    /// A write context for `node` on `today`, with a fresh stamp.
    pub fn ctx(&mut self, node: &str, today: Date) -> Ctx<'_> {
        self.clock += 1;
        let node = c(node);
        Ctx {
            node,
            at: Stamp::new(Hlc(self.clock << 16), WriterId::new(node.value(), 0)),
            today,
            rules: &self.rules,
            calendar: &self.cal,
        }
    }
}

pub fn c(s: &str) -> Code {
    Code::parse(s).unwrap()
}

pub fn sid(home: &str) -> RecordId {
    RecordId {
        kind: RecordKind::Suggestion,
        home: c(home),
        uuid: Uuid::from_u128(1),
    }
}

/// Applies a delta as a node would: authority first, then merge.
pub fn apply(rec: &mut Record, delta: Result<Record, Error>) {
    let delta = delta.expect("legal step");
    let node = delta.sections().next().unwrap().0.owner;
    authority::check_local(node, Some(rec), &delta).expect("authorised");
    *rec = authority::apply(Some(rec), &delta).record;
}

/// Computes a delta from the current record, then applies it.
#[macro_export]
macro_rules! step {
    ($rec:ident, $e:expr $(,)?) => {{
        let d = $e;
        apply(&mut $rec, d);
    }};
}

pub fn rule(r: Result<Record, Error>) -> &'static str {
    r.expect_err("should be refused").rule()
}

pub const D0: Date = date(2026, 3, 2);

pub fn draft() -> Draft {
    Draft {
        lead: "P-001".into(),
        cosigners: vec!["P-002".into()],
        category: "交通".into(),
        title: "关于增设公交站点的建议".into(),
        text: "雨花街道居民出行不便，建议增设公交站点。".into(),
        ..Draft::default()
    }
}

pub fn submitted(w: &mut World) -> Record {
    let id = sid("320114001");
    let mut rec = Record::new(id);
    step!(rec, wf::submit(&w.ctx("320114001", D0), id, &draft()));
    rec
}

pub fn lead(name: &str) -> HandlingUnit {
    HandlingUnit {
        name: name.into(),
        role: UnitRole::Lead,
    }
}

pub fn co(name: &str) -> HandlingUnit {
    HandlingUnit {
        name: name.into(),
        role: UnitRole::Co,
    }
}

/// A suggestion submitted and registered at `node` (its origin), UUID `n`.
pub fn registered_at(w: &mut World, node: &str, n: u128) -> Record {
    let id = RecordId {
        kind: RecordKind::Suggestion,
        home: c(node),
        uuid: Uuid::from_u128(n),
    };
    let mut rec = Record::new(id);
    step!(rec, wf::submit(&w.ctx(node, D0), id, &draft()));
    step!(rec, wf::register(&w.ctx(node, D0), &rec, &format!("N-{n}")));
    rec
}
