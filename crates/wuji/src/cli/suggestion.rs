//! `wuji suggestion …`: one subcommand per call of the Suggestions service.

use super::ids::{code, get, page, record_id};
use super::{ClientOpts, channel, output};
use anyhow::{Context, bail};
use clap::Subcommand;
use wuji_proto::pb::{self, suggestions_client::SuggestionsClient};

const ORDER: &[&str] = &[
    "title",
    "status_zh",
    "handler",
    "number",
    "round",
    "deadline",
    "overdue",
    "kind",
    "category",
    "lead",
    "cosigners",
    "submitted_on",
    "units",
    "assigned_on",
    "answer_class",
    "answer_unit",
    "answer_text",
    "promises",
    "rating",
    "latest_answer",
    "supervision",
    "chain",
    "text",
    "id",
];
const COLUMNS: &[&str] = &[
    "number",
    "title",
    "status_zh",
    "handler",
    "deadline",
    "overdue",
    "id",
];

/// `wuji suggestion …`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// 提出: submit at this node (its origin).
    Submit {
        /// Person id of the lead submitter (领衔代表).
        #[arg(long)]
        lead: String,
        /// 标题.
        #[arg(long)]
        title: String,
        /// 内容.
        #[arg(long)]
        text: String,
        /// 分类 (e.g. 城乡建设).
        #[arg(long, default_value = "")]
        category: String,
        /// Co-signer person id (附议, repeatable).
        #[arg(long = "cosigner")]
        cosigners: Vec<String>,
        /// suggestion (建议) | bill (议案) | opinion (群众意见).
        #[arg(long, default_value = "suggestion")]
        kind: String,
        /// Raised during the session (会议期间); default: between sessions.
        #[arg(long)]
        session: bool,
        /// The work-order id of the platform it came from (外部工单号), as
        /// platform:id, e.g. 12345:GD20261206001; submitting the same id
        /// again returns the suggestion already made and writes nothing.
        #[arg(long, default_value = "")]
        external_id: String,
        /// 群众意见 → 代表建议: the citizen opinion (HOME:UUID, collected at a
        /// station inside this congress's region) this suggestion takes up.
        #[arg(long)]
        from_opinion: Option<String>,
    },
    /// 建议交办清单: assign many suggestions handled here from a workbook
    /// (.xlsx/.xls/.csv; columns 建议编号 or 系统编号, 主办单位, 协办单位,
    /// 分别办理单位); every bad row is named; all rows or none.
    AssignList {
        /// The file.
        file: std::path::PathBuf,
        /// Check every row and list the bad ones; assign nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// 登记: register and number it here.
    Register {
        /// The suggestion's id (HOME:UUID).
        id: String,
        /// 建议编号.
        #[arg(long)]
        number: String,
    },
    /// 交办: assign handling units (one --lead-unit and any --co-unit, or --separate units).
    Assign {
        /// The suggestion's id.
        id: String,
        /// 主办单位.
        #[arg(long)]
        lead_unit: Option<String>,
        /// 协办单位 (repeatable).
        #[arg(long = "co-unit")]
        co_units: Vec<String>,
        /// 分别办理 units (repeatable; instead of lead and co).
        #[arg(long = "separate")]
        separate: Vec<String>,
    },
    /// 协办意见: a co-handling unit's view.
    CoView {
        /// The suggestion's id.
        id: String,
        /// The co-handling unit.
        #[arg(long)]
        unit: String,
        /// Its view.
        #[arg(long)]
        text: String,
    },
    /// 退办: a unit returns it (within the configured working days).
    Return {
        /// The suggestion's id.
        id: String,
        /// The unit returning it.
        #[arg(long)]
        unit: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// 延期: approve a longer time limit.
    Extend {
        /// The suggestion's id.
        id: String,
        /// Extra months.
        #[arg(long)]
        months: u32,
    },
    /// 答复: the lead (or a separate) unit answers, class A|B|C|D.
    Answer {
        /// The suggestion's id.
        id: String,
        /// The answering unit.
        #[arg(long)]
        unit: String,
        /// A (解决), B (正在解决/计划解决), C (暂不能解决), D (留作参考).
        #[arg(long)]
        class: String,
        /// The answer.
        #[arg(long)]
        text: String,
        /// A promise of the answer (答复承诺, repeatable).
        #[arg(long = "promise")]
        promises: Vec<String>,
    },
    /// 代表反馈: the deputy's rating of the latest answer (at the origin).
    Feedback {
        /// The suggestion's id.
        id: String,
        /// satisfied (满意) | basic (基本满意) | dissatisfied (不满意).
        #[arg(long)]
        rating: String,
        /// Comment.
        #[arg(long, default_value = "")]
        comment: String,
        /// A specific answer (HANDLER:HLC:WRITER, from latest_answer); default the latest.
        #[arg(long)]
        answer: Option<String>,
    },
    /// 重新办理: open a new round after a dissatisfied rating.
    Rehandle {
        /// The suggestion's id.
        id: String,
    },
    /// 办结: close it.
    Close {
        /// The suggestion's id.
        id: String,
    },
    /// 撤回: withdraw it (at the origin).
    Withdraw {
        /// The suggestion's id.
        id: String,
    },
    /// 并案: handle it together with another suggestion.
    Merge {
        /// The suggestion's id.
        id: String,
        /// The other suggestion (HOME:UUID or UUID).
        #[arg(long)]
        into: String,
    },
    /// 上报: escalate to the congress above (default: this node's parent).
    Escalate {
        /// The suggestion's id.
        id: String,
        /// The congress above.
        #[arg(long)]
        to: Option<String>,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// 转办: transfer down to a congress inside this one's region.
    Transfer {
        /// The suggestion's id.
        id: String,
        /// The congress below.
        #[arg(long)]
        to: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// 督办: supervise it (key|led|special|joint|coordinated|livelihood|none).
    Supervise {
        /// The suggestion's id.
        id: String,
        /// How.
        #[arg(long)]
        mode: String,
        /// 领衔督办 leader or committee.
        #[arg(long, default_value = "")]
        lead_supervisor: String,
        /// A note.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Show one suggestion with its derived status and deadline.
    Get {
        /// The suggestion's id.
        id: String,
    },
    /// List suggestions.
    List {
        /// Status (repeatable): submitted|registered|assigned|awaiting_reassignment|answered|awaiting_rehandling|closed|withdrawn|merged or 待登记, 办理中, 待重新交办, 已办结 ...
        #[arg(long)]
        status: Vec<String>,
        /// Current handler.
        #[arg(long)]
        handler: Option<String>,
        /// 分类.
        #[arg(long)]
        category: Option<String>,
        /// Origin inside this area.
        #[arg(long)]
        area: Option<String>,
        /// Only overdue ones (超期).
        #[arg(long)]
        overdue: bool,
        /// Submitted on or after (YYYY-MM-DD).
        #[arg(long)]
        from: Option<String>,
        /// Submitted on or before (YYYY-MM-DD).
        #[arg(long)]
        to: Option<String>,
        /// Only the one that came in with this work-order id (外部工单号).
        #[arg(long)]
        external_id: Option<String>,
        /// Write every page of the list as a 代表建议办理情况汇总表 workbook
        /// (.xlsx, as the console's download) instead of printing a page.
        #[arg(long)]
        xlsx: Option<std::path::PathBuf>,
        /// Page size.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Continue after this token.
        #[arg(long)]
        after: Option<String>,
    },
    /// 下钻: the suggestions that the congress REGION below this node holds,
    /// asked through the tree (each node on the way relays): the detail
    /// beyond this node's routing horizon, which it counts but does not hold.
    Drill {
        /// The region whose node answers (a code below this node).
        region: String,
        /// Page size.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Continue after this token.
        #[arg(long)]
        after: Option<String>,
    },
}

fn id_of(s: &str) -> anyhow::Result<Option<pb::RecordId>> {
    Ok(Some(record_id(s)?))
}

/// Runs a suggestion command.
pub async fn run(opts: &ClientOpts, cmd: Command) -> anyhow::Result<()> {
    let out = opts.out();
    let mut c = SuggestionsClient::new(channel(opts).await?);
    let reply = match cmd {
        Command::Submit {
            lead,
            title,
            text,
            category,
            cosigners,
            kind,
            session,
            external_id,
            from_opinion,
        } => {
            let kind = match kind.as_str() {
                "suggestion" | "建议" => 0,
                "bill" | "议案" => 1,
                "opinion" | "群众意见" => 2,
                k => bail!("unknown kind {k:?}: suggestion|bill|opinion"),
            };
            c.submit(pb::SubmitRequest {
                kind,
                lead,
                cosigners,
                category,
                title,
                text,
                during_session: session,
                external_id,
                from_opinion: from_opinion.as_deref().map(record_id).transpose()?,
            })
            .await?
        }
        Command::AssignList { file, dry_run } => {
            return super::assign_list::run(out, &mut c, &file, dry_run).await;
        }
        Command::Register { id, number } => {
            c.register(pb::RegisterRequest {
                id: id_of(&id)?,
                number,
            })
            .await?
        }
        Command::Assign {
            id,
            lead_unit,
            co_units,
            separate,
        } => {
            let mut units: Vec<pb::Unit> = Vec::new();
            units.extend(lead_unit.into_iter().map(|name| pb::Unit { name, role: 0 }));
            units.extend(co_units.into_iter().map(|name| pb::Unit { name, role: 1 }));
            units.extend(separate.into_iter().map(|name| pb::Unit { name, role: 2 }));
            c.assign(pb::AssignRequest {
                id: id_of(&id)?,
                units,
            })
            .await?
        }
        Command::CoView { id, unit, text } => {
            c.co_view(pb::CoViewRequest {
                id: id_of(&id)?,
                unit,
                text,
            })
            .await?
        }
        Command::Return { id, unit, reason } => {
            c.return_to_sender(pb::ReturnRequest {
                id: id_of(&id)?,
                unit,
                reason,
            })
            .await?
        }
        Command::Extend { id, months } => {
            c.extend(pb::ExtendRequest {
                id: id_of(&id)?,
                months,
            })
            .await?
        }
        Command::Answer {
            id,
            unit,
            class,
            text,
            promises,
        } => {
            let class = match class.trim().to_ascii_uppercase().as_str() {
                "A" => 0,
                "B" => 1,
                "C" => 2,
                "D" => 3,
                k => bail!("unknown answer class {k:?}: A|B|C|D"),
            };
            c.answer_suggestion(pb::AnswerRequest {
                id: id_of(&id)?,
                unit,
                class,
                text,
                promises,
            })
            .await?
        }
        Command::Feedback {
            id,
            rating,
            comment,
            answer,
        } => {
            let rating = match rating.as_str() {
                "dissatisfied" | "不满意" => 0,
                "basic" | "基本满意" => 1,
                "satisfied" | "满意" => 2,
                r => bail!("unknown rating {r:?}: satisfied|basic|dissatisfied"),
            };
            let (handler, answer) = match answer {
                None => (0, None),
                Some(a) => {
                    let parts: Vec<&str> = a.split(':').collect();
                    let [h, hlc, w] = parts.as_slice() else {
                        bail!("--answer {a:?}: expected HANDLER:HLC:WRITER as in latest_answer");
                    };
                    (
                        code(h)?,
                        Some(pb::Stamp {
                            hlc: hlc.parse().context("--answer HLC")?,
                            writer: w.parse().context("--answer WRITER")?,
                        }),
                    )
                }
            };
            c.feedback(pb::FeedbackRequest {
                id: id_of(&id)?,
                handler,
                answer,
                rating,
                comment,
            })
            .await?
        }
        Command::Rehandle { id } => c.rehandle(get(&id)?).await?,
        Command::Close { id } => c.close(get(&id)?).await?,
        Command::Withdraw { id } => c.withdraw(get(&id)?).await?,
        Command::Merge { id, into } => {
            // HOME:UUID names the suggestion fully; a bare UUID means one of
            // the same home as ID.
            let req = if into.contains(':') {
                pb::MergeRequest {
                    id: id_of(&id)?,
                    into: Vec::new(),
                    into_id: id_of(&into).context("--into")?,
                }
            } else {
                let uuid = uuid::Uuid::parse_str(&into).context("--into")?;
                pb::MergeRequest {
                    id: id_of(&id)?,
                    into: uuid.as_bytes().to_vec(),
                    into_id: None,
                }
            };
            c.merge_into(req).await?
        }
        Command::Escalate { id, to, reason } => {
            let to = to.as_deref().map(code).transpose()?.unwrap_or(0);
            c.escalate(pb::ForwardRequest {
                id: id_of(&id)?,
                to,
                reason,
            })
            .await?
        }
        Command::Transfer { id, to, reason } => {
            c.transfer(pb::ForwardRequest {
                id: id_of(&id)?,
                to: code(&to)?,
                reason,
            })
            .await?
        }
        Command::Supervise {
            id,
            mode,
            lead_supervisor,
            note,
        } => {
            let mode = match mode.as_str() {
                "none" => 0,
                "key" | "重点" => 1,
                "led" | "领衔" => 2,
                "special" | "专项" => 3,
                "joint" | "联合" => 4,
                "coordinated" | "协调" => 5,
                "livelihood" | "民生实事" => 6,
                m => bail!("unknown mode {m:?}: key|led|special|joint|coordinated|livelihood|none"),
            };
            c.supervise(pb::SuperviseRequest {
                id: id_of(&id)?,
                mode,
                lead_supervisor,
                note,
            })
            .await?
        }
        Command::Get { id } => c.get_suggestion(get(&id)?).await?,
        Command::List {
            status,
            handler,
            category,
            area,
            overdue,
            from,
            to,
            external_id,
            xlsx,
            limit,
            after,
        } => {
            let mut req = pb::ListSuggestionsRequest {
                status,
                handler: handler.as_deref().map(code).transpose()?.unwrap_or(0),
                category: category.unwrap_or_default(),
                area: area.as_deref().map(code).transpose()?.unwrap_or(0),
                overdue_only: overdue,
                from: from.unwrap_or_default(),
                to: to.unwrap_or_default(),
                page: page(limit, &after),
                external_id: external_id.unwrap_or_default(),
            };
            if let Some(path) = xlsx {
                // Every page, as the console's download does.
                let mut rows = Vec::new();
                req.page = page(500, &None);
                loop {
                    let l = c.list_suggestions(req.clone()).await?.into_inner();
                    rows.extend(l.records.into_iter().map(|r| r.view));
                    if l.next.is_empty() {
                        break;
                    }
                    req.page = page(500, &Some(l.next));
                }
                let node = pb::node_client::NodeClient::new(channel(opts).await?)
                    .status(pb::StatusRequest::default())
                    .await?
                    .into_inner()
                    .node;
                let office = wuji_node::names::office(&node.to_string());
                let lang = if out.en {
                    wuji_console::i18n::Lang::En
                } else {
                    wuji_console::i18n::Lang::Zh
                };
                let today = {
                    use wuji_node::clock::Clock;
                    wuji_node::clock::SystemClock.today().to_string()
                };
                let bytes = wuji_console::summary_workbook(&office, &today, &rows, lang)?;
                std::fs::write(&path, bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                output::message(
                    out,
                    &format!("已导出 {} 件建议到 {}", rows.len(), path.display()),
                    &format!("exported {} suggestions to {}", rows.len(), path.display()),
                    serde_json::json!({ "exported": rows.len(), "file": path.display().to_string() }),
                );
                return Ok(());
            }
            let list = c.list_suggestions(req).await?.into_inner();
            output::list(out, &list, COLUMNS);
            return Ok(());
        }
        Command::Drill {
            region,
            limit,
            after,
        } => {
            let req = pb::DrillDownRequest {
                region: code(&region)?,
                kind: pb::RecordKind::Suggestion as i32,
                page: page(limit, &after),
            };
            let mut n = pb::node_client::NodeClient::new(channel(opts).await?);
            let list = n.drill_down(req).await?.into_inner();
            output::list(out, &list, COLUMNS);
            return Ok(());
        }
    };
    output::record(out, reply.get_ref(), ORDER);
    Ok(())
}
