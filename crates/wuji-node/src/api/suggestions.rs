//! The `Suggestions` service: every step of a suggestion's handling, get, and
//! list by status, handler, category, area, overdue and date range.

use super::{Source, code, date, get, id, list, new_id, reply, step, write_one};
use crate::index;
use crate::{Error, Node, Op};
use tonic::{Request, Response, Status};
use wuji_crdt::{Hlc, Stamp, WriterId};
use wuji_model::deputy::DeputyStatus;
use wuji_model::suggestion::view::{self, Status as S};
use wuji_model::suggestion::workflow::{self as wf, Draft};
use wuji_model::suggestion::{
    AnswerClass, AnswerRef, HandlingUnit, Satisfaction, SuggestionKind, SupervisionMode, UnitRole,
};
use wuji_model::{Record, RecordKind, Uuid};
use wuji_proto::pb;
use wuji_store::layout::index_prefix;

/// The service.
pub struct Service {
    node: Node,
}

impl Service {
    /// Serves `node`.
    pub fn new(node: Node) -> Service {
        Service { node }
    }

    /// The suggestion submitted here with the platform id `ext`, if any.
    fn by_external_id(&self, ext: &str) -> Result<Option<Record>, Error> {
        let mut value = ext.as_bytes().to_vec();
        value.push(0);
        let home = self.node.code();
        let (found, _) = self
            .node
            .scan(&index_prefix(index::EXTERNAL, &value), None, 1, |r| {
                r.id.home == home
            })?;
        Ok(found.into_iter().next())
    }

    async fn on(
        &self,
        rid: Option<&pb::RecordId>,
        f: impl FnOnce(
            &wuji_model::Ctx,
            &wuji_model::Record,
        ) -> Result<wuji_model::Record, wuji_model::Error>
        + Send
        + 'static,
    ) -> Result<Response<pb::RecordReply>, Status> {
        step(&self.node, RecordKind::Suggestion, "suggestion", rid, f).await
    }

    /// The lead deputy (领衔) and every co-signer must be a deputy in office
    /// that this node holds (its own roster, the congresses below it, or a
    /// higher congress's deputy attached here); the refusal names the person.
    fn check_deputy(&self, role: &str, person: &str) -> Result<(), Status> {
        let person = person.trim();
        if person.is_empty() {
            return Ok(()); // left to the workflow's own check of empty text
        }
        let mut key = person.as_bytes().to_vec();
        key.push(0);
        let (found, _) = self
            .node
            .scan(&index_prefix(index::PERSON, &key), None, 64, |r| {
                r.id.kind == RecordKind::Deputy
            })
            .map_err(Status::from)?;
        let statuses: Vec<DeputyStatus> = found
            .iter()
            .filter_map(|r| r.roster(r.id.home))
            .filter(|r| r.person_id.get().trim() == person)
            .map(|r| r.status.0.status)
            .collect();
        if statuses.contains(&DeputyStatus::InOffice) {
            return Ok(());
        }
        Err(Status::from(match statuses.first() {
            None => Error::bad(
                "deputy-unknown",
                format!(
                    "{role} {person}: 本节点没有此代表 / no deputy with this person id \
                     is known at this node (enrol them first: wuji deputy enrol)"
                ),
            ),
            Some(s) => Error::bad(
                "deputy-not-in-office",
                format!(
                    "{role} {person}: 代表{} / the deputy is not in office ({s:?})",
                    s.zh()
                ),
            ),
        }))
    }
}

fn class(n: i32) -> Result<AnswerClass, Error> {
    wuji_proto::enums::class_from(n).map_err(|_| {
        Error::bad(
            "enum-value",
            format!("answer class {n}: 0 A, 1 B, 2 C, 3 D"),
        )
    })
}

fn rating(n: i32) -> Result<Satisfaction, Error> {
    wuji_proto::enums::rating_from(n).map_err(|_| {
        Error::bad(
            "enum-value",
            format!("rating {n}: 0 dissatisfied, 1 basic, 2 satisfied"),
        )
    })
}

fn mode(n: u32) -> Result<Option<SupervisionMode>, Error> {
    wuji_proto::MODES.get(n as usize).copied().ok_or_else(|| {
        Error::bad(
            "enum-value",
            format!("supervision mode {n}: 0 none .. 6 livelihood"),
        )
    })
}

