//! `wuji digest`: the digest of the records a node holds in a scope, to check
//! that two nodes agree (equal digests) without comparing records.

use super::ids::code;
use super::{ClientOpts, channel, output};
use clap::Args;
use serde_json::json;
use wuji_proto::pb::{self, sync_client::SyncClient};

/// Arguments of `wuji digest`.
#[derive(Debug, Args)]
pub struct DigestArgs {
    #[command(flatten)]
    opts: ClientOpts,
    /// Only records whose home lies in this region (default: all).
    #[arg(long)]
    scope: Option<String>,
    /// Only this kind: deputy|suggestion|assignment|supervision|summary.
    #[arg(long)]
    kind: Option<String>,
    /// Only what this node's parent is entitled to (under sync.horizon): run
    /// it here and without the flag at the parent, and the two must match.
    #[arg(long)]
    for_parent: bool,
}

/// Prints the digest.
pub async fn run(a: DigestArgs) -> anyhow::Result<()> {
    let out = a.opts.out();
    let kind = match a.kind.as_deref() {
        None => 0,
        Some("deputy") => 1,
        Some("suggestion") => 2,
        Some("assignment") => 3,
        Some("supervision") => 4,
        Some("summary") => 5,
        Some(k) => {
            anyhow::bail!("unknown kind {k:?}: deputy|suggestion|assignment|supervision|summary")
        }
    };
    let scope = a.scope.as_deref().map(code).transpose()?.unwrap_or(0);
    let mut c = SyncClient::new(channel(&a.opts).await?);
    let r = c
        .digest(pb::DigestRequest {
            scope,
            kind,
            for_parent: a.for_parent,
        })
        .await?
        .into_inner();
    let hex: String = r.digest.iter().map(|b| format!("{b:02x}")).collect();
    if out.json {
        say!(
            "{}",
            json!({ "scope": r.scope, "kind": a.kind.unwrap_or_else(|| "all".into()), "records": r.records, "digest": hex })
        );
    } else {
        let h = |zh: &str, en: &str| {
            if out.en {
                en.to_string()
            } else {
                zh.to_string()
            }
        };
        output::table(
            &[
                h("范围", "scope"),
                h("记录数", "records"),
                h("摘要", "digest"),
            ],
            &[vec![r.scope.to_string(), r.records.to_string(), hex]],
        );
    }
    Ok(())
}
