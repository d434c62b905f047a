//! The `Contacts` service: 三联 / 两个联系 relations a congress sets up, the
//! deputies linked, the visits made, and which fall short of the targets.

use super::{Source, get, id, list, new_id, step, write_one};
use crate::{Error, Node, Op};
use tonic::{Request, Response, Status};
use wuji_model::RecordKind;
use wuji_model::contact::{self, ContactKind, NewContact};
use wuji_proto::pb;

/// The service.
pub struct Service {
    node: Node,
}

impl Service {
    /// Serves `node`.
    pub fn new(node: Node) -> Service {
        Service { node }
    }
}

#[tonic::async_trait]
impl pb::contacts_server::Contacts for Service {
    async fn add_contact(
        &self,
        req: Request<pb::AddContactRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let kind = ContactKind::parse(&r.kind).ok_or_else(|| {
            Error::bad(
                "enum-value",
                format!(
                    "kind {:?}: member_deputies, deputy_community or deputy_voters (常委会组成人员联系代表, 代表联系村（社区）, 代表联系选民)",
                    r.kind
                ),
            )
        })?;
        let n = NewContact {
            kind,
            keeper: r.keeper,
            linked: super::activities::participants("linked", &r.linked)?,
            community: r.community,
        };
        let rid = new_id(&self.node, RecordKind::Contact);
        write_one(
            &self.node,
            Op::new(rid, move |ctx, _| Ok(contact::add(ctx, rid, &n)?)),
        )
        .await
    }

    async fn link_deputies(
        &self,
        req: Request<pb::AmendParticipantsRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let add = super::activities::participants("add", &r.add)?;
        let remove = super::activities::participants("remove", &r.remove)?;
        step(
            &self.node,
            RecordKind::Contact,
            "contact",
            r.id.as_ref(),
            move |c, rec| contact::link(c, rec, &add, &remove),
        )
        .await
    }

    async fn record_visit(
        &self,
        req: Request<pb::VisitRequest>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let r = req.into_inner();
        let on = super::date("visited_on", &r.visited_on)?
            .ok_or_else(|| Error::bad("date", "visited_on is required (YYYY-MM-DD)"))?;
        step(
            &self.node,
            RecordKind::Contact,
            "contact",
            r.id.as_ref(),
            move |c, rec| contact::visit(c, rec, &r.text, on),
        )
        .await
    }

    async fn end_contact(
        &self,
        req: Request<pb::Get>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        step(
            &self.node,
            RecordKind::Contact,
            "contact",
            req.get_ref().id.as_ref(),
            contact::end,
        )
        .await
    }

    async fn get_contact(
        &self,
        req: Request<pb::Get>,
    ) -> Result<Response<pb::RecordReply>, Status> {
        let rid = id(RecordKind::Contact, req.get_ref().id.as_ref())?;
        Ok(Response::new(get(&self.node, "contact", &rid)?))
    }

    async fn list_contacts(
        &self,
        req: Request<pb::ListContactsRequest>,
    ) -> Result<Response<pb::RecordList>, Status> {
        let r = req.into_inner();
        let node = self.node.clone();
        let short = r.short_of_target;
        let year = node.today().year();
        Ok(Response::new(list(
            &self.node,
            Source::Kind(RecordKind::Contact),
            r.page.as_ref(),
            move |rec| match contact::standing(rec, node.rules(), year) {
                Some(s) => !short || !s.on_target,
                None => false,
            },
        )?))
    }
}
