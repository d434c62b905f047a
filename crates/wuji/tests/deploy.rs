//! The deployment files as an operator installs them: the systemd unit
//! passes `systemd-analyze verify` (with `ExecStart` pointed at this build's
//! binary, since verify checks that it exists) and keeps its hardening; the
//! Prometheus config and alert rules pass `promtool`, and the rules' own unit
//! tests (each alert fires on the series it is for, and not before).

mod common;

use common::installed;
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
    installed("systemd-analyze", "systemd");
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

#[test]
fn the_prometheus_config_and_alert_rules_pass_promtool_and_their_unit_tests() {
    installed("promtool", "prometheus");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/prometheus");
    for args in [
        &["check", "rules", "alerts.yml"][..],
        &["check", "config", "prometheus.yml"],
        &["test", "rules", "alerts.test.yml"],
    ] {
        let o = Command::new("promtool")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("promtool");
        assert!(
            o.status.success(),
            "promtool {}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // Every alert the issue asks for is there.
    let rules = std::fs::read_to_string(format!("{dir}/alerts.yml")).unwrap();
    for alert in [
        "WujiLinkDown",
        "WujiLinkLagging",
        "WujiCertificateExpiring",
        "WujiRefusalsRising",
        "WujiDiskNearlyFull",
        "WujiProvisionalCalendar",
    ] {
        assert!(
            rules.contains(&format!("alert: {alert}")),
            "{alert} missing"
        );
    }
}
