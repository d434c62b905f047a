//! 建议: the suggestions this node holds, with the CLI's filters (status,
//! 交办机关, category, region, overdue, dates) and paging, each row a link to
//! its record page.

use super::{Frame, encode, problem, refusal, render};
use crate::i18n::Lang;
use crate::{Console, Viewer};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use wuji_division::{Code, embedded};
use wuji_node::names;
use wuji_proto::pb::{self, suggestions_server::Suggestions as _};

/// The statuses a list can be filtered by, as the API names them.
pub const STATUSES: &[(&str, &str)] = &[
    ("submitted", "待登记"),
    ("registered", "已登记"),
    ("assigned", "办理中"),
    ("awaiting_reassignment", "待重新交办"),
    ("answered", "已答复"),
    ("awaiting_rehandling", "待重办"),
    ("closed", "已办结"),
    ("withdrawn", "已撤回"),
    ("merged", "已并案"),
];

/// The filters of a list, as the form sends them.
#[derive(Deserialize, Default, Clone)]
pub struct Filters {
    #[serde(default)]
    status: String,
    #[serde(default)]
    handler: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    after: String,
}

impl Filters {
    /// The API's request for one page of the list from `after`.
    pub fn request(&self, after: String, limit: u32) -> Result<pb::ListSuggestionsRequest, String> {
        let code = |field: &str, s: &str| -> Result<u32, String> {
            if s.trim().is_empty() {
                return Ok(0);
            }
            Code::parse(s.trim())
                .map(|c| c.value())
                .map_err(|e| format!("{field} {s:?}: {e}"))
        };
        Ok(pb::ListSuggestionsRequest {
            status: if self.status.is_empty() {
                vec![]
            } else {
                vec![self.status.clone()]
            },
            handler: code("handler", &self.handler)?,
            category: self.category.trim().to_string(),
            area: code("area", &self.area)?,
            overdue_only: !self.overdue.is_empty(),
            from: self.from.clone(),
            to: self.to.clone(),
            page: Some(pb::Page { limit, after }),
            ..Default::default()
        })
    }

    /// The query string of these filters without the page token.
    fn query(&self) -> String {
        [
            ("status", &self.status),
            ("handler", &self.handler),
            ("category", &self.category),
            ("area", &self.area),
            ("overdue", &self.overdue),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// One row of the list, as shown.
pub struct Item {
    /// `HOME:UUID`, the record page's address.
    pub id: String,
    /// 编号 at the handler, if registered.
    pub number: String,
    /// 标题.
    pub title: String,
    /// 领衔代表.
    pub lead: String,
    /// 类别.
    pub category: String,
    /// The status in the page language.
    pub status: String,
    /// 承办机关 (the handler's office).
    pub handler: String,
    /// 办理单位 with roles.
    pub units: String,
    /// 办理期限.
    pub deadline: String,
    /// Whether it is overdue.
    pub overdue: bool,
    /// 提出日期.
    pub submitted: String,
}

impl Item {
    /// A list row of a record's view.
    pub fn of(v: &BTreeMap<String, String>, l: Lang) -> Item {
        let g = |k: &str| v.get(k).cloned().unwrap_or_default();
        Item {
            id: g("id"),
            number: g("number"),
            title: g("title"),
            lead: g("lead"),
            category: g("category"),
            status: status_label(&g("status"), l),
            handler: names::office(&g("handler")),
            units: names::units(&g("units"), l.en()),
            deadline: g("deadline"),
            overdue: g("overdue") == "true",
            submitted: g("submitted_on"),
        }
    }
}

/// A status key (`awaiting_rehandling`) in the page language.
pub fn status_label(key: &str, l: Lang) -> String {
    match STATUSES.iter().find(|(k, _)| *k == key) {
        Some((k, _)) if l.en() => k.replace('_', " "),
        Some((_, zh)) => zh.to_string(),
        None => key.to_string(),
    }
}

#[derive(Template)]
#[template(path = "suggestions.html")]
struct List {
    f: Frame,
    l: Lang,
    q: Filters,
    statuses: Vec<(&'static str, String)>,
    handlers: Vec<(u32, String)>,
    areas: Vec<(u32, String)>,
    items: Vec<Item>,
    next: String,
    message: String,
}

/// The list page.
pub async fn page(State(c): State<Arc<Console>>, v: Viewer, Query(q): Query<Filters>) -> Response {
    let l = v.lang;
    let req = match q.request(q.after.clone(), 50) {
        Ok(r) => r,
        Err(e) => return problem(l, StatusCode::BAD_REQUEST, &e),
    };
    let service = wuji_node::api::suggestions::Service::new(c.node.clone());
    let (items, next, message) = match service.list_suggestions(tonic::Request::new(req)).await {
        Ok(r) => {
            let r = r.into_inner();
            let mut items: Vec<Item> = r.records.iter().map(|rec| Item::of(&rec.view, l)).collect();
            super::name_deputies(&c, items.iter_mut().map(|i| &mut i.lead).collect()).await;
            (items, r.next, String::new())
        }
        Err(s) => (vec![], String::new(), refusal(l, &s)),
    };
    // The handlers a list can name: this node and the congresses below it.
    let me = c.node.code();
    let tree = embedded();
    let mut handlers = vec![(me.value(), tree.office_of(me))];
    handlers.extend(
        tree.children(me)
            .iter()
            .map(|c| (c.value(), tree.office_of(*c))),
    );
    let areas = tree
        .children(me)
        .iter()
        .map(|c| (c.value(), tree.name_of(*c)))
        .collect();
    let statuses = STATUSES
        .iter()
        .map(|(k, _)| (*k, status_label(k, l)))
        .collect();
    let mut r = render(
        &List {
            f: Frame::new(&c, &v),
            l,
            q,
            statuses,
            handlers,
            areas,
            items,
            next,
            message: message.clone(),
        },
        l,
    );
    if !message.is_empty() {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    r
}
