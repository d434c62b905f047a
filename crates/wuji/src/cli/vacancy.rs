//! `wuji vacancy …`: 出缺 of a seat of this congress, the 补选 set and held;
//! lists of the vacancies this node holds (its own and those below it).

use super::ids::{get, page, record_id};
use super::{ClientOpts, channel, output};
use clap::Subcommand;
use wuji_proto::pb::{self, vacancies_client::VacanciesClient};

const ORDER: &[&str] = &[
    "name",
    "person_id",
    "electoral_unit",
    "ground_zh",
    "vacated_on",
    "state_zh",
    "election_on",
    "filled_by",
    "filled_on",
    "home",
    "id",
];

/// `wuji vacancy …`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// 出缺: record a seat of this congress as vacant.
    Record {
        /// Person id of the deputy who held it.
        #[arg(long)]
        person_id: String,
        /// That deputy's name.
        #[arg(long)]
        name: String,
        /// 选区 / 原选举单位.
        #[arg(long, default_value = "")]
        electoral_unit: String,
        /// resigned|moved_away|recalled|died|terminated, or 辞职|调离|罢免|死亡|资格终止.
        #[arg(long)]
        ground: String,
        /// The day it fell vacant (YYYY-MM-DD).
        #[arg(long)]
        on: String,
    },
    /// 补选 set for a day.
    Schedule {
        /// The vacancy's id (HOME:UUID).
        id: String,
        /// The day (YYYY-MM-DD).
        #[arg(long)]
        on: String,
    },
    /// 补选 held: the seat is filled.
    Fill {
        /// The vacancy's id.
        id: String,
        /// Person id of the deputy elected.
        #[arg(long)]
        person_id: String,
        /// The day (YYYY-MM-DD).
        #[arg(long)]
        on: String,
    },
    /// 代表名额: set the number of this congress's seats.
    Quota {
        /// The number of seats.
        quota: u32,
    },
    /// 代表名额 vs 实有代表数 here and in each congress below held here.
    Seats,
    /// Show one vacancy.
    Get {
        /// The vacancy's id.
        id: String,
    },
    /// List vacancies held here.
    List {
        /// Only seats not yet filled.
        #[arg(long)]
        open: bool,
        /// Page size.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Continue after this token.
        #[arg(long)]
        after: Option<String>,
    },
}

/// Runs a vacancy command.
pub async fn run(opts: &ClientOpts, cmd: Command) -> anyhow::Result<()> {
    let out = opts.out();
    let mut c = VacanciesClient::new(channel(opts).await?);
    let reply = match cmd {
        Command::Record {
            person_id,
            name,
            electoral_unit,
            ground,
            on,
        } => {
            c.record_vacancy(pb::RecordVacancyRequest {
                person_id,
                name,
                electoral_unit,
                ground,
                vacated_on: on,
            })
            .await?
        }
        Command::Schedule { id, on } => {
            c.schedule_by_election(pb::ScheduleRequest {
                id: Some(record_id(&id)?),
                election_on: on,
            })
            .await?
        }
        Command::Fill { id, person_id, on } => {
            c.fill_vacancy(pb::FillRequest {
                id: Some(record_id(&id)?),
                person_id,
                filled_on: on,
            })
            .await?
        }
        Command::Quota { quota } => c.set_quota(pb::SetQuotaRequest { quota }).await?,
        Command::Seats => {
            let r = c.get_seats(pb::SeatsRequest {}).await?.into_inner();
            print_seats(out, &r);
            return Ok(());
        }
        Command::Get { id } => c.get_vacancy(get(&id)?).await?,
        Command::List { open, limit, after } => {
            let l = c
                .list_vacancies(pb::ListVacanciesRequest {
                    page: page(limit, &after),
                    open,
                })
                .await?;
            let (ground, state) = if out.en {
                ("ground", "state")
            } else {
                ("ground_zh", "state_zh")
            };
            let cols = [
                "home",
                "name",
                "electoral_unit",
                ground,
                "vacated_on",
                state,
                "election_on",
                "id",
            ];
            output::list(out, l.get_ref(), &cols);
            return Ok(());
        }
    };
    output::record(out, reply.get_ref(), ORDER);
    Ok(())
}

fn print_seats(out: output::Out, r: &pb::SeatsReply) {
    if out.json {
        let rows: Vec<_> = r
            .rows
            .iter()
            .map(|s| {
                serde_json::json!({"congress": s.congress.to_string(), "quota": s.quota,
                                   "in_office": s.in_office, "vacant": s.vacant})
            })
            .collect();
        say!("{}", serde_json::json!({ "rows": rows }));
        return;
    }
    let header: Vec<String> = if out.en {
        [
            "congress",
            "seats",
            "in office",
            "short",
            "vacancies (with below)",
        ]
    } else {
        ["人大", "代表名额", "实有代表", "缺额", "出缺(含下级)"]
    }
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|s| {
            let code = s.congress.to_string();
            let short = u64::from(s.quota).saturating_sub(s.in_office);
            vec![
                if out.codes {
                    code
                } else {
                    wuji_node::names::office(&code)
                },
                if s.quota == 0 {
                    "—".into()
                } else {
                    s.quota.to_string()
                },
                s.in_office.to_string(),
                if s.quota == 0 {
                    "—".into()
                } else {
                    short.to_string()
                },
                s.vacant.to_string(),
            ]
        })
        .collect();
    output::table(&header, &rows);
}
