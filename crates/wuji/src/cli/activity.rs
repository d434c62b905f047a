//! `wuji activity …`: 履职活动 recorded where they were organised, and a
//! deputy's 履职档案 with points for a year (table, JSON or .xlsx).

use super::ids::{code, get, page, record_id};
use super::{ClientOpts, channel, output};
use anyhow::{Context, anyhow};
use clap::Subcommand;
use serde_json::json;
use std::path::PathBuf;
use wuji_proto::pb::{self, activities_client::ActivitiesClient};

const ORDER: &[&str] = &[
    "kind_zh",
    "title",
    "held_on",
    "place",
    "participants",
    "points",
    "review_zh",
    "text",
    "voided_on",
    "home",
    "id",
];

/// `wuji activity …`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// 登记: record an activity this congress organised (谁组织谁登记).
    Record {
        /// reception|inspection|research|attendance|training|contact|report|other,
        /// or 接待群众, 视察, 专题调研, 列席会议, 培训, 联系群众, 向选民报告履职, 其他活动.
        #[arg(long)]
        kind: String,
        /// 主题.
        #[arg(long)]
        title: String,
        /// The day it was held (YYYY-MM-DD; today or earlier).
        #[arg(long)]
        on: String,
        /// Where: the station (家/站/点) or place.
        #[arg(long, default_value = "")]
        place: String,
        /// 纪要: what was raised and done.
        #[arg(long, default_value = "")]
        text: String,
        /// A deputy who took part, as CONGRESS:PERSON_ID (the deputy's own
        /// congress code and person id there); repeatable.
        #[arg(long = "deputy", required = true)]
        deputies: Vec<String>,
    },
    /// Add or remove deputies who took part.
    Amend {
        /// The activity's id (HOME:UUID).
        id: String,
        /// CONGRESS:PERSON_ID to add (repeatable).
        #[arg(long)]
        add: Vec<String>,
        /// CONGRESS:PERSON_ID to remove (repeatable).
        #[arg(long)]
        remove: Vec<String>,
    },
    /// 作废: void an activity recorded in error (it then counts for nobody).
    Void {
        /// The activity's id.
        id: String,
    },
    /// 评议: the electing unit's rating of a report on the deputies' duties
    /// (an activity of kind report that this congress organised).
    Review {
        /// The report's id (HOME:UUID).
        id: String,
        /// satisfied|basic|dissatisfied, or 满意|基本满意|不满意.
        #[arg(long)]
        rating: String,
    },
    /// 未报告履职: this congress's deputies in office with no report on their
    /// duties held since a date (the start of the term; once a term at least).
    Unreported {
        /// The start of the term (YYYY-MM-DD; five years ago if left out).
        #[arg(long)]
        since: Option<String>,
        /// Page size.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Continue after this token.
        #[arg(long)]
        after: Option<String>,
    },
    /// Show one activity.
    Get {
        /// The activity's id.
        id: String,
    },
    /// List the activities this node holds, or one deputy's.
    List {
        /// Only this deputy's, as CONGRESS:PERSON_ID.
        #[arg(long)]
        deputy: Option<String>,
        /// Page size.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Continue after this token.
        #[arg(long)]
        after: Option<String>,
    },
    /// 履职档案: a deputy of this congress, the year's activities and points
    /// by this congress's rules (`[rules.duty]`), against its yearly targets.
    Report {
        /// The deputy's person id on this congress's roster.
        person_id: String,
        /// The year (this year if left out).
        #[arg(long, default_value_t = 0)]
        year: i32,
        /// Also write the report as a workbook (.xlsx).
        #[arg(long)]
        xlsx: Option<PathBuf>,
    },
}

/// `CONGRESS:PERSON_ID` as typed.
fn participant(s: &str) -> anyhow::Result<pb::Participant> {
    let (c, p) = s.trim().split_once(':').ok_or_else(|| {
        anyhow!(
            "{s:?}: expected CONGRESS:PERSON_ID, e.g. 320100:C-0007 (the deputy's own congress)"
        )
    })?;
    Ok(pb::Participant {
        congress: code(c).with_context(|| format!("deputy {s:?}"))?,
        person_id: p.trim().to_string(),
    })
}

pub fn participants(list: &[String]) -> anyhow::Result<Vec<pb::Participant>> {
    list.iter().map(|s| participant(s)).collect()
}

