//! The link's greeting: the `Hello` this node sends, the checks on the peer's
//! (protocol versions, codes, region, parent), and a `Refusal` message.

use super::engine::{LinkCtx, MIN_PROTOCOL_VERSION, Role};
use crate::Error;
use wuji_division::Code;
use wuji_proto::PROTOCOL_VERSION;
use wuji_proto::pb::{self, sync_message::Msg};

pub(crate) fn hello(ctx: &LinkCtx, checkpoint: (u64, Vec<u8>)) -> Result<pb::SyncMessage, Error> {
    let (resume_from, resume_incarnation) = checkpoint;
    Ok(pb::SyncMessage {
        msg: Some(Msg::Hello(pb::Hello {
            protocol_version: PROTOCOL_VERSION,
            min_protocol_version: MIN_PROTOCOL_VERSION,
            node: ctx.node.value(),
            parent: ctx.parent.map(|p| p.value()).unwrap_or(0),
            resume_from,
            software: format!("wuji {}", env!("CARGO_PKG_VERSION")),
            incarnation: ctx.layout.incarnation()?,
            resume_incarnation,
            last_seq: ctx.committer.durable(),
        })),
    })
}

pub(crate) fn refusal(rule: &str, message: String) -> pb::SyncMessage {
    pb::SyncMessage {
        msg: Some(Msg::Refusal(pb::Refusal {
            rule: rule.to_string(),
            message,
        })),
    }
}

/// Checks a peer's hello for `role`; the reason it is refused otherwise.
pub(crate) fn check_hello(
    ctx: &LinkCtx,
    role: Role,
    h: &pb::Hello,
) -> Result<Code, (String, String)> {
    let bad = |rule: &str, msg: String| (rule.to_string(), msg);
    if h.protocol_version < MIN_PROTOCOL_VERSION || h.min_protocol_version > PROTOCOL_VERSION {
        return Err(bad(
            "protocol-version",
            format!(
                "peer speaks {}..{}, this node {}..{}",
                h.min_protocol_version, h.protocol_version, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION
            ),
        ));
    }
    let peer = Code::from_value(h.node).map_err(|e| bad("peer-code", format!("peer code: {e}")))?;
    match role {
        Role::Child { parent } if peer != parent => Err(bad(
            "peer-is-parent",
            format!("expected the parent {parent}, got {peer}"),
        )),
        Role::Child { .. } => Ok(peer),
        Role::Parent { certified } => {
            if let Some(c) = certified
                && c != peer
            {
                return Err(bad(
                    "peer-certificate-code",
                    format!("the greeting says {peer} but the certificate is {c}'s"),
                ));
            }
            if !peer.is_inside(ctx.node) {
                return Err(bad(
                    "peer-inside-region",
                    format!(
                        "{peer} is not inside {}: only nodes below may link here",
                        ctx.node
                    ),
                ));
            }
            if h.parent != ctx.node.value() {
                return Err(bad(
                    "peer-names-parent",
                    format!("{peer} names {} as its parent, not {}", h.parent, ctx.node),
                ));
            }
            let listed = ctx.children.contains(&peer);
            if !listed && (!ctx.children.is_empty() || peer.parent() != Some(ctx.node)) {
                return Err(bad(
                    "peer-is-child",
                    format!(
                        "{peer} is not a child of {} (its parent is {}){}",
                        ctx.node,
                        peer.parent().map(|p| p.to_string()).unwrap_or_default(),
                        if ctx.children.is_empty() {
                            "; list it in sync.children if its own parent runs no node"
                        } else {
                            " and sync.children does not list it"
                        }
                    ),
                ));
            }
            Ok(peer)
        }
    }
}
