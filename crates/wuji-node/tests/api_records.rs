//! Deputies, assignments and supervision items over real gRPC on sled: every call
//! round-trips; rosters list in stroke order.

mod common;

use common::*;
use wuji_proto::pb::supervision_client::SupervisionClient;
use wuji_proto::pb::{
    self, assignments_client::AssignmentsClient, deputies_client::DeputiesClient,
};

#[tokio::test]
async fn deputies_assignments_and_supervision_round_trip() {
    let node = TestNode::start("320114", |_| {}).await;
    let mut d = DeputiesClient::new(node.channel.clone());
    let enrol = |pid: &str, name: &str| pb::EnrolRequest {
        person_id: pid.into(),
        name: name.into(),
        gender: 2,
        term: 18,
        group: "一组".into(),
        attached: vec![320_114_001],
        phone: "138".into(),
        ..Default::default()
    };
    let a = view(d.enrol(enrol("P-1", "陈静")).await.unwrap());
    let b = view(d.enrol(enrol("P-2", "王芳")).await.unwrap());
    assert_eq!(a["attached"], "320114001");
    let u = view(
        d.update(pb::EnrolRequest {
            id: vid(&a),
            station: "雨花站".into(),
            ..Default::default()
        })
        .await
        .unwrap(),
    );
    assert_eq!(
        (u["station"].as_str(), u["name"].as_str()),
        ("雨花站", "陈静")
    );
    let s = view(
        d.change_status(pb::ChangeStatusRequest {
            id: vid(&b),
            status: 1,
        })
        .await
        .unwrap(),
    );
    assert_eq!(s["status"], "suspended");
    let at = view(
        d.attach(pb::AttachRequest {
            id: vid(&a),
            area: 320_114_002,
        })
        .await
        .unwrap(),
    );
    assert_eq!(at["attached"], "320114001,320114002");
    let pl = view(
        d.place(pb::PlaceRequest {
            id: vid(&a),
            grid: "第3网格".into(),
            ..Default::default()
        })
        .await
        .unwrap(),
    );
    assert!(pl["placements"].contains("第3网格"));
    assert_eq!(
        view(d.get_deputy(get(&a)).await.unwrap())["station"],
        "雨花站"
    );
    let names = |l: pb::RecordList| {
        l.records
            .iter()
            .map(|r| r.view["name"].clone())
            .collect::<Vec<_>>()
    };
    let all = d
        .list_deputies(pb::ListDeputiesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        names(all),
        ["王芳", "陈静"],
        "roster order: 王 4 strokes, 陈 7"
    );
    let sus = d
        .list_deputies(pb::ListDeputiesRequest {
            status: vec![1],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(names(sus), ["王芳"]);
    let lvl = d
        .list_deputies(pb::ListDeputiesRequest {
            level: 4,
            area: 320_114_002,
            group: "一组".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(names(lvl), ["陈静"]);
    let who = d
        .list_deputies(pb::ListDeputiesRequest {
            person_id: "P-2".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(names(who), ["王芳"]);
    let imp = d
        .import(pb::ImportRequest {
            rows: vec![enrol("P-3", "丁一"), enrol("P-4", "曾国")],
            dry_run: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((imp.imported, imp.problems.len()), (2, 0));

    let mut asg = AssignmentsClient::new(node.channel.clone());
    let x = view(
        asg.issue_assignment(pb::IssueRequest {
            title: "接待日".into(),
            text: "每月16日".into(),
            targets: vec![320_114_001, 320_114_002],
            due_on: "2099-01-31".into(),
        })
        .await
        .unwrap(),
    );
    assert_eq!(
        (x["done"].as_str(), x["due_on"].as_str()),
        ("0/2", "2099-01-31")
    );
    let issued = asg
        .list_assignments(pb::ListAssignmentsRequest {
            issued: true,
            page: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(issued.records.len(), 1);
    let received = asg
        .list_assignments(pb::ListAssignmentsRequest {
            issued: false,
            page: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(received.records.len(), 0);
    assert_eq!(
        view(asg.get_assignment(get(&x)).await.unwrap())["targets"],
        "320114001,320114002"
    );

    let mut sup = SupervisionClient::new(node.channel.clone());
    let it = view(
        sup.open_item(pb::OpenItemRequest {
            mode: 6,
            title: "加装电梯".into(),
            lead_supervisor: "城建委".into(),
            covers: vec![320_114],
            milestones: vec![
                pb::NewMilestone {
                    title: "立项".into(),
                    weight: 1,
                    due_on: String::new(),
                },
                pb::NewMilestone {
                    title: "完工".into(),
                    weight: 3,
                    due_on: "2099-06-30".into(),
                },
            ],
            ..Default::default()
        })
        .await
        .unwrap(),
    );
    assert_eq!(it["progress"], "0.0%");
    let rep = view(
        sup.report_on_item(pb::ItemReportRequest {
            id: vid(&it),
            text: "已立项".into(),
            done: vec![1],
        })
        .await
        .unwrap(),
    );
    assert_eq!(rep["reports"], "1");
    let c = view(
        sup.confirm_milestone(pb::MilestoneRequest {
            id: vid(&it),
            milestone: 1,
        })
        .await
        .unwrap(),
    );
    assert_eq!(c["progress"], "25.0%");
    assert_eq!(
        sup.list_items(pb::ListItemsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .records
            .len(),
        1
    );
    assert_eq!(
        view(sup.get_item(get(&it)).await.unwrap())["mode"],
        "livelihood"
    );
    node.stop().await;
}
