//! The routes and the pages that are not about the data: login, logout, the
//! language switch and the style sheet.

mod assignments;
mod chart;
mod deputies;
mod duty;
mod export;
pub use export::workbook;
mod inbox;
mod overview;
mod record;
mod suggestions;
mod supervision;

use crate::i18n::{self, Lang};
use crate::session;
use crate::{Console, PageLang, Viewer};
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::sync::Arc;

/// Every route of the console.
pub fn routes(console: Arc<Console>) -> axum::Router {
    axum::Router::new()
        .route("/", get(overview::page))
        .route("/inbox", get(inbox::page))
        .route("/deputies", get(deputies::page))
        .route("/duty", get(duty::duty))
        .route("/promises", get(duty::promises))
        .route("/supervision", get(supervision::page))
        .route("/supervision/{id}", post(supervision::act))
        .route("/assignments", get(assignments::page))
        .route("/assignments/{id}", post(assignments::act))
        .route("/suggestions", get(suggestions::page))
        .route("/suggestions.xlsx", get(export::download))
        .route("/suggestions/{id}", get(record::page).post(record::act))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/lang", get(lang))
        .route("/static/console.css", get(css))
        .fallback(not_found)
        .layer(axum::middleware::map_response(crate::harden))
        .with_state(console)
}

/// Percent-encodes `s` for a query value.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where to go after logging in: a path of this console only.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.into(),
        _ => "/".into(),
    }
}

/// What every page's frame shows: the node, the account, the switches.
pub struct Frame {
    /// The page language.
    pub l: Lang,
    /// The node's office (南京市人大常委会).
    pub office: String,
    /// The account's name.
    pub user: String,
    /// Its role, in the page language.
    pub role: &'static str,
    /// The session's form token.
    pub csrf: String,
    /// The other language's code and name.
    pub other: (&'static str, &'static str),
}

impl Frame {
    fn new(c: &Console, v: &Viewer) -> Frame {
        Frame {
            l: v.lang,
            office: wuji_division::embedded().office_of(c.node.code()),
            user: v.session.name.clone(),
            role: v.lang.t(v.session.role.zh()),
            csrf: v.session.csrf.clone(),
            other: v.lang.other(),
        }
    }
}

