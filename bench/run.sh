#!/usr/bin/env bash
# Benchmarks tenancy-gateway side by side with edx-organizations. One command, from the repo root:
#
#   bash bench/run.sh
#
# It builds the release binary, creates the peer's virtualenv (bench/out/venv: edx-organizations
# and Django pinned by tests/python/requirements.txt, gunicorn 27.0.1; from PyPI, once), loads
# the same data into both, drives both with wrk on 127.0.0.1 and prints the table; results land
# in bench/out/ (results.csv, results.md, results.svg). When the checkout has
# bench/cargo/backfill.rs, `cargo bench --bench backfill` (1,000,000 keys, on SQLite and on a
# throwaway PostgreSQL cluster when PostgreSQL's binaries are found, or on
# TENANCY_BENCH_POSTGRES_URL) runs after the HTTP scenarios and its figures are appended. Needs
# cargo, python3 (3.10+) and wrk (installed with apt-get when missing and running as root).
#
# Then the scaling table (bench/scale.py): `first: 10` pages, top-level and nested,
# over 1,000 / 100,000 / 1,000,000 rows filled by bulk SQL, on SQLite and PostgreSQL.
#
# Environment: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (16), BENCH_THREADS (2),
# BENCH_WARMUP (s, 2), BENCH_WAIT_QUIET (seconds to wait at most for the 1-minute load average to
# drop below BENCH_QUIET_LOAD, default 0.7; default 0 = do not wait), BENCH_SKIP_BUILD=1 (use the
# existing target/release binary), BENCH_BACKFILL=0 (skip the backfill bench even when present),
# BENCH_RESPONSE_CACHE (false: only the cold rows, every request running its query; true: only
# the warm ones, answered from the response cache; default both), BENCH_PEER=0 (skip the side-by-side scenarios), BENCH_SCALE=0 (skip the scaling table),
# BENCH_SCALE_SIZES (rows, default 1000,100000,1000000), BENCH_SCALE_ENGINES (sqlite,postgres),
# BENCH_SCALE_DURATION (s per cell, default 5), TENANCY_BENCH_POSTGRES_URL (an existing
# PostgreSQL for the scaling table and the backfill bench instead of a throwaway cluster; its
# user must be allowed to create databases), CARGO_TARGET_DIR (as cargo), BENCH_BINARY (a binary
# to measure instead, e.g. one built with --profile profiling), BENCH_BASELINE (an earlier build,
# measured beside it in the same run: rows labelled "before").
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
OUT="$BENCH/out"
mkdir -p "$OUT"
cd "$ROOT"

say() { printf '==> %s\n' "$*" >&2; }

# --- tools ---------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing wrk (apt-get)"
    apt-get install -y -q wrk >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
  else
    echo "wrk is required (Debian: apt-get install wrk)" >&2
    exit 1
  fi
fi
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 10), sys.version' \
  || { echo "python3 3.10+ is required" >&2; exit 1; }

# --- tenancy-gateway ---------------------------------------------------------------------------
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  say "cargo build --release"
  nice -n 10 cargo build --release --quiet
fi
BINARY=${BENCH_BINARY:-$TARGET_DIR/release/tenancy-gateway}
[ -x "$BINARY" ] || { echo "no release binary at $BINARY" >&2; exit 1; }

# --- the peer's virtualenv (created once; pip runs only here, never during the measurement) ----
VENV="$OUT/venv"
# The peer pinned as the tests pin it (edx-organizations 9.0.0, Django 5.2), plus gunicorn.
PEER_REQS=(-r "$ROOT/tests/python/requirements.txt" "gunicorn==27.0.1")
PEER=${BENCH_PEER:-1}
SCALE=${BENCH_SCALE:-1}
# Made again when the pins change (the marker is older than tests/python/requirements.txt).
if [ "$PEER" = 1 ] && { [ ! -f "$VENV/.installed" ] || [ "$ROOT/tests/python/requirements.txt" -nt "$VENV/.installed" ]; }; then
  say "creating the peer's virtualenv in $VENV"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "${PEER_REQS[@]}"
  touch "$VENV/.installed"
fi
if [ "$PEER" = 1 ]; then
  "$VENV/bin/pip" freeze --disable-pip-version-check 2>/dev/null \
    | grep -iE '^(edx-organizations|django|djangorestframework|gunicorn)==' > "$OUT/peer-versions.txt" || true
fi

# The backfill bench (when this checkout has one) runs after the HTTP scenarios; it is built first
# so that compiling it does not load the machine during them.
BACKFILL=0
if [ "${BENCH_BACKFILL:-1}" = 1 ] && { [ -f "$ROOT/bench/cargo/backfill.rs" ] || [ -f "$ROOT/benches/backfill.rs" ]; }; then
  BACKFILL=1
  if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    say "cargo bench --no-run --bench backfill"
    nice -n 10 cargo bench --quiet --no-run --bench backfill 2>&1 | tail -n 3 >&2
  fi
