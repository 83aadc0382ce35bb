#!/usr/bin/env bash
# Checks GraphQL-over-HTTP compliance with graphql-http's own audit suite: starts the binary on
# a temporary SQLite database and runs tests/node/http-audit.mjs against it. Needs node and
# `npm ci` in tests/node.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/tenancy-gateway}
work=$(mktemp -d)
cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
"$bin" serve --listen 127.0.0.1:0 --database-url "sqlite://$work/tenancy.db?mode=rwc" >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do
    grep -q '^listening on ' "$work/out" 2>/dev/null && break
    sleep 0.1
done
base=$(sed -n 's/^listening on //p' "$work/out")
[ -n "$base" ] || { cat "$work/err" >&2; echo "server did not start" >&2; exit 1; }
node tests/node/http-audit.mjs "$base"
