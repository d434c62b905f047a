//! 待办: what waits for this node, each with the step it waits for —
//! suggestions it handles (those escalated or transferred to it marked),
//! answers its deputies have not rated yet, assignments received and not
//! yet 签收 or 报告; 临期 (within 15 days) and 超期 first.

use super::suggestions::Item;
use super::{Frame, refusal, render};
use crate::i18n::Lang;
use crate::{Console, Viewer};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use std::sync::Arc;
use wuji_model::Date;
use wuji_node::names;
use wuji_proto::pb::{
    self, assignments_server::Assignments as _, suggestions_server::Suggestions as _,
};

/// One thing to do.
pub struct Todo {
    /// The suggestion, as a list row.
    pub item: Item,
    /// The step it waits for, in the page language.
    pub step: &'static str,
    /// Where it came from when not raised here (上报/转办 from below).
    pub from: String,
    /// 超期, 临期 or nothing.
    pub urgency: &'static str,
}

/// An assignment received, and what it waits for.
pub struct Received {
    /// `HOME:UUID`.
    pub id: String,
    /// 标题.
    pub title: String,
    /// The issuing office.
    pub from: String,
    /// 完成期限.
    pub due: String,
    /// The step it waits for.
    pub step: &'static str,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct Inbox {
    f: Frame,
    l: Lang,
    todo: Vec<Todo>,
    received: Vec<Received>,
    more: bool,
    message: String,
}

/// 临期 or 超期 of a deadline as of `today`, the summaries' rule: overdue
/// past it, due soon within 15 days.
fn urgency(deadline: &str, overdue: bool, today: Date) -> &'static str {
    if overdue {
        return "超期";
    }
    let soon = today
        .checked_add(jiff::Span::new().days(15))
        .unwrap_or(today);
    match deadline.parse::<Date>() {
        Ok(d) if d >= today && d <= soon => "临期",
        _ => "",
    }
}

/// The page.
pub async fn page(State(c): State<Arc<Console>>, v: Viewer) -> Response {
    let l = v.lang;
    let me = c.node.code();
    let today = c.node.today();
    let page = Some(pb::Page {
        limit: c.node.max_page(),
        after: String::new(),
    });
    let s = wuji_node::api::suggestions::Service::new(c.node.clone());
    let mut message = String::new();
    let mut more = false;
    // Handled here, and answered here-raised ones waiting for the rating.
    let mut recs = Vec::new();
    for req in [
        pb::ListSuggestionsRequest {
            handler: me.value(),
            page: page.clone(),
            ..Default::default()
        },
        pb::ListSuggestionsRequest {
            status: vec!["answered".into()],
            area: me.value(),
            page: page.clone(),
            ..Default::default()
        },
    ] {
        match s.list_suggestions(tonic::Request::new(req)).await {
            Ok(r) => {
                let r = r.into_inner();
                more |= !r.next.is_empty();
                recs.extend(r.records);
            }
            Err(e) => message = refusal(l, &e),
        }
    }
    let mine = me.value().to_string();
    let mut seen = std::collections::BTreeSet::new();
    let mut todo: Vec<Todo> = recs
        .iter()
        .filter(|r| seen.insert(r.view.get("id").cloned()))
        .filter_map(|r| {
            let g = |k: &str| r.view.get(k).map(String::as_str).unwrap_or("");
            let here = g("handler") == mine;
            let home = g("home") == mine;
            let step = match g("status") {
                "submitted" if here => "待登记",
                "registered" if here => "待交办",
                "awaiting_reassignment" if here => "待重新交办",
                "assigned" if here => "待答复",
                "awaiting_rehandling" if here => "待重新办理",
                "answered" if home => "待反馈",
                "answered" if here => "待办结",
                _ => return None,
            };
            let from = if here && !home {
                names::office(g("home"))
            } else {
                String::new()
            };
            Some(Todo {
                // The summaries' rule: a deadline runs while it is 办理中.
                urgency: if g("status") == "assigned" {
                    urgency(g("deadline"), g("overdue") == "true", today)
                } else {
                    ""
                },
                item: Item::of(&r.view, l),
                step,
                from,
            })
        })
        .collect();
    super::name_deputies(&c, todo.iter_mut().map(|t| &mut t.item.lead).collect()).await;
    // 超期 first, then 临期, then by deadline.
    let rank = |u: &str| match u {
        "超期" => 0,
        "临期" => 1,
        _ => 2,
    };
    todo.sort_by(|a, b| {
        (
            rank(a.urgency),
            a.item.deadline.is_empty(),
            &a.item.deadline,
        )
            .cmp(&(
                rank(b.urgency),
                b.item.deadline.is_empty(),
                &b.item.deadline,
            ))
    });

    let a = wuji_node::api::assignments::Service::new(c.node.clone());
    let mut received = Vec::new();
    match a
        .list_assignments(tonic::Request::new(pb::ListAssignmentsRequest {
            issued: false,
            page,
        }))
        .await
    {
        Ok(r) => {
            let r = r.into_inner();
            more |= !r.next.is_empty();
            for rec in r.records {
                let g = |k: &str| rec.view.get(k).cloned().unwrap_or_default();
                let state = g("responses")
                    .split(',')
                    .find_map(|p| p.strip_prefix(&format!("{mine}:")).map(str::to_string))
                    .unwrap_or_else(|| "pending".into());
                let step = match state.as_str() {
                    "pending" => "待签收",
                    "acknowledged" | "reported" => "待报告",
                    _ => continue,
                };
                received.push(Received {
                    id: g("id"),
                    title: g("title"),
                    from: names::office(&g("home")),
                    due: g("due_on"),
                    step,
                });
            }
        }
        Err(e) => message = refusal(l, &e),
    }
    render(
        &Inbox {
            f: Frame::new(&c, &v),
            l,
            todo,
            received,
            more,
            message,
        },
        l,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_soon_is_within_fifteen_days_and_overdue_wins() {
        let today = Date::constant(2026, 12, 1);
        assert_eq!(urgency("2026-12-16", false, today), "临期");
        assert_eq!(urgency("2026-12-17", false, today), "");
        assert_eq!(urgency("2026-11-30", true, today), "超期");
        assert_eq!(urgency("", false, today), "");
    }
}
