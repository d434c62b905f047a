//! The deployment files as an operator installs them: the systemd unit
//! passes `systemd-analyze verify` (with `ExecStart` pointed at this build's
//! binary, since verify checks that it exists) and keeps its hardening.

use std::process::Command;

const UNIT: &str = include_str!("../../../deploy/systemd/wuji.service");

#[test]
fn the_systemd_unit_passes_systemd_analyze_verify_and_keeps_its_hardening() {
    for line in [
        "User=wuji",
        "StateDirectory=wuji",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "Restart=on-failure",
        "LimitNOFILE=65536",
        "ExecStart=/usr/bin/wuji node run --config /etc/wuji/wuji.toml",
    ] {
        assert!(
            UNIT.lines().any(|l| l == line),
            "deploy/systemd/wuji.service lacks `{line}`"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("wuji.service");
    let here = env!("CARGO_BIN_EXE_wuji");
    std::fs::write(&unit, UNIT.replace("/usr/bin/wuji", here)).unwrap();
    // A fresh machine may lack it: install Debian's package, as the test
    // of any other system tool does.
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        let got = Command::new("sh")
            .args(["-c", "apt-get update -qq && apt-get install -y -qq systemd"])
            .status();
        assert!(
            got.is_ok_and(|s| s.success()),
            "systemd-analyze is missing and `apt-get install systemd` failed"
        );
    }
    let o = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .output()
        .expect("systemd-analyze");
    let err = String::from_utf8_lossy(&o.stderr);
    // Verify only warns about an unknown key or a bad value: those count too.
    let about_unit: Vec<&str> = err.lines().filter(|l| l.contains("wuji.service")).collect();
    assert!(
        o.status.success() && about_unit.is_empty(),
        "systemd-analyze verify: {err}"
    );
}
