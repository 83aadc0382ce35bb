#!/usr/bin/env bash
# The test suite: one compiled test binary runs every integration test against SQLite and
# against a throwaway PostgreSQL cluster started here (and removed on exit); then GraphiQL is
# checked in headless Chromium (and a micro-frontend's cookie login, CORS and CSRF, and the admin console), the subgraph is composed and routed by Apollo's and The Guild's tools (subscriptions too), and
# GraphQL-over-HTTP compliance is audited with graphql-http's own suite.
# Extra arguments go to `cargo test` (for example a name filter) and skip the Node checks.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the suite needs from Debian, installed when missing and we can (root with apt-get);
# otherwise one line says what to install and that part is skipped (in CI it fails).
# provide COMMAND PACKAGE: 0 when COMMAND is (now) available.
apt_updated=
provide() {
    local cmd=$1 pkg=$2
    command -v "$cmd" >/dev/null 2>&1 && return 0
    [ "$cmd" = initdb ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing $pkg (for $cmd) with apt-get" >&2
        export DEBIAN_FRONTEND=noninteractive
        [ -n "$apt_updated" ] || { apt-get update -qq && apt_updated=1; }
        apt-get install -y -qq "$pkg" >/dev/null && return 0
    fi
    echo "missing $cmd: install it with: sudo apt-get install -y $pkg" >&2
    return 1
}
provide initdb postgresql || [ -z "${CI:-}" ] || exit 1
provide mariadb-install-db mariadb-server || [ -z "${CI:-}" ] || exit 1
provide chromium chromium || [ -z "${CI:-}" ] || exit 1
provide npm npm || [ -z "${CI:-}" ] || exit 1
provide curl curl || [ -z "${CI:-}" ] || exit 1  # the README check runs its curl commands
provide sqlite3 sqlite3 || [ -z "${CI:-}" ] || exit 1  # and the docs' backup example
provide caddy caddy || [ -z "${CI:-}" ] || exit 1  # Tutor's web proxy, in front of the binary (tests/node/proxy.mjs)
python3 -c 'import ensurepip, venv' 2>/dev/null || provide ensurepip python3-venv || [ -z "${CI:-}" ] || exit 1
if [ $# -eq 0 ]; then
    # The container image (podman, runc, a static busybox) and the Tutor plugin's consumers.
    for pair in podman:podman runc:runc busybox:busybox-static docker-compose:docker-compose caddy:caddy; do
        provide "${pair%%:*}" "${pair#*:}" || [ -z "${CI:-}" ] || exit 1
    done
fi

# shellcheck source=scripts/pg.sh
source scripts/pg.sh
# shellcheck source=scripts/mariadb.sh
source scripts/mariadb.sh
trap 'pg_stop; mariadb_stop' EXIT
if pg_start; then
    export TENANCY_TEST_POSTGRES_URL="$PG_URL"
    # A streaming replica of it, for the read-replica tests (tests/api/read_replicas.rs).
    if pg_replica_start; then
        export TENANCY_TEST_POSTGRES_REPLICA_URL="$PG_REPLICA_URL"
    elif [ -n "${CI:-}" ]; then
        exit 1
    fi
elif [ -n "${CI:-}" ]; then
    exit 1
else
    echo "skipping the PostgreSQL runs (SQLite only): PostgreSQL did not start" >&2
fi
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
# shellcheck source=scripts/pyvenv.sh
source scripts/pyvenv.sh
pyvenv
"$venv/bin/python" tests/python/jwt_vectors.py target/jwt-vectors.json
export TENANCY_TEST_JWT_VECTORS="$PWD/target/jwt-vectors.json"
# The same venv hosts the real edx-organizations (tests/python/orgs_peer): the REST
# differential and the import tests run it.
export TENANCY_TEST_PYTHON="$PWD/$venv/bin/python"

cargo test --workspace --locked "$@"

if [ $# -eq 0 ]; then
    # Every shell command of README's quick start, and every block the docs mark runnable, run as
    # written, its documented output checked (docs/testing.md: Commands in the docs).
    if command -v curl >/dev/null && command -v sqlite3 >/dev/null; then
        bash scripts/readme-check.sh target/debug/tenancy-gateway
    else
        echo "skipped the README check: install curl and sqlite3" >&2
    fi
fi

if [ $# -eq 0 ]; then
    # The container image is made of the dist build (scripts/image.sh's): built meanwhile (the checks below spend
    # much of their time waiting on browsers, servers and the network), checked at the end.
    release_build=
    if command -v podman >/dev/null; then
        cargo build --profile dist --locked > target/release-build.log 2>&1 &
        release_build=$!
    fi
    # The Tutor plugin rendered by Tutor 22 and read by Compose, kustomize, Caddy and the binary.
    bash scripts/tutor-check.sh target/debug/tenancy-gateway
fi

if [ $# -eq 0 ]; then
    if command -v chromium >/dev/null && command -v npm >/dev/null; then
        { [ -d tests/node/node_modules/playwright-core ] && [ -d tests/node/node_modules/axe-core ]; } \
            || (cd tests/node && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
        scripts/graphiql-check.sh target/debug/tenancy-gateway target/graphiql.png
        # The admin console walked through at 800 px, axe-core on every screen (target/admin-screens).
        node tests/node/admin.mjs target/debug/tenancy-gateway target/admin-screens
        # A micro-frontend on another origin: JWT cookies, CORS and CSRF in a real browser.
        node tests/node/auth-browser.mjs target/debug/tenancy-gateway
    elif [ -n "${CI:-}" ]; then
        echo "CI needs chromium and npm for the GraphiQL check" >&2
        exit 1
    else
        echo "skipped the GraphiQL browser check: install chromium (apt-get install -y chromium) and npm" >&2
    fi
    if command -v node >/dev/null && command -v npm >/dev/null; then
        { [ -d tests/node/node_modules/graphql-ws ] && [ -d tests/node/node_modules/@graphql-hive/gateway ]; } \
            || (cd tests/node && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
        scripts/http-audit.sh target/debug/tenancy-gateway
        # Live changes through the npm graphql-ws and graphql-sse clients, two replicas on PostgreSQL.
        PG_URL="${PG_URL:-}" node tests/node/subscriptions.mjs target/debug/tenancy-gateway
        # Our subgraph and a catalog subgraph composed by Apollo and The Guild, queried through
        # @apollo/gateway and Hive Gateway; subscriptions routed by Hive Gateway (SSE and WebSocket).
        APOLLO_TELEMETRY_DISABLED=true node tests/node/federation.mjs target/debug/tenancy-gateway
        # Behind Caddy as Tutor routes it: queries, SSE and WebSocket subscriptions, forwarded host.
        if command -v caddy >/dev/null; then
            node tests/node/proxy.mjs target/debug/tenancy-gateway
        else
            echo "skipped the Caddy check: install caddy (apt-get install -y caddy)" >&2
        fi
    elif [ -n "${CI:-}" ]; then
        echo "CI needs node and npm for the GraphQL-over-HTTP audit" >&2
        exit 1
    else
        echo "skipped the GraphQL-over-HTTP audit: install node and npm" >&2
    fi
fi

if [ $# -eq 0 ]; then
    # The container image of the dist binary, built, saved, loaded and run with podman
    # (without podman the check says so in one line; in CI it fails).
    if [ -n "$release_build" ] && ! wait "$release_build"; then
        cat target/release-build.log >&2
        exit 1
    fi
    bash scripts/image-check.sh target/dist/tenancy-gateway
fi
