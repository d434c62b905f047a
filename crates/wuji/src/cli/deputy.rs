//! `wuji deputy …`: one subcommand per call of the Deputies service.

use super::ids::{code, get, page, record_id};
use super::{ClientOpts, channel, output, roster_io};
use clap::Subcommand;
use std::path::PathBuf;
use wuji_proto::pb::{self, deputies_client::DeputiesClient};

/// Field order of one deputy.
pub const ORDER: &[&str] = &[
    "name",
    "status_zh",
    "level",
    "home",
    "person_id",
    "gender",
    "term",
    "electoral_unit",
    "delegation",
    "group",
    "station",
    "attached",
    "placements",
    "phone",
    "id_number",
    "address",
    "id",
];
/// Columns of a deputy list.
pub const COLUMNS: &[&str] = &[
    "name",
    "status_zh",
    "level",
    "group",
    "station",
    "person_id",
    "id",
];

/// Roster fields given on the command line.
#[derive(Debug, Clone, clap::Args)]
pub struct Fields {
    /// Person id (the same person serving at several levels keeps one id).
    #[arg(long)]
    pub person_id: Option<String>,
    /// 姓名.
    #[arg(long)]
    pub name: Option<String>,
    /// 性别: male|female (男|女).
    #[arg(long)]
    pub gender: Option<String>,
    /// 届: the term number (e.g. 17 for 第十七届).
    #[arg(long)]
    pub term: Option<u32>,
    /// 选区 or 原选举单位.
    #[arg(long)]
    pub electoral_unit: Option<String>,
    /// 代表团.
    #[arg(long)]
    pub delegation: Option<String>,
    /// 代表小组.
    #[arg(long)]
    pub group: Option<String>,
    /// 代表联络站.
    #[arg(long)]
    pub station: Option<String>,
    /// Area the deputy is attached to (repeatable): nodes there see the deputy.
    #[arg(long = "attach")]
    pub attach: Vec<String>,
    /// 联系电话 (personal: never sent above this congress's parent).
    #[arg(long)]
    pub phone: Option<String>,
    /// 身份证号 (personal).
    #[arg(long)]
    pub id_number: Option<String>,
    /// 住址 (personal).
    #[arg(long)]
    pub address: Option<String>,
}

