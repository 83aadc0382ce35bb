#!/usr/bin/env bash
# Starts the binary on a temporary database with the demo data, opens its address in headless
# Chromium (`/` leads to GraphiQL), runs the example query GraphiQL opens with, checks the answer
# and saves a screenshot of it (target/graphiql.png). Needs Debian's chromium and `npm ci` in
# tests/node. The binary defaults to the one README's commands build (target/release).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/serve-temp.sh
source scripts/serve-temp.sh
bin=${1:-target/release/tenancy-gateway}
serve_temp "$bin"
"$bin" seed --demo --database-url "sqlite://$SERVE_WORK/tenancy.db?mode=rwc" >/dev/null
# The token command it printed is the one the page must show.
TOKEN_COMMAND=$(sed -n 's/^mint a token: //p' "$SERVE_WORK/out") \
    node tests/node/graphiql-check.mjs "$BASE" "${2:-target/graphiql.png}"
