//! The offices' console in a real browser (Debian's headless Chromium driven
//! through chromedriver) against a real multi-process federation: log in,
//! 总览 of 南京市 against the API, drill into 雨花台区, a township's
//! suggestion and its timeline, 登记/交办/答复 through the county's pages
//! (and a refusal shown with its rule), the steps seen at the township's
//! console. Every page is shot to `$CARGO_TARGET_TMPDIR/console-shots/`.

mod common;
#[path = "common/webdriver.rs"]
mod webdriver;

use std::path::PathBuf;
use std::time::{Duration, Instant};
use webdriver::Driver;
use wuji_proto::pb;

fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console-shots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Logs in to the console at `url` (its login page comes first).
fn login(d: &Driver, url: &str, password: &str, next: &str) {
    d.go(&format!("{url}login?next={}", common::encode(next)));
    d.type_in("input[name=name]", "office");
    d.type_in("input[name=password]", password);
    d.submit("form.login button[type=submit]");
}

/// Waits until the page at `url` (reloaded every half second) has `what`.
fn until(d: &Driver, url: &str, what: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        d.go(url);
        let s = d.source();
        if what.iter().all(|w| s.contains(w)) {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "{url} never showed {what:?}:\n{s}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_office_works_a_suggestion_through_the_console_in_a_browser() {
    assert!(
        webdriver::available(),
        "this test needs Debian's chromium and chromium-driver (installed by .ci/run)"
    );
    let f = common::up().await;
    let console = |code: &str| f.nodes[code]["console"].as_str().unwrap().to_string();
    let (city, county, town) = (console("320100"), console("320114"), console("320114001"));
    let password = std::fs::read_to_string(f.dir.path().join("console-password.txt")).unwrap();
    let password = password.trim().to_string();
    let dir = shots();
    let d = tokio::task::block_in_place(Driver::start);
    let shot = |name: &str| d.screenshot(&dir.join(format!("{name}.png")));

    // Nothing of the data without a credential: the login page instead.
    tokio::task::block_in_place(|| {
        d.go(&format!("{city}suggestions"));
        assert!(d.url().contains("/login?next="), "{}", d.url());
        let page = d.source();
        assert!(!page.contains("增设公交站点"), "{page}");
        shot("login");
    });

    // 总览 of 南京市: its two counties by name, counts as the API has them.
    let api_rows = || async {
        pb::node_client::NodeClient::new(f.ch("320100").await)
            .status(pb::StatusRequest::default())
            .await
            .unwrap()
            .into_inner()
    };
    tokio::task::block_in_place(|| login(&d, &city, &password, "/"));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let reply = api_rows().await;
        let below = reply.below;
        let page = tokio::task::block_in_place(|| {
            d.go(&city);
            d.source()
        });
        assert!(page.contains("南京市人大常委会 · 总览"), "{page}");
        let mut problems = Vec::new();
        if !below.iter().any(|s| s.code == 320_114) {
            problems.push("no summary of 雨花台区 yet".to_string());
        }
        for s in &below {
            let name =
                wuji_division::embedded().name_of(wuji_division::Code::from_value(s.code).unwrap());
            let total = s.counts.get("suggestion.total").copied().unwrap_or(0);
            let row = format!("<a href=\"/?region={}\">{name}</a></th>", s.code);
            match page.find(&row) {
                None => problems.push(format!("no row {name}")),
                Some(at) => {
                    let cell = page[at..].split("<td>").nth(2).unwrap_or("");
                    let shown = cell.split('<').next().unwrap_or("");
                    if shown != total.to_string() {
                        problems.push(format!("{name}: page {shown}, API {total}"));
                    }
                }
            }
        }
        // The twelve-month chart: what the city's summary counts by month.
        let today = wuji_node::clock::cst_date(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as u64,
        );
        let by_month = |what: &str| -> u64 {
            let own = reply
                .own
                .as_ref()
                .map(|o| o.counts.clone())
                .unwrap_or_default();
            own.iter()
                .filter(|(k, _)| k.starts_with("month.") && k.ends_with(what))
                .filter(|(k, _)| wuji_model::summary::months::in_window(k, today))
                .map(|(_, v)| v)
                .sum()
        };
        let (submitted, closed) = (by_month(".submitted"), by_month(".closed"));
        let caption =
            format!("</span>提出 {submitted} <span class=\"key closed\"></span>已办结 {closed}");
        if submitted == 0 {
            problems.push("nothing submitted in the city's twelve months".to_string());
        } else if !page.contains(&caption) {
            problems.push(format!("no chart caption {caption:?}"));
        }
        if problems.is_empty() {
            assert!(page.contains("近十二个月") && page.contains("<rect class=\"submitted\""));
            common::assert_chinese(&page, "总览");
            // The whole page, its chart too.
            tokio::task::block_in_place(|| {
                d.window(1366, 1000);
                shot("overview-city");
                d.window(1366, 768);
            });
            break;
        }
        assert!(Instant::now() < deadline, "{problems:?}\n{page}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    tokio::task::block_in_place(|| {
        // Drill into 雨花台区 by clicking its name.
        d.submit("a[href=\"/?region=320114\"]");
        let page = d.source();
        assert!(page.contains("雨花台区人大常委会 · 总览"), "{page}");
        assert!(page.contains("雨花街道") && page.contains("赛虹桥街道"));
        shot("overview-county");

        // The township's suggestion, escalated to the county, is held at
        // the city (the handler's parent): in the list, then its page.
        let list = until(&d, &format!("{city}suggestions"), &["增设公交站点"]);
        common::assert_chinese(&list, "建议");
        shot("suggestions-city");
        d.submit("td.title a");
        let page = d.source();
        for step in ["提出", "登记", "上报", "雨花街道人大", "居民出行不便"] {
            assert!(page.contains(step), "no {step} on the record page:\n{page}");
        }
        // A reader of the city sees it; only the handler's operators act.
        assert!(d.find("form.step").is_none(), "the city does not handle it");
        common::assert_chinese(&page, "record");
        let url = d.url();
        let id = url.rsplit('/').next().unwrap().to_string();
        shot("record-city");

        // At 雨花台区, the handler: 登记 if it waits for one, 交办, a refused
        // 答复 (no text), then the 答复.
        login(&d, &county, &password, "/inbox");
        // 待办: it waits there for its 登记, marked as come from the town.
        let inbox = d.source();
        for want in ["增设公交站点", "待登记", "雨花街道人大工委"] {
            assert!(inbox.contains(want), "no {want} in 待办:\n{inbox}");
        }
        common::assert_chinese(&inbox, "待办");
        shot("inbox-county");
        // 代表 in roster order (姓氏笔画): 丁 2 strokes, 陈 7, 黄 11.
        d.go(&format!("{county}deputies"));
        let roster = d.source();
        let at = |n: &str| {
            roster
                .find(n)
                .unwrap_or_else(|| panic!("no {n}:\n{roster}"))
        };
        assert!(
            at("丁一") < at("陈静") && at("陈静") < at("黄河"),
            "{roster}"
        );
        common::assert_chinese(&roster, "代表");
        shot("deputies-county");
        d.go(&format!("{county}suggestions/{id}"));
        let mut page = d.source();
        // Deputies by name, not person id.
        assert!(page.contains("陈静") && !page.contains("YH-001"), "{page}");
        if page.contains("id=\"register\"") {
            d.type_in("#register input[name=number]", "雨花台2026-017");
            d.submit("#register button");
            page = d.source();
        }
        assert!(page.contains("id=\"assign\""), "no 交办 form:\n{page}");
        shot("record-county-before");
        d.type_in("#assign input[name=lead]", "区交通运输局");
        d.type_in("#assign input[name=co]", "区规划分局");
        d.submit("#assign button");
        let page = d.source();
        assert!(page.contains("区交通运输局（主办）"), "{page}");
        assert!(page.contains("id=\"answer\""), "{page}");
        d.type_in("#answer input[name=unit]", "区交通运输局");
        d.submit("#answer button");
        let refused = d.text("#refusal");
        assert!(refused.contains("未办理"), "{refused}");
        shot("record-county-refused");
        // What was typed is still in the form.
        assert!(
            d.source().contains("name=\"unit\" value=\"区交通运输局\""),
            "{}",
            d.source()
        );
        d.type_in(
            "#answer textarea[name=text]",
            "已在雨花大道增设公交站点两处。",
        );
        d.type_in("#answer textarea[name=promises]", "年底前开通新线路");
        d.submit("#answer button");
        let page = d.source();
        assert!(d.find("#refusal").is_none(), "{page}");
        assert!(page.contains("已答复"), "{page}");
        assert!(page.contains("年底前开通新线路"), "{page}");

        // The township's console shows both steps once they have come back.
        login(&d, &town, &password, "/");
        let page = until(
            &d,
            &format!("{town}suggestions/{id}"),
            &["区交通运输局（主办）", "已在雨花大道增设公交站点两处。"],
        );
        for step in ["交办", "答复", "已答复"] {
            assert!(page.contains(step), "no {step} at the township:\n{page}");
        }
        // The township's own operator records the deputy's rating.
        assert!(page.contains("id=\"feedback\""), "{page}");
        common::assert_chinese(&page, "record at the township");
        d.window(1366, 1100);
        shot("record-township");
        // The English switch keeps the page and turns every label.
        d.go(&format!("{town}lang?to=en&back=/suggestions/{id}"));
        let en = d.source();
        for label in [
            "Handling timeline",
            "Deputies' suggestions console",
            "Lead deputy",
        ] {
            assert!(en.contains(label), "no {label} in English:\n{en}");
        }
        assert!(!en.contains("办理过程") && !en.contains("领衔代表"), "{en}");
        shot("record-township-en");
        d.go(&format!("{town}lang?to=zh&back=/"));
        d.window(1366, 768);

        // The province's assignment: 签收, then a 报告, at the township.
        let page = until(&d, &format!("{town}assignments"), &["代表接待日", "待签收"]);
        common::assert_chinese(&page, "交办事项");
        d.submit("input[value=acknowledge] ~ button");
        let page = d.source();
        assert!(page.contains("已签收"), "{page}");
        d.type_in("form.report input[name=text]", "本月16日已接待选民12人次");
        d.submit("form.report button");
        let page = d.source();
        assert!(page.contains("已报告"), "{page}");
        shot("assignments-township");
    });

    // 民生实事 opened at the city over the API, covering 雨花台区: a milestone
    // confirmed through the city's page, a report through the county's.
    pb::supervision_client::SupervisionClient::new(f.ch("320100").await)
        .open_item(pb::OpenItemRequest {
            mode: 6,
            title: "城南老旧小区改造".into(),
            lead_supervisor: "市人大常委会副主任".into(),
            covers: vec![320_114],
            milestones: ["方案制定", "开工建设"]
                .iter()
                .map(|t| pb::NewMilestone {
                    title: t.to_string(),
                    weight: 1,
                    due_on: String::new(),
                })
                .collect(),
            ..Default::default()
        })
        .await
        .unwrap();
    tokio::task::block_in_place(|| {
        d.go(&format!("{city}supervision"));
        let page = d.source();
        assert!(
            page.contains("城南老旧小区改造") && page.contains("民生实事"),
            "{page}"
        );
        assert!(page.contains("0.0%"), "{page}");
        common::assert_chinese(&page, "督办");
        d.submit("ol.milestones form button");
        let page = d.source();
        assert!(page.contains("50.0%"), "{page}");
        shot("supervision-city");
        let page = until(
            &d,
            &format!("{county}supervision"),
            &["城南老旧小区改造", "50.0%"],
        );
        assert!(page.contains("class=\"report\""), "{page}");
        d.type_in("form.report input[name=text]", "方案已报区政府审定");
        d.submit("form.report button");
        let page = d.source();
        assert!(!page.contains("id=\"refusal\""), "{page}");
    });

    // 履职档案 at the county: its deputy's reception at 雨花街道's station
    // (seeded), with the county's points.
    tokio::task::block_in_place(|| {
        let page = until(
            &d,
            &format!("{county}duty?person=YH-001"),
            &["代表接待日", "陈静（YH-001）", "雨花街道人大工委"],
        );
        common::assert_chinese(&page, "履职档案");
        shot("duty-county");
    });
}
