//! The records offices keep besides suggestions, across real node processes
//! over mutual TLS (`wuji federation up`): a township records a reception
//! attended by a city deputy and the city sees it in that deputy's 履职档案
//! with its points; a promise overdue after 办结 shows at the handler and at
//! the deputy's congress; a vacancy at a county is counted at the city; a
//! county hears and rates a city deputy's report; a township station and a
//! community contact with the city deputy reach the city; the county's
//! register of units bounds its 交办 and gives figures per unit.

mod common;

use common::*;
use wuji_proto::pb::{
    self, activities_client::ActivitiesClient, suggestions_client::SuggestionsClient,
    vacancies_client::VacanciesClient,
};

fn today() -> jiff::civil::Date {
    use wuji_node::clock::Clock;
    wuji_node::clock::SystemClock.today()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_records_besides_suggestions_cross_the_levels() {
    let f = up().await;
    let day = today();

    // --- 履职档案: a reception at 雨花街道's station with a city deputy. ---
    f.enrol("320100", "C-7").await;
    let rec = ActivitiesClient::new(f.ch("320114001").await)
        .record_activity(pb::RecordActivityRequest {
            kind: "接待群众".into(),
            title: "代表接待日".into(),
            held_on: day.to_string(),
            place: "雨花街道代表联络站".into(),
            text: "群众反映公交站点问题".into(),
            participants: vec![pb::Participant {
                congress: 320_100,
                person_id: "C-7".into(),
            }],
        })
        .await
        .unwrap()
        .into_inner();
    let act = rec.view["id"].clone();
    // A bad kind is refused with nothing stored.
    let e = ActivitiesClient::new(f.ch("320114001").await)
        .record_activity(pb::RecordActivityRequest {
            kind: "喝茶".into(),
            title: "x".into(),
            held_on: day.to_string(),
            participants: vec![pb::Participant {
                congress: 320_100,
                person_id: "C-7".into(),
            }],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(wuji_proto::error_detail(&e).unwrap().rule, "enum-value");

    let year = i32::from(day.year());
    let report = || async {
        ActivitiesClient::new(f.ch("320100").await)
            .get_duty_report(pb::DutyReportRequest {
                person_id: "C-7".into(),
                year,
            })
            .await
            .unwrap()
            .into_inner()
    };
    eventually("the city holds its deputy's reception", || async {
        report().await.activities == 1
    })
    .await;
    // Only the organiser changes it: the city, which holds it, may not.
    let e = ActivitiesClient::new(f.ch("320100").await)
        .void_activity(pb::Get { id: rid(&act) })
        .await
        .unwrap_err();
    assert_eq!(wuji_proto::error_detail(&e).unwrap().rule, "home-only");
    let r = report().await;
    assert_eq!(r.name, "代表C-7");
    let reception = r.kinds.iter().find(|k| k.kind == "reception").unwrap();
    // The default rules: 3 points a reception, one a year expected.
    assert_eq!(
        (reception.activities, reception.points, reception.target),
        (1, 3, 1)
    );
    assert_eq!(r.points, 3);
    assert_eq!(r.records[0].view["home"], "320114001");
    // The county between them relays it; the sibling township never sees it.
    let holds = |node: &'static str| {
        let act = act.clone();
        let f = &f;
        async move {
            ActivitiesClient::new(f.ch(node).await)
                .get_activity(pb::Get { id: rid(&act) })
                .await
                .is_ok()
        }
    };
    assert!(holds("320114").await);
    assert!(!holds("320114002").await);
    // The CLI's report as JSON at the city (the national reader's certificate).
    let out = f.wuji_as_reader(
        "320100",
        &[
            "activity",
            "report",
            "C-7",
            "--year",
            &year.to_string(),
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        (v["activities"].as_u64(), v["points"].as_u64()),
        (Some(1), Some(3))
    );
    // And as the office reads it.
    let table =
        String::from_utf8(f.wuji_as_reader("320100", &["activity", "report", "C-7"])).unwrap();
    assert!(
        table.contains("接待群众") && table.contains("积分"),
        "{table}"
    );

    // --- 报告履职 and 评议: the county, 原选举单位 of city deputies, hears C-7's
    // report and rates it; the city sees the review, and C-7 is no longer
    // among its deputies still to report. ---
    let unreported = || async {
        ActivitiesClient::new(f.ch("320100").await)
            .list_unreported(pb::ListUnreportedRequest::default())
            .await
            .unwrap()
            .into_inner()
            .records
            .iter()
            .map(|r| r.view["person_id"].clone())
            .collect::<Vec<_>>()
    };
    assert!(unreported().await.contains(&"C-7".to_string()));
    let rep = ActivitiesClient::new(f.ch("320114").await)
        .record_activity(pb::RecordActivityRequest {
            kind: "向选民报告履职".into(),
            title: "市人大代表向原选举单位报告履职".into(),
            held_on: day.to_string(),
            participants: vec![pb::Participant {
                congress: 320_100,
                person_id: "C-7".into(),
            }],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .view["id"]
        .clone();
    ActivitiesClient::new(f.ch("320114").await)
        .review_report(pb::ReviewReportRequest {
            id: rid(&rep),
            rating: "满意".into(),
        })
        .await
        .unwrap();
    eventually(
        "the city sees the review of its deputy's report",
        || async {
            ActivitiesClient::new(f.ch("320100").await)
                .get_activity(pb::Get { id: rid(&rep) })
                .await
                .is_ok_and(|r| {
                    r.into_inner()
                        .view
                        .get("review")
                        .is_some_and(|v| v == "satisfied")
                })
        },
    )
    .await;
    assert!(!unreported().await.contains(&"C-7".to_string()));
    assert_eq!(report().await.points, 3 + 5, "a reception and a report");

    // --- 名录: a township station with the city deputy; the county's units. ---
    use pb::directory_client::DirectoryClient;
    let station = DirectoryClient::new(f.ch("320114001").await)
        .add_entry(pb::AddEntryRequest {
            kind: "代表联络站".into(),
            name: "雨花街道代表联络站".into(),
            detail: "每月16日".into(),
            members: vec![pb::Participant {
                congress: 320_100,
                person_id: "C-7".into(),
            }],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .view["id"]
        .clone();
    DirectoryClient::new(f.ch("320114001").await)
        .add_entry(pb::AddEntryRequest {
            kind: "grid".into(),
            name: "第三网格".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    eventually("the city holds the station its deputy is in", || async {
        DirectoryClient::new(f.ch("320100").await)
            .get_entry(pb::Get { id: rid(&station) })
            .await
            .is_ok()
    })
    .await;
    let empty = DirectoryClient::new(f.ch("320114001").await)
        .list_entries(pb::ListEntriesRequest {
            without_deputy: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .records;
    assert_eq!(
        empty
            .iter()
            .map(|r| r.view["name"].as_str())
            .collect::<Vec<_>>(),
        ["第三网格"]
    );
    eventually("the county counts the grid without a deputy", || async {
        f.own_count("320114", "directory.grid.without_deputy").await == 1
    })
    .await;
    DirectoryClient::new(f.ch("320114").await)
        .add_entry(pb::AddEntryRequest {
            kind: "承办单位".into(),
            name: "区交通局".into(),
            detail: "李科长".into(),
            ..Default::default()
        })
        .await
        .unwrap();

    // --- 三联: 雨花街道 links the city deputy to a community; one visit. ---
    use pb::contacts_client::ContactsClient;
    let rel = ContactsClient::new(f.ch("320114001").await)
        .add_contact(pb::AddContactRequest {
            kind: "代表联系村（社区）".into(),
            keeper: "320100:C-7".into(),
            linked: vec![pb::Participant {
                congress: 320_100,
                person_id: "C-7".into(),
            }],
            community: "雨花新村社区".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .view["id"]
        .clone();
    ContactsClient::new(f.ch("320114001").await)
        .record_visit(pb::VisitRequest {
            id: rid(&rel),
            text: "走访社区，听取居民意见".into(),
            visited_on: day.to_string(),
        })
        .await
        .unwrap();
    eventually(
        "the city sees its deputy's contact, short of two visits",
        || async {
            ContactsClient::new(f.ch("320100").await)
                .list_contacts(pb::ListContactsRequest {
                    short_of_target: true,
                    page: None,
                })
                .await
                .unwrap()
                .into_inner()
                .records
                .iter()
                .any(|r| r.view["id"] == rel && r.view["visits_this_year"] == "1")
        },
    )
    .await;

    // --- 群众意见 → 代表建议: an opinion at 雨花街道's station taken up by the
    // city deputy at the city; the township sees it taken up and its status. ---
    f.enrol("320114001", "T-1").await;
    let opinion = SuggestionsClient::new(f.ch("320114001").await)
        .submit(pb::SubmitRequest {
            kind: 2,
            lead: "T-1".into(),
            title: "公交线路绕行太远".into(),
            text: "居民在联络站反映".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .view["id"]
        .clone();
    let taken = SuggestionsClient::new(f.ch("320100").await)
        .submit(pb::SubmitRequest {
            lead: "C-7".into(),
            title: "关于优化公交线路的建议".into(),
            text: "来自雨花街道代表联络站的群众意见".into(),
            from_opinion: rid(&opinion),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .view;
    assert_eq!(taken["from_opinion"], opinion);
    let taken = taken["id"].clone();
    SuggestionsClient::new(f.ch("320100").await)
        .register(pb::RegisterRequest {
            id: rid(&taken),
            number: "宁-77".into(),
        })
        .await
        .unwrap();
    eventually(
        "the station's township sees its opinion taken up",
        || async {
            f.suggestion("320114001", &opinion).await.is_some_and(|v| {
                v.get("taken_up_as") == Some(&taken)
                    && v.get("taken_up_status").is_some_and(|s| s == "registered")
            })
        },
    )
    .await;

    // --- 建议交办清单: the county assigns two suggestions from a workbook;
    // a bad row is named first and nothing is assigned. ---
    f.enrol("320114", "Q-1").await;
    let mut numbered = Vec::new();
    for n in ["雨区-31", "雨区-32"] {
        let id = f.submit("320114", "Q-1", &format!("清单{n}")).await;
        SuggestionsClient::new(f.ch("320114").await)
            .register(pb::RegisterRequest {
                id: rid(&id),
                number: n.into(),
            })
            .await
            .unwrap();
        numbered.push(id);
    }
    let list = f.dir.path().join("交办清单.csv");
    let op = &f.nodes["320114"]["operator"];
    let as_county = |args: &[&str]| {
        std::process::Command::new(WUJI)
            .args(args)
            .args(["--addr", &f.addrs["320114"], "--json"])
            .env("WUJI_CA", op["ca"].as_str().unwrap())
            .env("WUJI_CERT", op["cert"].as_str().unwrap())
            .env("WUJI_KEY", op["key"].as_str().unwrap())
            .output()
            .unwrap()
    };
    std::fs::write(
        &list,
        "建议编号,主办单位,协办单位\n雨区-31,区交通局,\n雨区-32,区交通局,\n雨区-99,区交通局,\n",
    )
    .unwrap();
    let o = as_county(&["suggestion", "assign-list", list.to_str().unwrap()]);
    assert!(!o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["problems"][0]["row"], 4, "{v}");
    assert_eq!(
        f.suggestion("320114", &numbered[0]).await.unwrap()["status"],
        "registered"
    );
    std::fs::write(
        &list,
        "建议编号,主办单位,协办单位\n雨区-31,区交通局,\n雨区-32,区交通局,\n",
    )
    .unwrap();
    let o = as_county(&["suggestion", "assign-list", list.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for id in &numbered {
        assert_eq!(
            f.suggestion("320114", id).await.unwrap()["status"],
            "assigned"
        );
    }
    // And the 办理情况汇总表 of what the county handles, from the CLI.
    let book = f.dir.path().join("汇总表.xlsx");
    let o = as_county(&[
        "suggestion",
        "list",
        "--status",
        "assigned",
        "--xlsx",
        book.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["exported"].as_u64().unwrap() >= 2, "{v}");
    assert!(std::fs::read(&book).unwrap().starts_with(b"PK"));

    // --- 答复承诺事项台账: answered and closed at the county, overdue after. ---
    let id = f.submit("320114001", "T-1", "增设公交站点").await;
    let town = || async { SuggestionsClient::new(f.ch("320114001").await) };
    let county = || async { SuggestionsClient::new(f.ch("320114").await) };
    town()
        .await
        .register(pb::RegisterRequest {
            id: rid(&id),
            number: "雨花-9".into(),
        })
        .await
        .unwrap();
    f.escalate("320114001", &id, 320_114, "需区级协调").await;
    // Handled at the county, not only held: the county is the township's
    // parent and may hold the registered version before the escalation
    // arrives (then registering it there is refused, rightly).
    eventually("the county holds it, escalated to it", || async {
        f.suggestion("320114", &id)
            .await
            .is_some_and(|v| v.get("handler").is_some_and(|h| h == "320114"))
    })
    .await;
    let mut c = county().await;
    c.register(pb::RegisterRequest {
        id: rid(&id),
        number: "雨区-9".into(),
    })
    .await
    .unwrap();
    // The county lists its units: a unit outside the register is refused.
    let e = c
        .assign(pb::AssignRequest {
            id: rid(&id),
            units: vec![pb::Unit {
                name: "区某局".into(),
                role: 0,
            }],
        })
        .await
        .unwrap_err();
    assert_eq!(wuji_proto::error_detail(&e).unwrap().rule, "unit-unknown");
    c.assign(pb::AssignRequest {
        id: rid(&id),
        units: vec![pb::Unit {
            name: "区交通局".into(),
            role: 0,
        }],
    })
    .await
    .unwrap();
    c.answer_suggestion(pb::AnswerRequest {
        id: rid(&id),
        unit: "区交通局".into(),
        class: 1,
        text: "已列入计划".into(),
        promises: vec!["增设站点".into()],
    })
    .await
    .unwrap();
    eventually("the answer reaches the township", || async {
        f.suggestion("320114001", &id)
            .await
            .is_some_and(|v| v.get("status").is_some_and(|s| s == "answered"))
    })
    .await;
    town()
        .await
        .feedback(pb::FeedbackRequest {
            id: rid(&id),
            rating: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    eventually("the rating reaches the county", || async {
        county().await.close(pb::Get { id: rid(&id) }).await.is_ok()
    })
    .await;
    // After 办结 the county fixes the promise's due date, already past.
    let due = day.checked_sub(jiff::Span::new().days(2)).unwrap();
    let v = county()
        .await
        .update_promise(pb::UpdatePromiseRequest {
            id: rid(&id),
            number: 1,
            due_on: due.to_string(),
            state: "落实中".into(),
            note: "已完成选址".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .view;
    assert_eq!(
        (v["status"].as_str(), v["promises_overdue"].as_str()),
        ("closed", "1")
    );
    // Only the node that answered keeps the ledger.
    let e = town()
        .await
        .update_promise(pb::UpdatePromiseRequest {
            id: rid(&id),
            number: 1,
            state: "done".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(wuji_proto::error_detail(&e).unwrap().rule, "promise-keeper");
    for node in ["320114", "320114001"] {
        eventually(&format!("{node} lists the overdue promise"), || async {
            SuggestionsClient::new(f.ch(node).await)
                .list_promises(pb::ListPromisesRequest {
                    overdue: true,
                    page: None,
                })
                .await
                .unwrap()
                .into_inner()
                .entries
                .iter()
                .any(|e| {
                    e.overdue
                        && e.text == "增设站点"
                        && e.due_on == due.to_string()
                        && e.state == "in_progress"
                        && e.keeper == 320_114
                        && e.status == "closed"
                })
        })
        .await;
    }
    // The township's summary counts it, and the county's through it.
    eventually("the county counts the promise", || async {
        f.own_count("320114", "promise.in_progress").await >= 1
    })
    .await;
    let figures = DirectoryClient::new(f.ch("320114").await)
        .get_unit_figures(pb::UnitFiguresRequest {})
        .await
        .unwrap()
        .into_inner()
        .units;
    let unit = figures.iter().find(|u| u.unit == "区交通局").unwrap();
    // Three assigned (one by hand, two from the list); one answered, closed, rated.
    let got = (
        unit.assigned,
        unit.answered,
        unit.closed,
        unit.satisfied,
        unit.rated,
    );
    assert_eq!(got, (3, 1, 1, 1, 1));
    let out = String::from_utf8(f.wuji_as_reader("320114001", &["promise", "list", "--overdue"]))
        .unwrap();
    assert!(out.contains("增设站点") && out.contains("逾期"), "{out}");

    // --- 出缺: a county's vacancy counted at the city. ---
    let before = f.own_count("320100", "vacancy.open").await;
    let v = VacanciesClient::new(f.ch("320114").await)
        .record_vacancy(pb::RecordVacancyRequest {
            person_id: "X-9".into(),
            name: "王某".into(),
            electoral_unit: "第12选区".into(),
            ground: "调离".into(),
            vacated_on: day.to_string(),
        })
        .await
        .unwrap()
        .into_inner()
        .view;
    assert_eq!(v["state"], "open");
    let vid = v["id"].clone();
    eventually("the city counts the county's vacancy", || async {
        f.own_count("320100", "vacancy.open").await == before + 1
    })
    .await;
    let listed = VacanciesClient::new(f.ch("320100").await)
        .list_vacancies(pb::ListVacanciesRequest {
            open: true,
            page: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(listed.records.iter().any(|r| r.view["id"] == vid));
    // Filled at the county: the city's count moves from open to filled.
    VacanciesClient::new(f.ch("320114").await)
        .fill_vacancy(pb::FillRequest {
            id: rid(&vid),
            person_id: "Y-1".into(),
            filled_on: day.to_string(),
        })
        .await
        .unwrap();
    eventually("the city counts it filled", || async {
        f.own_count("320100", "vacancy.open").await == before
            && f.own_count("320100", "vacancy.filled").await >= 1
    })
    .await;
    // 代表名额 vs 实有代表数: the county records its seats; the city sees them
    // beside the county's deputies in office (from the county's summary).
    VacanciesClient::new(f.ch("320114").await)
        .set_quota(pb::SetQuotaRequest { quota: 250 })
        .await
        .unwrap();
    eventually(
        "the city holds the county's seats and deputies in office",
        || async {
            VacanciesClient::new(f.ch("320100").await)
                .get_seats(pb::SeatsRequest {})
                .await
                .unwrap()
                .into_inner()
                .rows
                .iter()
                .any(|r| r.congress == 320_114 && r.quota == 250 && r.in_office >= 4)
        },
    )
    .await;
    eventually("the city's summary counts the county's seats", || async {
        f.own_count("320100", "seats.quota").await == 250
    })
    .await;
    let e = VacanciesClient::new(f.ch("320114").await)
        .schedule_by_election(pb::ScheduleRequest {
            id: rid(&vid),
            election_on: day.to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(wuji_proto::error_detail(&e).unwrap().rule, "vacancy-open");
}
