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
