# shellcheck shell=bash
# Throwaway PostgreSQL for tests and benchmarks: a cluster in a temp dir on a free loopback
# port, stopped and deleted by pg_stop. Source this file, then call pg_start; it exports
# PG_URL (a superuser URL on database "postgres").

pg_bin() {
    local name=$1
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
    if [ -n "$found" ] && [ -x "$found/$name" ]; then echo "$found/$name"; return; fi
    echo "PostgreSQL binary $name not found (install PostgreSQL 15+)" >&2
    return 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Runs a PostgreSQL binary as the postgres user when we are root (initdb refuses root).
pg_as_owner() {
    if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
    local initdb pg_ctl
    initdb=$(pg_bin initdb) && pg_ctl=$(pg_bin pg_ctl) || return 1
    PG_DIR=$(mktemp -d /tmp/tenancy-pg.XXXXXX)
    if [ "$(id -u)" = "0" ]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        chown postgres "$PG_DIR"
    fi
    PG_PORT=$(free_port)
    pg_as_owner "$initdb" -D "$PG_DIR/data" -U postgres --auth=trust --locale=C --encoding=UTF8 >"$PG_DIR/initdb.log" 2>&1 \
        || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    # Durability is pointless for a throwaway cluster; these make it fast.
    pg_as_owner "$pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
        start >/dev/null || { cat "$PG_DIR/server.log" >&2; return 1; }
    export PG_DIR PG_PORT PG_CTL=$pg_ctl
    export PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
    echo "PostgreSQL running at $PG_URL (data in $PG_DIR)" >&2
}

# A streaming replica of the cluster pg_start made (pg_basebackup -R over the loopback; initdb
# --auth=trust already lets 127.0.0.1 connect for replication, and wal_level defaults to
# replica), on a free port of its own. Exports PG_REPLICA_URL (database "postgres").
pg_replica_start() {
    local basebackup
    basebackup=$(pg_bin pg_basebackup) || return 1
    PG_REPLICA_PORT=$(free_port)
    pg_as_owner "$basebackup" -h 127.0.0.1 -p "$PG_PORT" -U postgres -D "$PG_DIR/replica" -R -X stream \
        >"$PG_DIR/basebackup.log" 2>&1 || { cat "$PG_DIR/basebackup.log" >&2; return 1; }
    pg_as_owner "$PG_CTL" -D "$PG_DIR/replica" -l "$PG_DIR/replica.log" -w -t 60 \
        -o "-p $PG_REPLICA_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400" \
        start >/dev/null || { cat "$PG_DIR/replica.log" >&2; return 1; }
    export PG_REPLICA_PORT
    export PG_REPLICA_URL="postgres://postgres@127.0.0.1:$PG_REPLICA_PORT/postgres"
    echo "PostgreSQL streaming replica at $PG_REPLICA_URL" >&2
}

pg_stop() {
    if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/replica" ]; then
        pg_as_owner "$PG_CTL" -D "$PG_DIR/replica" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
        pg_as_owner "$PG_CTL" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
    fi
}
