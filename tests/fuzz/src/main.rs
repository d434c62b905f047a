//! `wuji-fuzz`: the fuzz targets of `wuji_tests::fuzz` as one binary.
//!
//! - `wuji-fuzz TARGET` (built with `--features afl` by `cargo afl build`):
//!   the AFL++ persistent-mode harness, run by `cargo afl fuzz -i … -o … --
//!   target/debug/wuji-fuzz TARGET`;
//! - `wuji-fuzz TARGET FILE…` (any build): replays inputs, e.g. a crash;
//! - `wuji-fuzz seeds DIR`: writes the seed corpus, one folder per target,
//!   made from real messages, records, certificates, configs and rosters.

use std::path::{Path, PathBuf};

mod seeds;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = format!(
        "usage: wuji-fuzz TARGET [FILE…] | wuji-fuzz seeds DIR\ntargets: {}",
        wuji_tests::fuzz::TARGETS.join(", ")
    );
    match args.get(1).map(String::as_str) {
        Some("seeds") => {
            let dir = PathBuf::from(args.get(2).expect(&usage));
            let n = seeds::write(&dir).expect("writing the seed corpus");
            println!("{n} seed files in {}", dir.display());
        }
        Some(t) if wuji_tests::fuzz::TARGETS.contains(&t) => {
            if args.len() > 2 {
                for f in &args[2..] {
                    let data = std::fs::read(Path::new(f)).expect("readable input");
                    wuji_tests::fuzz::run(t, &data);
                    println!("{f}: ok");
                }
            } else {
                fuzz(t);
            }
        }
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    }
}

#[cfg(feature = "afl")]
fn fuzz(target: &str) {
    afl::fuzz!(|data: &[u8]| {
        wuji_tests::fuzz::run(target, data);
    });
}

#[cfg(not(feature = "afl"))]
fn fuzz(target: &str) {
    use std::io::Read;
    let mut data = Vec::new();
    std::io::stdin()
        .read_to_end(&mut data)
        .expect("input on stdin");
    wuji_tests::fuzz::run(target, &data);
}
