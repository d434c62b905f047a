//! How results print: a readable table (Chinese labels by default, English with
//! `--lang en`) aligned by display width, or exactly one JSON document with `--json`.

use serde_json::{Map, Value, json};
use std::collections::HashMap;
use unicode_width::UnicodeWidthStr;
use wuji_proto::pb;

/// Output settings shared by every client command.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    /// One JSON document instead of a table.
    pub json: bool,
    /// English labels instead of Chinese.
    pub en: bool,
    /// Division codes instead of names in tables.
    pub codes: bool,
}

/// Label of a field: (Chinese, English).
fn label(key: &str) -> (&str, &str) {
    match key {
        "id" => ("系统编号", "record id"),
        "home" => ("所属", "home"),
        "name" => ("姓名", "name"),
        "person_id" => ("人员编号", "person id"),
        "gender" => ("性别", "gender"),
        "level" => ("层级", "level"),
        "term" => ("届次", "term"),
        "electoral_unit" => ("选区/选举单位", "electoral unit"),
        "delegation" => ("代表团", "delegation"),
        "group" => ("代表小组", "group"),
        "station" => ("联络站", "station"),
        "status" => ("状态(代码)", "status"),
        "status_zh" => ("状态", "status (zh)"),
        "attached" => ("挂钩地区", "attached areas"),
        "phone" => ("联系电话", "phone"),
        "id_number" => ("身份证号", "ID number"),
        "address" => ("住址", "address"),
        "placements" => ("进站/网格", "placements"),
        "kind" => ("类别", "kind"),
        "title" => ("标题", "title"),
        "text" => ("内容", "text"),
        "category" => ("分类", "category"),
        "lead" => ("领衔代表", "lead submitter"),
        "cosigners" => ("联名代表", "co-signers"),
        "during_session" => ("提出时间", "during session"),
        "submitted_on" => ("提出日期", "submitted on"),
        "external_id" => ("外部工单号", "external id"),
        "withdrawn_on" => ("撤回日期", "withdrawn on"),
        "handler" => ("交办机关", "handling office"),
        "round" => ("办理轮次", "round"),
        "deadline" => ("答复期限", "answer deadline"),
        "warning" => ("提示", "warning"),
        "overdue" => ("超期", "overdue"),
        "chain" => ("办理链", "handling chain"),
        "number" => ("建议编号", "number"),
        "assigned_on" => ("交办日期", "assigned on"),
        "units" => ("承办单位", "handling units"),
        "answers" => ("答复数", "answers"),
        "returns" => ("退办数", "returns"),
        "co_views" => ("协办意见数", "co-unit views"),
        "latest_answer" => ("最新答复", "latest answer"),
        "answer_class" => ("答复类别", "answer class"),
        "answer_text" => ("答复内容", "answer text"),
        "answer_unit" => ("答复单位", "answering unit"),
        "promises" => ("承诺事项", "promises"),
        "rating" => ("代表满意度", "rating"),
        "merged_into" => ("并案至", "merged into"),
        "supervision" => ("督办", "supervision"),
        "targets" => ("交办地区", "targets"),
        "due_on" => ("完成时限", "due on"),
        "issued_on" => ("交办日期", "issued on"),
        "done" => ("已完成", "done"),
        "responses" => ("各地办理", "responses"),
        "mode" => ("督办方式", "mode"),
        "lead_supervisor" => ("督办领导", "lead supervisor"),
        "covers" => ("督办范围", "covers"),
        "milestones" => ("节点", "milestones"),
        "progress" => ("进度", "progress"),
        "reports" => ("报告数", "reports"),
        "suggestion" => ("关联建议", "suggestion"),
        "history" => ("办理过程", "history"),
        "kind_zh" => ("活动类别", "kind"),
        "held_on" => ("活动日期", "held on"),
        "place" => ("地点", "place"),
        "participants" => ("参加代表", "deputies"),
        "points" => ("积分", "points"),
        "voided_on" => ("作废日期", "voided on"),
        "review" => ("评议结果", "review"),
        "detail" => ("接待日/说明", "detail"),
        "location" => ("地址", "address"),
        "leader" => ("负责人", "leader"),
        "members" => ("代表", "deputies"),
        "member_count" => ("代表数", "deputies"),
        "closed_on" => ("撤销日期", "closed on"),
        "keeper" => ("联系人", "kept by"),
        "quota" => ("代表名额", "seats"),
        "from_opinion" => ("来源群众意见", "from citizen opinion"),
        "taken_up_as" => ("已转为代表建议", "taken up as"),
        "taken_up_status" => ("代表建议办理状态", "its status"),
        "taken_up_status_zh" => ("代表建议办理状态", "its status"),
        "taken_up_answer" => ("答复", "its answer"),
        "community" => ("村（社区）", "community"),
        "visits" => ("走访记录", "visits"),
        "visits_this_year" => ("本年走访", "visits this year"),
        "on_target" => ("达到要求", "on target"),
        "ended_on" => ("结束日期", "ended on"),
        "review_zh" => ("评议结果", "review"),
        "ground" => ("出缺原因", "ground"),
        "ground_zh" => ("出缺原因", "ground"),
        "vacated_on" => ("出缺日期", "vacated on"),
        "state" => ("状态", "state"),
        "state_zh" => ("状态", "state"),
        "election_on" => ("补选日期", "by-election on"),
        "filled_by" => ("补选代表", "filled by"),
        "filled_on" => ("补选完成", "filled on"),
        "promises_total" => ("承诺事项数", "promises"),
        "promises_open" => ("未落实承诺", "promises open"),
        "promises_overdue" => ("逾期承诺", "promises overdue"),
        other => (other, other),
    }
}

