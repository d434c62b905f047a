//! The command-line contract: `wuji init` and its errors, `wuji node run` until
//! SIGTERM with a clean stop, config errors that name the key and the file, and
//! client errors on stderr with a non-zero exit.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const WUJI: &str = env!("CARGO_BIN_EXE_wuji");

fn wuji(args: &[&str]) -> std::process::Output {
    Command::new(WUJI).args(args).output().unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn init_writes_a_config_and_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("n");
    let o = wuji(&[
        "init",
        "--code",
        "３２０１１４",
        "--dir",
        d.to_str().unwrap(),
        "--parent-code",
        "320100",
        "--parent-addr",
        "10.1.1.1:7700",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(d.join("wuji.toml")).unwrap();
    assert!(
        text.contains("code = \"320114\"") && text.contains("[parent]") && text.contains("县级"),
        "{text}"
    );
    let again = wuji(&["init", "--code", "320114", "--dir", d.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    let bad = wuji(&[
        "init",
        "--code",
        "110100",
        "--dir",
        dir.path().join("x").to_str().unwrap(),
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("stand-in"));
    let not_parent = wuji(&[
        "init",
        "--code",
        "320114",
        "--dir",
        dir.path().join("y").to_str().unwrap(),
        "--parent-code",
        "330100",
        "--parent-addr",
        "a:1",
    ]);
    assert!(String::from_utf8_lossy(&not_parent.stderr).contains("does not contain"));
    assert!(
        !dir.path().join("x").exists() && !dir.path().join("y").join("wuji.toml").exists(),
        "nothing written on error"
    );
}

#[test]
fn node_run_stops_cleanly_on_sigterm_and_names_bad_config_keys() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    assert!(
        wuji(&[
            "init",
            "--code",
            "320114001",
            "--dir",
            dir.path().to_str().unwrap(),
            "--listen",
            &addr
        ])
        .status
        .success()
    );
    let config = dir.path().join("wuji.toml");
    let child = Command::new(WUJI)
        .args([
            "node",
            "run",
            "--config",
            config.to_str().unwrap(),
            "--log-format",
            "json",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "node did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let o = wuji(&[
        "suggestion",
        "submit",
        "--addr",
        &addr,
        "--lead",
        "P",
        "--title",
        "t",
        "--text",
        "x",
        "--json",
    ]);
    assert!(o.status.success());
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit after SIGTERM: {:?}", out.status);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("store flushed"), "{log}");
    assert!(
        log.lines()
            .all(|l| l.trim().is_empty() || l.starts_with('{')),
        "JSON logs: {log}"
    );

    std::fs::write(
        &config,
        std::fs::read_to_string(&config)
            .unwrap()
            .replace("[store]", "[store]\ncache_size = 5"),
    )
    .unwrap();
    let o = wuji(&["node", "run", "--config", config.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cache_size") && err.contains("wuji.toml"),
        "{err}"
    );
}

#[test]
fn client_errors_go_to_stderr_with_a_nonzero_exit() {
    let port = free_port();
    let o = wuji(&["deputy", "list", "--addr", &format!("127.0.0.1:{port}")]);
    assert!(!o.status.success());
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot reach a wuji node"));
    let o = wuji(&["suggestion", "get", "nonsense", "--json"]);
    assert!(!o.status.success());
    let err: serde_json::Value = serde_json::from_slice(&o.stderr).unwrap();
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("HOME:UUID")
    );
    let help = wuji(&["suggestion", "answer", "--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("A (解决)"));
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    // `wuji … | head` closes the pipe early: the command must not panic.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(WUJI)
        .args([
            "init",
            "--code",
            "320114",
            "--dir",
            dir.path().join("n").to_str().unwrap(),
        ])
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success());
}
