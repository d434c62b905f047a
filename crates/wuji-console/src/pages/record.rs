//! A suggestion's page: what it asks, who handles it, its answers and
//! rating, the whole 办理过程 timeline; and for an operator of this node the
//! next steps of the day's work (登记, 交办, 答复, 反馈, 办结) through the same
//! services and model rules as the API, a refusal shown with its rule.

use super::{Frame, problem, refusal};
use crate::i18n::Lang;
use crate::{Console, Viewer};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use wuji_division::Code;
use wuji_node::names::{self, Step};
use wuji_proto::pb::{self, suggestions_server::Suggestions as _};

/// A record id from the page address `HOME:UUID`.
pub(super) fn record_id(s: &str) -> Result<pb::RecordId, String> {
    let bad = || format!("{s:?} is not a record id HOME:UUID");
    let (home, uuid) = s.split_once(':').ok_or_else(bad)?;
    let home = Code::parse(home).map_err(|e| format!("{s:?}: {e}"))?;
    let uuid = wuji_model::Uuid::parse_str(uuid).map_err(|_| bad())?;
    Ok(pb::RecordId {
        kind: 0,
        home: home.value(),
        uuid: uuid.as_bytes().to_vec(),
    })
}

/// The steps an operator may take now, by the record's status and where it
/// is handled; the model has the last word.
#[derive(Default)]
pub struct Steps {
    register: bool,
    assign: bool,
    answer: bool,
    feedback: bool,
    close: bool,
}

impl Steps {
    fn any(&self) -> bool {
        self.register || self.assign || self.answer || self.feedback || self.close
    }
}

