//! 代表: the roster of this congress, the deputies of higher congresses
//! placed here, or every deputy held for the region below, in roster order
//! (按姓氏笔画), by group; no personal contact fields.

use super::{Frame, encode, refusal, render};
use crate::i18n::Lang;
use crate::{Console, Viewer};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use wuji_division::{Code, embedded};
use wuji_proto::pb::{self, deputies_server::Deputies as _};

/// The page's filters.
#[derive(Deserialize, Default)]
pub struct Filters {
    /// `own` (this congress), `placed` (higher congresses' deputies placed
    /// here) or `all` (every deputy held for the region).
    #[serde(default)]
    scope: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    after: String,
}

/// One deputy as shown.
pub struct Row {
    name: String,
    gender: &'static str,
    congress: String,
    term: String,
    unit: String,
    group: String,
    station: String,
    status: String,
    here: String,
}

fn row(v: &BTreeMap<String, String>, me: Code, l: Lang) -> Row {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let tree = embedded();
    let congress = Code::parse(&g("home"))
        .map(|c| tree.name_of(c))
        .unwrap_or_default();
    // How this node's place holds the deputy: station/grid/group here.
    let here = g("placements")
        .split(';')
        .find_map(|p| p.strip_prefix(&format!("{me}:")))
        .map(|p| {
            p.split('/')
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .unwrap_or_default();
    let unit = if g("delegation").is_empty() {
        g("electoral_unit")
    } else {
        g("delegation")
    };
    Row {
        name: g("name"),
        gender: match g("gender").as_str() {
            "male" => l.t("男"),
            "female" => l.t("女"),
            _ => "",
        },
        congress,
        term: g("term"),
        unit,
        group: g("group"),
        station: g("station"),
        status: if l.en() {
            g("status").replace('_', " ")
        } else {
            g("status_zh")
        },
        here,
    }
}

#[derive(Template)]
#[template(path = "deputies.html")]
struct Page {
    f: Frame,
    l: Lang,
    scope: String,
    group: String,
    rows: Vec<Row>,
    next: String,
    message: String,
}

/// The page.
pub async fn page(State(c): State<Arc<Console>>, v: Viewer, Query(q): Query<Filters>) -> Response {
    let l = v.lang;
    let me = c.node.code();
    let scope = match q.scope.as_str() {
        "placed" | "all" => q.scope.clone(),
        _ => "own".to_string(),
    };
    let req = pb::ListDeputiesRequest {
        level: if scope == "own" {
            u32::from(me.level().depth()) + 1
        } else {
            0
        },
        area: me.value(),
        group: q.group.trim().to_string(),
        page: Some(pb::Page {
            limit: 100,
            after: q.after.clone(),
        }),
        ..Default::default()
    };
    let d = wuji_node::api::deputies::Service::new(c.node.clone());
    let mine = me.value().to_string();
    let (rows, next, message) = match d.list_deputies(tonic::Request::new(req)).await {
        Ok(r) => {
            let r = r.into_inner();
            let rows = r
                .records
                .iter()
                .filter(|r| {
                    let g = |k: &str| r.view.get(k).map(String::as_str).unwrap_or("");
                    match scope.as_str() {
                        "own" => g("home") == mine,
                        "placed" => {
                            g("home") != mine && g("attached").split(',').any(|a| a == mine)
                        }
                        _ => true,
                    }
                })
                .map(|r| row(&r.view, me, l))
                .collect();
            (rows, r.next, String::new())
        }
        Err(e) => (vec![], String::new(), refusal(l, &e)),
    };
    render(
        &Page {
            f: Frame::new(&c, &v),
            l,
            scope,
            group: q.group,
            rows,
            next,
            message,
        },
        l,
    )
}

impl Page {
    /// The address of the next page.
    fn next_url(&self) -> String {
        format!(
            "/deputies?scope={}&group={}&after={}",
            self.scope,
            encode(&self.group),
            self.next
        )
    }
}
