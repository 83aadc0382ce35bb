#!/usr/bin/env python3
"""Scaling table (driven by bench/run.sh): does a `first: 10` page cost the same over
1,000, 100,000 and 1,000,000 rows?

For each engine (SQLite, PostgreSQL) and size N, a fresh database is migrated by the binary and
filled with bulk SQL (not GraphQL: a million rows through mutations would take hours): N
organizations, one of which ("BigX") has N course links. Two lists are measured with wrk:
top-level `organizations(first: 10)` and nested `organization(shortName: "BigX") { courses(first:
10) }`. The acceptance: at each engine and list, the largest size's req/s within 2x of the
smallest's. Standard library only; PostgreSQL is reached through `psql` (PG_URL names a server
whose user may create databases; bench/run.sh starts a throwaway one with scripts/pg.sh).
"""
import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the side-by-side bench's helpers: servers, wrk, tables)

# Only what a page shows: no totalCount, which counts the whole list by design.
Q_TOP = ("{ organizations(first: 10) { edges { cursor node { shortName name } } "
         "pageInfo { hasNextPage endCursor } } }")
Q_NESTED = ('{ organization(shortName: "BigX") { shortName courses(first: 10) { edges { cursor '
            "node { courseKey } } pageInfo { hasNextPage endCursor } } } }")
STAMP = "2024-01-01T00:00:00+00:00"


def check_top(raw):
    d = json.loads(raw)
    assert not d.get("errors"), raw[:300]
    page = d["data"]["organizations"]
    assert len(page["edges"]) == 10 and page["pageInfo"]["hasNextPage"], raw[:300]


def check_nested(raw):
    d = json.loads(raw)
    assert not d.get("errors"), raw[:300]
    page = d["data"]["organization"]["courses"]
    assert len(page["edges"]) == 10 and page["pageInfo"]["hasNextPage"], raw[:300]


LISTS = [("organizations(first: 10)", Q_TOP, check_top),
         ("BigX courses(first: 10)", Q_NESTED, check_nested)]


def fill_sqlite(path, n):
    """N organizations (BigX and N - 1 others) and N course links of BigX, in one transaction."""
    db = sqlite3.connect(path)
    with db:
        db.execute("INSERT INTO organization (short_name, short_name_key, name, active, created, "
                   "modified) VALUES ('BigX', 'bigx', 'Big X', 1, ?, ?)", (STAMP, STAMP))
        big = db.execute("SELECT id FROM organization WHERE short_name_key = 'bigx'").fetchone()[0]
        db.execute(
            "INSERT INTO organization (short_name, short_name_key, name, active, created, modified) "
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
            "SELECT printf('Org%07d', i), printf('org%07d', i), printf('Organization %d', i), 1, "
            "?, ? FROM s", (n - 1, STAMP, STAMP))
        db.execute(
            "INSERT INTO course_link (organization_id, course_key, active, created, modified, "
            "position) WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
            "SELECT ?, printf('course-v1:BigX+C%07d+2024_T1', i), 1, ?, ?, i FROM s",
            (n, big, STAMP, STAMP))
    db.execute("ANALYZE")
    db.close()


def psql(url, sql):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True,
                   capture_output=True, text=True)


def fill_postgres(url, n):
    psql(url, f"""
    BEGIN;
    INSERT INTO organization (short_name, short_name_key, name, active, created, modified)
      VALUES ('BigX', 'bigx', 'Big X', true, '{STAMP}', '{STAMP}');
    INSERT INTO organization (short_name, short_name_key, name, active, created, modified)
      SELECT 'Org' || lpad(i::text, 7, '0'), 'org' || lpad(i::text, 7, '0'),
             'Organization ' || i, true, '{STAMP}', '{STAMP}' FROM generate_series(1, {n - 1}) i;
    INSERT INTO course_link (organization_id, course_key, active, created, modified, position)
      SELECT (SELECT id FROM organization WHERE short_name_key = 'bigx'),
             'course-v1:BigX+C' || lpad(i::text, 7, '0') || '+2024_T1', true, '{STAMP}',
             '{STAMP}', i FROM generate_series(1, {n}) i;
    COMMIT;""")
    # As after any bulk load (autovacuum would get there later): statistics, and a visibility
    # map so that the first readers do not pay for setting hint bits.
    psql(url, "VACUUM ANALYZE")


def with_database(url, name):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


class Server(bench.Ours):
    """The release binary on a given database URL (bench.Ours: start, stop, metrics)."""

    def __init__(self, binary, workdir, url, extra_env):
        super().__init__(binary, workdir)
        self.env.update(extra_env)
        self.env["DATABASE_URL"] = url


