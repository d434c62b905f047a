//! 督办 and 民生实事: the supervision items this node holds, each with its
//! 督办方式, lead supervisor, the regions it covers, a progress bar and its
//! milestones; an operator of the supervising node confirms a milestone, an
//! operator of a covered node reports on the item.

use super::{Frame, refusal};
use crate::i18n::Lang;
use crate::{Console, Viewer};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use wuji_node::names;
use wuji_proto::pb::{self, supervision_server::Supervision as _};

/// One milestone as shown.
pub struct Milestone {
    /// Its number in the item.
    pub n: u32,
    /// 标题 and 权重.
    pub title: String,
    /// Whether it is done.
    pub done: bool,
}

/// One item as shown.
pub struct Item {
    /// `HOME:UUID`.
    pub id: String,
    /// 标题.
    pub title: String,
    /// 督办方式 in the page language.
    pub mode: String,
    /// The supervising office.
    pub by: String,
    /// 领衔督办 (the lead supervisor).
    pub lead: String,
    /// The regions it covers, by name.
    pub covers: String,
    /// Progress in permille, and as text.
    pub permille: u32,
    /// `37.5%`.
    pub progress: String,
    /// Its milestones.
    pub milestones: Vec<Milestone>,
    /// Whether this node supervises it (confirms milestones).
    pub ours: bool,
    /// Whether this node is covered (reports on it).
    pub covered: bool,
    /// Reports so far.
    pub reports: String,
}

impl Item {
    /// The bar's filled width of 160 pixels.
    fn bar(&self) -> u32 {
        self.permille.min(1000) * 160 / 1000
    }
}

fn item(v: &BTreeMap<String, String>, me: &str, l: Lang) -> Item {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let progress = g("progress");
    let permille = progress
        .trim_end_matches('%')
        .parse::<f64>()
        .map(|p| (p * 10.0).round() as u32)
        .unwrap_or(0);
    // N:TITLE(WEIGHT):open|done, one per milestone.
    let milestones = g("milestones")
        .split(';')
        .filter_map(|m| {
            let (n, rest) = m.split_once(':')?;
            let (title, state) = rest.rsplit_once(':')?;
            Some(Milestone {
                n: n.parse().ok()?,
                title: title.to_string(),
                done: state == "done",
            })
        })
        .collect();
    let mode = g("mode");
    Item {
        id: g("id"),
        title: g("title"),
        mode: if l.en() {
            mode.replace('_', " ")
        } else {
            names::term(&mode).to_string()
        },
        by: names::office(&g("home")),
        lead: g("lead_supervisor"),
        covers: names::value("covers", &g("covers"), l.en(), false).unwrap_or_default(),
        permille,
        progress,
        milestones,
        ours: g("home") == me,
        covered: g("covers").split(',').any(|c| c == me),
        reports: g("reports"),
    }
}

#[derive(Template)]
#[template(path = "supervision.html")]
struct Page {
    f: Frame,
    l: Lang,
    items: Vec<Item>,
    operator: bool,
    message: String,
}

async fn show(c: &Console, v: &Viewer, message: String) -> Response {
    let l = v.lang;
    let me = c.node.code().value().to_string();
    let s = wuji_node::api::supervision::Service::new(c.node.clone());
    let req = pb::ListItemsRequest {
        page: Some(pb::Page {
            limit: c.node.max_page(),
            after: String::new(),
        }),
    };
    let (items, message) = match s.list_items(tonic::Request::new(req)).await {
        Ok(r) => (
            r.into_inner()
                .records
                .iter()
                .map(|r| item(&r.view, &me, l))
                .collect(),
            message,
        ),
        Err(e) => (vec![], refusal(l, &e)),
    };
    super::render_refused(
        &Page {
            f: Frame::new(c, v),
            l,
            items,
            operator: v.operator(),
            message: message.clone(),
        },
        l,
        &message,
    )
}

/// The page.
pub async fn page(State(c): State<Arc<Console>>, v: Viewer) -> Response {
    show(&c, &v, String::new()).await
}

/// 确认 a milestone, or 报告 on the item.
#[derive(Deserialize)]
pub struct StepForm {
    csrf: String,
    step: String,
    #[serde(default)]
    milestone: u32,
    #[serde(default)]
    text: String,
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
    let s = wuji_node::api::supervision::Service::new(c.node.clone());
    let done = match f.step.as_str() {
        "confirm" => {
            s.confirm_milestone(tonic::Request::new(pb::MilestoneRequest {
                id: rid,
                milestone: f.milestone,
            }))
            .await
        }
        "report" => {
            s.report_on_item(tonic::Request::new(pb::ItemReportRequest {
                id: rid,
                text: f.text.trim().into(),
                done: vec![],
            }))
            .await
        }
        other => return super::unknown_step(l, other),
    };
    match super::logged(&c, &v, &f.step, &id, &done) {
        None => Redirect::to(&format!("/supervision#{id}")).into_response(),
        Some(message) => show(&c, &v, message).await,
    }
}
