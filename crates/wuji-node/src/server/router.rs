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
    Ok(tonic::transport::Server::builder()
        .layer(AccessLayer::new(node.code(), node.telemetry().clone()))
        .add_routes(services(node, limit).await?))
}

/// Every service of `node` behind the access rules, as one tower service:
/// what the JSON gateway calls, as a gRPC client would.
pub async fn guarded(
    node: &Node,
    limit: usize,
) -> Result<crate::trust::access::Access<tonic::service::Routes>, Error> {
    use tower::Layer;
    let routes = services(node, limit).await?.prepare();
    Ok(AccessLayer::new(node.code(), node.telemetry().clone()).layer(routes))
}

/// Every service of `node`, each taking messages up to `limit` bytes.
async fn services(node: &Node, limit: usize) -> Result<tonic::service::Routes, Error> {
    let (reporter, health) = tonic_health::server::health_reporter();
    let reporter = &reporter;
    use pb::activities_server::ActivitiesServer;
    use pb::assignments_server::AssignmentsServer;
    use pb::contacts_server::ContactsServer;
    use pb::deputies_server::DeputiesServer;
    use pb::directory_server::DirectoryServer;
    use pb::node_server::NodeServer;
    use pb::suggestions_server::SuggestionsServer;
    use pb::supervision_server::SupervisionServer;
    use pb::sync_server::SyncServer;
    use pb::vacancies_server::VacanciesServer;
    let n = || node.clone();
    macro_rules! limited {
        ($server:expr) => {
            serving(
                reporter,
                $server
                    .max_decoding_message_size(limit)
                    .max_encoding_message_size(limit),
            )
            .await
        };
    }
    let deputies = limited!(DeputiesServer::new(api::deputies::Service::new(n())));
    let suggestions = limited!(SuggestionsServer::new(api::suggestions::Service::new(n())));
    let assignments = limited!(AssignmentsServer::new(api::assignments::Service::new(n())));
    let supervision = limited!(SupervisionServer::new(api::supervision::Service::new(n())));
    let activities = limited!(ActivitiesServer::new(api::activities::Service::new(n())));
    let vacancies = limited!(VacanciesServer::new(api::vacancies::Service::new(n())));
    let directory = limited!(DirectoryServer::new(api::directory::Service::new(n())));
    let contacts = limited!(ContactsServer::new(api::contacts::Service::new(n())));
    let status = limited!(NodeServer::new(api::status::Service::new(n())));
    // Served by hand: its events are encoded once for every watcher.
    let feed = serving(
        reporter,
        crate::feed::FeedServer::new(crate::feed::Service::new(n()), limit),
    )
    .await;
    let sync = limited!(SyncServer::new(node.sync_service()));
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(wuji_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    Ok(tonic::service::Routes::new(health)
        .add_service(reflection().build_v1()?)
        .add_service(reflection().build_v1alpha()?)
        .add_service(deputies)
        .add_service(suggestions)
        .add_service(assignments)
        .add_service(supervision)
        .add_service(activities)
        .add_service(vacancies)
        .add_service(directory)
        .add_service(contacts)
        .add_service(sync)
        .add_service(feed)
        .add_service(status))
}

/// Marks `service` serving in the health service, and gives it back.
async fn serving<S: tonic::server::NamedService>(
    reporter: &tonic_health::server::HealthReporter,
    service: S,
) -> S {
    reporter.set_serving::<S>().await;
    service
}
