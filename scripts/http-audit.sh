#!/usr/bin/env bash
# Checks GraphQL-over-HTTP compliance with graphql-http's own audit suite: starts the binary on
# a temporary SQLite database (the binary README builds, target/release, by default) and runs
# tests/node/http-audit.mjs against it. Needs node and
# `npm ci` in tests/node.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/serve-temp.sh
source scripts/serve-temp.sh
serve_temp "${1:-target/release/tenancy-gateway}"
node tests/node/http-audit.mjs "$BASE"
