#!/usr/bin/env bash
# Read throughput with 1 and with 2 service processes against one PostgreSQL primary plus one
# streaming replica, reported as a ratio. From the repo root:
#
#   bash bench/replicas.sh
#
# A throwaway primary and a `pg_basebackup -R` replica of it (scripts/pg.sh) on 127.0.0.1; 1,000
# organizations with 5 course links each, loaded with `tenancy-gateway backfill --apply` on the
# primary (the replica gets them by replication). Each process runs with
# TENANCY_DATABASE_REPLICA_URLS naming the replica, so its queries read there (checked from the
# per-pool statement counts in /metrics). The load is the single-lookup query of bench/run.sh,
# driven by two wrk processes (BENCH_CONNECTIONS/2 connections each, bench/wrk/request.lua): with
# one service process both drive it, with two each drives one. Everything (wrk, the services,
# both PostgreSQL servers) shares this machine's cores, which is what the ratio measures.
#
# Environment: TENANCY_BIN (a release binary: skips the build), CARGO_TARGET_DIR (as cargo),
# BENCH_DURATION (s, default 10), BENCH_WARMUP (s, 2), BENCH_CONNECTIONS (16 in all).
# Results: bench/out/replicas.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
cd "$ROOT"
say() { printf '==> %s\n' "$*" >&2; }

command -v wrk >/dev/null || { echo "wrk is required (Debian: apt-get install wrk)" >&2; exit 1; }
BIN=${TENANCY_BIN:-}
if [ -z "$BIN" ]; then
  say "cargo build --release (thin LTO: minutes)"
  nice -n 10 cargo build --release --quiet
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/tenancy-gateway"
fi
[ -x "$BIN" ] || { echo "no binary at $BIN" >&2; exit 1; }
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
PER_WRK=$((CONNECTIONS / 2))

# shellcheck source=scripts/pg.sh
source scripts/pg.sh
WORK=$(mktemp -d /tmp/tenancy-replicas-bench.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  pg_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
pg_start
pg_replica_start
psql -q "$PG_URL" -c "CREATE DATABASE bench"
PRIMARY="${PG_URL%/*}/bench"
REPLICA="${PG_REPLICA_URL%/*}/bench"

say "loading 1,000 organizations x 5 course links (backfill --apply)"
python3 -c '
for i in range(1, 1001):
    for c in range(1, 6):
        print(f"course-v1:Org{i:04d}+C{c}+2024_T1")' > "$WORK/keys.txt"
export RUST_LOG=warn
# wrk's connections stand for many clients behind one address.
export TENANCY_MAX_INFLIGHT_PER_CLIENT=1024
DATABASE_URL="$PRIMARY" "$BIN" migrate >/dev/null
DATABASE_URL="$PRIMARY" "$BIN" backfill --apply "$WORK/keys.txt" >/dev/null

BODY="$WORK/body.json"
printf '%s' '{"query":"query($s: String!) { organization(shortName: $s) { id shortName name description logoUrl active created modified } }","variables":{"s":"Org0500"}}' > "$BODY"

# start_service PORT: a service reading from the replica, once it reports the replica usable.
start_service() {
  local port=$1
  DATABASE_URL="$PRIMARY" TENANCY_DATABASE_REPLICA_URLS="$REPLICA" \
    "$BIN" serve --listen "127.0.0.1:$port" >/dev/null 2>"$WORK/serve-$port.log" &
  PIDS+=($!)
  for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$port/readyz" 2>/dev/null | grep -q "replica0: ok"; then
      return 0
    fi
    sleep 0.1
  done
  echo "service on $port never reported the replica usable" >&2
  cat "$WORK/serve-$port.log" >&2
  return 1
}

# pool_statements PORT POOL: the statements that pool ran, from /metrics.
pool_statements() {
  curl -fsS "http://127.0.0.1:$1/metrics" \
    | awk -v p="pool=\"$2\"" 'index($0, "tenancy_db_pool_statements_total{") == 1 && index($0, p) { print $2 }'
}

# drive SECONDS TAG PORT PORT: two wrk processes at once, one per port; prints total req/s.
drive() {
  local seconds=$1 tag=$2 a=$3 b=$4 i=0 port
  local wrk_pids=()
  for port in "$a" "$b"; do
    i=$((i + 1))
    BENCH_METHOD=POST BENCH_PATH=/graphql BENCH_BODY_FILE="$BODY" BENCH_HOST="127.0.0.1:$port" \
      BENCH_RESULT="$WORK/$tag-$i.json" \
      wrk -t 1 -c "$PER_WRK" -d "${seconds}s" --timeout 10s -s bench/wrk/request.lua \
      "http://127.0.0.1:$port" >/dev/null &
    wrk_pids+=($!)
  done
  wait "${wrk_pids[@]}"
  python3 - "$WORK/$tag-1.json" "$WORK/$tag-2.json" <<'EOF'
import json, sys
runs = [json.load(open(p)) for p in sys.argv[1:]]
bad = sum(r["non2xx"] + r["socket_errors"] for r in runs)
assert bad == 0, f"{bad} failed requests"
print(f'{sum(r["requests"] / (r["duration_us"] / 1e6) for r in runs):.0f} '
      f'{max(r["p99_us"] for r in runs) / 1000:.2f}')
EOF
}

# measure N: N service processes; prints "req/s p99_ms replica_share".
measure() {
  local n=$1 ports=() port
  for _ in $(seq 1 "$n"); do
    port=$(free_port)
    start_service "$port"
    ports+=("$port")
  done
  local a=${ports[0]} b=${ports[$((n - 1))]}
  drive "$WARMUP" "warm$n" "$a" "$b" >/dev/null
  local before_r=0 before_p=0
  for port in "${ports[@]}"; do
    before_r=$(python3 -c "print($before_r + $(pool_statements "$port" replica0))")
    before_p=$(python3 -c "print($before_p + $(pool_statements "$port" primary))")
  done
  local load0 result
  load0=$(cut -d' ' -f1 /proc/loadavg)
  result=$(drive "$DURATION" "run$n" "$a" "$b")
  local after_r=0 after_p=0
  for port in "${ports[@]}"; do
    after_r=$(python3 -c "print($after_r + $(pool_statements "$port" replica0))")
    after_p=$(python3 -c "print($after_p + $(pool_statements "$port" primary))")
  done
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  PIDS=()
  local share
  share=$(python3 -c "r = $after_r - $before_r; p = $after_p - $before_p; print(f'{r / (r + p):.3f}' if r + p else 'nan')")
  echo "$result $share $load0"
}

say "1 service process (2 x wrk -c $PER_WRK, ${DURATION} s)"
measure 1 > "$WORK/measured-1"
read -r rps1 p99_1 share1 load1 < "$WORK/measured-1"
say "2 service processes (one wrk each)"
measure 2 > "$WORK/measured-2"
read -r rps2 p99_2 share2 load2 < "$WORK/measured-2"
ratio=$(python3 -c "print(f'{$rps2 / $rps1:.2f}')")

{
  echo "| service processes | req/s | p99 ms | statements on the replica | 1-min load before |"
  echo "| --- | --- | --- | --- | --- |"
  echo "| 1 | $rps1 | $p99_1 | $share1 | $load1 |"
  echo "| 2 | $rps2 | $p99_2 | $share2 | $load2 |"
  echo
  echo "2 processes / 1 process: ${ratio}x read throughput ($(nproc) cores shared by wrk, the services, the primary and the replica)"
} | tee "$OUT/replicas.md"
