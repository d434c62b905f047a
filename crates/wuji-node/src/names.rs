//! What a person reads instead of codes and keys: division names and offices
//! (`南京市人大常委会` for 320100) from the tree embedded in the binary, the
//! offices' terms for history steps, unit roles, 督办方式 and states. Tables use
//! these unless `--codes`; `--json` always keeps the codes and keys. The CLI's
//! tables and the console's pages share them.

use wuji_division::{Code, embedded};
use wuji_model::suggestion::{AnswerClass, ClassScheme};

/// The office of a code given as text (`320100` → `南京市人大常委会`); text
/// that is not a code stays as it is.
pub fn office(code: &str) -> String {
    match Code::parse(code) {
        Ok(c) => embedded().office_of(c),
        Err(_) => code.to_string(),
    }
}

/// The division name of a code given as text (`320114` → `雨花台区`).
pub fn place(code: &str) -> String {
    match Code::parse(code) {
        Ok(c) => embedded().name_of(c),
        Err(_) => code.to_string(),
    }
}

/// A comma-separated list of codes as names joined by `、`.
fn places(list: &str, sep: &str) -> String {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(place)
        .collect::<Vec<_>>()
        .join(sep)
}

/// A history step's term (`rehandled` → `重新办理`).
pub fn step(event: &str, en: bool) -> String {
    let zh = match event {
        "submitted" => "提出",
        "registered" => "登记",
        "assigned" => "交办",
        "co_view" => "协办意见",
        "returned" => "退办",
        "extended" => "延期",
        "answered" => "答复",
        "feedback" => "反馈",
        "rehandled" => "重新办理",
        "closed" => "办结",
        "withdrawn" => "撤回",
        "merged" => "并案",
        "escalated" => "上报",
        "transferred" => "转办",
        "supervision_note" => "督办记录",
        other => other,
    };
    if en {
        event.replace('_', " ")
    } else {
        zh.to_string()
    }
}

/// One word of a value in the offices' terms (roles, modes, states, ratings).
pub fn term(word: &str) -> &str {
    match word {
        "lead" => "主办",
        "co" => "协办",
        "separate" => "分别办理",
        "key" => "重点督办",
        "led" => "领衔督办",
        "special" => "专项督办",
        "joint" => "联合督办",
        "coordinated" => "协调督办",
        "livelihood" => "民生实事",
        "pending" => "待签收",
        "acknowledged" => "已签收",
        "reported" => "已报告",
        "done" => "已完成",
        "open" => "未完成",
        "satisfied" => "满意",
        "basic" => "基本满意",
        "dissatisfied" => "不满意",
        other => other,
    }
}

