//! The list of 建议 as filtered, every page of it, as an .xlsx workbook in
//! the offices' layout: 代表建议办理情况汇总表, a title row, the date it was
//! taken, then one row per suggestion (序号, 编号, 标题, ... 办理状态).

use super::suggestions::{Filters, status_label};
use super::{problem, refusal};
use crate::i18n::Lang;
use crate::{Console, Viewer};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, FormatAlign, Workbook};
use std::collections::BTreeMap;
use std::sync::Arc;
use wuji_node::names;
use wuji_proto::pb::suggestions_server::Suggestions as _;

/// The most rows one workbook takes.
const MAX_ROWS: usize = 200_000;

/// The columns: heading, and the value of a record's view.
type Column = (&'static str, fn(&BTreeMap<String, String>, Lang) -> String);

fn g(v: &BTreeMap<String, String>, k: &str) -> String {
    v.get(k).cloned().unwrap_or_default()
}

const COLUMNS: &[Column] = &[
    ("编号", |v, _| g(v, "number")),
    ("标题", |v, _| g(v, "title")),
    ("领衔代表", |v, _| g(v, "lead")),
    ("附议代表", |v, _| g(v, "cosigners").replace(',', "、")),
    ("类别", |v, _| g(v, "category")),
    ("提出日期", |v, _| g(v, "submitted_on")),
    ("提出机关", |v, _| names::office(&g(v, "home"))),
    ("交办机关", |v, _| names::office(&g(v, "handler"))),
    ("承办单位", |v, l| names::units(&g(v, "units"), l.en())),
    ("交办日期", |v, _| g(v, "assigned_on")),
    ("办理期限", |v, _| g(v, "deadline")),
    ("答复类别", |v, l| {
        match (g(v, "answer_class"), g(v, "answer_scheme")) {
            (c, _) if c.is_empty() || l.en() => c,
            (c, s) => names::class_label(&s, &c),
        }
    }),
    ("代表评价", |v, l| match g(v, "rating") {
        r if l.en() => r,
        r => names::term(&r).to_string(),
    }),
    ("办理状态", |v, l| {
        let s = status_label(&g(v, "status"), l);
        if g(v, "overdue") == "true" {
            format!("{s}（{}）", l.t("超期"))
        } else {
            s
        }
    }),
    ("承诺事项", |v, _| g(v, "promises").replace(';', "；")),
];

/// The workbook's bytes.
pub fn workbook(
    office: &str,
    today: &str,
    rows: &[BTreeMap<String, String>],
    l: Lang,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(l.t("办理情况汇总表"))?;
    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_border(rust_xlsxwriter::FormatBorder::Thin)
        .set_background_color("#EEEEEE")
        .set_align(FormatAlign::Center);
    let cell = Format::new()
        .set_border(rust_xlsxwriter::FormatBorder::Thin)
        .set_text_wrap();
    let last = COLUMNS.len() as u16; // 序号 is column 0
    let heading = if l.en() {
        format!("{office}: {}", l.t("代表建议办理情况汇总表"))
    } else {
        format!("{office}{}", l.t("代表建议办理情况汇总表"))
    };
    ws.merge_range(0, 0, 0, last, &heading, &title)?;
    let taken = if l.en() {
        format!("as of {today}, {} suggestions", rows.len())
    } else {
        format!("（截至{today}，共{}件）", rows.len())
    };
    ws.merge_range(
        1,
        0,
        1,
        last,
        &taken,
        &Format::new().set_align(FormatAlign::Center),
    )?;
    ws.write_string_with_format(2, 0, l.t("序号"), &head)?;
    for (j, (h, _)) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(2, j as u16 + 1, l.t(h), &head)?;
    }
    for (i, v) in rows.iter().enumerate() {
        let r = i as u32 + 3;
        ws.write_number_with_format(r, 0, (i + 1) as f64, &cell)?;
        for (j, (_, f)) in COLUMNS.iter().enumerate() {
            ws.write_string_with_format(r, j as u16 + 1, f(v, l), &cell)?;
        }
    }
    ws.set_column_width(0, 6)?;
    ws.set_column_width(2, 36)?;
    for j in [3u16, 4, 7, 8, 9, 15] {
        ws.set_column_width(j, 18)?;
    }
    ws.set_freeze_panes(3, 0)?;
    wb.save_to_buffer()
}

/// The download.
pub async fn download(
    State(c): State<Arc<Console>>,
    v: Viewer,
    Query(q): Query<Filters>,
) -> Response {
    let l = v.lang;
    let service = wuji_node::api::suggestions::Service::new(c.node.clone());
    let mut rows = Vec::new();
    let mut after = String::new();
    loop {
        let req = match q.request(after.clone(), c.node.max_page()) {
            Ok(r) => r,
            Err(e) => return problem(l, StatusCode::BAD_REQUEST, &e),
        };
        match service.list_suggestions(tonic::Request::new(req)).await {
            Ok(r) => {
                let r = r.into_inner();
                rows.extend(r.records.into_iter().map(|x| x.view));
                if r.next.is_empty() || rows.len() >= MAX_ROWS {
                    break;
                }
                after = r.next;
            }
            Err(e) => return problem(l, StatusCode::BAD_REQUEST, &refusal(l, &e)),
        }
    }
    let office = wuji_division::embedded().office_of(c.node.code());
    let today = c.node.today().to_string();
    let bytes = match workbook(&office, &today, &rows, l) {
        Ok(b) => b,
        Err(e) => return problem(l, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let name = format!("{}-{today}.xlsx", l.t("代表建议办理情况汇总表"));
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"suggestions-{today}.xlsx\"; filename*=UTF-8''{}",
                    super::encode(&name)
                ),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workbook_has_the_title_the_headings_and_a_row_per_suggestion() {
        let mut v = BTreeMap::new();
        for (k, x) in [
            ("number", "雨花2026-001"),
            ("title", "关于增设公交站点的建议"),
            ("units", "区交通运输局(lead),区规划分局(co)"),
            ("status", "answered"),
            ("answer_class", "A"),
            ("answer_scheme", "ABC"),
        ] {
            v.insert(k.to_string(), x.to_string());
        }
        let bytes = workbook("南京市人大常委会", "2026-12-06", &[v.clone(), v], Lang::Zh).unwrap();
        use calamine::Reader;
        let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let sheet = wb.worksheet_range("办理情况汇总表").unwrap();
        let cell = |r: u32, c: u32| {
            sheet
                .get_value((r, c))
                .map(|x| x.to_string())
                .unwrap_or_default()
        };
        assert_eq!(cell(0, 0), "南京市人大常委会代表建议办理情况汇总表");
        assert_eq!(cell(1, 0), "（截至2026-12-06，共2件）");
        assert_eq!(cell(2, 0), "序号");
        assert_eq!(cell(2, 1), "编号");
        assert_eq!(cell(3, 0), "1");
        assert_eq!(cell(4, 1), "雨花2026-001");
        assert_eq!(cell(3, 9), "区交通运输局（主办）、区规划分局（协办）");
        assert_eq!(cell(3, 12), "A类（已解决或采纳）");
        assert_eq!(cell(3, 14), "已答复");
        assert_eq!(sheet.height(), 5);
    }
}
