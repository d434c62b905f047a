#!/usr/bin/env bash
# wuji's initial sync against PostgreSQL's logical replication, in the same
# run on the same machine, on the same rows (ROWS records of ~600 bytes, UUID
# keys), and the ratios:
#
#   bash benches/peer/compare.sh [ROWS]        (default 100000)
#
# Runs `wuji-bench sync ROWS 0 0 0` (initial sync child -> parent over mutual
# TLS, signatures checked and not, and a raw sled insert of the same records),
# then `postgres.sh ROWS` (the initial copy of a subscription, and single-row
# lag). Builds wuji-bench in release mode first. Asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-100000}

cargo build --release --locked -p wuji-bench >/dev/null
WUJI=$(WUJI_LOG=error ./target/release/wuji-bench sync "$ROWS" 0 0 0)
echo "$WUJI"
PG=$(bash benches/peer/postgres.sh "$ROWS" 100)
echo "$PG"

rate() { # the records/s of the line matching $1
  echo "$WUJI" | grep -m1 "$1" | sed -E 's/.*: ([0-9]+) records\/s.*/\1/'
}
CHECKED=$(rate "signatures checked")
UNCHECKED=$(rate "signatures NOT checked")
RAW=$(rate "raw sled insert")
PGRATE=$(echo "$PG" | tail -1 | sed -E 's/.*"copy_rows_per_s":([0-9]+).*/\1/')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "same run, $ROWS records:"
echo "  wuji initial sync, TLS and signatures checked: $CHECKED records/s"
echo "  wuji initial sync, signatures not checked:     $UNCHECKED records/s"
echo "  raw sled insert of the same records:           $RAW records/s"
echo "  PostgreSQL logical replication initial copy:   $PGRATE rows/s"
echo "  ratio wuji (checked) / raw sled:   $(ratio "$CHECKED" "$RAW")   (bar: >= 0.8)"
echo "  ratio wuji (checked) / PostgreSQL: $(ratio "$CHECKED" "$PGRATE")   (bar: >= 1.0)"
