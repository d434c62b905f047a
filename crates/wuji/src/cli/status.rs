//! `wuji status`: this node's summary, the summary of every node below it that it
//! holds, and the state and lag of its links.

use super::{ClientOpts, channel, output};
use clap::Args;
use serde_json::json;
use wuji_proto::pb::{self, node_client::NodeClient};

/// Arguments of `wuji status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    opts: ClientOpts,
}

fn get(s: &pb::NodeSummary, k: &str) -> u64 {
    s.counts.get(k).copied().unwrap_or(0)
}

/// Prints the status.
pub async fn run(a: StatusArgs) -> anyhow::Result<()> {
    let out = a.opts.out();
    let r = NodeClient::new(channel(&a.opts).await?)
        .status(pb::StatusRequest {})
        .await?
        .into_inner();
    let own = r.own.clone().unwrap_or_default();
    if out.json {
        let s = |n: &pb::NodeSummary| json!({ "code": n.code, "counts": n.counts });
        let links: Vec<_> = r.links.iter().map(|l| json!({ "peer": l.peer, "role": l.role, "connected": l.connected, "acked": l.acked, "lag": l.lag, "sent": l.sent, "checks": l.checks, "repaired": l.repaired })).collect();
        say!(
            "{}",
            json!({ "node": r.node, "last_seq": r.last_seq, "summary": s(&own), "below": r.below.iter().map(s).collect::<Vec<_>>(), "links": links, "tls": r.tls, "refusals": r.refusals, "calendar_notices": r.calendar_notices })
        );
        return Ok(());
    }
    let l = |zh: &str, en: &str| {
        if out.en {
            en.to_string()
        } else {
            zh.to_string()
        }
    };
    say!(
        "{} {}  ({} {})",
        l("节点", "node"),
        r.node,
        l("日志序号", "log seq"),
        r.last_seq
    );
    let header = vec![
        l("节点", "node"),
        l("建议", "suggestions"),
        l("办结", "closed"),
        l("办理中", "in handling"),
        l("超期", "overdue"),
        l("代表", "deputies"),
        l("交办完成", "tasks done"),
    ];
    let row = |s: &pb::NodeSummary| {
        vec![
            s.code.to_string(),
            get(s, "suggestion.total").to_string(),
            get(s, "suggestion.status.closed").to_string(),
            get(s, "suggestion.status.assigned").to_string(),
            get(s, "suggestion.overdue").to_string(),
            get(s, "deputy.total").to_string(),
            format!(
                "{}/{}",
                get(s, "assignment.targets_done"),
                get(s, "assignment.targets")
            ),
        ]
    };
    let mut rows = vec![row(&own)];
    rows.extend(r.below.iter().map(row));
    output::table(&header, &rows);
    if !r.links.is_empty() {
        say!();
        let header = vec![
            l("对端", "peer"),
            l("关系", "role"),
            l("状态", "state"),
            l("已确认", "acked"),
            l("待确认", "lag"),
            l("已发送", "sent"),
            l("核对", "checks"),
            l("补发", "repaired"),
        ];
        let rows: Vec<Vec<String>> = r
            .links
            .iter()
            .map(|k| {
                let role = match (k.role.as_str(), out.en) {
                    ("parent", false) => "上级".to_string(),
                    ("child", false) => "下级".to_string(),
                    (other, _) => other.to_string(),
                };
                let state = match (k.connected, out.en) {
                    (true, false) => "在线",
                    (false, false) => "断开",
                    (true, true) => "up",
                    (false, true) => "down",
                };
                vec![
                    k.peer.to_string(),
                    role,
                    state.to_string(),
                    k.acked.to_string(),
                    k.lag.to_string(),
                    k.sent.to_string(),
                    k.checks.to_string(),
                    k.repaired.to_string(),
                ]
            })
            .collect();
        output::table(&header, &rows);
    }
    if !r.tls {
        say!(
            "\n{}",
            l(
                "明文开发模式：连接未加密、未认证（仅限本机回环地址）",
                "plaintext dev mode: connections are neither encrypted nor authenticated (loopback only)"
            )
        );
    }
    for notice in &r.calendar_notices {
        // Each notice carries both languages, "中文 / English".
        let (zh, en) = notice.split_once(" / ").unwrap_or((notice, notice));
        say!(
            "\n{}",
            l(&format!("节假日：{zh}"), &format!("holidays: {en}"))
        );
    }
    if !r.refusals.is_empty() {
        say!();
        let header = vec![l("拒绝原因", "refused (rule)"), l("次数", "count")];
        let rows: Vec<Vec<String>> = r
            .refusals
            .iter()
            .map(|(k, v)| vec![k.clone(), v.to_string()])
            .collect();
        output::table(&header, &rows);
    }
    Ok(())
}
