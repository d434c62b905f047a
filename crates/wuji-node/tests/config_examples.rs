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
        levels.push(level);
    }
    assert_eq!(levels.len(), 5);
}
