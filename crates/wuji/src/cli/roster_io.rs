//! Roster import (.xlsx, .xls, .csv in UTF-8 or GBK/GB18030) and export (.xlsx,
//! .csv with a BOM so Excel opens it as UTF-8). An import is checked row by row,
//! with a progress bar, then sent as one all-or-nothing call; `--dry-run` only
//! lists the bad rows.

use super::deputy::{COLUMNS, ListArgs, gender_number, list_request};
use super::output::{self, Out};
use anyhow::{Context, bail};
use serde_json::json;
use std::path::Path;
use tonic::transport::Channel;
use wuji_division::Code;
use wuji_proto::pb::{self, deputies_client::DeputiesClient};

/// A roster column and the headers offices use for it.
const HEADERS: &[(&str, &[&str])] = &[
    ("person_id", &["人员编号", "代表编号", "编号", "person_id"]),
    ("name", &["姓名", "代表姓名", "name"]),
    ("gender", &["性别", "gender"]),
    ("term", &["届次", "届别", "届", "term"]),
    (
        "electoral_unit",
        &[
            "选区",
            "原选举单位",
            "选举单位",
            "选区/选举单位",
            "electoral_unit",
        ],
    ),
    ("delegation", &["代表团", "delegation"]),
    ("group", &["代表小组", "小组", "group"]),
    ("station", &["联络站", "代表联络站", "代表之家", "station"]),
    (
        "attached",
        &["挂钩地区", "所在地区", "地区代码", "attached"],
    ),
    ("phone", &["联系电话", "电话", "手机", "phone"]),
    (
        "id_number",
        &["身份证号", "公民身份号码", "身份证号码", "id_number"],
    ),
    ("address", &["住址", "地址", "address"]),
];

/// Reads a file into rows of text cells (the first row is the header).
pub fn read_rows(path: &Path) -> anyhow::Result<Vec<Vec<String>>> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    wuji::roster_file::rows(&ext, bytes).with_context(|| path.display().to_string())
}

/// 届次 as a number: "17", "第十七届", "十七".
pub fn term(s: &str) -> Option<u32> {
    let s = s
        .trim()
        .trim_start_matches('第')
        .trim_end_matches('届')
        .trim();
    if s.is_empty() {
        return Some(0);
    }
    if let Ok(n) = s.parse() {
        return Some(n);
    }
    let digit = |c: char| {
        "零一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .map(|n| n as u32)
    };
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [d] if *d == '十' => Some(10),
        [d] => digit(*d),
        ['十', u] => Some(10 + digit(*u)?),
        [t, '十'] => Some(digit(*t)? * 10),
        [t, '十', u] => Some(digit(*t)? * 10 + digit(*u)?),
        _ => None,
    }
}

/// Turns rows into enrol requests; rows that cannot be read become problems.
pub fn to_requests(
    rows: &[Vec<String>],
    progress: &indicatif::ProgressBar,
) -> anyhow::Result<(Vec<pb::EnrolRequest>, Vec<pb::RowProblem>)> {
    let Some(header) = rows.first() else {
        bail!("the file is empty")
    };
    let mut col: Vec<Option<&str>> = Vec::new();
    for h in header {
        let h = h.trim();
        col.push(
            HEADERS
                .iter()
                .find(|(_, names)| names.contains(&h))
                .map(|(f, _)| *f),
        );
    }
    for needed in ["person_id", "name"] {
        if !col.contains(&Some(needed)) {
            let names = HEADERS
                .iter()
                .find(|(f, _)| *f == needed)
                .map(|(_, n)| n.join("/"))
                .unwrap_or_default();
            bail!("the header row has no {needed} column (one of: {names})");
        }
    }
    let mut reqs = Vec::new();
    let mut problems = Vec::new();
    for (i, row) in rows.iter().enumerate().skip(1) {
        progress.inc(1);
        let line = i as u32 + 1;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut r = pb::EnrolRequest {
            row: line,
            ..Default::default()
        };
        let mut bad = Vec::new();
        for (c, value) in col.iter().zip(row.iter()) {
            let v = value.trim().to_string();
            match c {
                Some("person_id") => r.person_id = v,
                Some("name") => r.name = v,
                Some("gender") => match gender_number(&v) {
                    Ok(g) => r.gender = g,
                    Err(e) => bad.push(e.to_string()),
                },
                Some("term") => match term(&v) {
                    Some(t) => r.term = t,
                    None => bad.push(format!("届次 {v:?} is not a term number")),
                },
                Some("electoral_unit") => r.electoral_unit = v,
                Some("delegation") => r.delegation = v,
                Some("group") => r.group = v,
                Some("station") => r.station = v,
                Some("attached") => {
                    for part in v
                        .split([',', '，', '、', ';', ' '])
                        .filter(|p| !p.trim().is_empty())
                    {
                        match Code::parse(part) {
                            Ok(c) => r.attached.push(c.value()),
                            Err(e) => bad.push(format!("挂钩地区: {e}")),
                        }
                    }
                }
                Some("phone") => r.phone = v,
                Some("id_number") => r.id_number = v,
                Some("address") => r.address = v,
                _ => {}
            }
        }
        if bad.is_empty() {
            reqs.push(r);
        } else {
            problems.push(pb::RowProblem {
                row: line,
                message: bad.join("; "),
            });
        }
    }
    Ok((reqs, problems))
}

