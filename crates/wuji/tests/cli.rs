//! The command-line contract: `wuji init` and its errors, `wuji node run` until
//! SIGTERM with a clean stop, config errors that name the key and the file, and
//! client errors on stderr with a non-zero exit.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const WUJI: &str = env!("CARGO_BIN_EXE_wuji");

fn wuji(args: &[&str]) -> std::process::Output {
    Command::new(WUJI).args(args).output().unwrap()
}

/// A free port below the ephemeral range (a restarted node's port must not
/// be taken by a client's source port meanwhile).
fn free_port() -> u16 {
    wuji_node::test_util::free_ports(1)
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
    // A code the shipped division tree lacks: refused unless allowed.
    let z = dir.path().join("z");
    let unknown = wuji(&["init", "--code", "320199", "--dir", z.to_str().unwrap()]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("--allow-unknown-code"));
    assert!(!z.join("wuji.toml").exists());
    let allowed = wuji(&[
        "init",
        "--code",
        "320199",
        "--dir",
        z.to_str().unwrap(),
        "--allow-unknown-code",
    ]);
    assert!(
        allowed.status.success(),
        "{}",
        String::from_utf8_lossy(&allowed.stderr)
    );
    // A county under its province, past its city: said plainly, still written.
    let skip = wuji(&[
        "init",
        "--code",
        "320114",
        "--dir",
        dir.path().join("s").to_str().unwrap(),
        "--parent-code",
        "320000",
        "--parent-addr",
        "10.1.1.1:7700",
    ]);
    assert!(skip.status.success());
    let note = String::from_utf8_lossy(&skip.stderr);
    assert!(note.contains("skips 南京市 (320100)"), "{note}");
}

