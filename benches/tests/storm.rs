//! The storm as CI runs it: 50 SIGKILLs of a county of a real 13-process
//! federation under four writers; every check of `wuji-bench storm` must hold.

#[test]
fn fifty_kills_of_a_county_under_writers_lose_nothing_and_count_nothing_twice() {
    let bench = env!("CARGO_BIN_EXE_wuji-bench");
    let wuji = std::path::Path::new(bench).with_file_name("wuji");
    assert!(
        wuji.exists(),
        "the wuji binary must be built beside wuji-bench (cargo build -p wuji)"
    );
    let out = std::process::Command::new(bench)
        .args(["storm", "--kills", "50", "--json", "--wuji"])
        .arg(&wuji)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    println!("{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON report");
    let checks = v["checks"].as_array().unwrap();
    assert!(checks.len() >= 11, "every check ran: {checks:?}");
    for c in checks {
        assert_eq!(c["ok"], true, "check failed: {c}");
    }
    assert!(
        v["writes_acknowledged"].as_u64().unwrap() > 200,
        "too few writes to mean anything: {v}"
    );
    assert!(out.status.success());
}