/// A status name as the API spells it (`assigned`, `awaiting_rehandling`, ...).
pub fn status_named(name: &str) -> Result<S, Error> {
    let all = [
        S::Submitted,
        S::Registered,
        S::Assigned,
        S::AwaitingReassignment,
        S::Answered,
        S::AwaitingRehandling,
        S::Closed,
        S::Withdrawn,
        S::Merged,
    ];
    all.into_iter()
        .find(|s| {
            crate::views::snake(&format!("{s:?}")) == name
                || s.zh() == name
                || (*s == S::Closed && name == "办结")
        })
        .ok_or_else(|| Error::bad("enum-value", format!("unknown status {name:?}")))
}

#[tonic::async_trait]
impl pb::suggestions_server::Suggestions for Service {
    async fn submit(
        &self,
        req: Request<pb::SubmitRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let kind = match r.kind {
            0 => SuggestionKind::Suggestion,
            1 => SuggestionKind::BillProposal,
            2 => SuggestionKind::CitizenOpinion,
            k => {
                return Err(Status::from(Error::bad(
                    "enum-value",
                    format!("kind {k}: 0 建议, 1 议案, 2 群众意见"),
                )));
            }
        };
        self.check_deputy("lead", &r.lead)?;
        for c in &r.cosigners {
            self.check_deputy("cosigner", c)?;
        }
        let draft = Draft {
            kind,
            lead: r.lead,
            cosigners: r.cosigners,
            category: r.category,
            title: r.title,
            text: r.text,
            during_session: r.during_session,
            external_id: r.external_id.trim().to_string(),
            from_opinion: match r.from_opinion.as_ref() {
                Some(p) => Some(super::id(RecordKind::Suggestion, Some(p))?),
                None => None,
            },
        };
        if draft.external_id.is_empty() {
            let rid = new_id(&self.node, RecordKind::Suggestion);
            return write_one(
                &self.node,
                Op::new(rid, move |ctx, _| Ok(wf::submit(ctx, rid, &draft)?)),
            )
            .await;
        }
        // Intake by a platform's id: one at a time, so that a retry racing
        // the first submission finds it written.
        wf::check_external_id(&draft.external_id).map_err(Error::from)?;
        let _one = self.node.intake().lock().await;
        if let Some(rec) = self.by_external_id(&draft.external_id)? {
            return Ok(Response::new(reply(&self.node, &rec, 0)));
        }
        let rid = new_id(&self.node, RecordKind::Suggestion);
        write_one(
            &self.node,
            Op::new(rid, move |ctx, _| Ok(wf::submit(ctx, rid, &draft)?)),
        )
        .await
    }

    async fn register(
        &self,
        req: Request<pb::RegisterRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        self.on(r.id.as_ref(), move |c, rec| wf::register(c, rec, &r.number))
            .await
    }

