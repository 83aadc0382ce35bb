#!/usr/bin/env bash
# Import benchmark: an LMS database with ORGS organizations and LINKS course links
# (default 10,000 and 1,000,000), made by the real edx-organizations' migrations and filled in
# bulk (tests/python/orgs_peer/fill_bulk.py), on MariaDB and on PostgreSQL started here; each
# imported with the release binary into a fresh SQLite file and a fresh PostgreSQL database,
# then imported again, which must change nothing. Prints a table of wall time and peak RSS.
# ORGS=1000 LINKS=100000 for a quick run.
set -euo pipefail
cd "$(dirname "$0")/.."
ORGS=${ORGS:-10000}
LINKS=${LINKS:-1000000}
# shellcheck source=bench/common.sh
source bench/common.sh
work=$(mktemp -d /tmp/tenancy-import-bench.XXXXXX)
pg_start
mariadb_start
trap 'pg_stop; mariadb_stop; rm -rf "$work"' EXIT
pg_base=${PG_URL%/*}

psql -q "$PG_URL" -c "CREATE DATABASE lms_source" -c "CREATE DATABASE target_1" -c "CREATE DATABASE target_2"
mariadb -h 127.0.0.1 -P "$MARIADB_PORT" -u root -e "CREATE DATABASE lms_source CHARACTER SET utf8mb4"
declare -A sources=(
    [mariadb]="mysql://root@127.0.0.1:$MARIADB_PORT/lms_source"
    [postgres]="$pg_base/lms_source"
)
for engine in mariadb postgres; do
    start=$(date +%s.%N)
    ORGS_PEER_DATABASE="${sources[$engine]}" "$venv/bin/python" tests/python/orgs_peer/fill_bulk.py "$ORGS" "$LINKS"
    printf 'filled %s with %s organizations and %s links in %.1f s\n' "$engine" "$ORGS" "$LINKS" \
        "$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')" >&2
done

# One run: prints "seconds peak-MiB", and keeps the plan it printed in $work/last.
run() {
    local target=$1 source=$2
    /usr/bin/time -f '%e %M' -o "$work/time" "$bin" import --database-url "$target" \
        --lms-database "$source" --lms-media-url https://lms.example/media/ --apply \
        >"$work/last" 2>"$work/err" \
        || { cat "$work/err" >&2; exit 1; }
    read -r seconds kib <"$work/time"
    echo "$seconds $((kib / 1024))"
}

echo
echo "| source | target | run | time | peak RSS | plan |"
echo "| --- | --- | --- | --- | --- | --- |"
n=0
for engine in mariadb postgres; do
    for target_engine in sqlite postgres; do
        n=$((n + 1))
        if [ "$target_engine" = sqlite ]; then
            target="sqlite://$work/target_$n.db?mode=rwc"
        else
            psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS target_pg" -c "CREATE DATABASE target_pg"
            target="$pg_base/target_pg"
        fi
        read -r seconds mib < <(run "$target" "${sources[$engine]}")
        summary=$(awk '/^organizations|^course links/ {printf "%s%s +%s ~%s =%s", sep, $1 == "course" ? "links" : "orgs", $(NF-2), $(NF-1), $NF; sep="; "}' "$work/last")
        echo "| $engine | $target_engine | first | ${seconds} s | ${mib} MiB | $summary |"
        read -r seconds mib < <(run "$target" "${sources[$engine]}")
        summary=$(awk '/^organizations|^course links/ {printf "%s%s +%s ~%s =%s", sep, $1 == "course" ? "links" : "orgs", $(NF-2), $(NF-1), $NF; sep="; "}' "$work/last")
        echo "| $engine | $target_engine | again | ${seconds} s | ${mib} MiB | $summary |"
        # A re-run must change nothing: no created or updated row in any table.
        if awk '/^conflicts/ { exit } NR > 2 && NF >= 4 && ($(NF-2) != 0 || $(NF-1) != 0) { bad = 1 } END { exit !bad }' "$work/last"; then
            echo "the second import changed rows:" >&2
            cat "$work/last" >&2
            exit 1
        fi
    done
done
