//! Roster import and export through the `wuji` command against a real node:
//! .xlsx (openpyxl), .xls (xlwt) and GBK .csv fixtures; bad rows are listed with
//! their row numbers and nothing is imported; exports read back.

use std::path::PathBuf;
use std::process::{Command, Output};
use tokio::net::TcpListener;

const WUJI: &str = env!("CARGO_BIN_EXE_wuji");

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

struct Node {
    addr: String,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

async fn node() -> Node {
    let dir = tempfile::tempdir().unwrap();
    let mut config = wuji_node::Config::new(wuji_division::Code::parse("320114").unwrap());
    config.node.data_dir = dir.path().join("data");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(wuji_node::run(listener, config, async {
        let _ = rx.await;
    }));
    Node {
        addr,
        _dir: dir,
        stop: Some(tx),
    }
}

async fn wuji(addr: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(WUJI);
    cmd.args(args).args(["--addr", addr, "--json"]);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&o.stdout);
    serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("not one JSON document ({e}): {text}"))
}

async fn names(addr: &str) -> Vec<String> {
    let o = wuji(addr, &["deputy", "list", "--limit", "500"]).await;
    assert!(o.status.success());
    json(&o)["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn good_files_import_in_every_format() {
    let n = node().await;
    for (file, expect) in [("roster.xlsx", 3), ("roster-gbk.csv", 2), ("roster.xls", 2)] {
        let path = fixture(file);
        let dry = wuji(
            &n.addr,
            &["deputy", "import", path.to_str().unwrap(), "--dry-run"],
        )
        .await;
        assert!(
            dry.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&dry.stderr)
        );
        assert_eq!(json(&dry)["rows"], expect, "{file}");
        let real = wuji(&n.addr, &["deputy", "import", path.to_str().unwrap()]).await;
        assert!(
            real.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&real.stderr)
        );
        assert_eq!(json(&real)["imported"], expect, "{file}");
    }
    // Roster order by strokes: 丁2 王4 司5 陈7 欧8 黄11 曾12.
    assert_eq!(
        names(&n.addr).await,
        ["丁一", "王芳", "司马光", "陈静", "欧阳修", "黄河", "曾国"]
    );
    // Fields came through: the term in Chinese numerals, several attached areas, GBK text.
    let o = wuji(&n.addr, &["deputy", "list", "--of-person", "P-102"]).await;
    let rec = &json(&o)["records"][0];
    assert_eq!(rec["term"], "18");
    assert_eq!(rec["attached"], "320114001,320114002");
    let o = wuji(&n.addr, &["deputy", "list", "--of-person", "P-201"]).await;
    assert_eq!(json(&o)["records"][0]["address"], "秦淮路2号");
    // Importing the same file again: every row is a duplicate, nothing changes.
    let again = wuji(
        &n.addr,
        &["deputy", "import", fixture("roster.xlsx").to_str().unwrap()],
    )
    .await;
    assert!(!again.status.success());
    assert_eq!(names(&n.addr).await.len(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rows_are_listed_with_row_numbers_and_nothing_is_imported() {
    let n = node().await;
    let path = fixture("roster-bad.xlsx");
    for extra in [&["--dry-run"][..], &[][..]] {
        let mut args = vec!["deputy", "import", path.to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = wuji(&n.addr, &args).await;
        assert!(!o.status.success(), "a file with bad rows fails");
        let rows: Vec<u64> = json(&o)["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["row"].as_u64().unwrap())
            .collect();
        assert_eq!(rows, [5, 6, 7, 8, 9]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("nothing was imported"), "{err}");
    }
    assert!(names(&n.addr).await.is_empty(), "all or nothing");
    let o = wuji(
        &n.addr,
        &[
            "deputy",
            "import",
            fixture("roster-gbk-bad.csv").to_str().unwrap(),
        ],
    )
    .await;
    assert!(!o.status.success());
    let p = &json(&o)["problems"][0];
    assert_eq!(p["row"], 3);
    assert!(p["message"].as_str().unwrap().contains("32011X"), "{p}");
    assert!(names(&n.addr).await.is_empty());
    // A table for people, in Chinese, lists the same rows.
    let mut cmd = Command::new(WUJI);
    cmd.args([
        "deputy",
        "import",
        path.to_str().unwrap(),
        "--dry-run",
        "--addr",
        &n.addr,
    ]);
    let o = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("行号") && table.contains("问题"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_read_back_as_the_same_roster() {
    let n = node().await;
    assert!(
        wuji(
            &n.addr,
            &["deputy", "import", fixture("roster.xlsx").to_str().unwrap()]
        )
        .await
        .status
        .success()
    );
    let dir = tempfile::tempdir().unwrap();
    for fmt in ["xlsx", "csv"] {
        let out = dir.path().join(format!("export.{fmt}"));
        let o = wuji(
            &n.addr,
            &[
                "deputy",
                "export",
                "--format",
                fmt,
                "--out",
                out.to_str().unwrap(),
            ],
        )
        .await;
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(json(&o)["exported"], 3);
        if fmt == "csv" {
            assert!(
                std::fs::read(&out).unwrap().starts_with(b"\xEF\xBB\xBF"),
                "BOM for Excel"
            );
        }
        // The export imports into a fresh node as the same roster.
        let m = node().await;
        let o = wuji(&m.addr, &["deputy", "import", out.to_str().unwrap()]).await;
        assert!(
            o.status.success(),
            "{fmt}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(names(&m.addr).await, names(&n.addr).await);
    }
}
