//! How a child reaches its parent, as a part of the node: [`Connector`] opens
//! one duplex link. [`TcpConnector`] is the real one (tonic over TCP, mutual
//! TLS with rustls, the crypto provider passed in); [`MemNet`] links nodes of
//! one process through channels, for tests and the simulator, and can cut and
//! heal each link (restate's `TransportConnect` with its in-memory connector is
//! the model).

use super::ctx::Outbound;
use crate::LinkError;
use crate::trust::tls::TlsFiles;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use wuji_division::Code;
use wuji_proto::pb;

/// The inbound half of a link: messages, or what the transport said on failure.
pub type Inbound = Pin<Box<dyn Stream<Item = Result<pb::SyncMessage, String>> + Send>>;

/// A future of a connector.
pub type Connecting<'a> =
    Pin<Box<dyn Future<Output = Result<(Outbound, Inbound), LinkError>> + Send + 'a>>;

/// Opens links from a child to its parent.
pub trait Connector: Send + Sync + 'static {
    /// Opens one link from `node` to `parent`.
    fn connect(&self, node: Code, parent: Code, max_message: usize) -> Connecting<'_>;

    /// Where the parent is, for the log.
    fn describe(&self) -> String;
}

/// tonic over TCP, with mutual TLS when files are given (plaintext dev mode
/// otherwise). The TLS files are read at every dial, so a renewed
/// certificate or revocation list is taken up without a restart.
#[derive(Clone)]
pub struct TcpConnector {
    addr: String,
    tls: Option<TlsFiles>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl TcpConnector {
    /// Dials `addr` (HOST:PORT) with `tls`, using `provider` for the crypto.
    pub fn new(
        addr: String,
        tls: Option<TlsFiles>,
        provider: Arc<rustls::crypto::CryptoProvider>,
    ) -> TcpConnector {
        TcpConnector {
            addr,
            tls,
            provider,
        }
    }

    async fn open(
        &self,
        parent: Code,
        max_message: usize,
    ) -> Result<(Outbound, Inbound), LinkError> {
        let host = self
            .addr
            .trim_start_matches("http://")
            .trim_start_matches("https://");
        // Over TLS the connector below does TLS itself; the endpoint stays http.
        let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{host}"))
            .map_err(|e| LinkError::Unreachable(format!("parent.addr {}: {e}", self.addr)))?
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(15))
            .keep_alive_timeout(Duration::from_secs(10))
            .keep_alive_while_idle(true);
        let channel = match &self.tls {
            Some(files) => {
                let cfg = crate::trust::tls::client_config(files, self.provider.clone())
                    .map_err(|e| LinkError::Unreachable(e.to_string()))?;
                crate::trust::tls::connect(endpoint, host.to_string(), parent, cfg).await
            }
            None => endpoint.connect().await,
        }
        .map_err(|e| LinkError::Unreachable(format!("{e:?}")))?;
        let (tx, rx) = mpsc::channel(64);
        let mut client = pb::sync_client::SyncClient::new(channel)
            .max_decoding_message_size(max_message)
            .max_encoding_message_size(max_message);
        let inbound = client
            .link(ReceiverStream::new(rx))
            .await
            .map_err(|e| LinkError::Rejected(e.message().to_string()))?
            .into_inner()
            .map(|m| m.map_err(|e| e.message().to_string()));
        Ok((tx, Box::pin(inbound)))
    }
}

impl Connector for TcpConnector {
    fn connect(&self, _node: Code, parent: Code, max_message: usize) -> Connecting<'_> {
        Box::pin(self.open(parent, max_message))
    }

    fn describe(&self) -> String {
        self.addr.clone()
    }
}

/// What a [`MemNet`] does with one message on its way (the simulator's
/// faults and meters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carry {
    /// Delivered after this delay, in order: a message never overtakes one
    /// sent before it on the same link (as on one HTTP/2 stream).
    After(Duration),
    /// Delivered after this delay, then the link is reset: the sender's
    /// unacknowledged messages are sent again on the next link (duplicates).
    ThenReset(Duration),
    /// Lost, and the link with it.
    Reset,
}

/// Decides the fate of each message crossing a [`MemNet`]: a message from
/// `from` to `to` (child to parent, or parent to child).
pub trait Wire: Send + Sync + 'static {
    /// What happens to `msg`.
    fn carry(&self, from: Code, to: Code, msg: &pb::SyncMessage) -> Carry;
}

/// What a node of a [`MemNet`] does with a link from a child: takes the
/// child's certified code and inbound stream, returns its outbound stream.
pub type Acceptor = Arc<dyn Fn(Option<Code>, Inbound) -> Inbound + Send + Sync>;

