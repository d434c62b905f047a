//! `wuji backup` (an online, consistent snapshot of a running node, written
//! 0600 since it holds personal fields) and `wuji restore` (a node's data
//! directory made from one; the node then rejoins and gets back from its
//! neighbours what was written after the snapshot).

use super::{ClientOpts, channel, output};
use anyhow::{Context, bail};
use clap::Args;
use serde_json::json;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use tokio_stream::StreamExt;
use wuji_proto::pb;
use wuji_store::backup;

/// Arguments of `wuji backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    opts: ClientOpts,
    /// The file to write (mode 0600; it holds deputies' personal fields).
    #[arg(long)]
    out: PathBuf,
    /// Replace the file if it exists.
    #[arg(long)]
    force: bool,
}

/// Arguments of `wuji restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file written by `wuji backup`.
    file: PathBuf,
    /// The node directory to make: the store goes to DIR/data (it must not
    /// exist or be empty); point the node's `data_dir` there and start it.
    #[arg(long)]
    dir: PathBuf,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Language of the table: zh (default) or en.
    #[arg(long, env = "WUJI_LANG", default_value = "zh", value_parser = ["zh", "en"])]
    lang: String,
}

fn summary(en: bool, header: &backup::Header, bytes: usize, file: &Path) {
    let h = |zh: &str, e: &str| if en { e.to_string() } else { zh.to_string() };
    output::table(
        &[
            h("节点", "node"),
            h("日志位置", "log position"),
            h("键数", "keys"),
            h("字节", "bytes"),
            h("文件", "file"),
        ],
        &[vec![
            header.node.to_string(),
            header.last_seq.to_string(),
            header.entries.to_string(),
            bytes.to_string(),
            file.display().to_string(),
        ]],
    );
}

fn header_json(header: &backup::Header, bytes: usize, file: &Path) -> serde_json::Value {
    json!({
        "node": header.node.to_string(), "last_seq": header.last_seq, "entries": header.entries,
        "bytes": bytes, "created_ms": header.created_ms, "software": header.software,
        "format": header.format, "file": file, "personal": true,
    })
}

impl BackupArgs {
    /// Whether `--json` was given.
    pub fn json(&self) -> bool {
        self.opts.json
    }
}

/// Takes a backup of the node at `--addr` into `--out`.
pub async fn run_backup(a: BackupArgs) -> anyhow::Result<()> {
    let out = a.opts.out();
    if a.out.exists() && !a.force {
        bail!(
            "{} exists: choose another file or add --force",
            a.out.display()
        );
    }
    let mut client = pb::node_client::NodeClient::new(channel(&a.opts).await?)
        .max_decoding_message_size(8 << 20);
    let mut stream = client.backup(pb::BackupRequest {}).await?.into_inner();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk?.data);
    }
    // Checked before it is kept: a cut transfer is not a backup.
    let (header, _) = backup::decode(&bytes).context("the node sent an unreadable backup")?;
    let tmp = a.out.with_extension("partial");
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        f.write_all(&bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &a.out)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), a.out.display()))?;
    if out.json {
        say!("{}", header_json(&header, bytes.len(), &a.out));
    } else {
        summary(out.en, &header, bytes.len(), &a.out);
        if out.en {
            say!(
                "The file holds deputies' personal fields (written 0600): keep it as the node is kept."
            );
        } else {
            say!("备份含代表个人信息（文件权限 0600），请按节点数据同等保管。");
        }
    }
    Ok(())
}

/// Makes `--dir`/data from a backup file.
pub fn run_restore(a: RestoreArgs) -> anyhow::Result<()> {
    let en = a.lang == "en";
    let bytes =
        std::fs::read(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    let (header, entries) = backup::decode(&bytes)
        .with_context(|| format!("{} cannot be restored", a.file.display()))?;
    let data = a.dir.join("data");
    if data.exists()
        && std::fs::read_dir(&data)
            .with_context(|| format!("cannot read {}", data.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} exists and is not empty: restore into a new directory (nothing was written)",
            data.display()
        );
    }
    std::fs::create_dir_all(&data).with_context(|| format!("cannot create {}", data.display()))?;
    let kv = wuji_store::SledKv::open(&data, 16 << 20)
        .with_context(|| format!("cannot open a store in {}", data.display()))?;
    backup::restore(&kv, entries)?;
    drop(kv);
    if a.json {
        say!("{}", header_json(&header, bytes.len(), &data));
    } else {
        summary(en, &header, bytes.len(), &data);
        if en {
            say!(
                "Set data_dir = \"{}\" in the node's wuji.toml and start it: it rejoins and gets back from its neighbours what was written after the backup.",
                data.display()
            );
        } else {
            say!(
                "在节点 wuji.toml 中设置 data_dir = \"{}\" 后启动：节点重新接入，并从相邻节点取回备份之后写入的内容。",
                data.display()
            );
        }
    }
    Ok(())
}
