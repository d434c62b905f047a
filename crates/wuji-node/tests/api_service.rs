//! The node as a service: standard health and reflection clients work; a restart
//! keeps everything; another node's directory is refused.

mod common;

use common::*;
use wuji_proto::pb::suggestions_client::SuggestionsClient;
use wuji_proto::pb::{self};

#[tokio::test]
async fn health_and_reflection_answer_standard_clients() {
    let node = TestNode::start("320114001", |_| {}).await;
    let mut h = tonic_health::pb::health_client::HealthClient::new(node.channel.clone());
    let overall = h
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(overall.into_inner().status, 1, "SERVING");
    let svc = h
        .check(tonic_health::pb::HealthCheckRequest {
            service: "wuji.v1.Suggestions".into(),
        })
        .await
        .unwrap();
    assert_eq!(svc.into_inner().status, 1);

    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let mut r = ServerReflectionClient::new(node.channel.clone());
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = r
        .server_reflection_info(tokio_stream::iter(vec![req]))
        .await
        .unwrap()
        .into_inner();
    let resp = stream.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = resp.message_response else {
        panic!("no service list")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for want in [
        "wuji.v1.Deputies",
        "wuji.v1.Suggestions",
        "wuji.v1.Assignments",
        "wuji.v1.Supervision",
        "grpc.health.v1.Health",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    use tonic_reflection::pb::v1alpha::{
        ServerReflectionRequest as AReq, server_reflection_client::ServerReflectionClient as Alpha,
        server_reflection_request::MessageRequest as AMsg,
    };
    let mut ra = Alpha::new(node.channel.clone());
    let req = AReq {
        host: String::new(),
        message_request: Some(AMsg::FileContainingSymbol("wuji.v1.Suggestions".into())),
    };
    let mut stream = ra
        .server_reflection_info(tokio_stream::iter(vec![req]))
        .await
        .unwrap()
        .into_inner();
    assert!(
        stream
            .message()
            .await
            .unwrap()
            .unwrap()
            .message_response
            .is_some()
    );
    node.stop().await;
}

#[tokio::test]
async fn a_restarted_node_has_everything_and_refuses_another_nodes_directory() {
    let node = TestNode::start("320114", |_| {}).await;
    enrol(&node.channel, &["P"]).await;
    let mut s = SuggestionsClient::new(node.channel.clone());
    let v = view(
        s.submit(pb::SubmitRequest {
            lead: "P".into(),
            title: "t".into(),
            text: "x".into(),
            ..Default::default()
        })
        .await
        .unwrap(),
    );
    let dir = node.stop().await;
    let mut config = wuji_node::Config::new(wuji_division::Code::parse("320114").unwrap());
    config.node.data_dir = dir.path().join("data");
    let node = TestNode::start_in(dir, config).await;
    let mut s = SuggestionsClient::new(node.channel.clone());
    assert_eq!(view(s.get_suggestion(get(&v)).await.unwrap())["title"], "t");
    let dir = node.stop().await;
    let mut other = wuji_node::Config::new(wuji_division::Code::parse("320115").unwrap());
    other.node.data_dir = dir.path().join("data");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let e = wuji_node::run(listener, other, async {}).await.unwrap_err();
    assert!(
        e.to_string().contains("holds the store of node 320114"),
        "{e}"
    );
}
