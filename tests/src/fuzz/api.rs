//! The client API target: the real tonic services of a node on an in-memory
//! store, called with requests decoded from the input. The first byte picks
//! the call, the second which record it is about (ids of records made earlier
//! in this process, so workflow steps reach past "not found"), the rest is the
//! request message.

use prost::Message;
use std::sync::{Mutex, OnceLock};
use tonic::Request;
use wuji_node::api::{assignments, deputies, suggestions, supervision};
use wuji_proto::pb::{
    self, assignments_server::Assignments, deputies_server::Deputies,
    suggestions_server::Suggestions, supervision_server::Supervision,
};

struct Api {
    rt: tokio::runtime::Runtime,
    suggestions: suggestions::Service,
    deputies: deputies::Service,
    assignments: assignments::Service,
    supervision: supervision::Service,
    ids: Mutex<Vec<pb::RecordId>>,
}

fn api() -> &'static Api {
    static API: OnceLock<Api> = OnceLock::new();
    API.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let code = wuji_division::Code::parse("320114").expect("code");
        let node = rt
            .block_on(async { wuji_node::Node::in_memory(code, wuji_model::Rules::default()) })
            .expect("node");
        Api {
            rt,
            suggestions: suggestions::Service::new(node.clone()),
            deputies: deputies::Service::new(node.clone()),
            assignments: assignments::Service::new(node.clone()),
            supervision: supervision::Service::new(node),
            ids: Mutex::new(Vec::new()),
        }
    })
}

/// Requests that name a record.
trait WithId {
    fn id_mut(&mut self) -> &mut Option<pb::RecordId>;
}

macro_rules! with_id {
    ($($t:ty),*) => {$(
        impl WithId for $t {
            fn id_mut(&mut self) -> &mut Option<pb::RecordId> {
                &mut self.id
            }
        }
    )*};
}
with_id!(
    pb::Get,
    pb::ChangeStatusRequest,
    pb::AttachRequest,
    pb::PlaceRequest,
    pb::RegisterRequest,
    pb::AssignRequest,
    pb::CoViewRequest,
    pb::ReturnRequest,
    pb::ExtendRequest,
    pb::AnswerRequest,
    pb::FeedbackRequest,
    pb::MergeRequest,
    pb::ForwardRequest,
    pb::SuperviseRequest,
    pb::ReportRequest,
    pb::MilestoneRequest,
    pb::ItemReportRequest
);

/// Decodes the request; puts a known record's id in it unless `pick` is 255.
fn named<T: Message + Default + WithId>(bytes: &[u8], pick: u8) -> Option<T> {
    let mut r = T::decode(bytes).ok()?;
    let ids = api().ids.lock().ok()?;
    if pick != 255 && !ids.is_empty() {
        *r.id_mut() = Some(ids[usize::from(pick) % ids.len()].clone());
    }
    Some(r)
}

fn plain<T: Message + Default>(bytes: &[u8]) -> Option<T> {
    T::decode(bytes).ok()
}

/// Runs one call; a new record's id joins the pool.
pub fn api_request(data: &[u8]) {
    let [call, pick, rest @ ..] = data else {
        return;
    };
    let a = api();
    let (s, d, asg, sup) = (&a.suggestions, &a.deputies, &a.assignments, &a.supervision);
    macro_rules! go {
        ($svc:expr, $m:ident, $req:expr) => {{
            match $req {
                Some(r) => {
                    a.rt.block_on($svc.$m(Request::new(r)))
                        .map(|x| x.into_inner())
                }
                None => return,
            }
        }};
    }
    let reply: Result<pb::RecordReply, tonic::Status> = match call % 34 {
        0 => go!(s, submit, plain::<pb::SubmitRequest>(rest)),
        1 => go!(s, register, named::<pb::RegisterRequest>(rest, *pick)),
        2 => go!(s, assign, named::<pb::AssignRequest>(rest, *pick)),
        3 => go!(s, co_view, named::<pb::CoViewRequest>(rest, *pick)),
        4 => go!(s, return_to_sender, named::<pb::ReturnRequest>(rest, *pick)),
        5 => go!(s, extend, named::<pb::ExtendRequest>(rest, *pick)),
        6 => go!(
            s,
            answer_suggestion,
            named::<pb::AnswerRequest>(rest, *pick)
        ),
        7 => go!(s, feedback, named::<pb::FeedbackRequest>(rest, *pick)),
        8 => go!(s, rehandle, named::<pb::Get>(rest, *pick)),
        9 => go!(s, close, named::<pb::Get>(rest, *pick)),
        10 => go!(s, withdraw, named::<pb::Get>(rest, *pick)),
        11 => go!(s, merge_into, named::<pb::MergeRequest>(rest, *pick)),
        12 => go!(s, escalate, named::<pb::ForwardRequest>(rest, *pick)),
        13 => go!(s, transfer, named::<pb::ForwardRequest>(rest, *pick)),
        14 => go!(s, supervise, named::<pb::SuperviseRequest>(rest, *pick)),
        15 => go!(s, get_suggestion, named::<pb::Get>(rest, *pick)),
        16 => go!(d, enrol, plain::<pb::EnrolRequest>(rest)),
        17 => go!(d, update, plain::<pb::EnrolRequest>(rest)),
        18 => go!(
            d,
            change_status,
            named::<pb::ChangeStatusRequest>(rest, *pick)
        ),
        19 => go!(d, attach, named::<pb::AttachRequest>(rest, *pick)),
        20 => go!(d, place, named::<pb::PlaceRequest>(rest, *pick)),
        21 => go!(d, get_deputy, named::<pb::Get>(rest, *pick)),
        22 => go!(asg, issue_assignment, plain::<pb::IssueRequest>(rest)),
        23 => go!(asg, acknowledge, named::<pb::Get>(rest, *pick)),
        24 => go!(
            asg,
            report_progress,
            named::<pb::ReportRequest>(rest, *pick)
        ),
        25 => go!(asg, get_assignment, named::<pb::Get>(rest, *pick)),
        26 => go!(sup, open_item, plain::<pb::OpenItemRequest>(rest)),
        27 => go!(
            sup,
            confirm_milestone,
            named::<pb::MilestoneRequest>(rest, *pick)
        ),
        28 => go!(
            sup,
            report_on_item,
            named::<pb::ItemReportRequest>(rest, *pick)
        ),
        29 => go!(sup, get_item, named::<pb::Get>(rest, *pick)),
        30 => {
            let _ = go!(
                s,
                list_suggestions,
                plain::<pb::ListSuggestionsRequest>(rest)
            );
            return;
        }
        31 => {
            let _ = go!(d, list_deputies, plain::<pb::ListDeputiesRequest>(rest));
            return;
        }
        32 => {
            let _ = go!(
                asg,
                list_assignments,
                plain::<pb::ListAssignmentsRequest>(rest)
            );
            return;
        }
        _ => {
            let _ = go!(d, import, plain::<pb::ImportRequest>(rest));
            return;
        }
    };
    if let Ok(r) = reply
        && let Some(st) = &r.state
        && let Some(id) = &st.id
        && let Ok(mut ids) = a.ids.lock()
        && ids.len() < 64
        && !ids.contains(id)
    {
        ids.push(id.clone());
    }
}
