//! Declares the `tokio_unstable` cfg (set in `.cargo/config.toml`), under
//! which the simulator seeds tokio's random generator.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(tokio_unstable)");
}
