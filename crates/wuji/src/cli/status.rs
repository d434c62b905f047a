//! `wuji status`: this node's summary, the summaries it holds of the nodes
//! below it (its children, with the default horizon), and the state and lag of
//! its links; `--region` shows a region further below, drilled through the tree.

use super::{ClientOpts, channel, output};
use clap::Args;
use serde_json::json;
use wuji_node::figures::{figures, percent};
use wuji_proto::pb::{self, node_client::NodeClient};

/// Arguments of `wuji status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Show this region below the node instead (its summary and those of the
    /// regions below it that its node holds), asked down the tree: how a level
    /// sees past the nodes whose summaries it holds (its children, with the
    /// default sync.horizon). E.g. `--region 320114` at the national node.
    #[arg(long, value_name = "CODE")]
    region: Option<String>,
    /// List only the regions at most N levels below (by the division tree),
    /// read by id: `--depth 1` is one row per region directly below, quick
    /// at a node that holds tens of thousands of summaries. 0: all it holds.
    #[arg(long, value_name = "N", default_value_t = 0)]
    depth: u32,
    #[command(flatten)]
    opts: ClientOpts,
}

fn zh_term(k: &str) -> String {
    if let Some((scheme, class)) = k.split_once('.') {
        // suggestion.class.SCHEME.CLASS: the class as that scheme writes it.
        return format!(
            "{}（{scheme}）",
            wuji_node::names::class_label(scheme, class)
        );
    }
    match k {
        "satisfied" => "满意".into(),
        "basic" => "基本满意".into(),
        "dissatisfied" => "不满意".into(),
        other => other.to_string(),
    }
}

/// Prints the status.
pub async fn run(a: StatusArgs) -> anyhow::Result<()> {
    let out = a.opts.out();
    let r = NodeClient::new(channel(&a.opts).await?)
        .status(pb::StatusRequest {
            region: match &a.region {
                Some(c) => wuji_division::Code::parse(c)
                    .map_err(|e| anyhow::anyhow!("--region {c}: {e}"))?
                    .value(),
                None => 0,
            },
            depth: a.depth,
        })
        .await?
        .into_inner();
    let own = r.own.clone().unwrap_or_default();
    if out.json {
        let mut all = vec![own.clone()];
        all.extend(r.below.iter().cloned());
        let figs = figures(&all);
        let s = |n: &pb::NodeSummary| {
            let i = all.iter().position(|a| a.code == n.code).unwrap_or(0);
            let f = &figs[i];
            let rates = json!({
                "closed": f.closed_rate(),
                "satisfied": f.satisfied_rate(),
                "answered_on_time": f.on_time_rate(),
                "class_a": f.class_a_rate(),
            });
            let own = json!({
                "suggestion.total": f.suggestions_own,
                "deputy.total": f.deputies_own,
                "assignment.total": f.assignments_own,
            });
            json!({ "code": n.code, "counts": n.counts, "own": own, "rates": rates })
        };
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
        "{} {}  ({} {}){}",
        l("节点", "node"),
        r.node,
        l("日志序号", "log seq"),
        r.last_seq,
        match &a.region {
            Some(c) => format!("  {} {c}", l("下钻至", "drilled down to")),
            None => String::new(),
        }
    );
    let mut all = vec![own.clone()];
    all.extend(r.below.iter().cloned());
    let figs = figures(&all);
    let header = vec![
        l("人大", "congress"),
        l("建议(本级)", "suggestions (own)"),
        l("建议(含下级)", "suggestions (with below)"),
        l("已办结", "closed"),
        l("办结率", "closed %"),
        l("超期", "overdue"),
        l("临期", "due ≤15 days"),
        l("满意率", "satisfied %"),
        l("按时答复率", "answered on time %"),
        l("代表(本级)", "deputies (own)"),
        l("代表(含下级)", "deputies (with below)"),
        l("交办完成", "tasks done"),
    ];
    let name = |code: u32| {
        if out.codes {
            code.to_string()
        } else {
            wuji_node::names::office(&code.to_string())
        }
    };
    let rows: Vec<Vec<String>> = figs
        .iter()
        .map(|f| {
            vec![
                name(f.code),
                f.suggestions_own.to_string(),
                f.suggestions.to_string(),
                f.closed.to_string(),
                percent(f.closed_rate()),
                f.overdue.to_string(),
                f.due_soon.to_string(),
                percent(f.satisfied_rate()),
                percent(f.on_time_rate()),
                f.deputies_own.to_string(),
                f.deputies.to_string(),
                format!("{}/{}", f.targets_done, f.targets),
            ]
        })
        .collect();
    output::table(&header, &rows);
    let breakdown = |prefix: &str| -> String {
        let mut v: Vec<(&String, &u64)> = own
            .counts
            .iter()
            .filter(|(k, n)| k.starts_with(prefix) && **n > 0)
            .collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.iter()
            .take(8)
            .map(|(k, n)| {
                let k = &k[prefix.len()..];
                let k = if out.en { k.to_string() } else { zh_term(k) };
                format!("{k} {n}")
            })
            .collect::<Vec<_>>()
            .join(if out.en { ", " } else { "、" })
    };
    for (zh, en, prefix) in [
        ("答复类别", "answer classes", "suggestion.class."),
        ("代表评价", "ratings", "suggestion.rating."),
        ("分类", "categories", "suggestion.category."),
    ] {
        let line = breakdown(prefix);
        if !line.is_empty() {
            say!("{}{}{line}", l(zh, en), if out.en { ": " } else { "：" });
        }
    }
    if let Some(line) = duty_line(&own.counts, out.en) {
        say!("{line}");
    }
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

/// The records besides suggestions in one line: activities, vacancies, and
/// the promise ledger (open and overdue today), when there are any.
fn duty_line(counts: &std::collections::BTreeMap<String, u64>, en: bool) -> Option<String> {
    use wuji_node::clock::Clock;
    let n = |k: &str| counts.get(k).copied().unwrap_or(0);
    let open_promises = n("promise.pending") + n("promise.in_progress");
    let today = wuji_node::clock::SystemClock.today();
    let overdue = wuji_model::summary::promises_overdue(counts, today);
    let vacancies = n("vacancy.open") + n("vacancy.scheduled");
    if n("activity.total") + n("vacancy.total") + open_promises + n("promise.done") == 0 {
        return None;
    }
    Some(if en {
        format!(
            "Deputy work: activities {}, vacancies open {vacancies} (filled {}), promises open {open_promises} (overdue {overdue}, done {})",
            n("activity.total"),
            n("vacancy.filled"),
            n("promise.done")
        )
    } else {
        format!(
            "代表工作：履职活动 {} 次；出缺 {vacancies} 名（已补选 {}）；承诺事项 未落实 {open_promises} 项（逾期 {overdue}，已落实 {}）",
            n("activity.total"),
            n("vacancy.filled"),
            n("promise.done")
        )
    })
}
