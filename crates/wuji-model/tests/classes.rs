//! 答复类别 follow the answering congress's scheme (ABC, ABCD, 甲乙丙), travel
//! with each answer, and are counted apart so that sums up the tree never add
//! classes of different meanings.

mod common;
use common::*;
use wuji_model::suggestion::workflow as wf;
use wuji_model::suggestion::{AnswerClass, ClassScheme};
use wuji_model::{Record, summary};

const COUNTY: &str = "320114";

fn assigned(w: &mut World, n: u128) -> Record {
    let mut rec = registered_at(w, COUNTY, n);
    step!(rec, wf::assign(&w.ctx(COUNTY, D0), &rec, &[lead("局")]));
    rec
}

#[test]
fn a_class_outside_the_congress_scheme_is_refused_and_the_scheme_travels() {
    let mut w = World::new();
    assert_eq!(
        w.rules.answer_classes,
        ClassScheme::Abc,
        "the default: A, B, C"
    );
    let rec = assigned(&mut w, 1);
    let d = wf::answer(&w.ctx(COUNTY, D0), &rec, "局", AnswerClass::D, "x", &[]);
    assert_eq!(rule(d), "answer-class-scheme");

    // A congress using 甲乙丙: its answers say so, and count apart.
    w.rules.answer_classes = ClassScheme::JiaYiBing;
    let mut jia = assigned(&mut w, 2);
    step!(
        jia,
        wf::answer(&w.ctx(COUNTY, D0), &jia, "局", AnswerClass::A, "x", &[])
    );
    w.rules.answer_classes = ClassScheme::Abc;
    let mut abc = assigned(&mut w, 3);
    step!(
        abc,
        wf::answer(&w.ctx(COUNTY, D0), &abc, "局", AnswerClass::A, "x", &[])
    );
    let scheme = |r: &Record| {
        let h = r.handling(c(COUNTY)).unwrap();
        h.answers.iter().next().unwrap().1.scheme
    };
    assert_eq!(
        (scheme(&jia), scheme(&abc)),
        (ClassScheme::JiaYiBing, ClassScheme::Abc)
    );
    assert_eq!(ClassScheme::JiaYiBing.label(AnswerClass::A), "甲类");
    let counts = summary::recount(&[jia, abc], &w.rules, c(COUNTY));
    assert_eq!(counts.get("suggestion.class.甲乙丙.A"), Some(&1));
    assert_eq!(counts.get("suggestion.class.ABC.A"), Some(&1));
    assert!(!counts.contains_key("suggestion.class.A"));
}

#[test]
fn answers_by_the_deadline_count_as_on_time() {
    let mut w = World::new();
    // Assigned 2026-03-02: 答复期限 2026-06-02.
    let mut early = assigned(&mut w, 1);
    step!(
        early,
        wf::answer(&w.ctx(COUNTY, D0), &early, "局", AnswerClass::A, "x", &[])
    );
    let mut late = assigned(&mut w, 2);
    let after = jiff::civil::date(2026, 6, 3);
    step!(
        late,
        wf::answer(&w.ctx(COUNTY, after), &late, "局", AnswerClass::B, "x", &[])
    );
    let counts = summary::recount(&[early, late], &w.rules, c(COUNTY));
    assert_eq!(counts.get("suggestion.answered"), Some(&2));
    assert_eq!(counts.get("suggestion.answered_on_time"), Some(&1));
}
