//! The gRPC services of a node behind its access layer: the four API
//! services, the node's status, sync, health and reflection (v1 and v1alpha).

use crate::Error;
use crate::api;
use crate::node::Node;
use crate::trust::access::AccessLayer;
use wuji_proto::pb;

/// The router behind the access layer.
pub type Router = tonic::transport::server::Router<
    tower::layer::util::Stack<AccessLayer, tower::layer::util::Identity>,
>;

/// The router of every service of `node`, each taking messages up to `limit` bytes.
pub async fn routes(node: &Node, limit: usize) -> Result<Router, Error> {
    let (health_reporter, health) = tonic_health::server::health_reporter();
    macro_rules! service {
        ($server:ident, $svc:ty, $make:expr) => {{
            health_reporter.set_serving::<$server<$svc>>().await;
            $server::new($make)
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit)
        }};
    }
    use pb::assignments_server::AssignmentsServer;
    use pb::deputies_server::DeputiesServer;
    use pb::node_server::NodeServer;
    use pb::suggestions_server::SuggestionsServer;
    use pb::supervision_server::SupervisionServer;
    use pb::sync_server::SyncServer;
    let deputies = service!(
        DeputiesServer,
        api::deputies::Service,
        api::deputies::Service::new(node.clone())
    );
    let suggestions = service!(
        SuggestionsServer,
        api::suggestions::Service,
        api::suggestions::Service::new(node.clone())
    );
    let assignments = service!(
        AssignmentsServer,
        api::assignments::Service,
        api::assignments::Service::new(node.clone())
    );
    let supervision = service!(
        SupervisionServer,
        api::supervision::Service,
        api::supervision::Service::new(node.clone())
    );
    let status = service!(
        NodeServer,
        api::status::Service,
        api::status::Service::new(node.clone())
    );
    let sync = service!(SyncServer, crate::sync::SyncService, node.sync_service());
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(wuji_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    Ok(tonic::transport::Server::builder()
        .layer(AccessLayer::new(node.code(), node.telemetry().clone()))
        .add_service(health)
        .add_service(reflection().build_v1()?)
        .add_service(reflection().build_v1alpha()?)
        .add_service(deputies)
        .add_service(suggestions)
        .add_service(assignments)
        .add_service(supervision)
        .add_service(sync)
        .add_service(status))
}
