#!/usr/bin/env bash
# Peak memory of hostile requests, one fresh server per scenario so that each peak
# (VmHWM, the process's peak RSS) is that scenario's alone. Not a timed test: it prints figures.
#
#   bash bench/hostile.sh
#
# Data: one organization (MITx) with 1,000 course runs, on SQLite. Scenarios:
#   idle        the server after start-up and one small query (the baseline)
#   refused     2,000 `_entities` representations of MITx, each asking `courses(first: 1000)`
#               (96 KB; 124 MB of JSON before the cost limit): refused by --max-query-cost
#   admitted    490 representations: about the largest such request under the default cost limit
#               (981,000 fields of the 1,000,000 allowed), answered in full
#   capped      the same 490 with --max-response-bytes=8388608: answered RESPONSE_TOO_LARGE
# Environment: BENCH_PROFILE (release, the default, or dev: quicker to build, slower to run),
# BENCH_SKIP_BUILD=1, CARGO_TARGET_DIR (as cargo).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PROFILE=${BENCH_PROFILE:-release}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  if [ "$PROFILE" = dev ]; then cargo build --quiet; else cargo build --release --quiet; fi
fi
DIR=$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")
BINARY="$TARGET_DIR/$DIR/tenancy-gateway"
[ -x "$BINARY" ] || { echo "no binary at $BINARY" >&2; exit 1; }

WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
export DATABASE_URL="sqlite://$WORK/tenancy.db?mode=rwc"
for i in $(seq -w 1 1000); do echo "course-v1:MITx+C$i+2026"; done > "$WORK/keys.txt"
"$BINARY" backfill "$WORK/keys.txt" --apply >/dev/null 2>&1

python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
q = ("query($r: [_Any!]!) { _entities(representations: $r) { ... on Organization "
     "{ shortName courses(first: 1000) { edges { node { courseKey } } } } } }")
for n in (2000, 490):
    reps = [{"__typename": "Organization", "shortName": "MITx"}] * n
    with open(f"{work}/entities-{n}.json", "w") as f:
        json.dump({"query": q, "variables": {"r": reps}}, f)
PY

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# scenario NAME BODY-FILE [extra serve flags...]
scenario() {
  local name=$1 body=$2; shift 2
  local p; p=$(port)
  "$BINARY" serve --listen "127.0.0.1:$p" "$@" 2>"$WORK/$name.log" &
  PID=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$p/healthz" >/dev/null && break; sleep 0.1; done
  curl -s -o /dev/null -H 'content-type: application/json' -d '{"query":"{ __typename }"}' "http://127.0.0.1:$p/graphql"
  local result="(no request)" start end
  if [ -n "$body" ]; then
    start=$(date +%s.%N)
    result=$(curl -s -o "$WORK/$name.out" -w '%{http_code} %{size_download}' \
      -H 'content-type: application/json' --data-binary "@$body" "http://127.0.0.1:$p/graphql")
    end=$(date +%s.%N)
    local code; code=$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); e=b.get("errors") or [{}]; print(e[0].get("extensions",{}).get("code","ok"))' "$WORK/$name.out" 2>/dev/null || echo "?")
    result="HTTP ${result% *}, ${result#* } bytes, $code, $(python3 -c "print(f'{($end-$start)*1000:.0f} ms')")"
  fi
  local hwm; hwm=$(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' "/proc/$PID/status")
  printf '%-9s peak RSS %-10s %s\n' "$name" "$hwm" "$result"
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
}

echo "tenancy-gateway ($PROFILE build), SQLite, MITx with 1,000 courses; request bodies: $(wc -c <"$WORK/entities-2000.json") and $(wc -c <"$WORK/entities-490.json") bytes"
scenario idle ""
scenario refused "$WORK/entities-2000.json"
scenario admitted "$WORK/entities-490.json"
scenario capped "$WORK/entities-490.json" --max-response-bytes=8388608
