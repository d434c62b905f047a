//! 交办: assignments received by this node, with 签收 and 报告 for an
//! operator; and those it issued, with each target's state.

use super::{Frame, refusal};
use crate::i18n::Lang;
use crate::{Console, Viewer};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::sync::Arc;
use wuji_node::names;
use wuji_proto::pb::{self, assignments_server::Assignments as _};

/// One assignment as shown.
pub struct Shown {
    /// `HOME:UUID`.
    pub id: String,
    /// 标题.
    pub title: String,
    /// 内容.
    pub text: String,
    /// The issuing office.
    pub from: String,
    /// 完成期限.
    pub due: String,
    /// 下发日期.
    pub issued: String,
    /// Each target's name and state, in the page language.
    pub targets: Vec<(String, String)>,
    /// This node's own state, when it is a target (`pending`, ...).
    pub mine: String,
    /// The same in the page language.
    pub mine_label: String,
    /// Done of all targets.
    pub done: String,
}

/// A response state key in the page language (`pending` → 待签收).
fn state(key: &str, l: Lang) -> String {
    if l.en() {
        key.to_string()
    } else {
        names::term(key).to_string()
    }
}

fn shown(v: &std::collections::BTreeMap<String, String>, me: &str, l: Lang) -> Shown {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let responses = g("responses");
    let of = |code: &str| {
        responses
            .split(',')
            .find_map(|p| p.strip_prefix(&format!("{code}:")))
            .unwrap_or("pending")
            .to_string()
    };
    Shown {
        id: g("id"),
        title: g("title"),
        text: g("text"),
        from: names::office(&g("home")),
        due: g("due_on"),
        issued: g("issued_on"),
        targets: g("targets")
            .split(',')
            .filter(|t| !t.is_empty())
            .map(|t| (names::place(t), state(&of(t), l)))
            .collect(),
        mine: of(me),
        mine_label: state(&of(me), l),
        done: g("done"),
    }
}

#[derive(Template)]
#[template(path = "assignments.html")]
struct Page {
    f: Frame,
    l: Lang,
    received: Vec<Shown>,
    issued: Vec<Shown>,
    operator: bool,
    message: String,
}

async fn show(c: &Console, v: &Viewer, message: String) -> Response {
    let l = v.lang;
    let me = c.node.code().value().to_string();
    let a = wuji_node::api::assignments::Service::new(c.node.clone());
    let mut lists = Vec::new();
    let mut problems = message;
    for issued in [false, true] {
        let req = pb::ListAssignmentsRequest {
            issued,
            page: Some(pb::Page {
                limit: c.node.max_page(),
                after: String::new(),
            }),
        };
        match a.list_assignments(tonic::Request::new(req)).await {
            Ok(r) => lists.push(
                r.into_inner()
                    .records
                    .iter()
                    .map(|r| shown(&r.view, &me, l))
                    .collect::<Vec<_>>(),
            ),
            Err(e) => {
                problems = refusal(l, &e);
                lists.push(Vec::new());
            }
        }
    }
    let issued = lists.pop().unwrap_or_default();
    let received = lists.pop().unwrap_or_default();
    super::render_refused(
        &Page {
            f: Frame::new(c, v),
            l,
            received,
            issued,
            operator: v.operator(),
            message: problems.clone(),
        },
        l,
        &problems,
    )
}

/// The page.
pub async fn page(State(c): State<Arc<Console>>, v: Viewer) -> Response {
    show(&c, &v, String::new()).await
}

/// 签收 or 报告 of a received assignment.
#[derive(Deserialize)]
pub struct StepForm {
    csrf: String,
    step: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    done: String,
}

/// Takes the step; back to the page, or the page with the refusal.
pub async fn act(
    State(c): State<Arc<Console>>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Response {
    let l = v.lang;
    let rid = match super::step_guard(&v, &headers, &f.csrf, &id) {
        Ok(r) => r,
        Err(page) => return *page,
    };
    let a = wuji_node::api::assignments::Service::new(c.node.clone());
    let done = match f.step.as_str() {
        "acknowledge" => {
            a.acknowledge(tonic::Request::new(pb::Get { id: rid }))
                .await
        }
        "report" => {
            a.report_progress(tonic::Request::new(pb::ReportRequest {
                id: rid,
                text: f.text.trim().into(),
                done: !f.done.is_empty(),
            }))
            .await
        }
        other => return super::unknown_step(l, other),
    };
    match super::logged(&c, &v, &f.step, &id, &done) {
        None => Redirect::to(&format!("/assignments#{id}")).into_response(),
        Some(message) => show(&c, &v, message).await,
    }
}
