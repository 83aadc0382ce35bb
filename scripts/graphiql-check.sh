#!/usr/bin/env bash
# Opens GraphiQL from a running binary in headless Chromium, runs `{ __typename }` and saves a
# screenshot (target/graphiql.png). Needs Debian's chromium and `npm ci` in tests/node.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/serve-temp.sh
source scripts/serve-temp.sh
serve_temp "${1:-target/debug/tenancy-gateway}"
node tests/node/graphiql-check.mjs "$BASE" "${2:-target/graphiql.png}"
