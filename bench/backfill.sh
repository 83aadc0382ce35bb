#!/usr/bin/env bash
# Backfill benchmark on SQLite and PostgreSQL (release build). Starts a throwaway PostgreSQL
# unless TENANCY_BENCH_POSTGRES_URL is set. Extra arguments go to `cargo bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${TENANCY_BENCH_POSTGRES_URL:-}" ]; then
    # shellcheck source=scripts/pg.sh
    source scripts/pg.sh
    pg_start
    trap pg_stop EXIT
    export TENANCY_BENCH_POSTGRES_URL="$PG_URL"
fi
cargo bench --bench backfill "$@"
