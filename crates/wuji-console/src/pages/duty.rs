//! 履职档案 and 承诺事项: a deputy of this congress, the year's activities
//! and points under this congress's rules against its yearly targets; and the
//! promise ledger this node holds (as handler or as the deputy's congress),
//! the overdue entries on request. Read through the same services as the API.

use super::{Frame, encode, refusal, render};
use crate::i18n::Lang;
use crate::{Console, Viewer};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;
use wuji_division::{Code, embedded};
use wuji_proto::pb::{
    self, activities_server::Activities as _, suggestions_server::Suggestions as _,
};

/// The duty page's question.
#[derive(Deserialize, Default)]
pub struct DutyQuery {
    #[serde(default)]
    person: String,
    #[serde(default)]
    year: String,
}

/// A kind's line of the report.
pub struct KindRow {
    kind: String,
    activities: u32,
    points: u32,
    target: String,
}

/// An activity as listed.
pub struct ActRow {
    kind: String,
    date: String,
    title: String,
    place: String,
    points: String,
    organiser: String,
}

#[derive(Template)]
#[template(path = "duty.html")]
struct DutyPage {
    f: Frame,
    l: Lang,
    person: String,
    year: String,
    who: String,
    total: String,
    kinds: Vec<KindRow>,
    acts: Vec<ActRow>,
    message: String,
}

fn office(code: &str) -> String {
    Code::parse(code)
        .map(|c| embedded().office_of(c))
        .unwrap_or_else(|_| code.to_string())
}

/// 履职档案.
pub async fn duty(
    State(c): State<Arc<Console>>,
    v: Viewer,
    Query(q): Query<DutyQuery>,
) -> Response {
    let l = v.lang;
    let person = q.person.trim().to_string();
    let year = q.year.trim().parse::<i32>().unwrap_or(0);
    let mut page = DutyPage {
        f: Frame::new(&c, &v),
        l,
        person: person.clone(),
        year: if year == 0 {
            String::new()
        } else {
            year.to_string()
        },
        who: String::new(),
        total: String::new(),
        kinds: vec![],
        acts: vec![],
        message: String::new(),
    };
    if !person.is_empty() {
        let s = wuji_node::api::activities::Service::new(c.node.clone());
        let req = pb::DutyReportRequest {
            person_id: person.clone(),
            year,
        };
        match s.get_duty_report(tonic::Request::new(req)).await {
            Ok(r) => {
                let r = r.into_inner();
                page.year = r.year.to_string();
                page.who = if r.name.is_empty() {
                    r.person_id.clone()
                } else {
                    format!("{}（{}）", r.name, r.person_id)
                };
                page.total = if l.en() {
                    format!(
                        "{}: activities {}, points {}",
                        r.year, r.activities, r.points
                    )
                } else {
                    format!(
                        "{}年度：活动 {} 次，积分 {}",
                        r.year, r.activities, r.points
                    )
                };
                page.kinds = r
                    .kinds
                    .iter()
                    .map(|k| KindRow {
                        kind: if l.en() {
                            k.kind.clone()
                        } else {
                            k.kind_zh.clone()
                        },
                        activities: k.activities,
                        points: k.points,
                        target: match k.target {
                            0 => String::new(),
                            t if k.activities >= t => format!("{t} ✓"),
                            t => format!("{t} {}", l.t("（未完成）")),
                        },
                    })
                    .collect();
                page.acts = r
                    .records
                    .iter()
                    .map(|rec| {
                        let g = |k: &str| rec.view.get(k).cloned().unwrap_or_default();
                        ActRow {
                            kind: if l.en() { g("kind") } else { g("kind_zh") },
                            date: g("held_on"),
                            title: g("title"),
                            place: g("place"),
                            points: g("points"),
                            organiser: office(&g("home")),
                        }
                    })
                    .collect();
            }
            Err(e) => page.message = refusal(l, &e),
        }
    }
    render(&page, l)
}

/// The ledger page's filter.
#[derive(Deserialize, Default)]
pub struct LedgerQuery {
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    after: String,
}

/// A ledger entry as listed.
pub struct PromiseRow {
    number: u32,
    text: String,
    unit: String,
    due: String,
    state: String,
    overdue: bool,
    keeper: String,
    title: String,
    link: String,
}

#[derive(Template)]
#[template(path = "promises.html")]
struct LedgerPage {
    f: Frame,
    l: Lang,
    overdue: bool,
    rows: Vec<PromiseRow>,
    next: String,
    message: String,
}

impl LedgerPage {
    /// The address of the next page.
    fn next_url(&self) -> String {
        format!(
            "/promises?overdue={}&after={}",
            if self.overdue { "1" } else { "" },
            encode(&self.next)
        )
    }
}

fn state_label(l: Lang, s: &str) -> &'static str {
    match s {
        "pending" => l.t("未落实"),
        "in_progress" => l.t("落实中"),
        "done" => l.t("已落实"),
        _ => "",
    }
}

/// 答复承诺事项台账.
pub async fn promises(
    State(c): State<Arc<Console>>,
    v: Viewer,
    Query(q): Query<LedgerQuery>,
) -> Response {
    let l = v.lang;
    let overdue = !q.overdue.is_empty();
    let s = wuji_node::api::suggestions::Service::new(c.node.clone());
    let req = pb::ListPromisesRequest {
        overdue,
        page: Some(pb::Page {
            limit: 100,
            after: q.after.clone(),
        }),
    };
    let (rows, next, message) = match s.list_promises(tonic::Request::new(req)).await {
        Ok(r) => {
            let r = r.into_inner();
            let rows = r
                .entries
                .iter()
                .map(|e| {
                    let id = e
                        .suggestion
                        .as_ref()
                        .and_then(|s| {
                            Some(format!(
                                "{}:{}",
                                s.home,
                                wuji_model::Uuid::from_slice(&s.uuid).ok()?
                            ))
                        })
                        .unwrap_or_default();
                    PromiseRow {
                        number: e.number,
                        text: e.text.clone(),
                        unit: e.unit.clone(),
                        due: e.due_on.clone(),
                        state: state_label(l, &e.state).to_string(),
                        overdue: e.overdue,
                        keeper: office(&e.keeper.to_string()),
                        title: e.title.clone(),
                        link: format!("/suggestions/{}", encode(&id)),
                    }
                })
                .collect();
            (rows, r.next, String::new())
        }
        Err(e) => (vec![], String::new(), refusal(l, &e)),
    };
    render(
        &LedgerPage {
            f: Frame::new(&c, &v),
            l,
            overdue,
            rows,
            next,
            message,
        },
        l,
    )
}