/// Runs an activity command.
pub async fn run(opts: &ClientOpts, cmd: Command) -> anyhow::Result<()> {
    let out = opts.out();
    let mut c = ActivitiesClient::new(channel(opts).await?);
    let reply = match cmd {
        Command::Record {
            kind,
            title,
            on,
            place,
            text,
            deputies,
        } => {
            c.record_activity(pb::RecordActivityRequest {
                kind,
                title,
                held_on: on,
                place,
                text,
                participants: participants(&deputies)?,
            })
            .await?
        }
        Command::Amend { id, add, remove } => {
            c.amend_participants(pb::AmendParticipantsRequest {
                id: Some(record_id(&id)?),
                add: participants(&add)?,
                remove: participants(&remove)?,
            })
            .await?
        }
        Command::Void { id } => c.void_activity(get(&id)?).await?,
        Command::Review { id, rating } => {
            c.review_report(pb::ReviewReportRequest {
                id: Some(record_id(&id)?),
                rating,
            })
            .await?
        }
        Command::Unreported {
            since,
            limit,
            after,
        } => {
            let list = c
                .list_unreported(pb::ListUnreportedRequest {
                    since: since.unwrap_or_default(),
                    page: page(limit, &after),
                })
                .await?;
            output::list(
                out,
                list.get_ref(),
                &["name", "person_id", "electoral_unit", "group", "id"],
            );
            return Ok(());
        }
        Command::Get { id } => c.get_activity(get(&id)?).await?,
        Command::List {
            deputy,
            limit,
            after,
        } => {
            let (congress, person_id) = match deputy {
                Some(d) => {
                    let p = participant(&d)?;
                    (p.congress, p.person_id)
                }
                None => (0, String::new()),
            };
            let list = c
                .list_activities(pb::ListActivitiesRequest {
                    page: page(limit, &after),
                    congress,
                    person_id,
                })
                .await?;
            let kind = if out.en { "kind" } else { "kind_zh" };
            let cols = [kind, "held_on", "title", "place", "points", "home", "id"];
            output::list(out, list.get_ref(), &cols);
            return Ok(());
        }
        Command::Report {
            person_id,
            year,
            xlsx,
        } => {
            let r = c
                .get_duty_report(pb::DutyReportRequest { person_id, year })
                .await?
                .into_inner();
            if let Some(path) = &xlsx {
                write_xlsx(path, &r)?;
            }
            print_report(out, &r, xlsx.as_deref());
            return Ok(());
        }
    };
    output::record(out, reply.get_ref(), ORDER);
    Ok(())
}

fn print_report(out: output::Out, r: &pb::DutyReport, xlsx: Option<&std::path::Path>) {
    if out.json {
        let kinds: Vec<_> = r
            .kinds
            .iter()
            .map(|k| {
                json!({"kind": k.kind, "activities": k.activities, "points": k.points, "target": k.target})
            })
            .collect();
        let records: Vec<_> = r.records.iter().map(output::record_json).collect();
        say!(
            "{}",
            json!({
                "congress": r.congress.to_string(), "person_id": r.person_id, "name": r.name,
                "year": r.year, "activities": r.activities, "points": r.points,
                "kinds": kinds, "records": records,
                "xlsx": xlsx.map(|p| p.display().to_string()),
            })
        );
        return;
    }
    let who = if r.name.is_empty() {
        r.person_id.clone()
    } else {
        format!("{}（{}）", r.name, r.person_id)
    };
    if out.en {
        say!(
            "Duty record of {who}, {}: activities {}, points {}",
            r.year,
            r.activities,
            r.points
        );
    } else {
        say!(
            "{who} {}年度履职档案：活动 {} 次，积分 {}",
            r.year,
            r.activities,
            r.points
        );
    }
    let header: Vec<String> = if out.en {
        ["kind", "activities", "points", "yearly target"]
    } else {
        ["活动类别", "次数", "积分", "年度要求"]
    }
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows: Vec<Vec<String>> = r
        .kinds
        .iter()
        .map(|k| {
            let target = match (k.target, k.activities >= k.target) {
                (0, _) => String::new(),
                (t, true) => format!("{t} ✓"),
                (t, false) => {
                    if out.en {
                        format!("{t} (short)")
                    } else {
                        format!("{t}（未完成）")
                    }
                }
            };
            vec![
                if out.en {
                    k.kind.clone()
                } else {
                    k.kind_zh.clone()
                },
                k.activities.to_string(),
                k.points.to_string(),
                target,
            ]
        })
        .collect();
    output::table(&header, &rows);
    if !r.records.is_empty() {
        let list = pb::RecordList {
            records: r.records.clone(),
            next: String::new(),
        };
        let kind = if out.en { "kind" } else { "kind_zh" };
        output::list(
            out,
            &list,
            &[kind, "held_on", "title", "place", "points", "home"],
        );
    }
    if let Some(p) = xlsx {
        say!(
            "{}",
            if out.en {
                format!("written to {}", p.display())
            } else {
                format!("已写入 {}", p.display())
            }
        );
    }
}

fn write_xlsx(path: &std::path::Path, r: &pb::DutyReport) -> anyhow::Result<()> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("履职档案")?;
    let title = format!("{}（{}）{}年度履职档案", r.name, r.person_id, r.year);
    ws.write_string(0, 0, &title)?;
    let header = ["活动类别", "日期", "主题", "地点", "积分", "组织单位"];
    for (j, h) in header.iter().enumerate() {
        ws.write_string(2, j as u16, *h)?;
    }
    let mut row = 3u32;
    for rec in &r.records {
        let v = |k: &str| rec.view.get(k).cloned().unwrap_or_default();
        let home = wuji_node::names::office(&v("home"));
        for (j, cell) in [v("kind_zh"), v("held_on"), v("title"), v("place")]
            .iter()
            .enumerate()
        {
            ws.write_string(row, j as u16, cell)?;
        }
        ws.write_number(row, 4, v("points").parse::<f64>().unwrap_or(0.0))?;
        ws.write_string(row, 5, &home)?;
        row += 1;
    }
    row += 1;
    ws.write_string(row, 0, "合计")?;
    ws.write_number(row, 1, f64::from(r.activities))?;
    ws.write_number(row, 4, f64::from(r.points))?;
    wb.save(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
