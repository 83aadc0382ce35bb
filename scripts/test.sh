#!/usr/bin/env bash
# The test suite: one compiled test binary runs every integration test against SQLite and
# against a throwaway PostgreSQL cluster started here (and removed on exit).
# Extra arguments go to `cargo test` (for example a test name filter).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/pg.sh
source scripts/pg.sh
pg_start
trap pg_stop EXIT
export TENANCY_TEST_POSTGRES_URL="$PG_URL"
cargo test --workspace --locked "$@"
