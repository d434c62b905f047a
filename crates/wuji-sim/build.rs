//! Declares the `tokio_unstable` cfg (set in `.cargo/config.toml`), under
//! which the simulator seeds tokio's random generator, and warns when a
//! build lacks it: a `RUSTFLAGS` variable replaces the config's flags, and a
//! simulator built so does not replay a seed.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(tokio_unstable)");
    println!("cargo::rerun-if-env-changed=CARGO_CFG_TOKIO_UNSTABLE");
    if std::env::var_os("CARGO_CFG_TOKIO_UNSTABLE").is_none() {
        println!(
            "cargo::warning=wuji-sim is built without `--cfg tokio_unstable` (a RUSTFLAGS \
             variable replaces .cargo/config.toml's flags): its runs will not replay a seed; \
             add `--cfg tokio_unstable` to RUSTFLAGS"
        );
    }
}
