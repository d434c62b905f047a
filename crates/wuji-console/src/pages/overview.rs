//! 总览: the node's region, or a region below it, one row per region below
//! with its name, counts and rates; a click drills down, through the tree
//! past the summaries this node holds.

use super::{Frame, problem, render};
use crate::{Console, Viewer};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;
use wuji_division::{Code, embedded};
use wuji_node::figures::{Figures, figures, percent};
use wuji_proto::pb::{self, node_server::Node as _};

/// One row of the table, as shown.
pub struct Row {
    /// The region's code.
    pub code: u32,
    /// Its name (雨花台区).
    pub name: String,
    /// Whether there are regions below it to drill into.
    pub drill: bool,
    /// The figures.
    pub f: Figures,
    /// 办理中.
    pub open: u64,
}

impl Row {
    /// A rate of this row, as shown.
    pub fn pct(&self, r: Option<f64>) -> String {
        percent(r)
    }
}

#[derive(Template)]
#[template(path = "overview.html")]
struct Overview {
    f: Frame,
    l: crate::i18n::Lang,
    title: String,
    trail: Vec<(u32, String)>,
    own: Row,
    below: Vec<Row>,
    links: Vec<(String, bool, u64)>,
    chart: super::chart::Chart,
}

#[derive(Deserialize)]
pub struct RegionQuery {
    region: Option<String>,
}

pub async fn page(
    State(c): State<Arc<Console>>,
    v: Viewer,
    Query(q): Query<RegionQuery>,
) -> Response {
    let l = v.lang;
    let me = c.node.code();
    let region = match q.region.as_deref().filter(|s| !s.is_empty()) {
        None => me,
        Some(s) => match Code::parse(s) {
            Ok(r) if me.contains(r) => r,
            Ok(r) => {
                return problem(
                    l,
                    StatusCode::FORBIDDEN,
                    &format!(
                        "{} ({r}) is not in this node's region",
                        embedded().name_of(r)
                    ),
                );
            }
            Err(e) => return problem(l, StatusCode::BAD_REQUEST, &format!("region {s:?}: {e}")),
        },
    };
    let service = wuji_node::api::status::Service::new(c.node.clone());
    let req = pb::StatusRequest {
        region: if region == me { 0 } else { region.value() },
        depth: 2,
    };
    let r = match service.status(tonic::Request::new(req)).await {
        Ok(r) => r.into_inner(),
        Err(s) => return problem(l, StatusCode::BAD_GATEWAY, s.message()),
    };
    let own = r.own.clone().unwrap_or_default();
    let own_counts = own.counts.iter().map(|(k, v)| (k.clone(), *v)).collect();
    let chart = super::chart::chart(&own_counts, c.node.today(), l);
    let mut all = vec![own];
    // The rows shown are the regions directly below; their own figures need
    // the regions below them too, and nothing deeper (the national node
    // holds the summaries of some 44,000 regions).
    let near = |s: &pb::NodeSummary| {
        let p = Code::from_value(s.code).ok().and_then(|c| c.parent());
        p == Some(region) || p.and_then(|p| p.parent()) == Some(region)
    };
    all.extend(r.below.iter().filter(|s| near(s)).cloned());
    let figs = figures(&all);
    let tree = embedded();
    let mut rows: Vec<Row> = all
        .iter()
        .zip(figs)
        .filter(|(s, _)| {
            s.code == all[0].code
                || Code::from_value(s.code).ok().and_then(|c| c.parent()) == Some(region)
        })
        .map(|(s, f)| {
            let code = Code::from_value(s.code).unwrap_or(me);
            let counts = s.counts.iter().map(|(k, v)| (k.clone(), *v)).collect();
            Row {
                code: s.code,
                name: tree.name_of(code),
                drill: code != region && !tree.children(code).is_empty(),
                open: f.open(&counts),
                f,
            }
        })
        .collect();
    let own = rows.remove(0);
    // Every region directly below is listed, those without a summary yet
    // (nothing written there, or no node running) with zeros.
    for &child in tree.children(region) {
        if !rows.iter().any(|r| r.code == child.value()) {
            rows.push(Row {
                code: child.value(),
                name: tree.name_of(child),
                drill: !tree.children(child).is_empty(),
                f: Figures {
                    code: child.value(),
                    ..Figures::default()
                },
                open: 0,
            });
        }
    }
    rows.sort_by_key(|r| r.code);
    // The way from this node down to the region shown.
    let mut trail = Vec::new();
    let mut at = Some(region);
    while let Some(c) = at {
        trail.push((c.value(), tree.name_of(c)));
        if c == me {
            break;
        }
        at = c.parent();
    }
    trail.reverse();
    // The links are this node's: shown on its own overview only.
    let links = r
        .links
        .iter()
        .filter(|_| region == me)
        .map(|k| {
            let name = Code::from_value(k.peer)
                .map(|c| tree.name_of(c))
                .unwrap_or_else(|_| k.peer.to_string());
            (name, k.connected, k.lag)
        })
        .collect();
    render(
        &Overview {
            f: Frame::new(&c, &v),
            l,
            title: tree.office_of(region),
            trail,
            own,
            below: rows,
            links,
            chart,
        },
        l,
    )
}
