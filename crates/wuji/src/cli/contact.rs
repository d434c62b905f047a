//! `wuji contact …`: 三联 / 两个联系: relations this congress sets up
//! (常委会组成人员 ↔ 代表, 代表 ↔ 村/社区 and 选民), the visits made under them,
//! and the relations short of this year's targets.

use super::activity::participants;
use super::ids::{get, page, record_id};
use super::{ClientOpts, channel, output};
use clap::Subcommand;
use wuji_proto::pb::{self, contacts_client::ContactsClient};

const ORDER: &[&str] = &[
    "kind_zh",
    "keeper",
    "members",
    "community",
    "member_count",
    "visits_this_year",
    "on_target",
    "visits",
    "ended_on",
    "home",
    "id",
];

/// A contact relation's kind as the offices name it.
const RELABEL: output::Relabel = &[
    ("kind", "联系类别", "kind"),
    ("kind_zh", "联系类别", "kind"),
];

/// `wuji contact …`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// 建立联系: set up a relation.
    Add {
        /// member_deputies|deputy_community|deputy_voters, or
        /// 常委会组成人员联系代表|代表联系村（社区）|代表联系选民.
        #[arg(long)]
        kind: String,
        /// The 常委会组成人员's name, or the deputy keeping the contact.
        #[arg(long)]
        keeper: String,
        /// A deputy linked, as CONGRESS:PERSON_ID (repeatable).
        #[arg(long = "deputy", required = true)]
        deputies: Vec<String>,
        /// The 村/社区 or voters' area (a deputy's contacts).
        #[arg(long, default_value = "")]
        community: String,
    },
    /// Change the deputies linked.
    Link {
        /// The relation's id (HOME:UUID).
        id: String,
        /// CONGRESS:PERSON_ID to add (repeatable).
        #[arg(long)]
        add: Vec<String>,
        /// CONGRESS:PERSON_ID to remove (repeatable).
        #[arg(long)]
        remove: Vec<String>,
    },
    /// 走访: record a visit.
    Visit {
        /// The relation's id.
        id: String,
        /// What was done.
        #[arg(long)]
        text: String,
        /// The day (YYYY-MM-DD).
        #[arg(long)]
        on: String,
    },
    /// End a relation.
    End {
        /// The relation's id.
        id: String,
    },
    /// Show one relation.
    Get {
        /// The relation's id.
        id: String,
    },
    /// List running relations.
    List {
        /// Only those short of this year's targets.
        #[arg(long)]
        short: bool,
        /// Page size.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Continue after this token.
        #[arg(long)]
        after: Option<String>,
    },
}

/// Runs a contact command.
pub async fn run(opts: &ClientOpts, cmd: Command) -> anyhow::Result<()> {
    let out = opts.out();
    let mut c = ContactsClient::new(channel(opts).await?);
    let reply = match cmd {
        Command::Add {
            kind,
            keeper,
            deputies,
            community,
        } => {
            c.add_contact(pb::AddContactRequest {
                kind,
                keeper,
                linked: participants(&deputies)?,
                community,
            })
            .await?
        }
        Command::Link { id, add, remove } => {
            c.link_deputies(pb::AmendParticipantsRequest {
                id: Some(record_id(&id)?),
                add: participants(&add)?,
                remove: participants(&remove)?,
            })
            .await?
        }
        Command::Visit { id, text, on } => {
            c.record_visit(pb::VisitRequest {
                id: Some(record_id(&id)?),
                text,
                visited_on: on,
            })
            .await?
        }
        Command::End { id } => c.end_contact(get(&id)?).await?,
        Command::Get { id } => c.get_contact(get(&id)?).await?,
        Command::List {
            short,
            limit,
            after,
        } => {
            let l = c
                .list_contacts(pb::ListContactsRequest {
                    short_of_target: short,
                    page: page(limit, &after),
                })
                .await?;
            let k = if out.en { "kind" } else { "kind_zh" };
            let cols = [
                k,
                "keeper",
                "member_count",
                "visits_this_year",
                "on_target",
                "id",
            ];
            output::list_as(out, l.get_ref(), &cols, RELABEL);
            return Ok(());
        }
    };
    output::record_as(out, reply.get_ref(), ORDER, RELABEL);
    Ok(())
}
