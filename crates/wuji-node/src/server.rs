//! The node as a running server: `run(listener, config, shutdown)` opens the
//! store, starts the committer and serves the API, health and reflection until
//! `shutdown` resolves; then it stops accepting, answers every queued write and
//! flushes.

use crate::api;
use crate::commit::{Committed, Committer, Op};
use crate::{Config, Error};
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use wuji_division::Code;
use wuji_model::calendar::Calendar;
use wuji_model::{Record, RecordId, Rules};
use wuji_proto::pb;
use wuji_store::{Layout, SledKv};

/// A handle on a running node, shared by the API services.
#[derive(Clone)]
pub struct Node {
    inner: Arc<Inner>,
}

struct Inner {
    code: Code,
    layout: Layout,
    committer: Committer,
    rules: Rules,
    calendar: Arc<std::sync::RwLock<Calendar>>,
    max_page: u32,
}

impl Node {
    /// A node on an in-memory store with no links and no signing key, for
    /// fuzzing the API services and for tests of pure request handling. Must
    /// be called inside a tokio runtime (it starts the committer).
    pub fn in_memory(code: Code, rules: Rules) -> Result<Node, Error> {
        let layout = Layout::open(Arc::new(wuji_store::MemKv::new()))?;
        let (committer, _task) = Committer::start(
            code,
            layout.clone(),
            rules.clone(),
            Calendar::builtin(),
            60_000,
            64,
            None,
        )?;
        Ok(Node {
            inner: Arc::new(Inner {
                code,
                layout,
                calendar: committer.calendar(),
                committer,
                rules,
                max_page: 1_000,
            }),
        })
    }

    /// This node's code.
    pub fn code(&self) -> Code {
        self.inner.code
    }

    /// The handling rules.
    pub fn rules(&self) -> &Rules {
        &self.inner.rules
    }

    /// The working-day calendar this node fixes deadlines with (it changes
    /// when the national node publishes a year).
    pub fn calendar(&self) -> std::sync::RwLockReadGuard<'_, Calendar> {
        self.inner
            .calendar
            .read()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The store.
    pub fn layout(&self) -> &Layout {
        &self.inner.layout
    }

    /// Largest page size.
    pub fn max_page(&self) -> u32 {
        self.inner.max_page
    }

    /// Submits writes that succeed or fail together; resolves once durable.
    pub async fn write(&self, ops: Vec<Op>) -> Result<Committed, Error> {
        self.inner.committer.submit(ops).await
    }

    /// The current state of a record.
    pub fn read(&self, id: &RecordId) -> Result<Option<Record>, Error> {
        Ok(self.inner.layout.record(id)?.map(|s| s.record))
    }

    /// Records of one kind in key (creation) order after the record key `after`,
    /// filtered by `keep`, up to `limit`; also the last record key read if more may follow.
    pub fn scan_kind(
        &self,
        kind: u8,
        after: Option<Vec<u8>>,
        limit: usize,
        keep: impl Fn(&Record) -> bool,
    ) -> Result<(Vec<Record>, Option<Vec<u8>>), Error> {
        let mut out = Vec::new();
        let mut cursor = after;
        loop {
            let chunk = self.inner.layout.records(&[kind], cursor.as_deref(), 256)?;
            let exhausted = chunk.len() < 256;
            for s in chunk {
                cursor = Some(wuji_store::layout::record_key(&s.record.id).to_vec());
                if keep(&s.record) {
                    out.push(s.record);
                    if out.len() == limit {
                        return Ok((out, cursor));
                    }
                }
            }
            if exhausted {
                return Ok((out, None));
            }
        }
    }

    /// Records under an index prefix after the index key `after`, filtered by
    /// `keep`, up to `limit`; also the last index key read if more may follow.
    pub fn scan(
        &self,
        prefix: &[u8],
        after: Option<Vec<u8>>,
        limit: usize,
        keep: impl Fn(&Record) -> bool,
    ) -> Result<(Vec<Record>, Option<Vec<u8>>), Error> {
        let mut out = Vec::new();
        let mut cursor = after;
        loop {
            let chunk = self
                .inner
                .layout
                .scan_index(prefix, cursor.as_deref(), 256)?;
            let exhausted = chunk.len() < 256;
            for (key, id) in chunk {
                cursor = Some(key);
                if let Some(r) = self.read(&id)?
                    && keep(&r)
                {
                    out.push(r);
                    if out.len() == limit {
                        return Ok((out, cursor));
                    }
                }
            }
            if exhausted {
                return Ok((out, None));
            }
        }
    }
}