/// A page, or the page that says why it failed.
pub fn render(t: &impl Template, l: Lang) -> Response {
    match t.render() {
        Ok(s) => Html(s).into_response(),
        Err(e) => problem(l, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// A page that shows a refusal above its forms: 422 when `message` says one.
pub fn render_refused(t: &impl Template, l: Lang, message: &str) -> Response {
    let mut r = render(t, l);
    if !message.is_empty() && r.status().is_success() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

#[derive(Template)]
#[template(path = "problem.html")]
struct Problem<'a> {
    l: Lang,
    message: &'a str,
}

/// A plain page with a message (a refusal, a failure), with `status`.
pub fn problem(l: Lang, status: StatusCode, message: &str) -> Response {
    let body = Problem { l, message }
        .render()
        .unwrap_or_else(|_| message.to_string());
    (status, Html(body)).into_response()
}

/// A refusal of a service as a person reads it: the rule and its message,
/// in Chinese on a Chinese page.
pub fn refusal(l: Lang, s: &tonic::Status) -> String {
    match wuji_proto::error_detail(s) {
        Some(d) if !l.en() && !d.message_zh.is_empty() => format!("{}（{}）", d.message_zh, d.rule),
        Some(d) => format!("{} ({})", d.message, d.rule),
        None => s.message().to_string(),
    }
}

/// Deputies' names by person id as this node holds them (a suggestion
/// names its 领衔 and 附议 deputies by id); an id not held stays as it is.
pub async fn deputy_names(
    c: &Console,
    ids: Vec<String>,
) -> std::collections::BTreeMap<String, String> {
    use wuji_proto::pb::deputies_server::Deputies as _;
    let service = wuji_node::api::deputies::Service::new(c.node.clone());
    let mut out = std::collections::BTreeMap::new();
    for id in ids {
        if id.is_empty() || out.contains_key(&id) {
            continue;
        }
        let req = wuji_proto::pb::ListDeputiesRequest {
            person_id: id.clone(),
            page: Some(wuji_proto::pb::Page {
                limit: 1,
                after: String::new(),
            }),
            ..Default::default()
        };
        let name = match service.list_deputies(tonic::Request::new(req)).await {
            Ok(r) => r
                .into_inner()
                .records
                .first()
                .and_then(|d| d.view.get("name").cloned())
                .filter(|n| !n.is_empty()),
            Err(_) => None,
        };
        out.insert(id.clone(), name.unwrap_or(id));
    }
    out
}

/// Replaces each person id in `ids` by the deputy's name.
pub async fn name_deputies(c: &Console, ids: Vec<&mut String>) {
    let wanted: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    let names = deputy_names(c, wanted).await;
    for s in ids {
        if let Some(n) = names.get(s.as_str()) {
            *s = n.clone();
        }
    }
}

/// What every step's form passes before it is taken: the session's own
/// token, a same-site origin, an operator account, and a record id in the
/// address; or the page that refuses it, nothing done.
pub fn step_guard(
    v: &Viewer,
    headers: &HeaderMap,
    csrf: &str,
    id: &str,
) -> Result<Option<wuji_proto::pb::RecordId>, Box<Response>> {
    let l = v.lang;
    if foreign_origin(headers) || !session::same(csrf, &v.session.csrf) {
        return Err(Box::new(problem(
            l,
            StatusCode::FORBIDDEN,
            l.t("表单已过期或来自别处，请刷新后重试。"),
        )));
    }
    if !v.operator() {
        return Err(Box::new(problem(
            l,
            StatusCode::FORBIDDEN,
            l.t("查阅账号不能办理。"),
        )));
    }
    match record::record_id(id) {
        Ok(r) => Ok(Some(r)),
        Err(e) => Err(Box::new(problem(l, StatusCode::BAD_REQUEST, &e))),
    }
}

/// A step's outcome in the log: who took which step on which record, and
/// the refusal if there was one; the refusal as shown, if any.
pub fn logged<T>(
    c: &Console,
    v: &Viewer,
    step: &str,
    id: &str,
    done: &Result<T, tonic::Status>,
) -> Option<String> {
    match done {
        Ok(_) => {
            tracing::info!(node = %c.node.code(), account = %v.session.name, step, record = %id, "console step");
            None
        }
        Err(e) => {
            tracing::info!(node = %c.node.code(), account = %v.session.name, step, record = %id, refused = %e.message(), "console step refused");
            Some(refusal(v.lang, e))
        }
    }
}

/// The page for a step not known to a form.
pub fn unknown_step(l: Lang, step: &str) -> Response {
    problem(
        l,
        StatusCode::BAD_REQUEST,
        &format!("unknown step {step:?}"),
    )
}

async fn not_found(PageLang(l): PageLang) -> Response {
    problem(l, StatusCode::NOT_FOUND, l.t("没有这一页。"))
}

async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../templates/console.css"),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "login.html")]
struct Login<'a> {
    l: Lang,
    office: String,
    next: &'a str,
    message: &'a str,
    other: (&'static str, &'static str),
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

async fn login_page(
    State(c): State<Arc<Console>>,
    PageLang(l): PageLang,
    Query(q): Query<Next>,
) -> Response {
    let next = local_path(q.next.as_deref());
    render(
        &Login {
            l,
            office: wuji_division::embedded().office_of(c.node.code()),
            next: &next,
            message: "",
            other: l.other(),
        },
        l,
    )
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    next: Option<String>,
}

/// A POST whose `Origin` names another site is refused (with SameSite=Strict
/// cookies and the forms' tokens, the third guard against forgery).
fn foreign_origin(headers: &HeaderMap) -> bool {
    let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) else {
        return false;
    };
    let bare = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .unwrap_or(origin);
    bare != host
}

async fn login(
    State(c): State<Arc<Console>>,
    PageLang(l): PageLang,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    if foreign_origin(&headers) {
        return problem(l, StatusCode::FORBIDDEN, "cross-site request refused");
    }
    let accounts = c.accounts.get();
    let (name, password) = (f.name.trim().to_string(), f.password);
    let role = tokio::task::spawn_blocking(move || accounts.check(&name, &password))
        .await
        .ok()
        .flatten();
    let next = local_path(f.next.as_deref());
    match role {
        Some(role) => {
            let token = c.sessions.open(f.name.trim(), role);
            tracing::info!(node = %c.node.code(), account = %f.name.trim(), role = role.en(), "console login");
            let secure = if c.tls { "; Secure" } else { "" };
            (
                [(
                    header::SET_COOKIE,
                    format!(
                        "{}={token}; Path=/; HttpOnly; SameSite=Strict{secure}",
                        c.cookie
                    ),
                )],
                Redirect::to(&next),
            )
                .into_response()
        }
        None => {
            tracing::warn!(node = %c.node.code(), account = %f.name.trim(), "console login refused");
            // A wrong guess costs a second.
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            let mut r = render(
                &Login {
                    l,
                    office: wuji_division::embedded().office_of(c.node.code()),
                    next: &next,
                    message: l.t("用户名或密码不对。"),
                    other: l.other(),
                },
                l,
            );
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            r
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(c): State<Arc<Console>>,
    v: Viewer,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !session::same(&f.csrf, &v.session.csrf) {
        return problem(v.lang, StatusCode::FORBIDDEN, "form token does not match");
    }
    if let Some(t) = headers
        .get(header::COOKIE)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| session::cookie(h, &c.cookie))
    {
        c.sessions.close(t);
    }
    (
        [(
            header::SET_COOKIE,
            format!(
                "{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict",
                c.cookie
            ),
        )],
        Redirect::to("/login"),
    )
        .into_response()
}

#[derive(Deserialize)]
struct LangQuery {
    to: String,
    back: Option<String>,
}

async fn lang(Query(q): Query<LangQuery>) -> Response {
    let v = if q.to == "en" { "en" } else { "zh" };
    (
        [(
            header::SET_COOKIE,
            format!(
                "{}={v}; Path=/; Max-Age=31536000; SameSite=Strict",
                i18n::COOKIE
            ),
        )],
        Redirect::to(&local_path(q.back.as_deref())),
    )
        .into_response()
}