def measure(server, query, check, args, workdir, tag):
    """req/s and latency under wrk, and statements per request over 10 sequential requests."""
    body = {"query": query, "variables": {}}
    status, raw = bench.http("POST", server.base + "/graphql", body)
    assert status == 200, (status, raw[:300])
    check(raw)
    for _ in range(20):
        bench.http("POST", server.base + "/graphql", body)
    if args.warmup > 0:
        warm = argparse.Namespace(**vars(args))
        warm.duration = args.warmup
        bench.run_wrk(server, "POST", "/graphql", body, warm, workdir, tag + ".warmup")
    bench.settle(server)
    load = bench.loadavg()
    w = bench.run_wrk(server, "POST", "/graphql", body, args, workdir, tag)
    req0, st0 = bench.settle(server)
    for _ in range(10):
        bench.http("POST", server.base + "/graphql", body)
    req1, st1 = server.metrics()
    return {"req_per_s": w["requests"] / (w["duration_us"] / 1e6), "p50_ms": w["p50_us"] / 1000,
            "p99_ms": w["p99_us"] / 1000, "non2xx": w["non2xx"],
            "sql_per_request": (st1 - st0) / (req1 - req0), "load": load}


def run_engine(engine, n, args, workdir, extra_env):
    if engine == "sqlite":
        path = os.path.join(workdir, f"scale-{n}.sqlite")
        url = f"sqlite://{path}?mode=rwc"
    else:
        name = f"tenancy_scale_{n}"
        psql(args.postgres_url, f"DROP DATABASE IF EXISTS {name}")
        psql(args.postgres_url, f"CREATE DATABASE {name}")
        url = with_database(args.postgres_url, name)
    server = Server(args.binary, workdir, url, extra_env)
    try:
        server.cli("migrate")
        t = time.perf_counter()
        fill_sqlite(path, n) if engine == "sqlite" else fill_postgres(url, n)
        bench.log(f"  {engine} {n:,} rows filled in {time.perf_counter() - t:.1f} s")
        server.start()
        try:
            return {label: measure(server, q, check, args, workdir, f"scale-{engine}-{n}-{i}")
                    for i, (label, q, check) in enumerate(LISTS)}
        finally:
            server.stop()
    finally:
        if engine == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
        else:
            psql(args.postgres_url, f"DROP DATABASE IF EXISTS {name}")


def report(results, sizes, args):
    headers = ["engine", "list", "rows", "req/s", "p50 ms", "p99 ms", "SQL/request",
               "vs smallest"]
    rows, verdicts = [], []
    for engine, by_size in results.items():
        for label, _, _ in LISTS:
            base = by_size[sizes[0]][label]["req_per_s"]
            for n in sizes:
                r = by_size[n][label]
                rows.append([engine, label, f"{n:,}", bench.fmt(r["req_per_s"], 0),
                             bench.fmt(r["p50_ms"], 2), bench.fmt(r["p99_ms"], 2),
                             f"{r['sql_per_request']:g}", f"{base / r['req_per_s']:.2f}x"])
            slow = base / by_size[sizes[-1]][label]["req_per_s"]
            verdicts.append(f"  [{'met' if slow <= 2 else 'MISSED'}] {engine}, {label}: "
                            f"{sizes[-1]:,} rows at {slow:.2f}x the time of {sizes[0]:,} "
                            f"(req/s ratio; at most 2x)")
    loads = [r["load"] for by in results.values() for s in by.values() for r in s.values()]
    lines = [f"Scaling: wrk {args.threads} threads, {args.connections} connections, "
             f"{args.duration} s per cell after {args.warmup} s warm-up; 1-minute load "
             f"{min(loads):.2f} to {max(loads):.2f}", "", bench.table(rows, headers), "",
             "Targets:", *verdicts]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--sizes", default="1000,100000,1000000")
    ap.add_argument("--engines", default="sqlite,postgres")
    ap.add_argument("--postgres-url", default=os.environ.get("PG_URL", ""))
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--server-env", default="{}",
                    help="JSON object of extra environment for the server (e.g. a cache switch)")
    args = ap.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    engines = [e for e in args.engines.split(",") if e]
    if "postgres" in engines and not args.postgres_url:
        bench.log("no PostgreSQL URL (PG_URL): scaling on SQLite only")
        engines.remove("postgres")
    workdir = tempfile.mkdtemp(prefix="tenancy-scale-")
    results = {}
    try:
        for engine in engines:
            results[engine] = {}
            for n in sizes:
                bench.log(f"scaling: {engine}, {n:,} rows")
                results[engine][n] = run_engine(engine, n, args, workdir,
                                                json.loads(args.server_env))
    finally:
        bench.stop_all()
    text = report(results, sizes, args)
    with open(os.path.join(args.out, "scale.md"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(args.out, "scale.json"), "w") as f:
        json.dump({e: {str(n): v for n, v in by.items()} for e, by in results.items()}, f,
                  indent=1)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
