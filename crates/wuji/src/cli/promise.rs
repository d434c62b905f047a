//! `wuji promise …`: 答复承诺事项台账: add a promise of an answer and follow it
//! up at the node that answered (after 办结 too); list the ledger or the
//! overdue entries at the handler or at the deputy's congress.

use super::ids::{page, record_id};
use super::{ClientOpts, channel, output};
use clap::Subcommand;
use serde_json::json;
use wuji_proto::pb::{self, suggestions_client::SuggestionsClient};

/// `wuji promise …`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// 登记承诺事项: add a promise to this node's ledger of a suggestion it answered.
    Add {
        /// The suggestion's id (HOME:UUID).
        id: String,
        /// What was promised.
        #[arg(long)]
        text: String,
        /// The responsible unit.
        #[arg(long)]
        unit: String,
        /// By when (YYYY-MM-DD).
        #[arg(long)]
        due: Option<String>,
    },
    /// 跟踪落实: update an entry: state, due date, unit, a progress note.
    Update {
        /// The suggestion's id.
        id: String,
        /// The entry's number in this node's ledger (the 序号 column).
        #[arg(long)]
        number: u32,
        /// pending|in_progress|done, or 未落实|落实中|已落实 (never back).
        #[arg(long)]
        state: Option<String>,
        /// A new due date (YYYY-MM-DD).
        #[arg(long)]
        due: Option<String>,
        /// Another responsible unit.
        #[arg(long)]
        unit: Option<String>,
        /// A progress note.
        #[arg(long)]
        note: Option<String>,
    },
    /// 台账: the ledger entries this node holds (as handler or as the deputy's congress).
    List {
        /// Only entries past their due date and not done (逾期未落实).
        #[arg(long)]
        overdue: bool,
        /// Page size (suggestions).
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Continue after this token.
        #[arg(long)]
        after: Option<String>,
    },
}

/// Runs a promise command.
pub async fn run(opts: &ClientOpts, cmd: Command) -> anyhow::Result<()> {
    let out = opts.out();
    let mut c = SuggestionsClient::new(channel(opts).await?);
    let reply = match cmd {
        Command::Add {
            id,
            text,
            unit,
            due,
        } => {
            c.add_promise(pb::AddPromiseRequest {
                id: Some(record_id(&id)?),
                text,
                unit,
                due_on: due.unwrap_or_default(),
            })
            .await?
        }
        Command::Update {
            id,
            number,
            state,
            due,
            unit,
            note,
        } => {
            c.update_promise(pb::UpdatePromiseRequest {
                id: Some(record_id(&id)?),
                number,
                state: state.unwrap_or_default(),
                due_on: due.unwrap_or_default(),
                unit: unit.unwrap_or_default(),
                note: note.unwrap_or_default(),
            })
            .await?
        }
        Command::List {
            overdue,
            limit,
            after,
        } => {
            let l = c
                .list_promises(pb::ListPromisesRequest {
                    overdue,
                    page: page(limit, &after),
                })
                .await?
                .into_inner();
            print_list(out, &l);
            return Ok(());
        }
    };
    let order = [
        "title",
        "status_zh",
        "promises_open",
        "promises_overdue",
        "promises",
        "id",
    ];
    output::record(out, reply.get_ref(), &order);
    Ok(())
}

fn state_zh(s: &str) -> &str {
    match s {
        "pending" => "未落实",
        "in_progress" => "落实中",
        "done" => "已落实",
        other => other,
    }
}

fn print_list(out: output::Out, l: &pb::PromiseList) {
    let id = |e: &pb::PromiseEntry| {
        e.suggestion
            .as_ref()
            .and_then(|s| {
                let u = uuid::Uuid::from_slice(&s.uuid).ok()?;
                Some(format!("{}:{u}", s.home))
            })
            .unwrap_or_default()
    };
    if out.json {
        let entries: Vec<_> = l
            .entries
            .iter()
            .map(|e| {
                json!({
                    "suggestion": id(e), "title": e.title, "keeper": e.keeper.to_string(),
                    "number": e.number, "text": e.text, "unit": e.unit, "due_on": e.due_on,
                    "state": e.state, "overdue": e.overdue, "status": e.status,
                })
            })
            .collect();
        say!("{}", json!({ "entries": entries, "next": l.next }));
        return;
    }
    let header: Vec<String> = if out.en {
        [
            "no.",
            "promise",
            "unit",
            "due",
            "state",
            "overdue",
            "kept by",
            "suggestion",
            "id",
        ]
    } else {
        [
            "序号",
            "承诺事项",
            "责任单位",
            "完成时限",
            "落实情况",
            "逾期",
            "答复机关",
            "建议标题",
            "系统编号",
        ]
    }
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows: Vec<Vec<String>> = l
        .entries
        .iter()
        .map(|e| {
            let keeper = e.keeper.to_string();
            vec![
                e.number.to_string(),
                e.text.clone(),
                e.unit.clone(),
                e.due_on.clone(),
                if out.en {
                    e.state.clone()
                } else {
                    state_zh(&e.state).to_string()
                },
                match (e.overdue, out.en) {
                    (true, true) => "overdue".into(),
                    (true, false) => "逾期".into(),
                    _ => String::new(),
                },
                if out.codes {
                    keeper
                } else {
                    wuji_node::names::office(&keeper)
                },
                e.title.clone(),
                id(e),
            ]
        })
        .collect();
    output::table(&header, &rows);
    output::footer(out, l.entries.len(), &l.next, "项", "entries");
}