fi

# --- a quiet machine -----------------------------------------------------------------------------
WAIT=${BENCH_WAIT_QUIET:-0}
QUIET=${BENCH_QUIET_LOAD:-0.7}
if [ "$WAIT" -gt 0 ]; then
  deadline=$(( $(date +%s) + WAIT ))
  while awk -v q="$QUIET" '{ exit !($1 >= q) }' /proc/loadavg && [ "$(date +%s)" -lt "$deadline" ]; do
    say "waiting for a quiet machine: load $(cut -d' ' -f1-3 /proc/loadavg)"
    sleep 15
  done
fi
say "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"

# PostgreSQL for the scaling table and the backfill bench: a throwaway cluster unless one is given.
PG_FOR_BENCH=${TENANCY_BENCH_POSTGRES_URL:-}
if [ -z "$PG_FOR_BENCH" ] && { [ "$SCALE" = 1 ] || [ "$BACKFILL" = 1 ]; }; then
  # shellcheck source=scripts/pg.sh
  source "$ROOT/scripts/pg.sh"
  if pg_start; then
    trap pg_stop EXIT
    PG_FOR_BENCH=$PG_URL
  else
    say "no PostgreSQL binaries: the scaling table and the backfill bench run on SQLite only"
  fi
fi

: > "$OUT/results.txt"
if [ "$PEER" = 1 ]; then
  AFTER=()
  [ "$BACKFILL" = 1 ] && AFTER=(--backfill-after)
  [ -n "${BENCH_BASELINE:-}" ] && AFTER+=(--baseline "$BENCH_BASELINE")
  "$VENV/bin/python" "$BENCH/bench.py" \
    --binary "$BINARY" --python "$VENV/bin/python" --out "$OUT" \
    --duration "${BENCH_DURATION:-10}" --warmup "${BENCH_WARMUP:-2}" \
    --connections "${BENCH_CONNECTIONS:-16}" --threads "${BENCH_THREADS:-2}" \
    "${AFTER[@]}" | tee -a "$OUT/results.txt"
fi

if [ "$SCALE" = 1 ]; then
  say "scaling table (bench/scale.py)"
  echo | tee -a "$OUT/results.txt"
  # Cache off: the response cache would answer repeated pages without touching the database, and
  # the table is about what a page costs the database.
  "$PYTHON" "$BENCH/scale.py" --binary "$BINARY" --out "$OUT" --postgres-url "$PG_FOR_BENCH" \
    --server-env '{"TENANCY_RESPONSE_CACHE": "false"}' \
    --sizes "${BENCH_SCALE_SIZES:-1000,100000,1000000}" \
    --engines "${BENCH_SCALE_ENGINES:-sqlite,postgres}" \
    --duration "${BENCH_SCALE_DURATION:-5}" --warmup 1 \
    --connections "${BENCH_CONNECTIONS:-16}" --threads "${BENCH_THREADS:-2}" \
    | tee -a "$OUT/results.txt"
  if [ "$PEER" = 1 ]; then
    { echo; cat "$OUT/scale.md"; } >> "$OUT/results.md"
  else
    cp "$OUT/scale.md" "$OUT/results.md"
  fi
fi

if [ "$BACKFILL" = 1 ]; then
  # The backfill bench measures PostgreSQL too.
  [ -n "$PG_FOR_BENCH" ] && export TENANCY_BENCH_POSTGRES_URL="$PG_FOR_BENCH"
  say "cargo bench --bench backfill"
  {
    echo
    echo "Backfill of 1,000,000 keys (cargo bench --bench backfill):"
    if nice -n 10 cargo bench --quiet --bench backfill > "$OUT/backfill-bench.txt" 2>&1; then
      grep -E '^backfill |skipped' "$OUT/backfill-bench.txt" | sed 's/^/  /'
      # The issue's target for it: a fresh apply of a million keys on SQLite within 5 s.
      awk '/^backfill sqlite +fresh apply/ { for (i = 1; i <= NF; i++) if ($(i + 1) == "s,") s = $i }
           END { if (s == "") print "  [MISSED] backfill of 1,000,000 keys on SQLite <= 5 s: no figure";
                 else printf "  [%s] backfill of 1,000,000 keys on SQLite <= 5 s: %s s\n", (s <= 5 ? "met" : "MISSED"), s }' \
        "$OUT/backfill-bench.txt"
    else
      echo "  failed; see bench/out/backfill-bench.txt"
    fi
  } | tee -a "$OUT/results.txt" "$OUT/results.md"
fi
if [ "$PEER" = 1 ]; then say "peer versions: $(tr '\n' ' ' < "$OUT/peer-versions.txt")"; fi
