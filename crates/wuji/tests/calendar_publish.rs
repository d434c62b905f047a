//! An official calendar published at the national node of a running
//! multi-process federation reaches a county with no restart; a 答复期限 the
//! county fixed under that year's provisional calendar is fixed again there,
//! and the nodes above show the new date.

mod common;

use common::*;
use wuji_proto::pb::{self, node_client::NodeClient, suggestions_client::SuggestionsClient};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_calendar_reaches_a_county_and_its_provisional_deadlines_are_fixed_again() {
    let f = up().await;
    f.enrol("320114", "P").await;
    let mut s = SuggestionsClient::new(f.ch("320114").await);
    let v = s
        .submit(pb::SubmitRequest {
            lead: "P".into(),
            title: "节假日".into(),
            text: "x".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .view;
    let id = v["id"].clone();
    s.register(pb::RegisterRequest {
        id: rid(&id),
        number: "N-1".into(),
    })
    .await
    .unwrap();
    let v = s
        .assign(pb::AssignRequest {
            id: rid(&id),
            units: vec![pb::Unit {
                name: "区交通局".into(),
                role: 0,
            }],
        })
        .await
        .unwrap()
        .into_inner()
        .view;
    // Three months from today lands in a year wuji ships no official file for.
    assert_eq!(v["deadline_provisional"], "true", "{v:?}");
    let first: wuji_model::Date = v["deadline"].parse().unwrap();

    // The national node publishes that year with the deadline's day off.
    let year = first.year();
    let text = format!(
        "year = {year}\nsource = \"测试通知\"\n[[holiday]]\nname = \"测试\"\nfrom = \"{first}\"\nto = \"{first}\"\n"
    );
    let published = NodeClient::new(f.ch("100000").await)
        .publish_calendar(pb::PublishCalendarRequest {
            file: format!("{year}.toml"),
            text: text.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(published.view["year"], year.to_string());
    // A county may not publish.
    let e = NodeClient::new(f.ch("320114").await)
        .publish_calendar(pb::PublishCalendarRequest {
            file: format!("{year}.toml"),
            text,
        })
        .await
        .unwrap_err();
    assert_eq!(wuji_proto::error_detail(&e).unwrap().rule, "home-only");

    // The next working day after the published day off.
    let cal = wuji_model::calendar::Calendar::with_files([(
        format!("{year}.toml").as_str(),
        format!(
            "year = {year}\nsource = \"x\"\n[[holiday]]\nname = \"t\"\nfrom = \"{first}\"\nto = \"{first}\"\n"
        )
        .as_str(),
    )])
    .unwrap();
    let mut want = first.tomorrow().unwrap();
    while !cal.is_working_day(want).0 {
        want = want.tomorrow().unwrap();
    }
    // The county handles it; its parent holds it too (sync.horizon = 1);
    // above that it is only counted.
    for node in ["320114", "320100"] {
        eventually(
            &format!("{node} shows the deadline fixed again"),
            || async {
                f.suggestion(node, &id).await.is_some_and(|v| {
                    v["deadline"] == want.to_string() && v["deadline_provisional"] == "false"
                })
            },
        )
        .await;
    }
    // The county's status no longer calls that year provisional.
    let st = NodeClient::new(f.ch("320114").await)
        .status(pb::StatusRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(
        st.calendar_notices
            .iter()
            .all(|n| !n.contains(&format!("{year}年"))),
        "{:?}",
        st.calendar_notices
    );
}