#[derive(Template)]
#[template(path = "record.html")]
struct Page {
    f: Frame,
    l: Lang,
    id: String,
    title: String,
    fields: Vec<(&'static str, String)>,
    text: String,
    timeline: Vec<Step>,
    steps: Steps,
    message: String,
    /// What a refused form said, filled in again.
    k: StepForm,
}

/// The labelled fields of a view, in the page language, those with a value.
fn fields(v: &BTreeMap<String, String>, l: Lang) -> Vec<(&'static str, String)> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let en = l.en();
    let status = super::suggestions::status_label(&g("status"), l);
    let overdue = if g("overdue") == "true" {
        format!(" {}", l.t("超期"))
    } else {
        String::new()
    };
    let class = match (g("answer_class"), g("answer_scheme")) {
        (c, _) if c.is_empty() => String::new(),
        (c, _) if en => c,
        (c, s) => names::class_label(&s, &c),
    };
    let rated = match g("rating").as_str() {
        "" => String::new(),
        r if en => r.to_string(),
        r => names::term(r).to_string(),
    };
    // The kind of one record (the nav's 建议 is "Suggestions", a list).
    let (zh, english) = match g("kind").as_str() {
        "bill_proposal" => ("议案", "bill proposal"),
        "citizen_opinion" => ("群众意见", "citizen's opinion"),
        "" => ("", ""),
        _ => ("建议", "suggestion"),
    };
    let kind = if en { english } else { zh };
    let all: Vec<(&'static str, String)> = vec![
        ("编号", g("number")),
        ("记录号", g("id")),
        ("种类", kind.to_string()),
        ("状态", status),
        ("类别", g("category")),
        ("领衔代表", g("lead")),
        ("附议代表", g("cosigners").replace(',', "、")),
        (
            "提出时间",
            names::value("during_session", &g("during_session"), en, false)
                .map(|s| format!("{} {s}", g("submitted_on")))
                .unwrap_or_else(|| g("submitted_on")),
        ),
        ("提出机关", names::office(&g("home"))),
        ("交办机关", names::office(&g("handler"))),
        ("承办单位", names::units(&g("units"), en)),
        ("办理期限", format!("{}{overdue}", g("deadline"))),
        ("办理轮次", g("round")),
        ("答复类别", class),
        ("答复单位", g("answer_unit")),
        ("答复内容", g("answer_text")),
        ("承诺事项", g("promises").replace(';', "；")),
        ("代表评价", rated),
        (
            "督办",
            names::value("supervision", &g("supervision"), en, false).unwrap_or_default(),
        ),
        (
            "办理经过",
            names::value("chain", &g("chain"), en, false).unwrap_or_default(),
        ),
    ];
    all.into_iter()
        .filter(|(_, v)| !v.trim().is_empty() && v != "0")
        .collect()
}

/// The page of a record as read at this node, with `message` above the forms.
async fn show(c: &Console, v: &Viewer, id: &str, message: String, k: StepForm) -> Response {
    let l = v.lang;
    let rid = match record_id(id) {
        Ok(r) => r,
        Err(e) => return problem(l, StatusCode::BAD_REQUEST, &e),
    };
    let service = wuji_node::api::suggestions::Service::new(c.node.clone());
    let rec = match service
        .get_suggestion(tonic::Request::new(pb::Get { id: Some(rid) }))
        .await
    {
        Ok(r) => r.into_inner(),
        Err(s) if s.code() == tonic::Code::NotFound => {
            return problem(l, StatusCode::NOT_FOUND, l.t("本节点没有这条建议。"));
        }
        Err(s) => return problem(l, StatusCode::BAD_GATEWAY, &refusal(l, &s)),
    };
    // Deputies by name, not person id.
    let mut view = rec.view.clone();
    let mut lead = view.get("lead").cloned().unwrap_or_default();
    let mut cosigners: Vec<String> = view
        .get("cosigners")
        .map(|s| {
            s.split(',')
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut ids = vec![&mut lead];
    ids.extend(cosigners.iter_mut());
    super::name_deputies(c, ids).await;
    view.insert("lead".into(), lead);
    view.insert("cosigners".into(), cosigners.join(","));
    let view = &view;
    let me = c.node.code().value().to_string();
    let at_handler = view.get("handler") == Some(&me);
    let at_home = view.get("home") == Some(&me);
    let status = view.get("status").map(String::as_str).unwrap_or("");
    let steps = if v.operator() {
        Steps {
            register: at_handler && status == "submitted",
            assign: at_handler && matches!(status, "registered" | "awaiting_reassignment"),
            answer: at_handler && matches!(status, "assigned" | "awaiting_rehandling"),
            feedback: at_home && status == "answered",
            close: at_handler && status == "answered",
        }
    } else {
        Steps::default()
    };
    let timeline = view
        .get("history")
        .map(|h| {
            h.lines()
                .filter_map(|line| names::history_step(line, l.en(), true))
                .collect()
        })
        .unwrap_or_default();
    super::render_refused(
        &Page {
            f: Frame::new(c, v),
            l,
            id: id.to_string(),
            title: view.get("title").cloned().unwrap_or_default(),
            fields: fields(view, l),
            text: view.get("text").cloned().unwrap_or_default(),
            timeline,
            steps,
            message: message.clone(),
            k,
        },
        l,
        &message,
    )
}

/// The record page.
pub async fn page(State(c): State<Arc<Console>>, v: Viewer, Path(id): Path<String>) -> Response {
    show(&c, &v, &id, String::new(), StepForm::default()).await
}

/// A step's form: which step, and every field any step may carry.
#[derive(Deserialize, Default)]
pub struct StepForm {
    csrf: String,
    step: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    lead: String,
    #[serde(default)]
    co: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    class: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    promises: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
}

/// Text fields that list several values: one per line, or separated by
/// `、`, `，` or `,`.
fn several(s: &str) -> Vec<String> {
    s.split(['\n', '、', '，', ',', '；', ';'])
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

/// Takes a step of the day's work on the record; back to its page, or the
/// page again with the refusal.
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
    let s = wuji_node::api::suggestions::Service::new(c.node.clone());

    let done = match f.step.as_str() {
        "register" => {
            s.register(tonic::Request::new(pb::RegisterRequest {
                id: rid,
                number: f.number.trim().into(),
            }))
            .await
        }
        "assign" => {
            let mut units: Vec<pb::Unit> = several(&f.lead)
                .into_iter()
                .map(|name| pb::Unit { name, role: 0 })
                .collect();
            units.extend(
                several(&f.co)
                    .into_iter()
                    .map(|name| pb::Unit { name, role: 1 }),
            );
            s.assign(tonic::Request::new(pb::AssignRequest { id: rid, units }))
                .await
        }
        "answer" => {
            let class = match f.class.as_str() {
                "A" => 0,
                "B" => 1,
                "C" => 2,
                "D" => 3,
                _ => -1,
            };
            s.answer_suggestion(tonic::Request::new(pb::AnswerRequest {
                id: rid,
                unit: f.unit.trim().into(),
                class,
                text: f.text.trim().into(),
                promises: several(&f.promises),
            }))
            .await
        }
        "feedback" => {
            let rating = match f.rating.as_str() {
                "satisfied" => 2,
                "basic" => 1,
                "dissatisfied" => 0,
                _ => -1,
            };
            s.feedback(tonic::Request::new(pb::FeedbackRequest {
                id: rid,
                rating,
                comment: f.comment.trim().into(),
                ..Default::default()
            }))
            .await
        }
        "close" => s.close(tonic::Request::new(pb::Get { id: rid })).await,
        other => return super::unknown_step(l, other),
    };
    match super::logged(&c, &v, &f.step, &id, &done) {
        None => Redirect::to(&format!("/suggestions/{id}")).into_response(),
        Some(message) => show(&c, &v, &id, message, f).await,
    }
}
