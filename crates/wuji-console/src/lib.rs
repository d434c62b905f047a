//! The offices' console: web pages served by every node on its own listener
//! (`[console]`), over HTTPS with the node's certificate, rendered on the
//! server from the same API the CLI calls, Chinese first. Nothing of the data
//! is shown without logging in to an account of the node's accounts file.

pub mod accounts;
mod error;
pub mod i18n;
mod pages;
pub mod session;
mod tls;

pub use error::Error;
/// The 代表建议办理情况汇总表 workbook of a list of suggestion views (the
/// console's download; `wuji suggestion list --xlsx` writes the same).
pub use pages::workbook as summary_workbook;

use accounts::Role;
use axum::extract::FromRequestParts;
use axum::http::{HeaderValue, header, request::Parts};
use axum::response::{IntoResponse, Redirect, Response};
use i18n::Lang;
use session::{Session, Sessions};
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use wuji_node::{Config, Node};

/// What every page handler shares.
pub struct Console {
    node: Node,
    accounts: accounts::Live,
    sessions: Sessions,
    tls: bool,
    /// The session cookie's name (per node).
    cookie: String,
}

/// The console of `config` as a sidecar of its node, its listener bound and
/// its accounts file read; none when `[console]` is not enabled.
pub async fn sidecar(config: &Config) -> Result<Option<wuji_node::Sidecar>, Error> {
    let c = &config.console;
    if !c.enabled {
        return Ok(None);
    }
    let listener = TcpListener::bind(&c.listen).await.map_err(|e| {
        Error::Refused(format!(
            "console.listen = {}: cannot listen there: {e}",
            c.listen
        ))
    })?;
    let addr = listener.local_addr()?;
    let tls = match &config.tls {
        Some(t) => Some(
            wuji_node::trust::tls::console_server_config(
                &t.into(),
                Arc::new(rustls::crypto::ring::default_provider()),
            )
            .map_err(|e| Error::Refused(format!("console TLS: {e}")))?,
        ),
        None if addr.ip().is_loopback() => None,
        None => {
            return Err(Error::Refused(format!(
                "console.listen = {addr}: without [tls] the console serves plain HTTP on loopback only"
            )));
        }
    };
    let accounts = accounts::Live::open(c.accounts.clone())?;
    let path = c.accounts.clone();
    let code = config.code();
    Ok(Some(Box::new(move |node, stopped| {
        Box::pin(async move {
            let n = accounts.get().accounts.len();
            let scheme = if tls.is_some() { "https" } else { "http" };
            tracing::info!(node = %code, url = %format!("{scheme}://{addr}/"), accounts = n, file = %path.display(), "console serving");
            if n == 0 {
                tracing::warn!(node = %code, file = %path.display(), "console: no accounts yet; add one with `wuji console account add`");
            }
            if tls.is_none() {
                tracing::warn!(node = %code, %addr, "console: PLAIN HTTP (no [tls]), loopback only");
            }
            if let Err(e) = serve(listener, tls, node, accounts, stopped).await {
                tracing::error!(node = %code, error = %e, "console stopped");
            }
        })
    })))
}

/// Serves the console of `node` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    node: Node,
    accounts: accounts::Live,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let cookie = session::cookie_name(node.code());
    let console = Arc::new(Console {
        node,
        accounts,
        sessions: Sessions::default(),
        tls: tls.is_some(),
        cookie,
    });
    let app = pages::routes(console);
    match tls {
        Some(cfg) => {
            axum::serve(tls::TlsListener::new(listener, cfg)?, app)
                .with_graceful_shutdown(shutdown)
                .await?
        }
        None => {
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await?
        }
    }
    Ok(())
}

/// The logged-in account of a request, and its language; a request without
/// one is sent to the login page and shown nothing.
pub struct Viewer {
    /// The session.
    pub session: Session,
    /// The page language.
    pub lang: Lang,
}

impl Viewer {
    /// Whether the account may act at this node.
    pub fn operator(&self) -> bool {
        self.session.role == Role::Operator
    }
}

fn cookies(parts: &Parts) -> &str {
    parts
        .headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

impl FromRequestParts<Arc<Console>> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        console: &Arc<Console>,
    ) -> Result<Viewer, Response> {
        let c = cookies(parts);
        let lang = Lang::from_cookies(c);
        let session = session::cookie(c, &console.cookie).and_then(|t| console.sessions.get(t));
        match session {
            // An account removed since the login is logged out.
            Some(s) if console.accounts.get().find(&s.name).map(|a| a.role) == Some(s.role) => {
                Ok(Viewer { session: s, lang })
            }
            _ => {
                let back = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                Err(Redirect::to(&format!("/login?next={}", pages::encode(back))).into_response())
            }
        }
    }
}

/// The language of a request without a session (the login page).
pub struct PageLang(pub Lang);

impl FromRequestParts<Arc<Console>> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &Arc<Console>,
    ) -> Result<PageLang, std::convert::Infallible> {
        Ok(PageLang(Lang::from_cookies(cookies(parts))))
    }
}

/// The headers every page carries: no caching of data, no framing, no
/// scripts or styles from elsewhere.
pub async fn harden(mut res: Response) -> Response {
    let h = res.headers_mut();
    for (k, v) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    res
}
