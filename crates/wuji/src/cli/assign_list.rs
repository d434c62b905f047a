//! `wuji suggestion assign-list FILE`: a 建议交办清单 (.xlsx, .xls, .csv) read
//! row by row: 建议编号 (or 系统编号), 主办单位, 协办单位, 分别办理单位 (several
//! units in a cell separated by 、 , ; or ，). Every bad row is named; all
//! rows are assigned or none.

use super::ids::record_id;
use super::output::{self, Out};
use super::roster_io::{print_problems, read_rows};
use anyhow::{Context, bail};
use serde_json::json;
use std::path::Path;
use tonic::transport::Channel;
use wuji_proto::pb::{self, suggestions_client::SuggestionsClient};

/// The columns read, by their header (Chinese or English).
const NUMBER: &[&str] = &["建议编号", "编号", "number"];
const ID: &[&str] = &["系统编号", "id"];
const LEAD: &[&str] = &["主办单位", "主办", "lead unit", "lead"];
const CO: &[&str] = &["协办单位", "协办", "co units", "co"];
const SEPARATE: &[&str] = &["分别办理单位", "分别办理", "separate"];

fn column(header: &[String], names: &[&str]) -> Option<usize> {
    header
        .iter()
        .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
}

fn split(cell: &str) -> Vec<String> {
    cell.split(['、', ',', ';', '，', '；'])
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The rows of a list as requests (row numbers as the office sees them:
/// the header is row 1).
pub fn to_rows(rows: &[Vec<String>]) -> anyhow::Result<Vec<pb::AssignRow>> {
    let Some(header) = rows.first() else {
        bail!(
            "the file is empty: expected a header row (建议编号, 主办单位, 协办单位, 分别办理单位)"
        );
    };
    let number = column(header, NUMBER);
    let id = column(header, ID);
    if number.is_none() && id.is_none() {
        bail!("no 建议编号 or 系统编号 column in the header {header:?}");
    }
    let lead = column(header, LEAD);
    let co = column(header, CO);
    let separate = column(header, SEPARATE);
    if lead.is_none() && separate.is_none() {
        bail!("no 主办单位 or 分别办理单位 column in the header {header:?}");
    }
    let cell = |r: &Vec<String>, c: Option<usize>| {
        c.and_then(|i| r.get(i))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate().skip(1) {
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let id_text = cell(r, id);
        out.push(pb::AssignRow {
            row: i as u32 + 1,
            number: cell(r, number),
            id: if id_text.is_empty() {
                None
            } else {
                Some(record_id(&id_text).with_context(|| format!("row {}", i + 1))?)
            },
            lead_unit: cell(r, lead),
            co_units: split(&cell(r, co)),
            separate: split(&cell(r, separate)),
        });
    }
    Ok(out)
}

/// Checks the list at the node, then (unless `dry_run`) assigns every row.
pub async fn run(
    out: Out,
    c: &mut SuggestionsClient<Channel>,
    path: &Path,
    dry_run: bool,
) -> anyhow::Result<()> {
    let rows = to_rows(&read_rows(path)?)?;
    let total = rows.len();
    let check = c
        .assign_list(pb::AssignListRequest {
            rows: rows.clone(),
            dry_run: true,
        })
        .await?
        .into_inner();
    if !check.problems.is_empty() {
        print_problems(out, &check.problems, total);
        bail!(
            "{} of {total} rows have problems; nothing was assigned",
            check.problems.len()
        );
    }
    if dry_run {
        output::message(
            out,
            &format!("全部 {total} 行无误（试运行，未交办）"),
            &format!("all {total} rows are valid (dry run: nothing assigned)"),
            json!({ "rows": total, "problems": [] }),
        );
        return Ok(());
    }
    let done = c
        .assign_list(pb::AssignListRequest {
            rows,
            dry_run: false,
        })
        .await?
        .into_inner();
    if !done.problems.is_empty() {
        print_problems(out, &done.problems, total);
        bail!("the node refused the list; nothing was assigned");
    }
    output::message(
        out,
        &format!("已交办 {} 件建议", done.imported),
        &format!("assigned {} suggestions", done.imported),
        json!({ "assigned": done.imported }),
    );
    Ok(())
}
