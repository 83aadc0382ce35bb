#!/usr/bin/env bash
# Follow benchmark: an LMS database on MariaDB (as Tutor runs MySQL) with ORGS
# organizations and LINKS course links (default 10,000 and 1,000,000), made by the real
# edx-organizations' migrations and filled in bulk (tests/python/orgs_peer/fill_bulk.py); a
# `serve` of the release binary on a fresh PostgreSQL database follows it every INTERVAL (each
# of INTERVALS, default "1s 10s"): the first round imports it whole, idle rounds are measured
# (statements on the LMS, time), then CHANGES changes (default 1,000, RATE a second, default 50)
# are made through edx-organizations and each is timed from its commit in the LMS to the
# follower's commit (bench/follow.py). ORGS=1000 LINKS=100000 for a quick run.
set -euo pipefail
cd "$(dirname "$0")/.."
ORGS=${ORGS:-10000}
LINKS=${LINKS:-1000000}
CHANGES=${CHANGES:-1000}
RATE=${RATE:-50}
INTERVALS=${INTERVALS:-"1s 10s"}
# shellcheck source=bench/common.sh
source bench/common.sh
work=$(mktemp -d /tmp/tenancy-follow-bench.XXXXXX)
serve_pid=
pg_start
mariadb_start
trap '[ -z "$serve_pid" ] || kill "$serve_pid" 2>/dev/null; pg_stop; mariadb_stop; rm -rf "$work"' EXIT
pg_base=${PG_URL%/*}

mariadb -h 127.0.0.1 -P "$MARIADB_PORT" -u root -e "CREATE DATABASE lms_source CHARACTER SET utf8mb4"
lms="mysql://root@127.0.0.1:$MARIADB_PORT/lms_source"
start=$(date +%s.%N)
ORGS_PEER_DATABASE="$lms" "$venv/bin/python" tests/python/orgs_peer/fill_bulk.py "$ORGS" "$LINKS"
printf 'filled MariaDB with %s organizations and %s links in %.1f s\n' "$ORGS" "$LINKS" \
    "$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')"

n=0
for interval in $INTERVALS; do
    n=$((n + 1))
    psql -q "$PG_URL" -c "CREATE DATABASE target_$n"
    target="$pg_base/target_$n"
    echo
    echo "== follow interval $interval, target PostgreSQL =="
    DATABASE_URL="$target" TENANCY_LISTEN=127.0.0.1:0 TENANCY_FOLLOW_LMS_DATABASE="$lms" \
        TENANCY_FOLLOW_INTERVAL="$interval" TENANCY_FOLLOW_LMS_MEDIA_URL=https://lms.example/media/ \
        RUST_LOG=warn "$bin" serve >"$work/serve.out" 2>"$work/serve.err" &
    serve_pid=$!
    for _ in $(seq 1 100); do
        grep -q '^listening on' "$work/serve.out" 2>/dev/null && break
        sleep 0.1
    done
    addr=$(sed -n 's/^listening on //p' "$work/serve.out")
    [ -n "$addr" ] || { cat "$work/serve.err" >&2; exit 1; }
    seconds=${interval%s}
    case $interval in *ms) seconds=$(awk -v m="${interval%ms}" 'BEGIN { print m / 1000 }') ;; esac
    RUN=$n IDLE_SECONDS=$(awk -v s="$seconds" 'BEGIN { print (s * 6 > 30) ? s * 6 : 30 }') \
        ORGS_PEER_DATABASE="$lms" "$venv/bin/python" bench/follow.py "$addr/metrics" "$target" \
        "$ORGS" "$CHANGES" "$RATE" "$seconds"
    printf 'serve peak RSS: %s MiB\n' "$(awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$serve_pid/status")"
    kill "$serve_pid"
    wait "$serve_pid" || true
    serve_pid=
done
