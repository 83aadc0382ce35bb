# shellcheck shell=bash
# Throwaway MariaDB for the import tests (Open edX runs MySQL): a server in a temp dir on a free
# loopback port, stopped and deleted by mariadb_stop. Source this file (after scripts/pg.sh,
# for free_port), then call mariadb_start; it exports MARIADB_URL (root, no password, database
# "mysql"). Debian: apt-get install mariadb-server.

mariadb_start() {
    local install_db mariadbd
    install_db=$(command -v mariadb-install-db) && mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd) \
        && [ -x "$mariadbd" ] || { echo "MariaDB not found (apt-get install mariadb-server)" >&2; return 1; }
    MARIADB_DIR=$(mktemp -d /tmp/tenancy-mariadb.XXXXXX)
    local user=()
    if [ "$(id -u)" = "0" ]; then
        id mysql >/dev/null 2>&1 || useradd --system --no-create-home mysql
        chown mysql "$MARIADB_DIR"
        user=(--user=mysql)
    fi
    MARIADB_PORT=$(free_port)
    "$install_db" --no-defaults "${user[@]}" --datadir="$MARIADB_DIR/data" --auth-root-authentication-method=normal \
        --skip-test-db >"$MARIADB_DIR/install.log" 2>&1 || { cat "$MARIADB_DIR/install.log" >&2; return 1; }
    # Durability is pointless for a throwaway server; these make it fast.
    "$mariadbd" --no-defaults "${user[@]}" --datadir="$MARIADB_DIR/data" --socket="$MARIADB_DIR/sock" \
        --pid-file="$MARIADB_DIR/pid" --bind-address=127.0.0.1 --port="$MARIADB_PORT" \
        --innodb-flush-log-at-trx-commit=0 --sync-binlog=0 --skip-log-bin \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
        >"$MARIADB_DIR/server.log" 2>&1 &
    MARIADB_PID=$!
    local i
    for i in $(seq 1 120); do
        [ -S "$MARIADB_DIR/sock" ] && break
        kill -0 "$MARIADB_PID" 2>/dev/null || { cat "$MARIADB_DIR/server.log" >&2; return 1; }
        sleep 0.25
    done
    export MARIADB_DIR MARIADB_PORT MARIADB_PID
    export MARIADB_URL="mysql://root@127.0.0.1:$MARIADB_PORT/mysql"
    echo "MariaDB running at $MARIADB_URL (data in $MARIADB_DIR)" >&2
}

mariadb_stop() {
    if [ -n "${MARIADB_PID:-}" ]; then
        kill "$MARIADB_PID" 2>/dev/null || true
        wait "$MARIADB_PID" 2>/dev/null || true
    fi
    if [ -n "${MARIADB_DIR:-}" ]; then rm -rf "$MARIADB_DIR"; fi
}
