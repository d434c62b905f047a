//! 并案: a merged suggestion stays open for its own deputy, who rates the
//! answer of the suggestion it joined; then it is closed, never before.

mod common;
use common::*;
use wuji_model::Record;
use wuji_model::suggestion::view::{self, Status};
use wuji_model::suggestion::workflow as wf;
use wuji_model::suggestion::{AnswerClass, Satisfaction};

const COUNTY: &str = "320114";

#[test]
fn a_merged_suggestion_is_answered_by_the_one_it_joined_rated_and_closed() {
    let mut w = World::new();
    let mut joined = registered_at(&mut w, COUNTY, 1);
    let mut merged = registered_at(&mut w, COUNTY, 2);
    let other = registered_at(&mut w, COUNTY, 3);
    step!(
        merged,
        wf::merge_into(&w.ctx(COUNTY, D0), &merged, joined.id)
    );
    assert_eq!(wf::merged_target(&merged), Some(joined.id));
    let v = view::view(&merged, &w.rules);
    assert!(v.status == Status::Merged && !v.status.is_final());

    // Nothing to rate yet, and nothing to close on.
    let rate = |w: &mut World, rec: &Record, j: &Record, r| {
        wf::feedback_merged(&w.ctx(COUNTY, D0), rec, j, r, "")
    };
    assert_eq!(
        rule(rate(&mut w, &merged, &joined, Satisfaction::Satisfied)),
        "answer-exists"
    );
    assert_eq!(
        rule(wf::close(&w.ctx(COUNTY, D0), &merged)),
        "rating-required"
    );

    // The joined suggestion is answered; the merged one's deputy rates that.
    step!(
        joined,
        wf::assign(&w.ctx(COUNTY, D0), &joined, &[lead("区交通局")])
    );
    step!(
        joined,
        wf::answer(
            &w.ctx(COUNTY, D0),
            &joined,
            "区交通局",
            AnswerClass::A,
            "已增设",
            &[]
        )
    );
    assert_eq!(
        rule(rate(&mut w, &merged, &other, Satisfaction::Satisfied)),
        "answer-exists",
        "only the answer of the suggestion it joined"
    );
    step!(
        merged,
        rate(&mut w, &merged, &joined, Satisfaction::Dissatisfied)
    );
    assert_eq!(
        view::view(&merged, &w.rules).rating,
        Some(Satisfaction::Dissatisfied)
    );
    assert_eq!(
        rule(wf::close(&w.ctx(COUNTY, D0), &merged)),
        "close-needs-satisfaction"
    );
    step!(merged, rate(&mut w, &merged, &joined, Satisfaction::Basic));
    assert_eq!(
        rule(wf::close(&w.ctx("320100", D0), &merged)),
        "current-handler"
    );
    step!(merged, wf::close(&w.ctx(COUNTY, D0), &merged));
    let v = view::view(&merged, &w.rules);
    assert_eq!(
        (v.status, v.rating),
        (Status::Closed, Some(Satisfaction::Basic))
    );
    assert!(v.status.is_final());
}
