//! `wuji watch`: follow a node's change feed (`Feed.Watch`) in a terminal:
//! one line per change and notice (到达, 临期, 超期) as it happens, or one
//! JSON object per line with `--json`; `--cursor-file` keeps the position so
//! that the next run goes on from there.

use super::ids::code;
use super::{ClientOpts, channel};
use anyhow::Context;
use clap::Args;
use wuji_proto::pb::{self, feed_client::FeedClient, watch_event::Event};

/// Arguments of `wuji watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(flatten)]
    opts: ClientOpts,
    /// Where to start: a cursor printed before, 0 for the start of the
    /// node's log; default: from now (or from --cursor-file).
    #[arg(long)]
    cursor: Option<String>,
    /// Read the cursor from this file at start and write it after each event.
    #[arg(long)]
    cursor_file: Option<std::path::PathBuf>,
    /// Only these kinds (repeatable): deputy|suggestion|assignment|supervision|calendar|summary.
    #[arg(long = "kind")]
    kinds: Vec<String>,
    /// Only suggestions in this status (repeatable; as `suggestion list --status`).
    #[arg(long)]
    status: Vec<String>,
    /// Only records of this region.
    #[arg(long)]
    region: Option<String>,
    /// Only notices (到达, 临期, 超期), no record changes.
    #[arg(long)]
    notices_only: bool,
    /// Stop after this many events (default: follow until interrupted).
    #[arg(long)]
    max: Option<u64>,
}

fn name(code: u32, out: &super::output::Out) -> String {
    match wuji_division::Code::from_value(code) {
        Ok(c) if !out.codes => wuji_division::embedded().name_of(c),
        _ => code.to_string(),
    }
}

/// One event as a line for a person.
fn line(ev: &pb::WatchEvent, out: &super::output::Out) -> Option<String> {
    let t = |zh: &str, en: &str| {
        if out.en {
            en.to_string()
        } else {
            zh.to_string()
        }
    };
    match ev.event.as_ref()? {
        Event::Heartbeat(_) => None,
        Event::Change(r) => {
            let v = &r.view;
            let status = if out.en {
                v.get("status")
            } else {
                v.get("status_zh")
            };
            Some(format!(
                "{}  {}  {}  {}",
                t("变更", "change"),
                status.cloned().unwrap_or_default(),
                v.get("id").cloned().unwrap_or_default(),
                v.get("title")
                    .or_else(|| v.get("name"))
                    .cloned()
                    .unwrap_or_default()
            ))
        }
        Event::Notice(n) => {
            let title = ev
                .record
                .as_ref()
                .and_then(|r| r.view.get("title"))
                .cloned()
                .unwrap_or_default();
            let what = match n.what.as_str() {
                "escalated" => t("上报", "escalated"),
                "transferred" => t("转办", "transferred"),
                "assignment" => t("交办", "assignment"),
                "suggestion" => t("建议", "suggestion"),
                w => w.to_string(),
            };
            Some(match n.kind.as_str() {
                "arrived" => format!(
                    "{}  {what}（{}{}）  {title}",
                    t("到达", "arrived"),
                    t("来自", "from "),
                    name(n.from, out)
                ),
                kind => format!(
                    "{}  {what}  {}{}  {title}",
                    if kind == "overdue" {
                        t("超期", "overdue")
                    } else {
                        t("临期", "due soon")
                    },
                    n.deadline,
                    if n.working_days >= 0 {
                        t(
                            &format!("（剩{}个工作日）", n.working_days),
                            &format!(" ({} working days left)", n.working_days),
                        )
                    } else {
                        t(
                            &format!("（已超{}个工作日）", -n.working_days),
                            &format!(" ({} working days past)", -n.working_days),
                        )
                    }
                ),
            })
        }
    }
}

/// Follows the feed.
pub async fn run(a: WatchArgs) -> anyhow::Result<()> {
    let out = a.opts.out();
    let saved = match &a.cursor_file {
        Some(f) if f.exists() => Some(
            std::fs::read_to_string(f)
                .with_context(|| format!("cannot read {}", f.display()))?
                .trim()
                .to_string(),
        ),
        _ => None,
    };
    let req = pb::WatchRequest {
        cursor: a.cursor.or(saved).unwrap_or_default(),
        kinds: a.kinds,
        status: a.status,
        region: a.region.as_deref().map(code).transpose()?.unwrap_or(0),
        heartbeat_seconds: 0,
        notices_only: a.notices_only,
    };
    let mut s = FeedClient::new(channel(&a.opts).await?)
        .watch(req)
        .await?
        .into_inner();
    let mut n = 0u64;
    while let Some(ev) = s.message().await? {
        if out.json {
            let j = serde_json::json!({
                "cursor": ev.cursor,
                "seq": ev.seq,
                "event": match &ev.event {
                    Some(Event::Change(_)) => "change",
                    Some(Event::Notice(n)) => n.kind.as_str(),
                    Some(Event::Heartbeat(_)) => "heartbeat",
                    None => "",
                },
                "view": match (&ev.event, &ev.record) {
                    (Some(Event::Change(r)), _) | (_, Some(r)) => serde_json::to_value(&r.view)?,
                    _ => serde_json::Value::Null,
                },
                "notice": match &ev.event {
                    Some(Event::Notice(n)) => serde_json::json!({
                        "what": n.what, "from": n.from, "on": n.on,
                        "deadline": n.deadline, "working_days": n.working_days,
                    }),
                    _ => serde_json::Value::Null,
                },
            });
            say!("{j}");
        } else if let Some(l) = line(&ev, &out) {
            say!("{l}");
        }
        if let Some(f) = &a.cursor_file {
            let tmp = f.with_extension("tmp");
            std::fs::write(&tmp, &ev.cursor)
                .and_then(|_| std::fs::rename(&tmp, f))
                .with_context(|| format!("cannot write {}", f.display()))?;
        }
        if !matches!(ev.event, Some(Event::Heartbeat(_))) {
            n += 1;
            if a.max.is_some_and(|m| n >= m) {
                break;
            }
        }
    }
    Ok(())
}