/// `wuji deputy import FILE [--dry-run]`.
pub async fn import(
    out: Out,
    c: &mut DeputiesClient<Channel>,
    path: &Path,
    dry_run: bool,
) -> anyhow::Result<()> {
    let rows = read_rows(path)?;
    let bar = if out.json {
        indicatif::ProgressBar::hidden()
    } else {
        let b = indicatif::ProgressBar::new(rows.len().saturating_sub(1) as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.set_message(if out.en { "reading rows" } else { "读取" });
        b
    };
    let (reqs, mut problems) = to_requests(&rows, &bar)?;
    bar.finish_and_clear();
    let total = reqs.len() + problems.len();
    let check = c
        .import(pb::ImportRequest {
            rows: reqs.clone(),
            dry_run: true,
        })
        .await?
        .into_inner();
    problems.extend(check.problems);
    problems.sort_by_key(|p| p.row);
    if !problems.is_empty() {
        print_problems(out, &problems, total);
        bail!(
            "{} of {total} rows have problems; nothing was imported",
            problems.len()
        );
    }
    if dry_run {
        output::message(
            out,
            &format!("全部 {total} 行无误（试运行，未导入）"),
            &format!("all {total} rows are valid (dry run: nothing imported)"),
            json!({ "rows": total, "problems": [] }),
        );
        return Ok(());
    }
    let done = c
        .import(pb::ImportRequest {
            rows: reqs,
            dry_run: false,
        })
        .await?
        .into_inner();
    if !done.problems.is_empty() {
        print_problems(out, &done.problems, total);
        bail!("the node refused the import; nothing was imported");
    }
    output::message(
        out,
        &format!("已导入 {} 名代表", done.imported),
        &format!("imported {} deputies", done.imported),
        json!({ "imported": done.imported }),
    );
    Ok(())
}

pub fn print_problems(out: Out, problems: &[pb::RowProblem], total: usize) {
    if out.json {
        let list: Vec<_> = problems
            .iter()
            .map(|p| json!({ "row": p.row, "message": p.message }))
            .collect();
        say!("{}", json!({ "rows": total, "problems": list }));
        return;
    }
    let header = if out.en {
        vec!["row".to_string(), "problem".to_string()]
    } else {
        vec!["行号".to_string(), "问题".to_string()]
    };
    let rows: Vec<Vec<String>> = problems
        .iter()
        .map(|p| vec![p.row.to_string(), p.message.clone()])
        .collect();
    output::table(&header, &rows);
}

/// `wuji deputy export --format xlsx|csv --out FILE`.
pub async fn export(
    out: Out,
    c: &mut DeputiesClient<Channel>,
    format: &str,
    path: &Path,
    filter: &ListArgs,
) -> anyhow::Result<()> {
    let mut req = list_request(filter)?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let fields = [
        "person_id",
        "name",
        "gender",
        "term",
        "electoral_unit",
        "delegation",
        "group",
        "station",
        "attached",
        "phone",
        "id_number",
        "address",
        "status_zh",
        "id",
    ];
    let header: Vec<String> = [
        "人员编号",
        "姓名",
        "性别",
        "届次",
        "选区/选举单位",
        "代表团",
        "代表小组",
        "联络站",
        "挂钩地区",
        "联系电话",
        "身份证号",
        "住址",
        "状态",
        "编号",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    loop {
        if let Some(p) = req.page.as_mut() {
            p.limit = 500;
        }
        let page = c.list_deputies(req.clone()).await?.into_inner();
        for r in &page.records {
            rows.push(
                fields
                    .iter()
                    .map(|f| {
                        let v = r.view.get(*f).cloned().unwrap_or_default();
                        match (*f, v.as_str()) {
                            ("gender", "male") => "男".into(),
                            ("gender", "female") => "女".into(),
                            ("gender", _) => String::new(),
                            _ => v,
                        }
                    })
                    .collect(),
            );
        }
        if page.next.is_empty() {
            break;
        }
        req.page = Some(pb::Page {
            limit: 500,
            after: page.next,
        });
    }
    match format {
        "csv" => {
            let mut buf = b"\xEF\xBB\xBF".to_vec();
            {
                let mut w = csv::Writer::from_writer(&mut buf);
                w.write_record(&header)?;
                for r in &rows {
                    w.write_record(r)?;
                }
                w.flush()?;
            }
            std::fs::write(path, buf)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        _ => {
            let mut wb = rust_xlsxwriter::Workbook::new();
            let ws = wb.add_worksheet();
            ws.set_name("代表名单")?;
            for (j, h) in header.iter().enumerate() {
                ws.write_string(0, j as u16, h)?;
            }
            for (i, r) in rows.iter().enumerate() {
                for (j, v) in r.iter().enumerate() {
                    ws.write_string(i as u32 + 1, j as u16, v)?;
                }
            }
            wb.save(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    let _ = COLUMNS;
    output::message(
        out,
        &format!("已导出 {} 名代表到 {}", rows.len(), path.display()),
        &format!("exported {} deputies to {}", rows.len(), path.display()),
        json!({ "exported": rows.len(), "file": path.display().to_string() }),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_in_chinese_numerals() {
        assert_eq!(term("第十七届"), Some(17));
        assert_eq!(term("十"), Some(10));
        assert_eq!(term("二十"), Some(20));
        assert_eq!(term("14"), Some(14));
        assert_eq!(term(""), Some(0));
        assert_eq!(term("很多"), None);
    }

    #[test]
    fn gbk_and_utf8_csv_decode_alike() {
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,人员编号\n王芳,P1\n");
        assert_eq!(wuji::roster_file::decode(&gbk), "姓名,人员编号\n王芳,P1\n");
        assert_eq!(wuji::roster_file::decode("\u{feff}姓名".as_bytes()), "姓名");
    }
}
