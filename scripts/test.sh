#!/usr/bin/env bash
# The test suite: one compiled test binary runs every integration test against SQLite and
# against a throwaway PostgreSQL cluster started here (and removed on exit); then GraphiQL is
# checked in headless Chromium (and a micro-frontend's cookie login, CORS and CSRF), the subgraph is composed and queried with Apollo's tools, and
# GraphQL-over-HTTP compliance is audited with graphql-http's own suite.
# Extra arguments go to `cargo test` (for example a name filter) and skip the Node checks.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/pg.sh
source scripts/pg.sh
# shellcheck source=scripts/mariadb.sh
source scripts/mariadb.sh
pg_start
trap 'pg_stop; mariadb_stop' EXIT
export TENANCY_TEST_POSTGRES_URL="$PG_URL"
# A streaming replica of it, for the read-replica tests (tests/api/read_replicas.rs).
pg_replica_start
export TENANCY_TEST_POSTGRES_REPLICA_URL="$PG_REPLICA_URL"
# MariaDB as Open edX runs MySQL: a source for the import tests (tests/api/import.rs).
if command -v mariadb-install-db >/dev/null; then
    mariadb_start
    export TENANCY_TEST_MARIADB_URL="$MARIADB_URL"
elif [ -n "${CI:-}" ]; then
    echo "CI needs mariadb-server for the import tests" >&2
    exit 1
else
    echo "skipping MariaDB sources: install mariadb-server" >&2
fi

# Differential JWT vectors: tokens made by Open edX's own edx-drf-extensions (pinned in
# tests/python/requirements.txt), each judged by its decoder; tests/api/auth_differential.rs
# checks that the service agrees on every one.
venv=target/pyvenv
if [ ! -f "$venv/.installed" ] || [ tests/python/requirements.txt -nt "$venv/.installed" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/python/requirements.txt
    touch "$venv/.installed"
fi
"$venv/bin/python" tests/python/jwt_vectors.py target/jwt-vectors.json
export TENANCY_TEST_JWT_VECTORS="$PWD/target/jwt-vectors.json"
# The same venv hosts the real edx-organizations (tests/python/orgs_peer): the REST
# differential and the import tests run it.
export TENANCY_TEST_PYTHON="$PWD/$venv/bin/python"

cargo test --workspace --locked "$@"

if [ $# -eq 0 ]; then
    if command -v chromium >/dev/null && command -v npm >/dev/null; then
        [ -d tests/node/node_modules/playwright-core ] \
            || (cd tests/node && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
        scripts/graphiql-check.sh target/debug/tenancy-gateway target/graphiql.png
        # A micro-frontend on another origin: JWT cookies, CORS and CSRF in a real browser.
        node tests/node/auth-browser.mjs target/debug/tenancy-gateway
        # Apollo composition + gateway over our subgraph and a catalog subgraph.
        APOLLO_TELEMETRY_DISABLED=true node tests/node/federation.mjs target/debug/tenancy-gateway
    elif [ -n "${CI:-}" ]; then
        echo "CI needs chromium and npm for the GraphiQL check" >&2
        exit 1
    else
        echo "skipped the GraphiQL browser check: install chromium (apt-get install -y chromium) and npm" >&2
    fi
    if command -v node >/dev/null && command -v npm >/dev/null; then
        [ -d tests/node/node_modules/graphql-ws ] \
            || (cd tests/node && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
        scripts/http-audit.sh target/debug/tenancy-gateway
        # Live changes through the npm graphql-ws and graphql-sse clients, two replicas on PostgreSQL.
        PG_URL="$PG_URL" node tests/node/subscriptions.mjs target/debug/tenancy-gateway
    elif [ -n "${CI:-}" ]; then
        echo "CI needs node and npm for the GraphQL-over-HTTP audit" >&2
        exit 1
    else
        echo "skipped the GraphQL-over-HTTP audit: install node and npm" >&2
    fi
fi
