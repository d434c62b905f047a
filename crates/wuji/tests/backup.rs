//! Backup and restore as a county IT operator does them: `wuji backup` of
//! the county under write load, the county's disk lost, `wuji restore` into
//! an empty directory, the node started on it. It rejoins, gets back from its
//! neighbours what was written after the snapshot, loses no acknowledged
//! write, and every link agrees again.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wuji_proto::pb::{self, suggestions_client::SuggestionsClient};

/// Runs `wuji ARGS` with the county operator's certificate; (success, stdout, stderr).
fn wuji_as(files: &serde_json::Value, args: &[&str]) -> (bool, String, String) {
    let o = Command::new(WUJI)
        .args(args)
        .env("WUJI_CA", files["ca"].as_str().unwrap())
        .env("WUJI_CERT", files["cert"].as_str().unwrap())
        .env("WUJI_KEY", files["key"].as_str().unwrap())
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_write_load_restored_into_an_empty_directory_rejoins_and_loses_nothing() {
    let f = up().await;
    let county = f.nodes["320114"].clone();
    let operator = county["operator"].clone();
    let addr = f.addrs["320114"].clone();
    for code in ["320114001", "320114"] {
        f.enrol(code, "P").await;
    }
    let stop_county = Arc::new(AtomicBool::new(false));
    let stop_town = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let town_writer = writer(
        f.endpoint("320114001"),
        stop_town.clone(),
        acked.clone(),
        "town".into(),
    );
    let county_writer = writer(
        f.endpoint("320114"),
        stop_county.clone(),
        acked.clone(),
        "county".into(),
    );
    tokio::time::sleep(Duration::from_millis(800)).await;

    // The snapshot, taken while both keep writing.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("county.wujibak");
    let file_s = file.to_str().unwrap();
    let at_backup = acked.lock().unwrap().len();
    let (ok, out, err) = wuji_as(
        &operator,
        &["backup", "--addr", &addr, "--out", file_s, "--json"],
    );
    assert!(ok, "wuji backup: {err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["node"], "320114");
    assert_eq!(report["personal"], true);
    assert!(report["last_seq"].as_u64().unwrap() > 0, "{report}");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode, 0o600,
        "a backup of personal fields is the owner's only"
    );
    // The national reader may read the county but not take its backup.
    let pki = f.dir.path().join("pki");
    let reader = serde_json::json!({
        "ca": pki.join("ca.pem"), "cert": pki.join("client-100000-reader.pem"),
        "key": pki.join("client-100000-reader.key"),
    });
    let other = dir.path().join("by-reader.wujibak");
    let (ok, _, err) = wuji_as(
        &reader,
        &["backup", "--addr", &addr, "--out", other.to_str().unwrap()],
    );
    assert!(!ok && err.contains("reader-may-not-write"), "{err}");
    assert!(!other.exists());

    // Writes after the snapshot; then the writers stop and every change
    // reaches the county's neighbours, before its disk is lost.
    tokio::time::sleep(Duration::from_millis(800)).await;
    stop_county.store(true, Ordering::Relaxed);
    stop_town.store(true, Ordering::Relaxed);
    let _ = county_writer.await;
    let _ = town_writer.await;
    until_links_agree(&f).await;
    let after_backup = acked.lock().unwrap().len() - at_backup;
    assert!(
        after_backup > 10,
        "too few writes after the backup ({after_backup})"
    );
    let pid = county["pid"].as_u64().unwrap().to_string();
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .unwrap()
            .success()
    );
    // The town goes on writing while the county is down and restored.
    let before_later = acked.lock().unwrap().len();
    let stop_town = Arc::new(AtomicBool::new(false));
    let town_writer = writer(
        f.endpoint("320114001"),
        stop_town.clone(),
        acked.clone(),
        "town-later".into(),
    );

    // Restore into a new directory (twice: the second is refused, nothing
    // written), and start the county on it.
    let restored = dir.path().join("restored");
    let (ok, out, err) = wuji_as(
        &operator,
        &[
            "restore",
            file_s,
            "--dir",
            restored.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(ok, "wuji restore: {err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["last_seq"], report["last_seq"]);
    let (ok, _, err) = wuji_as(
        &operator,
        &["restore", file_s, "--dir", restored.to_str().unwrap()],
    );
    assert!(!ok && err.contains("not empty"), "{err}");
    let data = restored.join("data");
    let log = dir.path().join("county-restored.log");
    let mut node = start_node(
        county["config"].as_str().unwrap(),
        &log,
        &["--data-dir", data.to_str().unwrap()],
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop_town.store(true, Ordering::Relaxed);
    let _ = town_writer.await;
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > before_later,
        "the town wrote nothing while the county was restored"
    );

    until_links_agree(&f).await;
    // Every acknowledged write is at the county again: its own from after the
    // snapshot came back from the city, the town's from the town.
    let mut s = SuggestionsClient::new(f.ch("320114").await);
    let mut missing = Vec::new();
    for id in &acked {
        if s.get_suggestion(pb::Get { id: rid(id) }).await.is_err() {
            missing.push(id.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes missing at the restored county: {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );
    let _ = node.kill();
    let _ = node.wait();
}