/// `wuji deputy …`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// 新增代表: enrol a deputy of this congress.
    Enrol(#[command(flatten)] Fields),
    /// 修改: change the fields given.
    Update {
        /// The deputy's id (HOME:UUID).
        id: String,
        #[command(flatten)]
        fields: Fields,
    },
    /// 资格变动: in-office|suspended|resigned|recalled|terminated|deceased (or 在任, 暂停, 辞职, 罢免, 终止, 去世).
    Status {
        /// The deputy's id.
        id: String,
        /// The new status.
        #[arg(long)]
        to: String,
    },
    /// Attach to an area inside this congress's region.
    Attach {
        /// The deputy's id.
        id: String,
        /// The area's code.
        #[arg(long)]
        area: String,
    },
    /// 进站/进网格: place a deputy this node sees in its station, grid or group.
    Place {
        /// The deputy's id.
        id: String,
        /// 代表联络站.
        #[arg(long)]
        station: Option<String>,
        /// 网格.
        #[arg(long)]
        grid: Option<String>,
        /// 代表小组.
        #[arg(long)]
        group: Option<String>,
    },
    /// Show one deputy.
    Get {
        /// The deputy's id.
        id: String,
    },
    /// List deputies in roster order (姓氏笔画).
    List(#[command(flatten)] ListArgs),
    /// Import a roster (.xlsx, .xls or .csv in UTF-8 or GBK): all rows or none.
    Import {
        /// The file.
        file: PathBuf,
        /// Check every row and list the bad ones; store nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Export the roster to .xlsx or .csv (UTF-8 with BOM, opens in Excel).
    Export {
        /// xlsx or csv.
        #[arg(long, value_parser = ["xlsx", "csv"])]
        format: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        filter: ListArgs,
    },
}

/// Filters of a deputy list.
#[derive(Debug, Clone, clap::Args)]
pub struct ListArgs {
    /// Level: national|province|city|county|township.
    #[arg(long)]
    pub level: Option<String>,
    /// Only deputies attached inside this area.
    #[arg(long)]
    pub area: Option<String>,
    /// Only this 代表小组.
    #[arg(long = "in-group")]
    pub in_group: Option<String>,
    /// Only these statuses (repeatable).
    #[arg(long = "with-status")]
    pub with_status: Vec<String>,
    /// Only this person id.
    #[arg(long = "of-person")]
    pub of_person: Option<String>,
    /// Page size.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Continue after this token (printed under the previous page).
    #[arg(long)]
    pub after: Option<String>,
}

/// The proto status number for a name.
pub fn status_number(s: &str) -> anyhow::Result<i32> {
    Ok(match s.trim() {
        "in-office" | "in_office" | "在任" => 0,
        "suspended" | "暂停" | "暂停执行代表职务" => 1,
        "resigned" | "辞职" => 2,
        "recalled" | "罢免" => 3,
        "terminated" | "终止" | "代表资格终止" => 4,
        "deceased" | "去世" => 5,
        other => anyhow::bail!(
            "unknown status {other:?}: in-office|suspended|resigned|recalled|terminated|deceased"
        ),
    })
}

fn level_number(s: &str) -> anyhow::Result<u32> {
    Ok(match s.trim() {
        "national" | "全国" => 1,
        "province" | "省" | "省级" => 2,
        "city" | "市" | "市级" => 3,
        "county" | "县" | "县级" => 4,
        "township" | "乡镇" => 5,
        other => anyhow::bail!("unknown level {other:?}: national|province|city|county|township"),
    })
}

/// The gender number for a name.
pub fn gender_number(s: &str) -> anyhow::Result<u32> {
    Ok(match s.trim() {
        "" => 0,
        "male" | "m" | "男" => 1,
        "female" | "f" | "女" => 2,
        other => anyhow::bail!("unknown gender {other:?}: male|female (男|女)"),
    })
}

/// An enrol request from fields.
pub fn request(f: &Fields) -> anyhow::Result<pb::EnrolRequest> {
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    Ok(pb::EnrolRequest {
        id: None,
        person_id: s(&f.person_id),
        name: s(&f.name),
        gender: gender_number(&s(&f.gender))?,
        term: f.term.unwrap_or(0),
        electoral_unit: s(&f.electoral_unit),
        delegation: s(&f.delegation),
        group: s(&f.group),
        station: s(&f.station),
        attached: f.attach.iter().map(|a| code(a)).collect::<Result<_, _>>()?,
        phone: s(&f.phone),
        id_number: s(&f.id_number),
        address: s(&f.address),
        row: 0,
    })
}

/// A list request from filters.
pub fn list_request(l: &ListArgs) -> anyhow::Result<pb::ListDeputiesRequest> {
    Ok(pb::ListDeputiesRequest {
        level: l
            .level
            .as_deref()
            .map(level_number)
            .transpose()?
            .unwrap_or(0),
        area: l.area.as_deref().map(code).transpose()?.unwrap_or(0),
        group: l.in_group.clone().unwrap_or_default(),
        status: l
            .with_status
            .iter()
            .map(|s| status_number(s))
            .collect::<Result<_, _>>()?,
        person_id: l.of_person.clone().unwrap_or_default(),
        page: page(l.limit, &l.after),
    })
}

/// Runs a deputy command.
pub async fn run(opts: &ClientOpts, cmd: Command) -> anyhow::Result<()> {
    let out = opts.out();
    let mut c = DeputiesClient::new(channel(opts).await?);
    let reply = match cmd {
        Command::Enrol(f) => c.enrol(request(&f)?).await?,
        Command::Update { id, fields } => {
            let mut r = request(&fields)?;
            r.id = Some(record_id(&id)?);
            c.update(r).await?
        }
        Command::Status { id, to } => {
            c.change_status(pb::ChangeStatusRequest {
                id: Some(record_id(&id)?),
                status: status_number(&to)?,
            })
            .await?
        }
        Command::Attach { id, area } => {
            c.attach(pb::AttachRequest {
                id: Some(record_id(&id)?),
                area: code(&area)?,
            })
            .await?
        }
        Command::Place {
            id,
            station,
            grid,
            group,
        } => {
            c.place(pb::PlaceRequest {
                id: Some(record_id(&id)?),
                station: station.unwrap_or_default(),
                grid: grid.unwrap_or_default(),
                group: group.unwrap_or_default(),
            })
            .await?
        }
        Command::Get { id } => c.get_deputy(get(&id)?).await?,
        Command::List(l) => {
            let list = c.list_deputies(list_request(&l)?).await?.into_inner();
            output::list(out, &list, COLUMNS);
            return Ok(());
        }
        Command::Import { file, dry_run } => {
            return roster_io::import(out, &mut c, &file, dry_run).await;
        }
        Command::Export {
            format,
            out: path,
            filter,
        } => {
            return roster_io::export(out, &mut c, &format, &path, &filter).await;
        }
    };
    output::record(out, reply.get_ref(), ORDER);
    Ok(())
}