/// Waits until a node listens at `addr` (a connect landing on itself, which
/// an unused local port allows, is not the node).
fn wait_listening(addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::net::TcpStream::connect(addr)
        .is_ok_and(|s| s.local_addr().ok() != s.peer_addr().ok())
    {
        assert!(Instant::now() < deadline, "node did not start at {addr}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits for `child` to exit, at most `secs` seconds (then kills it and fails).
fn exits_within(mut child: std::process::Child, secs: u64) -> std::process::Output {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the node did not exit within {secs} s of SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
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
    // JSON logs from the config file ([log] format).
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("[log]\n"), "{text}");
    // The ops listener on, too: it must not hold the node up at SIGTERM.
    let ops = format!("127.0.0.1:{}", free_port());
    std::fs::write(
        &config,
        text.replace("format = \"text\"", "format = \"json\"")
            .replace("enabled = false", "enabled = true")
            .replace(
                "listen = \"127.0.0.1:7701\"",
                &format!("listen = \"{ops}\""),
            ),
    )
    .unwrap();
    let child = Command::new(WUJI)
        .args(["node", "run", "--config", config.to_str().unwrap()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_listening(&addr);
    let health = wuji(&["node", "health", "--ops", &ops]);
    assert!(
        health.status.success()
            && String::from_utf8_lossy(&health.stdout).starts_with("ok: node 320114001"),
        "{}{}",
        String::from_utf8_lossy(&health.stdout),
        String::from_utf8_lossy(&health.stderr)
    );
    let o = wuji(&[
        "deputy",
        "enrol",
        "--addr",
        &addr,
        "--person-id",
        "P",
        "--name",
        "代表",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
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
    // A refusal in the offices' words, and in English with --lang en.
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let id = v["id"].as_str().unwrap().to_string();
    let register = |lang: &str| {
        let args = ["suggestion", "register", &id, "--number", "N-1"];
        wuji(&[&args[..], &["--addr", &addr, "--lang", lang]].concat())
    };
    assert!(register("zh").status.success());
    let zh = register("zh");
    let err = String::from_utf8_lossy(&zh.stderr);
    assert!(!zh.status.success());
    assert!(
        err.contains("[register-once]") && err.contains("已登记此建议"),
        "{err}"
    );
    let en = register("en");
    let err = String::from_utf8_lossy(&en.stderr);
    assert!(
        err.contains("has already registered this suggestion"),
        "{err}"
    );
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let out = exits_within(child, 20);
    assert!(out.status.success(), "exit after SIGTERM: {:?}", out.status);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("store flushed"), "{log}");
    assert!(
        log.lines()
            .all(|l| l.trim().is_empty() || l.starts_with('{')),
        "JSON logs: {log}"
    );
    // Text logs (the flag overrides the config) into a pipe: no colour codes.
    let child = Command::new(WUJI)
        .args(["node", "run", "--config", config.to_str().unwrap()])
        .args(["--log-format", "text"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_listening(&addr);
    let pid = child.id().to_string();
    let kill = Command::new("kill").args(["-TERM", &pid]).status();
    assert!(kill.unwrap().success());
    let out = exits_within(child, 20);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("store flushed"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "no colour codes into a pipe: {log:?}"
    );
    assert!(!log.lines().any(|l| l.starts_with('{')), "{log}");

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

/// `wuji ca init` / `wuji ca issue` / `wuji init --ca --cert --key`, then the
/// node over mutual TLS: the operator's certificate writes, a reader's is
/// refused a write with its rule, no certificate gets nothing; plaintext off
/// loopback is refused at start.
#[test]
fn a_node_set_up_with_the_ca_commands_serves_mutual_tls_only() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    let p = pki.to_str().unwrap();
    let ok = |o: &std::process::Output| {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    ok(&wuji(&["ca", "init", "--dir", p]));
    assert!(
        !wuji(&["ca", "init", "--dir", p]).status.success(),
        "never overwrites a CA"
    );
    ok(&wuji(&["ca", "issue", "--dir", p, "--node", "320114"]));
    ok(&wuji(&[
        "ca", "issue", "--dir", p, "--client", "张三", "--role", "operator", "--node", "320114",
    ]));
    let o = wuji(&[
        "ca", "issue", "--dir", p, "--client", "李四", "--role", "reader", "--node", "320114",
        "--json",
    ]);
    ok(&o);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["certificate"]
            .as_str()
            .unwrap()
            .ends_with("client-320114-reader.pem")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(pki.join("node-320114.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "private keys are not readable by others");
    }
    let o = wuji(&[
        "ca",
        "show",
        pki.join("node-320114.pem").to_str().unwrap(),
        "--json",
    ]);
    ok(&o);
    let shown: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(shown[0]["identity"], "node 320114", "{shown}");
    assert_eq!(shown[0]["valid_now"], true);
    assert_eq!(shown[0]["signing_key"].as_str().map(str::len), Some(64));
    let bad = wuji(&["ca", "issue", "--dir", p, "--node", "3201149"]);
    assert!(!bad.status.success());

    let node_dir = dir.path().join("n");
    let addr = format!("127.0.0.1:{}", free_port());
    let f = |name: &str| pki.join(name).to_str().unwrap().to_string();
    ok(&wuji(&[
        "init",
        "--code",
        "320114",
        "--dir",
        node_dir.to_str().unwrap(),
        "--listen",
        &addr,
        "--ca",
        &f("ca.pem"),
        "--cert",
        &f("node-320114.pem"),
        "--key",
        &f("node-320114.key"),
    ]));
    let text = std::fs::read_to_string(node_dir.join("wuji.toml")).unwrap();
    assert!(text.contains("[tls]"), "{text}");
    let o = wuji(&[
        "init",
        "--code",
        "320115",
        "--dir",
        dir.path().join("m").to_str().unwrap(),
        "--ca",
        &f("ca.pem"),
        "--cert",
        &f("node-320114.pem"),
        "--key",
        &f("node-320114.key"),
    ]);
    assert!(!o.status.success(), "another node's certificate is refused");
    assert!(String::from_utf8_lossy(&o.stderr).contains("not of node 320115"));
    let mut child = Command::new(WUJI)
        .args([
            "node",
            "run",
            "--config",
            node_dir.join("wuji.toml").to_str().unwrap(),
        ])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_listening(&addr);
    let as_ = |role: &str, args: &[&str]| {
        let mut c = Command::new(WUJI);
        c.args(args).args(["--addr", &addr, "--json"]);
        if !role.is_empty() {
            c.env("WUJI_CA", f("ca.pem"))
                .env("WUJI_CERT", f(&format!("client-320114-{role}.pem")))
                .env("WUJI_KEY", f(&format!("client-320114-{role}.key")));
        }
        c.output().unwrap()
    };
    let submit = [
        "suggestion",
        "submit",
        "--lead",
        "P",
        "--title",
        "t",
        "--text",
        "x",
    ];
    ok(&as_(
        "operator",
        &["deputy", "enrol", "--person-id", "P", "--name", "代表"],
    ));
    ok(&as_("operator", &submit));
    let o = as_("reader", &submit);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("reader-may-not-write") && err.contains("只读证书不能写入"),
        "{err}"
    );
    assert!(
        !as_("", &submit).status.success(),
        "plaintext to a TLS node fails"
    );
    let o = as_("reader", &["status"]);
    ok(&o);
    let st: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(st["tls"], true, "{st}");
    assert_eq!(st["refusals"]["reader-may-not-write"], 1, "{st}");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();

    // Revoking writes the list and is idempotent.
    for _ in 0..2 {
        let o = wuji(&[
            "ca",
            "revoke",
            "--dir",
            p,
            &f("client-320114-reader.pem"),
            "--json",
        ]);
        ok(&o);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(v["crl"].as_str().unwrap().ends_with("crl.pem"), "{v}");
    }
    let listed = std::fs::read_to_string(pki.join("revoked.txt")).unwrap();
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("reader"), "{listed}");
    assert!(
        std::fs::read_to_string(pki.join("crl.pem"))
            .unwrap()
            .contains("X509 CRL")
    );

    // Without [tls], a node refuses to listen beyond loopback.
    let plain = dir.path().join("plain");
    ok(&wuji(&[
        "init",
        "--code",
        "320115",
        "--dir",
        plain.to_str().unwrap(),
        "--listen",
        "0.0.0.0:0",
    ]));
    let o = wuji(&[
        "node",
        "run",
        "--config",
        plain.join("wuji.toml").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("loopback"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `wuji federation up` on a directory that already holds a federation resumes
/// it (data and certificates) instead of failing on the sample data.
#[test]
fn federation_up_twice_on_one_directory_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let base = wuji_node::test_util::free_ports(39);
    let run = || {
        Command::new(WUJI)
            .args(["federation", "up", "--dir", dir.path().to_str().unwrap()])
            .args(["--base-port", &base.to_string(), "--for", "1"])
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = run();
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "{err}");
    assert!(err.contains("resuming"), "{err}");
}

/// `wuji console account`: add (password from standard input), list, refuse
/// a second add, a short password and an unknown name; remove; the file is
/// the node's `[console] accounts`, readable by its owner only.
#[test]
fn console_accounts_are_added_listed_and_removed() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("n");
    assert!(
        wuji(&["init", "--code", "320114", "--dir", d.to_str().unwrap()])
            .status
            .success()
    );
    let config = d.join("wuji.toml");
    let cfg = config.to_str().unwrap();
    let add = |name: &str, password: &str, extra: &[&str]| {
        let mut c = Command::new(WUJI)
            .args(["console", "account", "add", name, "--role", "operator"])
            .args(["--password-stdin", "--config", cfg])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(c.stdin.take().unwrap(), "{password}").unwrap();
        c.wait_with_output().unwrap()
    };
    let o = add("zhangwei", "a long enough password", &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let file = d.join("console-accounts.toml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
    assert!(
        !std::fs::read_to_string(&file)
            .unwrap()
            .contains("a long enough password")
    );
    let o = add("zhangwei", "another long password", &[]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("exists"));
    let o = add("li", "short", &[]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("shorter"));
    let o = add("王芳", "a long enough password", &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = wuji(&["console", "account", "list", "--config", cfg, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = v["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["zhangwei", "王芳"]);
    assert!(
        wuji(&["console", "account", "remove", "zhangwei", "--config", cfg])
            .status
            .success()
    );
    let o = wuji(&["console", "account", "remove", "zhangwei", "--config", cfg]);
    assert!(!o.status.success());
    let o = wuji(&["console", "account", "list", "--config", cfg]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("王芳") && !text.contains("zhangwei"),
        "{text}"
    );
    // In English, for an operator who reads it.
    let o = wuji(&[
        "console", "account", "list", "--config", cfg, "--lang", "en",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.starts_with("account") && text.contains("王芳"),
        "{text}"
    );
    let o = wuji(&[
        "console", "account", "remove", "王芳", "--config", cfg, "--lang", "en",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with("account 王芳 removed"), "{text}");
}