    async fn assign(
        &self,
        req: Request<pb::AssignRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let units = r
            .units
            .iter()
            .map(|u| {
                let role = match u.role {
                    0 => UnitRole::Lead,
                    1 => UnitRole::Co,
                    2 => UnitRole::Separate,
                    x => {
                        return Err(Error::invalid(format!(
                            "unit role {x}: 0 lead, 1 co, 2 separate"
                        )));
                    }
                };
                Ok(HandlingUnit {
                    name: u.name.clone(),
                    role,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        super::directory::check_units(&self.node, units.iter().map(|u| u.name.as_str()))?;
        self.on(r.id.as_ref(), move |c, rec| wf::assign(c, rec, &units))
            .await
    }

    async fn co_view(
        &self,
        req: Request<pb::CoViewRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        self.on(r.id.as_ref(), move |c, rec| {
            wf::co_view(c, rec, &r.unit, &r.text)
        })
        .await
    }

    async fn return_to_sender(
        &self,
        req: Request<pb::ReturnRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let warning = std::sync::Arc::new(std::sync::Mutex::new(None));
        let w = warning.clone();
        let mut reply = self
            .on(r.id.as_ref(), move |c, rec| {
                let window = wf::return_window(c, rec);
                let d = wf::return_unit(c, rec, &r.unit, &r.reason)?;
                if let Some(win) = window.filter(|win| c.today > win.date) {
                    let msg = format!(
                        "退办 after the last day {} counted with a provisional calendar; \
                         accepted: {}",
                        win.date,
                        win.warnings().join("; ")
                    );
                    tracing::warn!(unit = %r.unit, "{msg}");
                    *w.lock().unwrap_or_else(|e| e.into_inner()) = Some(msg);
                }
                Ok(d)
            })
            .await?;
        if let Some(msg) = warning.lock().unwrap_or_else(|e| e.into_inner()).take() {
            reply.get_mut().view.insert("warning".into(), msg);
        }
        Ok(reply)
    }

    async fn extend(
        &self,
        req: Request<pb::ExtendRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let months = u8::try_from(r.months)
            .map_err(|_| Status::from(Error::bad("number-range", "months is too large")))?;
        self.on(r.id.as_ref(), move |c, rec| wf::extend(c, rec, months))
            .await
    }

    async fn answer_suggestion(
        &self,
        req: Request<pb::AnswerRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let cl = class(r.class)?;
        self.on(r.id.as_ref(), move |c, rec| {
            wf::answer(c, rec, &r.unit, cl, &r.text, &r.promises)
        })
        .await
    }

    async fn feedback(
        &self,
        req: Request<pb::FeedbackRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let rt = rating(r.rating)?;
        let given = match (&r.answer, r.handler) {
            (Some(a), h) if h != 0 => Some(AnswerRef {
                handler: code("handler", h)?,
                at: Stamp::new(Hlc(a.hlc), WriterId(a.writer)),
            }),
            _ => None,
        };
        // A merged suggestion's deputy rates the answer of the one it joined.
        let this = id(RecordKind::Suggestion, r.id.as_ref())?;
        let joined = match self.node.read(&this)?.as_ref().and_then(wf::merged_target) {
            Some(t) => self.node.read(&t)?,
            None => None,
        };
        if let Some(joined) = joined {
            return self
                .on(r.id.as_ref(), move |c, rec| {
                    wf::feedback_merged(c, rec, &joined, rt, &r.comment)
                })
                .await;
        }
        self.on(r.id.as_ref(), move |c, rec| {
            // Without an answer named, rate the latest answer of the current round.
            let answer = match given {
                Some(a) => a,
                None => view::view(rec, c.rules)
                    .latest_answer
                    .ok_or(wuji_model::Error::NoSuchAnswer)?,
            };
            wf::feedback(c, rec, answer, rt, &r.comment)
        })
        .await
    }

    async fn rehandle(&self, req: Request<pb::Get>) -> Result<Response<pb::RecordReply>, Status> {
        self.on(req.get_ref().id.as_ref(), wf::rehandle).await
    }

    async fn close(&self, req: Request<pb::Get>) -> Result<Response<pb::RecordReply>, Status> {
        self.on(req.get_ref().id.as_ref(), wf::close).await
    }

    async fn withdraw(&self, req: Request<pb::Get>) -> Result<Response<pb::RecordReply>, Status> {
        self.on(req.get_ref().id.as_ref(), wf::withdraw).await
    }

    async fn merge_into(
        &self,
        req: Request<pb::MergeRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let this = id(RecordKind::Suggestion, r.id.as_ref())?;
        let target = match &r.into_id {
            Some(t) => id(RecordKind::Suggestion, Some(t))?,
            None => wuji_model::RecordId {
                uuid: Uuid::from_slice(&r.into)
                    .map_err(|e| Status::from(Error::bad("record-id", format!("into: {e}"))))?,
                ..this
            },
        };
        // The suggestion it joins must exist here and still be open.
        let joined = self
            .node
            .read(&target)?
            .ok_or_else(|| Error::not_found("suggestion to merge into", &target))?;
        let status = view::view(&joined, self.node.rules()).status;
        if matches!(status, S::Withdrawn | S::Merged | S::Closed) {
            return Err(Status::from(Error::bad(
                "merge-target",
                format!(
                    "并案: {}:{} is {} and cannot take another suggestion",
                    target.home,
                    target.uuid,
                    status.zh()
                ),
            )));
        }
        self.on(r.id.as_ref(), move |c, rec| wf::merge_into(c, rec, target))
            .await
    }

    async fn escalate(
        &self,
        req: Request<pb::ForwardRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let to = if r.to == 0 {
            self.node.code().parent().ok_or_else(|| {
                Status::from(Error::bad(
                    "escalate-upwards",
                    "the national congress has no level above",
                ))
            })?
        } else {
            code("to", r.to)?
        };
        self.on(r.id.as_ref(), move |c, rec| {
            wf::escalate(c, rec, to, &r.reason)
        })
        .await
    }

    async fn transfer(
        &self,
        req: Request<pb::ForwardRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let to = code("to", r.to)?;
        self.on(r.id.as_ref(), move |c, rec| {
            wf::transfer(c, rec, to, &r.reason)
        })
        .await
    }

    async fn supervise(
        &self,
        req: Request<pb::SuperviseRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let m = mode(r.mode)?;
        let rid = id(RecordKind::Suggestion, r.id.as_ref())?;
        // A suggestion below the horizon is not held here: the 督办 goes down
        // to the nodes that hold it, and the record comes back up in full.
        write_one(
            &self.node,
            crate::Op::new(rid, move |c, cur| match cur {
                Some(rec) => Ok(wf::supervise(c, rec, m, &r.lead_supervisor, &r.note)?),
                None if rid.home.is_inside(c.node) => Ok(wf::supervise_unseen(
                    c,
                    rid,
                    m,
                    &r.lead_supervisor,
                    &r.note,
                )?),
                None => Err(Error::not_found("suggestion", &rid)),
            }),
        )
        .await
    }

    async fn get_suggestion(
        &self,
        req: Request<pb::Get>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let rid = id(RecordKind::Suggestion, req.get_ref().id.as_ref())?;
        Ok(Response::new(get(&self.node, "suggestion", &rid)?))
    }

    async fn add_promise(
        &self,
        req: Request<pb::AddPromiseRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        super::promises::add(&self.node, req.into_inner()).await
    }

    async fn update_promise(
        &self,
        req: Request<pb::UpdatePromiseRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        super::promises::update(&self.node, req.into_inner()).await
    }

    async fn assign_list(
        &self,
        req: Request<pb::AssignListRequest>,
    ) -> Result<Response<pb::ImportReply>, Status> {
        Ok(Response::new(
            super::assign_list::run(&self.node, req.into_inner()).await?,
        ))
    }

    async fn list_promises(
        &self,
        req: Request<pb::ListPromisesRequest>,
    ) -> Result<Response<pb::PromiseList>, Status> {
        Ok(Response::new(super::promises::list(
            &self.node,
            req.get_ref(),
        )?))
    }

    async fn list_suggestions(
        &self,
        req: Request<pb::ListSuggestionsRequest>,
    ) -> Result<Response<pb::RecordList>, Status> {
        let r = req.into_inner();
        let statuses = r
            .status
            .iter()
            .map(|s| status_named(s.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        let handler = if r.handler == 0 {
            None
        } else {
            Some(code("handler", r.handler)?)
        };
        let area = if r.area == 0 {
            None
        } else {
            Some(code("area", r.area)?)
        };
        let (from, to) = (date("from", &r.from)?, date("to", &r.to)?);
        let category = r.category.trim().to_string();
        let today = self.node.today();
        let rules = self.node.rules().clone();
        // The most selective index first; every filter is applied to every record.
        let source = if r.overdue_only {
            Source::Index(index_prefix(index::DEADLINE, &[]))
        } else if let Some(h) = handler {
            let mut v = h.value().to_be_bytes().to_vec();
            if let [one] = statuses.as_slice() {
                v.push(*one as u8);
            }
            Source::Index(index_prefix(index::STATUS_HANDLER, &v))
        } else if let [one] = statuses.as_slice() {
            Source::Status(*one as u8)
        } else if let Some(a) = area {
            Source::Homes(RecordKind::Suggestion, index::home_ranges(a))
        } else {
            // Category and date range are filters over all suggestions: indexing
            // them would add two keys to every write (sled's cost is per key).
            Source::Kind(RecordKind::Suggestion)
        };
        let external = r.external_id.trim().to_string();
        let source = if external.is_empty() {
            source
        } else {
            let mut v = external.as_bytes().to_vec();
            v.push(0);
            Source::Index(index_prefix(index::EXTERNAL, &v))
        };
        let overdue = r.overdue_only;
        let out = list(&self.node, source, r.page.as_ref(), move |rec| {
            if rec.id.kind != RecordKind::Suggestion {
                return false;
            }
            let v = view::view(rec, &rules);
            let o = rec.origin(rec.id.home);
            let submitted = o.and_then(|o| *o.submitted_on.get());
            (statuses.is_empty() || statuses.contains(&v.status))
                && handler.is_none_or(|h| v.handler == h)
                && area.is_none_or(|a| a.contains(rec.id.home))
                && (category.is_empty() || o.is_some_and(|o| o.category.get() == &category))
                && (!overdue || v.is_overdue(today))
                && from.is_none_or(|f| submitted.is_some_and(|d| d >= f))
                && to.is_none_or(|t| submitted.is_some_and(|d| d <= t))
                && (external.is_empty() || o.is_some_and(|o| o.external_id.get() == &external))
        })?;
        Ok(Response::new(out))
    }
}
