//! A real node for tests: sled in a temporary directory, gRPC on a free port.

#![allow(dead_code)]

use tonic::transport::Channel;
use wuji_division::Code;
use wuji_node::Config;

/// A running node; dropping it shuts the node down.
pub struct TestNode {
    pub addr: String,
    pub channel: Channel,
    pub dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), wuji_node::Error>>>,
}

impl TestNode {
    /// Starts a node for `code` with `adjust` applied to its config.
    pub async fn start(code: &str, adjust: impl FnOnce(&mut Config)) -> TestNode {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::new(Code::parse(code).unwrap());
        config.node.data_dir = dir.path().join("data");
        adjust(&mut config);
        Self::start_in(dir, config).await
    }

    /// Starts a node on an existing directory.
    pub async fn start_in(dir: tempfile::TempDir, config: Config) -> TestNode {
        Self::start_at(dir, config, "127.0.0.1:0").await
    }

    /// Starts a node on an existing directory at a given address (a restart on
    /// the same port; retried while the old socket is still being released).
    pub async fn start_at(dir: tempfile::TempDir, config: Config, addr: &str) -> TestNode {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let listener = loop {
            match tokio::net::TcpListener::bind(addr).await {
                Ok(l) => break l,
                Err(e) if std::time::Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(e) => panic!("cannot bind {addr}: {e}"),
            }
        };
        let addr = listener.local_addr().unwrap().to_string();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(wuji_node::run(listener, config, async {
            let _ = rx.await;
        }));
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        TestNode {
            addr,
            channel,
            dir,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Stops the node cleanly and returns its directory.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }
}
