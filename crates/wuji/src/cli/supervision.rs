//! `wuji supervision …`: one subcommand per call of the Supervision service.

use super::ids::{code, get, page, record_id};
use super::{ClientOpts, channel, output};
use anyhow::{Context, bail};
use clap::Subcommand;
use wuji_proto::pb::{self, supervision_client::SupervisionClient};

const ORDER: &[&str] = &[
    "title",
    "mode",
    "lead_supervisor",
    "covers",
    "progress",
    "milestones",
    "reports",
    "suggestion",
    "id",
];
const COLUMNS: &[&str] = &[
    "title",
    "mode",
    "lead_supervisor",
    "progress",
    "covers",
    "id",
];

/// `wuji supervision …`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// 立项督办: open an item (key|led|special|joint|coordinated|livelihood).
    Open {
        /// How it is supervised.
        #[arg(long)]
        mode: String,
        /// 标题.
        #[arg(long)]
        title: String,
        /// Region covered (repeatable).
        #[arg(long = "cover", required = true)]
        covers: Vec<String>,
        /// 领衔督办 leader or committee.
        #[arg(long, default_value = "")]
        lead_supervisor: String,
        /// The supervised suggestion (HOME:UUID or UUID).
        #[arg(long)]
        suggestion: Option<String>,
        /// A milestone "TITLE:WEIGHT[:YYYY-MM-DD]" (repeatable).
        #[arg(long = "milestone")]
        milestones: Vec<String>,
    },
    /// Confirm a milestone done.
    Confirm {
        /// The item's id (HOME:UUID).
        id: String,
        /// Milestone number.
        #[arg(long)]
        milestone: u32,
    },
    /// Report progress from a covered node.
    Report {
        /// The item's id.
        id: String,
        /// What happened.
        #[arg(long)]
        text: String,
        /// Milestone reported done (repeatable).
        #[arg(long = "done")]
        done: Vec<u32>,
    },
    /// Show one item.
    Get {
        /// The item's id.
        id: String,
    },
    /// List items.
    List {
        /// Page size.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Continue after this token.
        #[arg(long)]
        after: Option<String>,
    },
}

/// Runs a supervision command.
pub async fn run(opts: &ClientOpts, cmd: Command) -> anyhow::Result<()> {
    let out = opts.out();
    let mut c = SupervisionClient::new(channel(opts).await?);
    let reply = match cmd {
        Command::Open {
            mode,
            title,
            covers,
            lead_supervisor,
            suggestion,
            milestones,
        } => {
            let mode = match mode.as_str() {
                "key" | "重点" => 1,
                "led" | "领衔" => 2,
                "special" | "专项" => 3,
                "joint" | "联合" => 4,
                "coordinated" | "协调" => 5,
                "livelihood" | "民生实事" => 6,
                m => bail!("unknown mode {m:?}: key|led|special|joint|coordinated|livelihood"),
            };
            let suggestion = match suggestion {
                Some(s) => {
                    let u = s.rsplit(':').next().unwrap_or(&s);
                    uuid::Uuid::parse_str(u)
                        .context("--suggestion")?
                        .as_bytes()
                        .to_vec()
                }
                None => Vec::new(),
            };
            let milestones = milestones
                .iter()
                .map(|m| {
                    let mut parts = m.splitn(3, ':');
                    let title = parts.next().unwrap_or_default().to_string();
                    let weight = parts
                        .next()
                        .with_context(|| {
                            format!("--milestone {m:?}: expected TITLE:WEIGHT[:DATE]")
                        })?
                        .parse()
                        .with_context(|| format!("--milestone {m:?}: weight"))?;
                    let due_on = parts.next().unwrap_or_default().to_string();
                    Ok(pb::NewMilestone {
                        title,
                        weight,
                        due_on,
                    })
                })
                .collect::<anyhow::Result<_>>()?;
            let covers = covers.iter().map(|c| code(c)).collect::<Result<_, _>>()?;
            c.open_item(pb::OpenItemRequest {
                mode,
                title,
                suggestion,
                lead_supervisor,
                covers,
                milestones,
            })
            .await?
        }
        Command::Confirm { id, milestone } => {
            c.confirm_milestone(pb::MilestoneRequest {
                id: Some(record_id(&id)?),
                milestone,
            })
            .await?
        }
        Command::Report { id, text, done } => {
            c.report_on_item(pb::ItemReportRequest {
                id: Some(record_id(&id)?),
                text,
                done,
            })
            .await?
        }
        Command::Get { id } => c.get_item(get(&id)?).await?,
        Command::List { limit, after } => {
            let list = c
                .list_items(pb::ListItemsRequest {
                    page: page(limit, &after),
                })
                .await?;
            output::list(out, list.get_ref(), COLUMNS);
            return Ok(());
        }
    };
    output::record(out, reply.get_ref(), ORDER);
    Ok(())
}
