//! `wuji assignment …`: one subcommand per call of the Assignments service.

use super::ids::{code, get, page, record_id};
use super::{ClientOpts, channel, output};
use clap::Subcommand;
use wuji_proto::pb::{self, assignments_client::AssignmentsClient};

const ORDER: &[&str] = &[
    "title",
    "home",
    "targets",
    "due_on",
    "issued_on",
    "done",
    "responses",
    "text",
    "id",
];
const COLUMNS: &[&str] = &["title", "home", "targets", "due_on", "done", "id"];

/// `wuji assignment …`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// 交办: issue to target regions inside this congress's region.
    Issue {
        /// 标题.
        #[arg(long)]
        title: String,
        /// 内容.
        #[arg(long)]
        text: String,
        /// Target region (repeatable): it and every node inside it receive the task.
        #[arg(long = "target", required = true)]
        targets: Vec<String>,
        /// Due date (YYYY-MM-DD).
        #[arg(long)]
        due: Option<String>,
    },
    /// 签收: acknowledge a received assignment.
    Ack {
        /// The assignment's id (HOME:UUID).
        id: String,
    },
    /// 报告: report progress (--done when finished).
    Report {
        /// The assignment's id.
        id: String,
        /// What was done.
        #[arg(long)]
        text: String,
        /// The task is complete.
        #[arg(long)]
        done: bool,
    },
    /// Show one assignment.
    Get {
        /// The assignment's id.
        id: String,
    },
    /// List assignments received here (default) or issued from here.
    List {
        /// Those this node issued.
        #[arg(long)]
        issued: bool,
        /// Page size.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Continue after this token.
        #[arg(long)]
        after: Option<String>,
    },
}

/// Runs an assignment command.
pub async fn run(opts: &ClientOpts, cmd: Command) -> anyhow::Result<()> {
    let out = opts.out();
    let mut c = AssignmentsClient::new(channel(opts).await?);
    let reply = match cmd {
        Command::Issue {
            title,
            text,
            targets,
            due,
        } => {
            let targets = targets.iter().map(|t| code(t)).collect::<Result<_, _>>()?;
            c.issue_assignment(pb::IssueRequest {
                title,
                text,
                targets,
                due_on: due.unwrap_or_default(),
            })
            .await?
        }
        Command::Ack { id } => c.acknowledge(get(&id)?).await?,
        Command::Report { id, text, done } => {
            c.report_progress(pb::ReportRequest {
                id: Some(record_id(&id)?),
                text,
                done,
            })
            .await?
        }
        Command::Get { id } => c.get_assignment(get(&id)?).await?,
        Command::List {
            issued,
            limit,
            after,
        } => {
            let list = c
                .list_assignments(pb::ListAssignmentsRequest {
                    issued,
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