#[derive(Default)]
struct Net {
    nodes: HashMap<Code, Acceptor>,
    /// Per child: true while its link upwards is cut.
    cuts: HashMap<Code, watch::Sender<bool>>,
    /// Delays, resets and meters (none: every message crosses at once).
    wire: Option<Arc<dyn Wire>>,
}

/// An in-memory network of the nodes of one process.
#[derive(Clone, Default)]
pub struct MemNet(Arc<Mutex<Net>>);

impl MemNet {
    fn net(&self) -> std::sync::MutexGuard<'_, Net> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes `node` reachable: links to it are handed to `accept`.
    pub fn listen(&self, node: Code, accept: Acceptor) {
        self.net().nodes.insert(node, accept);
    }

    /// Takes `node` off the network (links already open stay up).
    pub fn leave(&self, node: Code) {
        self.net().nodes.remove(&node);
    }

    /// A network whose messages cross as `wire` decides.
    pub fn with_wire(wire: Arc<dyn Wire>) -> MemNet {
        let net = MemNet::default();
        net.net().wire = Some(wire);
        net
    }

    /// A connector for the nodes of this network.
    pub fn connector(&self) -> Arc<dyn Connector> {
        Arc::new(self.clone())
    }

    fn cut_flag(&self, child: Code) -> watch::Sender<bool> {
        self.net()
            .cuts
            .entry(child)
            .or_insert_with(|| watch::channel(false).0)
            .clone()
    }

    /// Cuts `child`'s link to its parent: the open link ends and dials fail
    /// until [`MemNet::heal`].
    pub fn cut(&self, child: Code) {
        self.cut_flag(child).send_replace(true);
    }

    /// Lets `child` reach its parent again.
    pub fn heal(&self, child: Code) {
        self.cut_flag(child).send_replace(false);
    }
}

/// One direction of a link: who sends, who receives, and the wire between.
struct Leg {
    from: Code,
    to: Code,
    wire: Option<Arc<dyn Wire>>,
}

/// Forwards `rx` into a new stream until the link is cut or the wire resets it.
fn pipe(mut rx: Inbound, mut cut: watch::Receiver<bool>, leg: Leg) -> Inbound {
    let (tx, out) = mpsc::channel(64);
    tokio::spawn(async move {
        // When the last message sent is due: later ones never overtake it.
        let mut due = tokio::time::Instant::now();
        loop {
            let m = tokio::select! {
                biased; // a cut wins over a message waiting, every time
                _ = async { cut.wait_for(|c| *c).await.is_ok() } => return,
                m = rx.next() => m,
            };
            let Some(m) = m else { return };
            let carry = match (&leg.wire, &m) {
                (Some(w), Ok(msg)) => w.carry(leg.from, leg.to, msg),
                _ => Carry::After(Duration::ZERO),
            };
            let (delay, reset) = match carry {
                Carry::After(d) => (d, false),
                Carry::ThenReset(d) => (d, true),
                Carry::Reset => return,
            };
            if !delay.is_zero() {
                due = due.max(tokio::time::Instant::now() + delay);
                tokio::select! {
                    biased;
                    _ = async { cut.wait_for(|c| *c).await.is_ok() } => return,
                    _ = tokio::time::sleep_until(due) => {}
                }
            }
            if tx.send(m).await.is_err() || reset {
                return;
            }
        }
    });
    Box::pin(ReceiverStream::new(out))
}

impl Connector for MemNet {
    fn connect(&self, node: Code, parent: Code, _max_message: usize) -> Connecting<'_> {
        let flag = self.cut_flag(node);
        let (accept, wire) = {
            let net = self.net();
            (net.nodes.get(&parent).cloned(), net.wire.clone())
        };
        Box::pin(async move {
            if *flag.borrow() {
                return Err(LinkError::Unreachable(format!(
                    "the link {node} → {parent} is cut"
                )));
            }
            let accept = accept.ok_or_else(|| {
                LinkError::Unreachable(format!("no node {parent} on the in-memory network"))
            })?;
            let (tx, rx) = mpsc::channel(64);
            let leg = |from, to| Leg {
                from,
                to,
                wire: wire.clone(),
            };
            let up = pipe(
                Box::pin(ReceiverStream::new(rx).map(Ok)),
                flag.subscribe(),
                leg(node, parent),
            );
            let down = accept(Some(node), up);
            Ok((tx, pipe(down, flag.subscribe(), leg(parent, node))))
        })
    }

    fn describe(&self) -> String {
        "in-memory".into()
    }
}
