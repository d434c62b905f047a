//! `wuji calendar publish FILE`: the national node publishes a year's official
//! holiday calendar; it flows down to every node, which uses it at once.

use super::{ClientOpts, channel, output};
use anyhow::Context;
use clap::Subcommand;
use wuji_proto::pb::{self, node_client::NodeClient};

/// `wuji calendar …`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// 发布: publish YEAR.toml (as config/holidays/) at the national node; every
    /// node uses it from then on, no restart, and fixes again the 答复期限 it
    /// had fixed under that year's provisional calendar.
    Publish {
        /// The year's file, named YEAR.toml.
        file: std::path::PathBuf,
    },
}

/// Runs a calendar command.
pub async fn run(opts: &ClientOpts, cmd: Command) -> anyhow::Result<()> {
    let Command::Publish { file } = cmd;
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let reply = NodeClient::new(channel(opts).await?)
        .publish_calendar(pb::PublishCalendarRequest { file: name, text })
        .await?
        .into_inner();
    let year = reply.view.get("year").cloned().unwrap_or_default();
    output::message(
        opts.out(),
        &format!("已发布{year}年节假日安排，将下发至所有节点"),
        &format!("published the holiday calendar of {year}; it flows down to every node"),
        serde_json::json!({ "year": year, "id": reply.view.get("id") }),
    );
    Ok(())
}
