//! The commented examples in `config/` (one per level) load as they are.

use std::path::PathBuf;
use wuji_division::Level;
use wuji_node::Config;
use wuji_node::config::Overrides;

#[test]
fn every_level_example_loads() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config");
    let mut levels = Vec::new();
    for name in ["national", "province", "city", "county", "township"] {
        let c = Config::load(&dir.join(format!("{name}.toml")), [], &Overrides::default())
            .unwrap_or_else(|e| panic!("config/{name}.toml: {e}"));
        let level = c.code().level();
        assert_eq!(level.en(), name);
        assert_eq!(c.parent.is_some(), level != Level::National, "{name}");
        // The duty rules as written out equal the defaults the code keeps.
        assert_eq!(
            c.rules.duty,
            wuji_model::activity::DutyRules::default(),
            "{name}"
        );
        levels.push(level);
    }
    assert_eq!(levels.len(), 5);
}

#[test]
fn a_congress_sets_its_own_duty_points_and_a_bad_kind_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/county.toml"),
    )
    .unwrap();
    let path = dir.path().join("wuji.toml");
    std::fs::write(&path, base.replace("\nreport = 5\n", "\nreport = 8\n")).unwrap();
    let c = Config::load(&path, [], &Overrides::default()).unwrap();
    let report = wuji_model::activity::ActivityType::Report;
    assert_eq!(c.rules.duty.points[&report], 8);
    std::fs::write(&path, base.replace("\nreport = 5\n", "\nparty = 8\n")).unwrap();
    let e = Config::load(&path, [], &Overrides::default()).unwrap_err();
    assert!(e.to_string().contains("party"), "{e}");
}
