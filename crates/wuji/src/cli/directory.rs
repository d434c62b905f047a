//! `wuji directory …`: this congress's register (名录) of 代表之家, 联络站,
//! 联络点, 代表小组, 网格 and 承办单位; those without a deputy; figures per unit.

use super::activity::participants;
use super::ids::{get, page, record_id};
use super::{ClientOpts, channel, output};
use clap::Subcommand;
use serde_json::json;
use wuji_proto::pb::{self, directory_client::DirectoryClient};

const ORDER: &[&str] = &[
    "kind_zh",
    "name",
    "location",
    "detail",
    "leader",
    "members",
    "member_count",
    "closed_on",
    "home",
    "id",
];

/// A register entry's fields as the offices name them.
const RELABEL: output::Relabel = &[
    ("kind", "类别", "kind"),
    ("kind_zh", "类别", "kind"),
    ("name", "名称", "name"),
];

/// `wuji directory …`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// 新增: add an entry to this congress's register.
    Add {
        /// home|station|point|group|grid|unit, or 代表之家|代表联络站|代表联络点|代表小组|网格|承办单位.
        #[arg(long)]
        kind: String,
        /// 名称.
        #[arg(long)]
        name: String,
        /// 地址.
        #[arg(long, default_value = "")]
        address: String,
        /// 接待日 of a 家站点 (每月16日), a group's 地域/专业, a unit's 联系人.
        #[arg(long, default_value = "")]
        detail: String,
        /// 组长 / 站长 (person id), or a unit's phone.
        #[arg(long, default_value = "")]
        leader: String,
        /// A deputy in it, as CONGRESS:PERSON_ID (repeatable).
        #[arg(long = "deputy")]
        deputies: Vec<String>,
    },
    /// Change an entry's address, detail or leader.
    Update {
        /// The entry's id (HOME:UUID).
        id: String,
        /// 地址.
        #[arg(long)]
        address: Option<String>,
        /// 接待日 / 地域或专业 / 联系人.
        #[arg(long)]
        detail: Option<String>,
        /// 组长 / 站长 / 电话.
        #[arg(long)]
        leader: Option<String>,
    },
    /// 进站 / 调整成员: add or remove deputies.
    Members {
        /// The entry's id.
        id: String,
        /// CONGRESS:PERSON_ID to add (repeatable).
        #[arg(long)]
        add: Vec<String>,
        /// CONGRESS:PERSON_ID to remove (repeatable).
        #[arg(long)]
        remove: Vec<String>,
    },
    /// 撤销: close an entry.
    Close {
        /// The entry's id.
        id: String,
    },
    /// Show one entry.
    Get {
        /// The entry's id.
        id: String,
    },
    /// List the register (this congress's and the entries held for below).
    List {
        /// One kind only.
        #[arg(long)]
        kind: Option<String>,
        /// Only 家站点, groups and grids without any deputy.
        #[arg(long)]
        without_deputy: bool,
        /// Page size.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Continue after this token.
        #[arg(long)]
        after: Option<String>,
    },
    /// 承办单位办理情况: per unit, suggestions assigned here, answered, closed,
    /// overdue today, rated satisfied.
    Units,
}

/// Runs a directory command.
pub async fn run(opts: &ClientOpts, cmd: Command) -> anyhow::Result<()> {
    let out = opts.out();
    let mut c = DirectoryClient::new(channel(opts).await?);
    let reply = match cmd {
        Command::Add {
            kind,
            name,
            address,
            detail,
            leader,
            deputies,
        } => {
            c.add_entry(pb::AddEntryRequest {
                kind,
                name,
                address,
                detail,
                leader,
                members: participants(&deputies)?,
            })
            .await?
        }
        Command::Update {
            id,
            address,
            detail,
            leader,
        } => {
            c.update_entry(pb::UpdateEntryRequest {
                id: Some(record_id(&id)?),
                address,
                detail,
                leader,
            })
            .await?
        }
        Command::Members { id, add, remove } => {
            c.change_members(pb::AmendParticipantsRequest {
                id: Some(record_id(&id)?),
                add: participants(&add)?,
                remove: participants(&remove)?,
            })
            .await?
        }
        Command::Close { id } => c.close_entry(get(&id)?).await?,
        Command::Get { id } => c.get_entry(get(&id)?).await?,
        Command::List {
            kind,
            without_deputy,
            limit,
            after,
        } => {
            let l = c
                .list_entries(pb::ListEntriesRequest {
                    kind: kind.unwrap_or_default(),
                    without_deputy,
                    page: page(limit, &after),
                })
                .await?;
            let k = if out.en { "kind" } else { "kind_zh" };
            let cols = [
                k,
                "name",
                "location",
                "detail",
                "member_count",
                "home",
                "id",
            ];
            output::list_as(out, l.get_ref(), &cols, RELABEL);
            return Ok(());
        }
        Command::Units => {
            let f = c
                .get_unit_figures(pb::UnitFiguresRequest {})
                .await?
                .into_inner();
            print_units(out, &f);
            return Ok(());
        }
    };
    output::record_as(out, reply.get_ref(), ORDER, RELABEL);
    Ok(())
}

fn print_units(out: output::Out, f: &pb::UnitFigures) {
    if out.json {
        let units: Vec<_> = f
            .units
            .iter()
            .map(|u| {
                json!({"unit": u.unit, "assigned": u.assigned, "answered": u.answered, "closed": u.closed,
                       "overdue": u.overdue, "rated": u.rated, "satisfied": u.satisfied})
            })
            .collect();
        say!("{}", json!({ "units": units }));
        return;
    }
    let header: Vec<String> = if out.en {
        [
            "unit",
            "assigned",
            "answered",
            "closed",
            "overdue",
            "satisfied",
        ]
    } else {
        ["承办单位", "交办", "已答复", "已办结", "超期", "满意"]
    }
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows: Vec<Vec<String>> = f
        .units
        .iter()
        .map(|u| {
            vec![
                u.unit.clone(),
                u.assigned.to_string(),
                u.answered.to_string(),
                u.closed.to_string(),
                u.overdue.to_string(),
                format!("{}/{}", u.satisfied, u.rated),
            ]
        })
        .collect();
    output::table(&header, &rows);
}
