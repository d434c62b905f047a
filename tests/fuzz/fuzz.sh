#!/usr/bin/env bash
# Coverage-guided fuzzing of every wuji decoder with AFL++ (cargo-afl), on the
# pinned stable toolchain. Usage: tests/fuzz/fuzz.sh SECONDS [TARGET…]
# (default: every target; EXECS=N stops a target after N inputs instead);
# tests/fuzz/fuzz.sh build only builds (CI builds it beside the tests).
# Builds the instrumented binary in target/afl, fuzzes each target from its
# seed corpus, and fails if any target found a crash or a hang; the inputs
# that did are copied to tests/fuzz/regressions/TARGET/ (replayed by the
# fuzz_corpus test from then on) and the figures go to target/afl/report.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:?usage: fuzz.sh SECONDS [TARGET…]}"; shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(api_request link_message record_state stored_record certificate config roster_file)
fi
command -v cargo-afl >/dev/null || cargo install cargo-afl --locked
cargo afl config --build >/dev/null 2>&1 || true   # builds AFL++ once per toolchain
CARGO_TARGET_DIR=target/afl cargo afl build --release --locked -p wuji-fuzz --features afl
[ "$secs" = build ] && exit 0
bin=target/afl/release/wuji-fuzz
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 AFL_QUIET=1
mkdir -p target/afl/out
report="${REPORT:-target/afl/report.txt}"
: > "$report"
found=0
for t in "${targets[@]}"; do
  out="target/afl/out/$t"
  rm -rf "$out"
  limit=(-V "$secs")
  [ -n "${EXECS:-}" ] && limit=(-E "$EXECS")
  # -t 1000: an input that runs over a second is a hang; -m 4096: 4 GiB of
  # address space at most, so an unbounded allocation fails loudly.
  cargo afl fuzz -i "tests/fuzz/corpus/$t" -o "$out" "${limit[@]}" -t 1000 -m 4096 -- "$bin" "$t" >"$out.log" 2>&1 || true
  stats="$out/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then
    echo "$t: afl-fuzz did not run; see $out.log" | tee -a "$report"
    tail -20 "$out.log"
    found=1
    continue
  fi
  get() { awk -F' *: *' -v k="$1" '$1==k {print $2}' "$stats"; }
  crashes=$(find "$out/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
  # A "hang" on a loaded machine may be a slow moment: it counts only if the
  # input still runs over 10 s on its own.
  hangs=0
  for f in "$out"/default/hangs/id:*; do
    [ -f "$f" ] || continue
    if timeout 10 "$bin" "$t" "$f" >/dev/null 2>&1; then rm -f "$f"; else hangs=$((hangs + 1)); fi
  done
  printf '%-14s execs %12s  execs/s %8s  corpus %5s  edges %s  crashes %s  hangs %s\n' \
    "$t" "$(get execs_done)" "$(get execs_per_sec)" "$(get corpus_count)" "$(get edges_found)" "$crashes" "$hangs" | tee -a "$report"
  if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
    mkdir -p "tests/fuzz/regressions/$t"
    for f in "$out"/default/crashes/id:* "$out"/default/hangs/id:*; do
      [ -f "$f" ] && cp "$f" "tests/fuzz/regressions/$t/$(sha256sum "$f" | cut -c1-16)"
    done
    found=1
  fi
done
if [ "$found" -ne 0 ]; then
  echo "fuzzing found crashes or hangs (inputs copied to tests/fuzz/regressions/)" >&2
  exit 1
fi