fn pad(s: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

/// Prints rows as an aligned table with a header.
pub fn table(header: &[String], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header
        .iter()
        .map(|h| UnicodeWidthStr::width(h.as_str()))
        .collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(UnicodeWidthStr::width(c.as_str()).min(40));
        }
    }
    let last = header.len().saturating_sub(1);
    let line = |cells: &[String]| {
        // The last column (ids, values) is never cut: it must stay copyable.
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == last {
                    c.clone()
                } else {
                    pad(&truncate(c, 40), widths[i])
                }
            })
            .collect();
        say!("{}", parts.join("  ").trim_end());
    };
    line(header);
    for r in rows {
        // A value with several lines (a history) continues under its column.
        let mut first = r.clone();
        let mut rest: Vec<String> = Vec::new();
        if let Some(v) = first.last_mut()
            && v.contains('\n')
        {
            let mut lines: Vec<String> = v.lines().map(str::to_string).collect();
            rest = lines.split_off(1.min(lines.len()));
            *v = lines.pop().unwrap_or_default();
        }
        line(&first);
        for more in rest {
            let mut cells = vec![String::new(); first.len() - 1];
            cells.push(more);
            line(&cells);
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    if UnicodeWidthStr::width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if UnicodeWidthStr::width(out.as_str()) + 3 >= max {
            break;
        }
        out.push(c);
    }
    out + "…"
}

/// A value as a person reads it: enum codes in the office's terms unless `en`.
fn shown(key: &str, value: &str, en: bool) -> String {
    if en {
        return value.to_string();
    }
    let zh = match (key, value) {
        ("level", "national") => "全国",
        ("level", "province") => "省级",
        ("level", "city") => "市级",
        ("level", "county") => "县级",
        ("level", "township") => "乡镇",
        ("gender", "male") => "男",
        ("gender", "female") => "女",
        ("gender", "unknown") => "",
        ("overdue", "true") => "是",
        ("overdue", "false") => "否",
        ("during_session", "true") => "是",
        ("during_session", "false") => "否",
        ("rating", "satisfied") => "满意",
        ("rating", "basic") => "基本满意",
        ("rating", "dissatisfied") => "不满意",
        ("kind", "suggestion") => "建议",
        ("kind", "bill_proposal") => "议案",
        ("kind", "citizen_opinion") => "群众意见",
        _ => return value.to_string(),
    };
    zh.to_string()
}

/// A field of a record's view as a person reads it: a deadline fixed under a
/// provisional holiday calendar says so.
fn cell(view: &std::collections::BTreeMap<String, String>, key: &str, out: Out) -> String {
    let en = out.en;
    let v = view.get(key).map(String::as_str).unwrap_or_default();
    if key == "answer_class" && !en && !v.is_empty() {
        // The class as the answering congress's scheme writes it (A类, 甲类).
        let scheme = view
            .get("answer_scheme")
            .map(String::as_str)
            .unwrap_or("ABCD");
        return wuji_node::names::class_label(scheme, v);
    }
    let s = match wuji_node::names::value(key, v, en, out.codes) {
        Some(s) if !v.is_empty() => s,
        _ => shown(key, v, en),
    };
    let provisional = view
        .get("deadline_provisional")
        .is_some_and(|p| p == "true");
    if key == "deadline" && !s.is_empty() && provisional {
        return format!("{s}{}", if en { " (provisional)" } else { "（暂定）" });
    }
    s
}

