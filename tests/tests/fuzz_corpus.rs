//! Every seed of the fuzz corpus and every input a fuzzer ever found
//! (`tests/fuzz/regressions/TARGET/`) runs through its target on every CI run,
//! so a fixed crash stays fixed without the fuzzer installed.

use std::path::Path;
use wuji_tests::fuzz::{TARGETS, run};

#[test]
fn the_seed_corpus_and_every_regression_input_run_through_their_targets() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut ran = 0;
    for target in TARGETS {
        let mut seeds = 0;
        for dir in ["corpus", "regressions"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
                continue;
            };
            for e in entries {
                let path = e.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                run(target, &data);
                seeds += 1;
            }
        }
        assert!(seeds > 0, "the target {target} has no seed corpus");
        ran += seeds;
    }
    println!("{ran} inputs ran");
}

#[test]
#[should_panic(expected = "no fuzz target")]
fn an_unknown_target_is_refused() {
    run("no-such-target", b"");
}
