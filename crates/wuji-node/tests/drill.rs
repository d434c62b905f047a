//! Drill-down, the child's side: a node answers its parent's question with a
//! page of what it holds, refuses an asker below its parent (who would get
//! fields the parent may not hold), and says so when no link leads towards a
//! region below it.

use std::sync::Arc;
use wuji_division::Code;
use wuji_node::sync::drill;
use wuji_node::test_util::{link_ctx, new_suggestion, start_committer};
use wuji_proto::pb::{self, sync_message::Msg};
use wuji_store::MemKv;

fn ask(region: Code, asker: Code, limit: u32, after: &str) -> pb::DrillRequest {
    pb::DrillRequest {
        id: 7,
        region: region.value(),
        kind: pb::RecordKind::Suggestion as i32,
        limit,
        after: after.into(),
        asker: asker.value(),
    }
}

async fn answered(
    ctx: &wuji_node::sync::LinkCtx,
    parent: Code,
    q: pb::DrillRequest,
) -> pb::DrillReply {
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    drill::answer(ctx.clone(), parent, q, tx).await;
    match rx.recv().await.and_then(|m| m.msg) {
        Some(Msg::Drilled(r)) => r,
        other => panic!("expected an answer, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_answers_pages_refuses_a_lower_asker_and_names_a_missing_link() {
    let (county, city, province) = (
        Code::parse("320114").unwrap(),
        Code::parse("320100").unwrap(),
        Code::parse("320000").unwrap(),
    );
    let (layout, committer) = start_committer(county, Arc::new(MemKv::new()));
    for i in 0..3 {
        committer
            .submit(vec![new_suggestion(county, &format!("区级 {i}"))])
            .await
            .unwrap();
    }
    let (ctx, _stop) = link_ctx(county, Some(city), layout, committer);

    // Asked by the province through the city: two pages of the three.
    let first = answered(&ctx, city, ask(county, province, 2, "")).await;
    assert_eq!((first.id, first.error.as_str()), (7, ""));
    assert_eq!(first.records.len(), 2);
    assert!(!first.next.is_empty(), "a full page says where to go on");
    let second = answered(&ctx, city, ask(county, province, 2, &first.next)).await;
    assert_eq!(second.records.len(), 1);
    assert!(second.next.is_empty());

    // An asker below the parent (the county itself) is refused.
    let low = answered(&ctx, city, ask(county, county, 2, "")).await;
    assert!(
        low.records.is_empty() && low.error.contains("not 320100"),
        "{low:?}"
    );

    // A township below with no link up: the answer says so.
    let town = Code::parse("320114001").unwrap();
    let none = answered(&ctx, city, ask(town, city, 2, "")).await;
    assert!(none.error.contains("no link towards 320114001"), "{none:?}");
    // Outside this node's region: refused.
    let out = answered(&ctx, city, ask(Code::parse("320115").unwrap(), city, 2, "")).await;
    assert!(out.error.contains("is not below"), "{out:?}");
}
