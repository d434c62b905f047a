//! Loading configs in layers, and the errors that name what is wrong.

use super::*;

fn write(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("wuji.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn layers_apply_in_order_and_the_template_loads_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Config::new(Code::parse("320114").unwrap());
    c.parent = Some(ParentConfig {
        code: Code::parse("320100").unwrap(),
        addr: "10.0.0.1:7700".into(),
    });
    let p = write(dir.path(), &c.to_commented_toml());
    let loaded = Config::load(&p, [], &Overrides::default()).unwrap();
    assert_eq!(loaded.parent, c.parent);
    assert_eq!(loaded.node.data_dir, dir.path().join("data"));
    let env = [
        ("WUJI_NODE_LISTEN".to_string(), "0.0.0.0:9000".to_string()),
        ("WUJI_STORE_CACHE_MB".to_string(), "8".to_string()),
        ("WUJI_ADDR".to_string(), "ignored".to_string()),
        // The CLI's own variables are not config keys (this one stopped
        // `wuji node run` before).
        ("WUJI_NODE".to_string(), "320114".to_string()),
        ("WUJI_LANG".to_string(), "en".to_string()),
    ];
    let loaded = Config::load(&p, env.clone(), &Overrides::default()).unwrap();
    assert_eq!(loaded.node.listen, "0.0.0.0:9000");
    assert_eq!(loaded.store.cache_mb, 8);
    let flags = Overrides {
        listen: Some("127.0.0.1:1".into()),
        data_dir: None,
    };
    assert_eq!(
        Config::load(&p, env, &flags).unwrap().node.listen,
        "127.0.0.1:1"
    );
}

#[test]
fn unknown_keys_and_bad_values_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "[node]\ncode = \"320114\"\nlisten_on = \"x\"\n");
    let e = Config::load(&p, [], &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("listen_on") && e.contains("wuji.toml"), "{e}");
    let p = write(dir.path(), "[node]\ncode = \"320114\"\n");
    let env = [("WUJI_STORE_CACHE".to_string(), "1".to_string())];
    let e = Config::load(&p, env, &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("cache") && e.contains("WUJI_STORE_CACHE"), "{e}");
    let p = write(dir.path(), "[node]\ncode = \"320199x\"\n");
    let e = Config::load(&p, [], &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("node.code"), "{e}");
    let p = write(
        dir.path(),
        "[node]\ncode = \"320114\"\n[parent]\ncode = \"330100\"\naddr = \"a:1\"\n",
    );
    let e = Config::load(&p, [], &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not contain"), "{e}");
}
