//! Walks one suggestion from a township up to its city and back to the deputy,
//! printing each step as an office sees it (Chinese by default, `--en` for
//! English, `--json` for one JSON document), using the real workflow,
//! authority and routing rules.

use jiff::civil::{Date, date};
use wuji_crdt::{Hlc, Stamp, WriterId};
use wuji_model::calendar::Calendar;
use wuji_model::routing::{Horizon, visible_to};
use wuji_model::suggestion::view::{self, Status};
use wuji_model::suggestion::workflow::{self as wf, Draft};
use wuji_model::suggestion::{AnswerClass, HandlingUnit, Satisfaction, UnitRole};
use wuji_model::{Code, Ctx, Error, Record, RecordId, RecordKind, Rules, Uuid, authority};

struct Step {
    when: Date,
    node: Code,
    action: (&'static str, &'static str),
    status: Status,
    handler: Code,
    deadline: Option<Date>,
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let json = args.iter().any(|a| a == "--json");
    let en = args.iter().any(|a| a == "--en");
    let code = |s: &str| Code::parse(s).expect("valid code");
    let (town, county, city) = (code("320114001"), code("320114"), code("320100"));
    let rules = Rules::default();
    let cal = Calendar::builtin();
    let id = RecordId {
        kind: RecordKind::Suggestion,
        home: town,
        uuid: Uuid::from_u128(1),
    };
    let mut rec = Record::new(id);
    let mut steps = Vec::new();
    let mut clock = 0u64;

    let mut run = |rec: &mut Record,
                   node: Code,
                   when: Date,
                   action: (&'static str, &'static str),
                   f: &dyn Fn(&Ctx, &Record) -> Result<Record, Error>|
     -> Result<(), Error> {
        clock += 1;
        let ctx = Ctx {
            node,
            at: Stamp::new(Hlc(clock << 16), WriterId::new(node.value(), 0)),
            today: when,
            rules: &rules,
            calendar: &cal,
        };
        let delta = f(&ctx, rec)?;
        authority::check_local(node, Some(rec), &delta)?;
        *rec = authority::apply(Some(rec), &delta).record;
        let v = view::view(rec, &rules);
        steps.push(Step {
            when,
            node,
            action,
            status: v.status,
            handler: v.handler,
            deadline: v.deadline,
        });
        Ok(())
    };

    let draft = Draft {
        lead: "P-0001".into(),
        category: "交通".into(),
        title: "关于增设公交站点的建议".into(),
        text: "居民出行不便，建议增设公交站点。".into(),
        ..Draft::default()
    };
    let d0 = date(2026, 3, 2);
    run(&mut rec, town, d0, ("提出", "submit"), &|c, _| {
        wf::submit(c, id, &draft)
    })?;
    run(&mut rec, town, d0, ("登记", "register"), &|c, r| {
        wf::register(c, r, "雨花2026-001")
    })?;
    run(
        &mut rec,
        town,
        d0,
        ("上报区人大", "escalate to county"),
        &|c, r| wf::escalate(c, r, county, "需区级协调"),
    )?;
    run(
        &mut rec,
        county,
        d0,
        ("上报市人大", "escalate to city"),
        &|c, r| wf::escalate(c, r, city, "跨区线路"),
    )?;
    let d1 = date(2026, 3, 5);
    run(&mut rec, city, d1, ("登记", "register"), &|c, r| {
        wf::register(c, r, "宁2026-0042")
    })?;
    let units = [
        HandlingUnit {
            name: "市交通运输局".into(),
            role: UnitRole::Lead,
        },
        HandlingUnit {
            name: "市规划资源局".into(),
            role: UnitRole::Co,
        },
    ];
    run(&mut rec, city, d1, ("交办", "assign"), &|c, r| {
        wf::assign(c, r, &units)
    })?;
    run(
        &mut rec,
        city,
        date(2026, 5, 20),
        ("答复(B类)", "answer (class B)"),
        &|c, r| {
            wf::answer(
                c,
                r,
                "市交通运输局",
                AnswerClass::B,
                "已列入年度计划",
                &["年内增设站点".into()],
            )
        },
    )?;
    run(
        &mut rec,
        town,
        date(2026, 5, 25),
        ("代表反馈:满意", "feedback: satisfied"),
        &|c, r| {
            let a = view::view(r, c.rules).latest_answer.expect("answered");
            wf::feedback(c, r, a, Satisfaction::Satisfied, "")
        },
    )?;
    run(
        &mut rec,
        city,
        date(2026, 5, 26),
        ("办结", "close"),
        &|c, r| wf::close(c, r),
    )?;

    let probes = [
        "320114001",
        "320114002",
        "320114",
        "320100",
        "320000",
        "100000",
        "330000",
    ];
    if json {
        let steps: Vec<String> = steps
            .iter()
            .map(|s| {
                format!(
                    "{{\"date\":\"{}\",\"node\":\"{}\",\"action\":\"{}\",\"status\":\"{:?}\",\"handler\":\"{}\",\"deadline\":{}}}",
                    s.when, s.node, s.action.1, s.status, s.handler,
                    s.deadline.map(|d| format!("\"{d}\"")).unwrap_or_else(|| "null".into())
                )
            })
            .collect();
        let seen: Vec<String> = probes
            .iter()
            .map(|p| format!("\"{p}\":{}", visible_to(&rec, code(p), Horizon::default())))
            .collect();
        println!(
            "{{\"steps\":[{}],\"visible_to\":{{{}}}}}",
            steps.join(","),
            seen.join(",")
        );
        return Ok(());
    }
    let (h_date, h_node, h_action, h_status, h_handler, h_deadline) = if en {
        ("date", "node", "action", "status", "handler", "deadline")
    } else {
        ("日期", "节点", "操作", "状态", "承办", "办理时限")
    };
    println!(
        "{}  {}  {}  {}  {}  {h_deadline}",
        pad(h_date, 10),
        pad(h_node, 9),
        pad(h_action, 20),
        pad(h_status, 18),
        pad(h_handler, 9)
    );
    for s in &steps {
        let action = if en { s.action.1 } else { s.action.0 };
        let status = if en {
            format!("{:?}", s.status)
        } else {
            s.status.zh().to_string()
        };
        let deadline = s
            .deadline
            .map(|d| d.to_string())
            .unwrap_or_else(|| "-".into());
        println!(
            "{}  {:<9}  {}  {}  {:<9}  {deadline}",
            s.when,
            s.node.to_string(),
            pad(action, 20),
            pad(&status, 18),
            s.handler.to_string()
        );
    }
    println!();
    println!(
        "{}",
        if en {
            "who may see it:"
        } else {
            "可见范围:"
        }
    );
    for p in probes {
        let yes = visible_to(&rec, code(p), Horizon::default());
        let mark = match (yes, en) {
            (true, true) => "sees it",
            (false, true) => "does not",
            (true, false) => "可见",
            (false, false) => "不可见",
        };
        println!("  {p:<9}  {mark}");
    }
    Ok(())
}

/// Pads to a display width, counting CJK characters as two columns.
fn pad(s: &str, width: usize) -> String {
    let w: usize = s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}