/// Runs a node on `listener` until `shutdown` resolves.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    // One crypto provider for the process: ring (a second one would panic).
    let _ = rustls::crypto::ring::default_provider().install_default();
    config.validate()?;
    let code = config.code()?;
    std::fs::create_dir_all(&config.node.data_dir).map_err(|e| {
        Error::Config(format!(
            "cannot create {}: {e}",
            config.node.data_dir.display()
        ))
    })?;
    let kv = SledKv::open(&config.node.data_dir, config.store.cache_mb << 20)?;
    let layout = Layout::open(Arc::new(kv))?;
    check_identity(&layout, code, &config)?;
    let calendar = load_calendar(&config.calendar.dir)?;
    for notice in calendar.notices(crate::commit::today_cst()) {
        tracing::warn!(node = %code, "{notice}");
    }
    let (signer, signing) = match &config.tls {
        Some(t) => {
            let read = |p: &std::path::Path| {
                std::fs::read_to_string(p)
                    .map_err(|e| Error::Config(format!("cannot read {}: {e}", p.display())))
            };
            let bad = |p: &std::path::Path, e: wuji_pki::Error| {
                Error::Config(format!("{}: {e}", p.display()))
            };
            let signer = wuji_pki::SignKey::from_pem(&read(&t.sign_key)?)
                .map_err(|e| bad(&t.sign_key, e))?;
            let cas = wuji_pki::pem_certs(&read(&t.ca)?).map_err(|e| bad(&t.ca, e))?;
            let own = wuji_pki::pem_certs(&read(&t.cert)?)
                .map_err(|e| bad(&t.cert, e))?
                .into_iter()
                .next()
                .ok_or_else(|| Error::Config(format!("{}: no certificate", t.cert.display())))?;
            match wuji_pki::node_key(&own, &cas) {
                Ok((c, public)) if c == code && public == signer.public() => {}
                Ok((c, _)) if c != code => {
                    return Err(Error::Config(format!(
                        "{} is the certificate of {c}, not of this node {code}",
                        t.cert.display()
                    )));
                }
                Ok(_) => {
                    return Err(Error::Config(format!(
                        "{} is not the signing key of {}",
                        t.sign_key.display(),
                        t.cert.display()
                    )));
                }
                Err(e) => return Err(bad(&t.cert, e)),
            }
            let revoked = match &t.crl {
                Some(p) => {
                    let mut serials = Vec::new();
                    for crl in wuji_pki::pem_crls(&read(p)?).map_err(|e| bad(p, e))? {
                        serials.extend(wuji_pki::revoked_serials(&crl).map_err(|e| bad(p, e))?);
                    }
                    serials
                }
                None => Vec::new(),
            };
            let signing = crate::sync::verify::Signing::load(
                &layout,
                cas,
                revoked,
                &own,
                config.sync.verify_signatures,
            )?;
            if !config.sync.verify_signatures {
                tracing::warn!(node = %code, "sync.verify_signatures = false: sections from peers are NOT checked");
            }
            (Some(Arc::new(signer)), Some(signing))
        }
        None => (None, None),
    };
    let (committer, task) = Committer::start(
        code,
        layout.clone(),
        config.rules.clone(),
        calendar.clone(),
        config.clock.max_ahead_ms,
        config.store.max_batch,
        signer,
    )?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Serve(e.to_string()))?;
    let refusals = crate::trust::Refusals::default();
    let tls_files = config.tls.as_ref().map(|t| crate::trust::tls::TlsFiles {
        ca: t.ca.clone(),
        cert: t.cert.clone(),
        key: t.key.clone(),
        crl: t.crl.clone(),
    });
    let server_tls = match &tls_files {
        Some(f) => Some(crate::trust::tls::server_config(f)?),
        None if addr.ip().is_loopback() => {
            tracing::warn!(node = %code, %addr, "PLAINTEXT DEV MODE: no [tls] configured; connections are neither encrypted nor authenticated (allowed on loopback only)");
            None
        }
        None => {
            return Err(Error::Config(format!(
                "{addr} is not a loopback address and no [tls] is configured: set [tls] (wuji ca issue, wuji init --tls-dir) or listen on 127.0.0.1 for development"
            )));
        }
    };
    let children = config
        .sync
        .children
        .iter()
        .map(|c| Code::parse(c).map_err(|e| Error::Config(format!("sync.children: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let (stop_links, stop) = tokio::sync::watch::channel(false);
    let link_ctx = crate::sync::LinkCtx {
        node: code,
        parent: match &config.parent {
            Some(p) => {
                Some(Code::parse(&p.code).map_err(|e| Error::Config(format!("parent.code: {e}")))?)
            }
            None => None,
        },
        layout: layout.clone(),
        committer: committer.clone(),
        max_message: config.api.max_message_bytes,
        stop,
        links: crate::sync::Links::default(),
        tls: tls_files,
        children,
        refusals: refusals.clone(),
        signing,
        narrow_above: config.sync.narrow_above,
    };
    let dialer = match (&config.parent, link_ctx.parent) {
        (Some(p), Some(pc)) => Some(tokio::spawn(crate::sync::dial_parent(
            link_ctx.clone(),
            pc,
            p.addr.clone(),
        ))),
        _ => None,
    };
    let node = Node {
        inner: Arc::new(Inner {
            code,
            layout: layout.clone(),
            calendar: committer.calendar(),
            committer,
            rules: config.rules.clone(),
            max_page: config.api.max_page,
        }),
    };
    tracing::info!(node = %code, level = code.level().en(), %addr, data = %config.node.data_dir.display(), tls = server_tls.is_some(), "node serving");
    if config.parent.is_none() && code != Code::NATIONAL {
        tracing::warn!(node = %code, "no parent configured: this node does not sync upwards");
    }

    let limit = config.api.max_message_bytes;
    let (health_reporter, health) = tonic_health::server::health_reporter();
    macro_rules! service {
        ($server:ident, $svc:ty) => {{
            health_reporter.set_serving::<$server<$svc>>().await;
            $server::new(<$svc>::new(node.clone()))
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit)
        }};
    }
    use pb::assignments_server::AssignmentsServer;
    use pb::deputies_server::DeputiesServer;
    use pb::suggestions_server::SuggestionsServer;
    use pb::supervision_server::SupervisionServer;
    let deputies = service!(DeputiesServer, api::deputies::Service);
    let suggestions = service!(SuggestionsServer, api::suggestions::Service);
    let assignments = service!(AssignmentsServer, api::assignments::Service);
    let supervision = service!(SupervisionServer, api::supervision::Service);
    use pb::node_server::NodeServer;
    health_reporter
        .set_serving::<NodeServer<api::status::Service>>()
        .await;
    let status = NodeServer::new(api::status::Service::new(
        node.clone(),
        link_ctx.links.clone(),
        refusals.clone(),
        server_tls.is_some(),
    ));
    use pb::sync_server::SyncServer;
    health_reporter
        .set_serving::<SyncServer<crate::sync::SyncService>>()
        .await;
    let sync = SyncServer::new(crate::sync::SyncService::new(link_ctx.clone()))
        .max_decoding_message_size(limit)
        .max_encoding_message_size(limit);
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(wuji_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| Error::Serve(e.to_string()))?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(wuji_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .map_err(|e| Error::Serve(e.to_string()))?;

    let served = tonic::transport::Server::builder()
        .layer(crate::trust::access::AccessLayer::new(
            code,
            refusals.clone(),
        ))
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(deputies)
        .add_service(suggestions)
        .add_service(assignments)
        .add_service(supervision)
        .add_service(sync)
        .add_service(status)
        .serve_with_incoming_shutdown(
            crate::trust::tls::incoming(listener, server_tls, refusals),
            async move {
                shutdown.await;
                // Open link streams would keep the server waiting: end them now.
                let _ = stop_links.send(true);
            },
        )
        .await;
    // Take no more writes: dropping the last committer handle lets it answer
    // what is queued and stop.
    if let Some(d) = dialer {
        let _ = d.await;
    }
    drop(link_ctx);
    drop(node);
    let _ = task.await;
    layout.kv().flush()?;
    tracing::info!(node = %code, "node stopped; store flushed");
    served.map_err(|e| Error::Serve(e.to_string()))
}

/// Refuses a data directory that belongs to another node; records this node's
/// identity in a new one.
fn check_identity(layout: &Layout, code: Code, config: &Config) -> Result<(), Error> {
    match layout.meta(b"identity")? {
        Some(v) if v == code.to_string().as_bytes() => Ok(()),
        Some(v) => Err(Error::Config(format!(
            "{} holds the store of node {}, not {code}: point data_dir elsewhere",
            config.node.data_dir.display(),
            String::from_utf8_lossy(&v)
        ))),
        None => {
            let mut b = wuji_store::Batch::default();
            layout.put_meta(&mut b, b"identity", code.to_string().into_bytes());
            layout.kv().apply(b)?;
            layout.kv().flush()?;
            Ok(())
        }
    }
}

/// The shipped holiday calendars plus every `YEAR.toml` in `dir` (a missing
/// directory means the shipped ones alone); a bad file stops the start.
fn load_calendar(dir: &std::path::Path) -> Result<Calendar, Error> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        tracing::info!(dir = %dir.display(), "no holiday directory: the shipped calendars only");
        return Ok(Calendar::builtin());
    };
    let mut files = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().is_some_and(|x| x == "toml") {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
            let name = e.file_name().to_string_lossy().into_owned();
            files.push((name, text));
        }
    }
    let cal = Calendar::with_files(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .map_err(|e| Error::Config(format!("{}: {e}", dir.display())))?;
    let years: Vec<i16> = cal.years().collect();
    tracing::info!(dir = %dir.display(), ?years, "holiday calendars loaded");
    Ok(cal)
}
