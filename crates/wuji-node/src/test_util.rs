//! The one set of helpers shared by the tests of every crate (feature
//! `test-util`): record ids from their printed form, waiting for a condition,
//! digests over gRPC, link contexts and greetings for driving the link engine
//! by hand, and a committer over any store.

use crate::sync::{LinkConf, LinkCtx};
use crate::{Committer, CommitterParts, Op, Telemetry};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::transport::Channel;
use wuji_division::Code;
use wuji_proto::pb;
use wuji_store::{Kv, Layout};

/// How long [`eventually`] waits: long enough for a loaded 2-core machine.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A record id from its printed form `HOME:UUID`.
pub fn rid(s: &str) -> Option<pb::RecordId> {
    let (home, uuid) = s.split_once(':').expect("HOME:UUID");
    Some(pb::RecordId {
        kind: 0,
        home: home.parse().expect("a numeric home"),
        uuid: uuid::Uuid::parse_str(uuid)
            .expect("a UUID")
            .as_bytes()
            .to_vec(),
    })
}

/// Waits (up to [`PATIENCE`]) until `f` holds; fails the test naming `what`.
pub async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + PATIENCE;
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// (records, digest) of the records of `kind` homed in `scope`, at the node behind `ch`.
pub async fn digest_of(ch: &Channel, scope: u32, kind: pb::RecordKind) -> (u64, Vec<u8>) {
    digest_for(ch, scope, kind, false).await
}

/// [`digest_of`], or (`for_parent`) of what the node's parent is entitled to.
pub async fn digest_for(
    ch: &Channel,
    scope: u32,
    kind: pb::RecordKind,
    for_parent: bool,
) -> (u64, Vec<u8>) {
    let r = pb::sync_client::SyncClient::new(ch.clone())
        .digest(pb::DigestRequest {
            scope,
            kind: kind as i32,
            for_parent,
        })
        .await
        .expect("the digest call")
        .into_inner();
    (r.records, r.digest)
}

/// (records, digest) of the suggestions whose origin lies in `scope`.
pub async fn digest(ch: &Channel, scope: u32) -> (u64, Vec<u8>) {
    digest_of(ch, scope, pb::RecordKind::Suggestion).await
}

/// The context of a link of `node` (plaintext, no signatures), for driving
/// the link engine over in-memory channels; and the sender that stops it.
pub fn link_ctx(
    node: Code,
    parent: Option<Code>,
    layout: Layout,
    committer: Committer,
) -> (LinkCtx, tokio::sync::watch::Sender<bool>) {
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let ctx = LinkCtx {
        conf: LinkConf {
            keep_alive: crate::sync::state::KEEP_ALIVE,
            check_every: crate::sync::state::CHECK_EVERY,
            node,
            parent,
            children: Vec::new(),
            narrow_above: 1_000,
            horizon: Default::default(),
        },
        layout,
        committer,
        max_message: 4 << 20,
        stop,
        telemetry: Telemetry::default(),
        clock: Arc::new(crate::clock::SystemClock),
        signing: None,
        drill: Default::default(),
    };
    (ctx, stop_tx)
}

/// A greeting as a peer `node` whose parent is `parent` sends it.
pub fn hello(node: u32, parent: u32) -> pb::SyncMessage {
    pb::SyncMessage {
        msg: Some(pb::sync_message::Msg::Hello(pb::Hello {
            protocol_version: wuji_proto::PROTOCOL_VERSION,
            min_protocol_version: 1,
            node,
            parent,
            resume_from: 0,
            software: "test".into(),
            incarnation: vec![1],
            resume_incarnation: Vec::new(),
            last_seq: 0,
            horizon: wuji_model::routing::Horizon::default().to_wire(),
            now_ms: 0,
        })),
    }
}

/// A committer of `node` over `kv` (no signing key, the system clock), and its layout.
pub fn start_committer(node: Code, kv: Arc<dyn Kv>) -> (Layout, Committer) {
    let layout = Layout::open(kv).expect("a store");
    let (committer, _task) = Committer::start(CommitterParts {
        node,
        layout: layout.clone(),
        rules: wuji_model::Rules::default(),
        calendar: wuji_model::calendar::Calendar::builtin(),
        clock: Arc::new(crate::clock::SystemClock),
        max_ahead_ms: 60_000,
        max_batch: 64,
        signer: None,
        broken_merge: false,
        horizon: Default::default(),
        parent: None,
        adopted: Vec::new(),
        telemetry: Default::default(),
    })
    .expect("the committer");
    (layout, committer)
}

/// A local write submitting a new suggestion titled `title` at `node`, led by
/// the deputy `P-1`.
pub fn new_suggestion(node: Code, title: &str) -> Op {
    use wuji_model::suggestion::workflow::{self, Draft};
    let id = wuji_model::RecordId {
        kind: wuji_model::RecordKind::Suggestion,
        home: node,
        uuid: uuid::Uuid::now_v7(),
    };
    let draft = Draft {
        lead: "P-1".into(),
        title: title.into(),
        text: "x".into(),
        ..Draft::default()
    };
    Op::new(id, move |ctx, _| Ok(workflow::submit(ctx, id, &draft)?))
}