/// Unit lists `名称(lead),名称(co)` with the roles in the offices' terms.
pub fn units(v: &str, en: bool) -> String {
    if en {
        return v.to_string();
    }
    v.split(',')
        .filter(|s| !s.is_empty())
        .map(|u| match u.rsplit_once('(') {
            Some((name, role)) => format!("{name}（{}）", term(role.trim_end_matches(')'))),
            None => u.to_string(),
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// `CODE:word` pairs (responses, supervision) as `name：term`.
fn pairs(v: &str, en: bool, names: bool) -> String {
    v.split(',')
        .filter(|s| !s.is_empty())
        .map(|p| match p.split_once(':') {
            Some((c, w)) => {
                let who = if names { place(c) } else { c.to_string() };
                let what = if en { w } else { term(w) };
                format!("{who}：{what}")
            }
            None => p.to_string(),
        })
        .collect::<Vec<_>>()
        .join(if en { ", " } else { "、" })
}

/// One step of a suggestion's history as a person reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The day (CST), `YYYY-MM-DD`.
    pub date: String,
    /// The office that took the step (or its code).
    pub who: String,
    /// The step in the offices' terms (`交办`).
    pub step: String,
    /// What it said, names and terms in place of codes and keys.
    pub detail: String,
}

/// A history line `DATE\tNODE\tEVENT\tDETAIL` as its parts for a person.
pub fn history_step(line: &str, en: bool, names: bool) -> Option<Step> {
    let f: Vec<&str> = line.splitn(4, '\t').collect();
    let [date, node, event, detail] = f[..] else {
        return None;
    };
    let who = if names {
        office(node)
    } else {
        node.to_string()
    };
    let detail = match event {
        "assigned" => units(detail, en),
        "escalated" | "transferred" if names => match detail.split_once(' ') {
            Some((to, why)) => format!("{} {why}", office(to)),
            None => office(detail),
        },
        "feedback" if !en => match detail.split_once(' ') {
            Some((r, c)) => format!("{} {c}", term(r)),
            None => term(detail).to_string(),
        },
        // CLASS ROUND UNIT: TEXT
        "answered" if !en => match detail.splitn(3, ' ').collect::<Vec<_>>()[..] {
            [class, round, rest] if round.parse::<u32>().is_ok() => {
                let (unit, text) = rest.split_once(": ").unwrap_or((rest, ""));
                format!("{class}类（第{round}轮）{unit}：{text}")
            }
            _ => detail.to_string(),
        },
        "rehandled" if !en => format!("第{detail}轮"),
        "extended" if !en => format!("{detail}个月"),
        _ => detail.to_string(),
    };
    Some(Step {
        date: date.to_string(),
        who,
        step: step(event, en),
        detail: detail.trim().to_string(),
    })
}

/// A history line `DATE\tNODE\tEVENT\tDETAIL` as `DATE 南京市人大常委会 交办：…`.
fn history_line(line: &str, en: bool, names: bool) -> String {
    let Some(Step {
        date,
        who,
        step,
        detail,
    }) = history_step(line, en, names)
    else {
        return line.to_string();
    };
    if detail.is_empty() {
        format!("{date} {who} {step}")
    } else if en {
        format!("{date} {who} {step}: {detail}")
    } else {
        format!("{date} {who} {step}：{detail}")
    }
}

/// An answer class as its congress's scheme writes it: `A类（已解决或采纳）`
/// under ABC, `甲类` under 甲乙丙.
pub fn class_label(scheme: &str, class: &str) -> String {
    let c = match class {
        "A" => AnswerClass::A,
        "B" => AnswerClass::B,
        "C" => AnswerClass::C,
        "D" => AnswerClass::D,
        other => return other.to_string(),
    };
    let scheme = ClassScheme::parse(scheme).unwrap_or(ClassScheme::Abcd);
    let label = scheme.label(c);
    match (scheme, c) {
        (ClassScheme::Abc, AnswerClass::A) => format!("{label}（已解决或采纳）"),
        (ClassScheme::Abc, AnswerClass::B) => format!("{label}（正在解决或列入计划）"),
        (ClassScheme::Abc, AnswerClass::C) => format!("{label}（因条件限制留作参考）"),
        _ => label.to_string(),
    }
}

/// A field's value for a table: names for codes (unless `codes`), the
/// offices' terms for keys (unless `en`).
pub fn value(key: &str, v: &str, en: bool, codes: bool) -> Option<String> {
    let names = !codes;
    Some(match key {
        "home" | "handler" if names => office(v),
        "chain" | "targets" | "covers" | "attached" if names => {
            places(v, if en { ", " } else { "、" })
        }
        "responses" | "supervision" => pairs(v, en, names),
        // CONGRESS:PERSON of each deputy who took part in an activity.
        "participants" | "members" if names => v
            .split(',')
            .map(|p| match p.split_once(':') {
                Some((c, person)) => format!("{} {person}", office(c)),
                None => p.to_string(),
            })
            .collect::<Vec<_>>()
            .join(if en { ", " } else { "、" }),
        "mode" if !en => term(v).to_string(),
        // N:TITLE(WEIGHT):open|done, one per milestone.
        "milestones" if !en => v
            .split(';')
            .map(|m| match m.rsplit_once(':') {
                Some((head, state)) => format!("{head}：{}", term(state)),
                None => m.to_string(),
            })
            .collect::<Vec<_>>()
            .join("；"),
        "units" => units(v, en),
        "history" => v
            .lines()
            .map(|l| history_line(l, en, names))
            .collect::<Vec<_>>()
            .join("\n"),
        "during_session" if !en => match v {
            "true" => "大会期间".into(),
            "false" => "闭会期间".into(),
            _ => return None,
        },

        "latest_answer" => match v.split(':').collect::<Vec<_>>()[..] {
            // HANDLER:HLC:WRITER names the answer; a person reads who and when.
            [handler, hlc, _] => {
                let who = if names {
                    office(handler)
                } else {
                    handler.to_string()
                };
                let ms = hlc.parse::<u64>().ok()? >> 16;
                let days = (ms / 1000 + 8 * 3600) / 86_400;
                let on = jiff::civil::Date::constant(1970, 1, 1)
                    .checked_add(jiff::Span::new().days(days as i64))
                    .ok()?;
                format!("{who} {on}")
            }
            _ => return None,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_become_offices_and_places_and_steps_become_terms() {
        assert_eq!(office("320100"), "南京市人大常委会");
        assert_eq!(
            value("chain", "320114001,320114", false, false).unwrap(),
            "雨花街道、雨花台区"
        );
        assert_eq!(value("chain", "320114", false, true), None);
        let h = "2026-12-03\t320114\trehandled\t2\n2026-12-04\t320100\tassigned\t交通局(lead),规划局(co)";
        assert_eq!(
            value("history", h, false, false).unwrap(),
            "2026-12-03 雨花台区人大常委会 重新办理：第2轮\n\
             2026-12-04 南京市人大常委会 交办：交通局（主办）、规划局（协办）"
        );
        let a = "2026-12-05\t320114\tanswered\tA 1 区交通运输局: 已增设站点";
        assert_eq!(
            value("history", a, false, false).unwrap(),
            "2026-12-05 雨花台区人大常委会 答复：A类（第1轮）区交通运输局：已增设站点"
        );
        let en = value("history", h, true, true).unwrap();
        assert!(en.starts_with("2026-12-03 320114 rehandled: 2"), "{en}");
        assert_eq!(
            value("supervision", "320114:key", false, false).unwrap(),
            "雨花台区：重点督办"
        );
        let hlc = (1_764_720_000_000u64 << 16).to_string();
        let a = value("latest_answer", &format!("320100:{hlc}:5"), false, false).unwrap();
        assert_eq!(a, "南京市人大常委会 2025-12-03");
    }
}