/// The fields of a record reply, as a JSON object.
pub fn record_json(r: &pb::RecordReply) -> Value {
    let mut m = Map::new();
    for (k, v) in &r.view {
        m.insert(k.clone(), Value::String(v.clone()));
    }
    if r.seq != 0 {
        m.insert("seq".into(), json!(r.seq));
    }
    Value::Object(m)
}

/// Labels a kind of record gives some fields instead of the common ones:
/// (key, Chinese, English).
pub type Relabel<'a> = &'a [(&'a str, &'a str, &'a str)];

fn label_in<'a>(key: &'a str, relabel: Relabel<'a>) -> (&'a str, &'a str) {
    relabel
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, zh, en)| (*zh, *en))
        .unwrap_or_else(|| label(key))
}

/// Prints one record: every field, one per line.
pub fn record(out: Out, r: &pb::RecordReply, order: &[&str]) {
    record_as(out, r, order, &[]);
}

/// [`record`] with some fields labelled as this kind of record names them.
pub fn record_as(out: Out, r: &pb::RecordReply, order: &[&str], relabel: Relabel) {
    if out.json {
        say!("{}", record_json(r));
        return;
    }
    let mut keys: Vec<&String> = r.view.keys().collect();
    let rank: HashMap<&str, usize> = order.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    keys.sort_by_key(|k| {
        (
            rank.get(k.as_str()).copied().unwrap_or(usize::MAX),
            k.to_string(),
        )
    });
    let rows: Vec<Vec<String>> = keys
        .iter()
        .filter(|k| !shown(k, &r.view[k.as_str()], out.en).is_empty())
        // In Chinese a field with a Chinese twin (status_zh, kind_zh) shows once.
        .filter(|k| out.en || !r.view.contains_key(&format!("{k}_zh")))
        .filter(|k| k.as_str() != "deadline_provisional")
        .map(|k| {
            let (zh, en) = match (k.as_str(), r.view.get("kind").map(String::as_str)) {
                // 附议 belongs to 议案; a 建议's co-signers are 联名代表.
                ("cosigners", Some("bill_proposal")) => ("附议代表", "seconders"),
                _ => label_in(k, relabel),
            };
            vec![
                if out.en { en } else { zh }.to_string(),
                cell(&r.view, k, out),
            ]
        })
        .collect();
    let header = if out.en {
        vec!["field".to_string(), "value".to_string()]
    } else {
        vec!["字段".to_string(), "内容".to_string()]
    };
    table(&header, &rows);
}

/// Prints a page of records with the given columns, and how to get the next page.
pub fn list(out: Out, l: &pb::RecordList, columns: &[&str]) {
    list_as(out, l, columns, &[]);
}

/// [`list`] with some columns labelled as this kind of record names them.
pub fn list_as(out: Out, l: &pb::RecordList, columns: &[&str], relabel: Relabel) {
    if out.json {
        let recs: Vec<Value> = l.records.iter().map(record_json).collect();
        say!("{}", json!({ "records": recs, "next": l.next }));
        return;
    }
    let header: Vec<String> = columns
        .iter()
        .map(|c| {
            let (zh, en) = label_in(c, relabel);
            if out.en { en } else { zh }.to_string()
        })
        .collect();
    let rows: Vec<Vec<String>> = l
        .records
        .iter()
        .map(|r| columns.iter().map(|c| cell(&r.view, c, out)).collect())
        .collect();
    table(&header, &rows);
    footer(out, l.records.len(), &l.next, "条", "shown");
}

/// The line under a page: how many were shown (`zh_unit`: 条, 项 …;
/// `en_word`: shown, entries …) and how to get the next page.
pub fn footer(out: Out, n: usize, next: &str, zh_unit: &str, en_word: &str) {
    if out.en {
        let more = if next.is_empty() {
            String::new()
        } else {
            format!("; more with --after {next}")
        };
        say!("({n} {en_word}{more})");
    } else {
        let more = if next.is_empty() {
            String::new()
        } else {
            format!("；下一页: --after {next}")
        };
        say!("(共 {n} {zh_unit}{more})");
    }
}

/// Prints a plain message (or `{"message": ...}` with `--json`).
pub fn message(out: Out, zh: &str, en: &str, extra: Value) {
    if out.json {
        let mut v = json!({ "message": en });
        if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
            m.extend(e);
        }
        say!("{v}");
    } else {
        say!("{}", if out.en { en } else { zh });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_text_pads_by_display_width() {
        assert_eq!(UnicodeWidthStr::width(pad("王芳", 6).as_str()), 6);
        assert_eq!(pad("ab", 4), "ab  ");
        assert!(UnicodeWidthStr::width(truncate(&"长".repeat(50), 40).as_str()) <= 40);
    }
}
