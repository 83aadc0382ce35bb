# shellcheck shell=bash
# Starts a tenancy-gateway binary on a temporary SQLite database and a free port, for the
# browser and protocol checks. Source it, then `serve_temp BIN`: sets BASE (http://ADDR) and
# stops the server and removes the database on exit.

serve_temp() {
    local bin=$1
    SERVE_WORK=$(mktemp -d)
    trap 'serve_temp_stop' EXIT
    "$bin" serve --listen 127.0.0.1:0 --database-url "sqlite://$SERVE_WORK/tenancy.db?mode=rwc" \
        >"$SERVE_WORK/out" 2>"$SERVE_WORK/err" &
    SERVE_PID=$!
    for _ in $(seq 100); do
        grep -q '^listening on ' "$SERVE_WORK/out" 2>/dev/null && break
        sleep 0.1
    done
    BASE=$(sed -n 's/^listening on //p' "$SERVE_WORK/out")
    [ -n "$BASE" ] || { cat "$SERVE_WORK/err" >&2; echo "server did not start" >&2; return 1; }
    export BASE
}

serve_temp_stop() {
    [ -n "${SERVE_PID:-}" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null || true
    [ -n "${SERVE_WORK:-}" ] && rm -rf "$SERVE_WORK"
}
