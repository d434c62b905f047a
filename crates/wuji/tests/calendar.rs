//! Holiday calendars read at start from the node's `[calendar] dir`: official
//! files silence the provisional-year notices of `wuji status`, and a bad file
//! stops the start naming the file.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

const WUJI: &str = env!("CARGO_BIN_EXE_wuji");

fn wuji(args: &[&str]) -> std::process::Output {
    Command::new(WUJI).args(args).output().unwrap()
}

/// The current year in UTC (China's date is at most a day ahead).
fn this_year() -> i64 {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    1970 + secs / 31_556_952
}

fn start(config: &std::path::Path, addr: &str) -> Child {
    let child = Command::new(WUJI)
        .args(["node", "run", "--config", config.to_str().unwrap()])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    // (a connect landing on itself is not the node)
    while !std::net::TcpStream::connect(addr)
        .is_ok_and(|s| s.local_addr().ok() != s.peer_addr().ok())
    {
        assert!(Instant::now() < deadline, "node did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn notices(addr: &str) -> Vec<String> {
    let o = wuji(&["status", "--addr", addr, "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    serde_json::from_value(v["calendar_notices"].clone()).unwrap()
}

#[test]
fn official_files_in_the_calendar_dir_are_used_and_a_bad_one_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let port = wuji_node::test_util::free_ports(1);
    let addr = format!("127.0.0.1:{port}");
    let o = wuji(&[
        "init",
        "--code",
        "320114",
        "--dir",
        dir.path().to_str().unwrap(),
        "--listen",
        &addr,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let config = dir.path().join("wuji.toml");
    assert!(
        std::fs::read_to_string(&config)
            .unwrap()
            .contains("[calendar]")
    );
    // Official files for last year, this year and the next: nothing provisional.
    let holidays = dir.path().join("holidays");
    std::fs::create_dir(&holidays).unwrap();
    let y = this_year();
    for year in [y - 1, y, y + 1] {
        let text = format!("year = {year}\nsource = \"test notice\"\n");
        std::fs::write(holidays.join(format!("{year}.toml")), text).unwrap();
    }
    let mut node = start(&config, &addr);
    assert_eq!(notices(&addr), Vec::<String>::new());
    node.kill().unwrap();
    node.wait().unwrap();

    // A file whose name and year disagree: the start fails and names it.
    std::fs::write(holidays.join("2031.toml"), "year = 2030\nsource = \"x\"\n").unwrap();
    let o = wuji(&["node", "run", "--config", config.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("2031.toml") && err.contains("year = 2030"),
        "{err}"
    );

    // Without the directory, a year with no official file is provisional.
    std::fs::remove_dir_all(&holidays).unwrap();
    let mut node = start(&config, &addr);
    let n = notices(&addr);
    node.kill().unwrap();
    node.wait().unwrap();
    // The shipped calendars cover 2026 only: from 2027 on (and from November
    // 2026) a notice names the provisional year.
    if y >= 2027 {
        assert!(
            n.iter()
                .any(|s| s.contains(&format!("{y}年节假日安排未发布"))),
            "{n:?}"
        );
    }
    assert!(n.iter().all(|s| s.contains("provisional")), "{n:?}");
}
