//! 建议交办清单: a whole list of 交办 at once, as the office keeps it in a
//! workbook after the session: each row names a suggestion handled here (by
//! its 建议编号 or id) and its units. Every row is checked as the workflow
//! would check it and every bad row is named; then all rows are written in
//! one batch, or none.

use crate::{Error, Node, Op, index};
use std::collections::{BTreeMap, BTreeSet};
use wuji_model::suggestion::workflow as wf;
use wuji_model::suggestion::{HandlingUnit, UnitRole};
use wuji_model::{Ctx, Record, RecordId, RecordKind};
use wuji_proto::pb;
use wuji_store::layout::index_prefix;

/// The suggestions this node handles now, by this node's 建议编号.
fn by_number(node: &Node) -> Result<BTreeMap<String, Record>, Error> {
    let me = node.code();
    let prefix = index_prefix(index::STATUS_HANDLER, &me.value().to_be_bytes());
    let (mut out, mut after) = (BTreeMap::new(), None);
    loop {
        let (recs, next) = node.scan(&prefix, after, 1_000, |r| {
            r.id.kind == RecordKind::Suggestion
        })?;
        for r in recs {
            if let Some(n) = r.handling(me).map(|h| h.number.get().trim().to_string())
                && !n.is_empty()
            {
                out.insert(n, r);
            }
        }
        match next {
            Some(k) => after = Some(k),
            None => return Ok(out),
        }
    }
}

fn units(row: &pb::AssignRow) -> Vec<HandlingUnit> {
    let unit = |name: &String, role| HandlingUnit {
        name: name.trim().to_string(),
        role,
    };
    let mut out = Vec::new();
    if !row.lead_unit.trim().is_empty() {
        out.push(unit(&row.lead_unit, UnitRole::Lead));
    }
    out.extend(
        row.co_units
            .iter()
            .filter(|u| !u.trim().is_empty())
            .map(|u| unit(u, UnitRole::Co)),
    );
    out.extend(
        row.separate
            .iter()
            .filter(|u| !u.trim().is_empty())
            .map(|u| unit(u, UnitRole::Separate)),
    );
    out
}

/// A good row: the suggestion and the units it is assigned to.
pub type Assignment = (RecordId, Vec<HandlingUnit>);

/// Checks every row; the writes of the good ones and the problems of the bad.
pub fn check(
    node: &Node,
    rows: &[pb::AssignRow],
) -> Result<(Vec<Assignment>, Vec<pb::RowProblem>), Error> {
    let numbers = by_number(node)?;
    let calendar = node.calendar();
    let ctx = Ctx {
        node: node.code(),
        at: wuji_crdt::Stamp::default(),
        today: node.today(),
        rules: node.rules(),
        calendar: &calendar,
    };
    let (mut good, mut problems, mut seen) = (Vec::new(), Vec::new(), BTreeSet::new());
    for row in rows {
        let problem = |m: String| pb::RowProblem {
            row: row.row,
            message: m,
        };
        let rec = match (&row.id, row.number.trim()) {
            (Some(id), _) => {
                let rid = super::id(RecordKind::Suggestion, Some(id))?;
                node.read(&rid)?
            }
            (None, "") => {
                problems.push(problem("建议编号为空 (the row names no suggestion)".into()));
                continue;
            }
            (None, n) => numbers.get(n).cloned(),
        };
        let Some(rec) = rec else {
            problems.push(problem(format!(
                "建议编号 {} 不在本级办理的建议中 (no suggestion handled here has this number)",
                row.number.trim()
            )));
            continue;
        };
        if !seen.insert(rec.id) {
            problems.push(problem(format!(
                "建议 {} 在清单中出现两次 (the suggestion is listed twice)",
                row.number.trim()
            )));
            continue;
        }
        let u = units(row);
        if let Err(e) = super::directory::check_units(node, u.iter().map(|x| x.name.as_str())) {
            problems.push(problem(e.to_string()));
            continue;
        }
        match wf::assign(&ctx, &rec, &u) {
            Ok(_) => good.push((rec.id, u)),
            Err(e) => problems.push(problem(format!("{}（{}）", e.zh(), e))),
        }
    }
    Ok((good, problems))
}

/// `AssignList`.
pub async fn run(node: &Node, r: pb::AssignListRequest) -> Result<pb::ImportReply, Error> {
    if r.rows.is_empty() {
        return Err(Error::bad("import-rows", "the list has no rows"));
    }
    let (good, problems) = check(node, &r.rows)?;
    if !problems.is_empty() || r.dry_run {
        return Ok(pb::ImportReply {
            imported: 0,
            problems,
            ids: Vec::new(),
        });
    }
    let ops: Vec<Op> = good
        .into_iter()
        .map(|(rid, u)| {
            Op::new(rid, move |ctx, cur| {
                let rec = super::existing("suggestion", &rid, cur)?;
                Ok(wf::assign(ctx, rec, &u)?)
            })
        })
        .collect();
    let c = node.write(ops).await?;
    Ok(pb::ImportReply {
        imported: c.records.len() as u32,
        problems: Vec::new(),
        ids: c
            .records
            .iter()
            .map(|r| wuji_proto::record_id_to_pb(r.id))
            .collect(),
    })
}
