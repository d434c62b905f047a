#!/usr/bin/env bash
# The peer benchmark: PostgreSQL's logical replication on this machine, on the
# rows wuji-bench sync replicates (ROWS rows of ~600 bytes, UUID keys).
#
#   bash benches/peer/postgres.sh [ROWS] [SAMPLES]     (defaults 100000, 200)
#
# Two throwaway clusters (publisher, subscriber) in a temporary directory,
# on ports 55432/55433, run as the postgres user; installs Debian's
# postgresql package if it is missing. Prints, and as the last line one JSON
# object for scripts:
#   - the initial copy: CREATE SUBSCRIPTION (copy_data) to every table ready
#     on the subscriber, rows/s end to end;
#   - single-row lag: an INSERT on the publisher until the row is visible on
#     the subscriber, p50 and p99 over SAMPLES rows.
# Asserts nothing.
set -euo pipefail

ROWS=${1:-100000}
SAMPLES=${2:-200}
PORT_PUB=55432
PORT_SUB=55433

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
VERSION=$("$BIN/postgres" --version | awk '{print $3}')

WORK=$(mktemp -d /tmp/wuji-pg.XXXXXX)
chown postgres "$WORK"
as_pg() { runuser -u postgres -- "$@"; }
cleanup() {
  for c in pub sub; do
    [ -d "$WORK/$c" ] && as_pg "$BIN/pg_ctl" -D "$WORK/$c" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

start() { # name port
  as_pg "$BIN/initdb" -D "$WORK/$1" -A trust -U postgres >/dev/null
  cat >>"$WORK/$1/postgresql.conf" <<EOF
port = $2
listen_addresses = '127.0.0.1'
unix_socket_directories = '$WORK'
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
max_logical_replication_workers = 8
max_sync_workers_per_subscription = 4
shared_buffers = 128MB
EOF
  as_pg "$BIN/pg_ctl" -D "$WORK/$1" -l "$WORK/$1.log" -w start >/dev/null
}
psql_at() { # port sql...
  local port=$1
  shift
  as_pg "$BIN/psql" -h "$WORK" -p "$port" -U postgres -d postgres -qAtX -v ON_ERROR_STOP=1 -c "$@"
}
now_ms() { date +%s%3N; }

start pub $PORT_PUB
start sub $PORT_SUB
TABLE="CREATE TABLE rec (id uuid PRIMARY KEY, body text NOT NULL)"
psql_at $PORT_PUB "$TABLE"
psql_at $PORT_SUB "$TABLE"
# ~600 bytes a row that does not compress: twenty md5 hashes of the key.
psql_at $PORT_PUB "INSERT INTO rec
  SELECT gen_random_uuid(), (SELECT string_agg(md5(g::text || '-' || n::text), '') FROM generate_series(1, 19) n)
  FROM generate_series(1, $ROWS) g"
psql_at $PORT_PUB "CREATE PUBLICATION p FOR TABLE rec"
BYTES=$(psql_at $PORT_PUB "SELECT avg(pg_column_size(rec.*))::int FROM rec")

T0=$(now_ms)
psql_at $PORT_SUB "CREATE SUBSCRIPTION s CONNECTION 'host=127.0.0.1 port=$PORT_PUB user=postgres dbname=postgres' PUBLICATION p WITH (copy_data = true)"
until [ "$(psql_at $PORT_SUB "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'")" = 0 ]; do
  sleep 0.02
done
T1=$(now_ms)
COPIED=$(psql_at $PORT_SUB "SELECT count(*) FROM rec")
COPY_MS=$((T1 - T0))
RATE=$(awk -v n="$COPIED" -v ms="$COPY_MS" 'BEGIN { printf "%.0f", n / (ms / 1000) }')
echo "postgresql $VERSION logical replication: initial copy of $COPIED rows of ~$BYTES bytes in $COPY_MS ms: $RATE rows/s"

# Single-row lag, one row at a time.
LAGS=()
for i in $(seq 1 "$SAMPLES"); do
  ID=$(cat /proc/sys/kernel/random/uuid)
  S=$(now_ms)
  psql_at $PORT_PUB "INSERT INTO rec VALUES ('$ID', repeat(md5('$ID'), 19))"
  until [ "$(psql_at $PORT_SUB "SELECT count(*) FROM rec WHERE id = '$ID'")" = 1 ]; do :; done
  LAGS+=($(($(now_ms) - S)))
done
read -r P50 P99 < <(printf '%s\n' "${LAGS[@]}" | sort -n | awk '{ a[NR] = $1 } END { i50 = int((NR - 1) * 0.5) + 1; i99 = int((NR - 1) * 0.99) + 1; print a[i50], a[i99] }')
echo "single-row lag (insert to visible on the subscriber, psql per step): p50 $P50 ms, p99 $P99 ms over $SAMPLES rows"
printf '{"postgres":"%s","rows":%s,"row_bytes":%s,"copy_ms":%s,"copy_rows_per_s":%s,"lag_p50_ms":%s,"lag_p99_ms":%s}\n' \
  "$VERSION" "$COPIED" "$BYTES" "$COPY_MS" "$RATE" "$P50" "$P99"