/// A suggestion submitted at `home`, titled `title`, stamped at UTC `ms`
/// (a peer's record as it would arrive on a link).
pub fn submitted_at(home: Code, title: &str, ms: u64) -> wuji_model::Record {
    use wuji_model::suggestion::workflow::{self, Draft};
    let (rules, cal) = (
        wuji_model::Rules::default(),
        wuji_model::calendar::Calendar::builtin(),
    );
    let ctx = wuji_model::Ctx {
        node: home,
        at: wuji_crdt::Stamp::new(
            wuji_crdt::Hlc(ms << 16),
            wuji_crdt::WriterId::new(home.value(), 0),
        ),
        today: crate::clock::cst_date(ms),
        rules: &rules,
        calendar: &cal,
    };
    let id = wuji_model::RecordId {
        kind: wuji_model::RecordKind::Suggestion,
        home,
        uuid: uuid::Uuid::now_v7(),
    };
    let draft = wuji_model::suggestion::workflow::Draft {
        lead: "P-1".into(),
        title: title.into(),
        text: "x".into(),
        ..Draft::default()
    };
    workflow::submit(&ctx, id, &draft).expect("a valid submission")
}

/// The parent's end of a link driven by hand from a test: `parent`'s
/// committer on a fresh in-memory store and its link engine, already greeted
/// by `child`.
pub struct ParentEnd {
    /// The parent's store.
    pub layout: Layout,
    /// The parent's committer.
    pub committer: Committer,
    /// The link's telemetry.
    pub telemetry: Telemetry,
    /// What the child sends.
    pub to_parent: tokio::sync::mpsc::Sender<pb::SyncMessage>,
    /// What the parent answers.
    pub from_parent: tokio_stream::wrappers::ReceiverStream<pb::SyncMessage>,
    /// The link engine's task.
    pub link: tokio::task::JoinHandle<Result<(), crate::Error>>,
    /// Ends the link when dropped or sent `true`: keep it for the test.
    pub stop: tokio::sync::watch::Sender<bool>,
}

/// Starts `parent`'s end of a link and greets it as `child`.
pub async fn parent_end(parent: Code, child: Code) -> ParentEnd {
    parent_end_with(parent, hello(child.value(), parent.value())).await
}

/// Starts `parent`'s end of a link and greets it with `greeting` (a hello
/// kept from an older version, say), which it must answer in kind.
pub async fn parent_end_with(parent: Code, greeting: pb::SyncMessage) -> ParentEnd {
    use tokio_stream::StreamExt;
    let (layout, committer) = start_committer(parent, Arc::new(wuji_store::MemKv::new()));
    let (ctx, stop) = link_ctx(parent, None, layout.clone(), committer.clone());
    let telemetry = ctx.telemetry.clone();
    let (to_child, from_parent) = tokio::sync::mpsc::channel(256);
    let (to_parent, from_child) = tokio::sync::mpsc::channel::<pb::SyncMessage>(256);
    let inbound = tokio_stream::wrappers::ReceiverStream::new(from_child).map(Ok::<_, String>);
    let link = tokio::spawn(crate::sync::run_link(
        ctx,
        crate::sync::Role::Parent { certified: None },
        to_child,
        inbound,
    ));
    let mut from_parent = tokio_stream::wrappers::ReceiverStream::new(from_parent);
    to_parent.send(greeting).await.expect("the link is open");
    let first = from_parent.next().await.expect("an answer");
    assert!(
        matches!(first.msg, Some(pb::sync_message::Msg::Hello(_))),
        "the parent answers the greeting"
    );
    ParentEnd {
        layout,
        committer,
        telemetry,
        to_parent,
        from_parent,
        link,
        stop,
    }
}

/// The first of `n` consecutive free loopback ports, below the kernel's
/// ephemeral range. A port inside it may be taken between a node's exit and
/// its restart by an outgoing connection's source port: a client redialling
/// the node it waits for can even connect to itself there (TCP simultaneous
/// open), and the restarted node then cannot listen.
pub fn free_ports(n: u16) -> u16 {
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32_768);
    let (from, span) = (10_000u64, u64::from(low.saturating_sub(10_000 + n).max(1)));
    // Parallel tests start from different places.
    let mut x = u64::from(std::process::id())
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos().into())
            .unwrap_or(0);
    for _ in 0..500 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let base = (from + x % span) as u16;
        if (0..n).all(|i| std::net::TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no {n} free ports in a row below {low}");
}

/// Copies the directory `from` (a store, say) to `to`, recursively.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("a directory");
    for e in std::fs::read_dir(from).expect("a readable directory") {
        let e = e.expect("an entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("a file type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("a copy");
        }
    }
}

/// A watcher of the change feed at `ch` from `cursor` ("" now, "0" the start)
/// for records of `kinds`, with a heartbeat a second.
pub async fn watch(ch: &Channel, cursor: &str, kinds: &[&str]) -> tonic::Streaming<pb::WatchEvent> {
    pb::feed_client::FeedClient::new(ch.clone())
        .watch(pb::WatchRequest {
            cursor: cursor.into(),
            kinds: kinds.iter().map(|k| k.to_string()).collect(),
            heartbeat_seconds: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}
