#!/usr/bin/env python3
"""Side-by-side benchmark of tenancy-gateway and edx-organizations (driven by bench/run.sh).

Loads the same data into both (1,000 organizations with 5 course links each), drives both with
wrk at the same concurrency and duration, and measures req/s, p50, p99, peak RSS and SQL
statements per request. Writes bench/out/results.csv, results.md and results.svg.
Standard library only; every server it starts listens on 127.0.0.1 and is stopped at exit.
"""
import argparse
import csv
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ORGS = 1000
COURSES = 5
NESTED_ORGS = 200
SMALL_ORGS = 5
ENTITY_REPS = 5050
JWT_SECRET = "bench-only-secret-of-at-least-32-bytes"
LOOKUP_NAME = "Org0500"


def short_name(i):
    return f"Org{i:04d}"


def course_key(i, c):
    return f"course-v1:{short_name(i)}+C{c}+2024_T1"


# The same fields on both sides: what edx-organizations' OrganizationSerializer returns.
ORG_FIELDS = "id shortName name description logoUrl active created modified"
Q_SINGLE = "query($s: String!) { organization(shortName: $s) { %s } }" % ORG_FIELDS
Q_LIST = "{ organizations(first: 1000) { edges { node { %s } } } }" % ORG_FIELDS
# partner -> organizations -> courses -> organization: four levels.
Q_NESTED = (
    "query($p: String!) { partner(shortCode: $p) { shortCode organizations(first: 1000) "
    "{ totalCount edges { node { shortName courses { totalCount edges { node { courseKey "
    "organization { shortName } } } } } } } } }"
)
Q_ENTITIES = (
    "query($r: [_Any!]!) { _entities(representations: $r) { __typename "
    "... on Organization { shortName } ... on Partner { shortCode } ... on Site { domain } "
    "... on Course { courseKey organization { shortName } } } }"
)

PEER_BASE = "/api/organizations/v0/organizations/"

# tenancy-gateway's side-by-side rows, one per response-cache mode: (label, extra server
# environment). "cold" is every request running its query (no response cache); "warm" answers
# a repeated query from the response cache (wrk repeats one request, so all but the first are
# hits). BENCH_RESPONSE_CACHE=false|true measures only one of them.
OURS_MODES = [(mode, {"TENANCY_RESPONSE_CACHE": value})
              for mode, value in [("cold", "false"), ("warm", "true")]
              if os.environ.get("BENCH_RESPONSE_CACHE", value) == value]


def ours_key(mode):
    return f"ours {mode}"

CHILDREN = []  # Popen objects still to stop at exit


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None, timeout=60):
    data = None
    hdrs = {"accept": "application/json"}
    if body is not None:
        data = json.dumps(body).encode()
        hdrs["content-type"] = "application/json"
    hdrs.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def gql(base, query, variables=None, token=None, timeout=60):
    headers = {"authorization": f"Bearer {token}"} if token else {}
    status, raw = http("POST", base + "/graphql", {"query": query, "variables": variables or {}},
                       headers, timeout)
    body = json.loads(raw)
    if status != 200 or body.get("errors"):
        raise RuntimeError(f"GraphQL {status}: {raw[:500]!r}")
    return body["data"], len(raw)


def vm_hwm_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def children_of(pid):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may contain spaces.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(entry))
    return out


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (OSError, urllib.error.URLError, RuntimeError, ValueError):
            pass
        time.sleep(0.005)
    raise RuntimeError(f"timed out waiting for {what}")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc in CHILDREN:
        CHILDREN.remove(proc)


def stop_all():
    for proc in list(CHILDREN):
        stop(proc)


# ---------------------------------------------------------------------------------------------
# tenancy-gateway


class Ours:
    name = "tenancy-gateway"

    def __init__(self, binary, workdir):
        self.binary = binary
        self.db = os.path.join(workdir, "tenancy.sqlite")
        self.env = dict(os.environ, DATABASE_URL=f"sqlite://{self.db}?mode=rwc",
                        TENANCY_JWT_SECRET=JWT_SECRET, RUST_LOG="warn",
                        # wrk's 16 connections stand for 16 clients behind one address.
                        TENANCY_MAX_INFLIGHT_PER_CLIENT="1024")
        self.mode_env = {}  # the response-cache mode being measured (OURS_MODES)
        self.proc = None
        self.port = None

    def cli(self, *args, stdin=None):
        return subprocess.run([self.binary, *args], env=self.env, check=True, text=True,
                              capture_output=True, input=stdin)

    def start(self, port=None):
        self.port = port or free_port()
        self.proc = subprocess.Popen([self.binary, "serve", "--listen", f"127.0.0.1:{self.port}"],
                                     env=dict(self.env, **self.mode_env), stdout=subprocess.DEVNULL)
        CHILDREN.append(self.proc)
        wait_until(lambda: http("GET", self.base + "/readyz", timeout=1)[0] == 200, 30,
                   "tenancy-gateway /readyz")

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        stop(self.proc)

    def pids(self):
        return [self.proc.pid]

    def metrics(self):
        _, raw = http("GET", self.base + "/metrics")
        text = raw.decode()
        m = re.search(r"^tenancy_sql_statements_total (\d+)", text, re.M)
        statements = int(m.group(1)) if m else 0
        requests = sum(int(float(v)) for v in re.findall(
            r'^tenancy_http_requests_total\{[^}]*route="/graphql"[^}]*\} (\S+)', text, re.M))
        return requests, statements

    def load(self):
        self.cli("migrate")
        help_text = self.cli("--help").stdout
        keys = [course_key(i, c) for i in range(1, ORGS + 1) for c in range(1, COURSES + 1)]
        token = self.cli("token", "--subject", "bench", "--administrator").stdout.strip()
        if re.search(r"^\s+backfill\b", help_text, re.M):
            how = "CLI `tenancy-gateway backfill --apply` (5,000 course keys)"
            keys_file = os.path.join(os.path.dirname(self.db), "keys.txt")
            with open(keys_file, "w") as f:
                f.write("\n".join(keys) + "\n")
            self.cli("backfill", "--apply", keys_file)
            self.start()
        else:
            how = "GraphQL mutations ensureOrganization + linkCourse (admin token)"
            self.start()
            for i in range(1, ORGS + 1):
                s = short_name(i)
                fields = [f'o: ensureOrganization(shortName: "{s}", name: "{s}") {{ created }}']
                fields += [f'l{c}: linkCourse(courseKey: "{course_key(i, c)}") {{ created }}'
                           for c in range(1, COURSES + 1)]
                gql(self.base, "mutation { %s }" % " ".join(fields), token=token)
        # Partners for the nested query: 200 members and 5 members.
        for code, first, count in (("bench200", 1, NESTED_ORGS), ("bench5", 201, SMALL_ORGS)):
            gql(self.base, 'mutation { createPartner(input: {shortCode: "%s", name: "Partner %s"})'
                ' { shortCode } }' % (code, code), token=token)
            for start in range(first, first + count, 20):
                fields = [f'a{i}: addOrganizationToPartner(partner: "{code}", '
                          f'organization: "{short_name(i)}") {{ shortCode }}'
                          for i in range(start, min(start + 20, first + count))]
                gql(self.base, "mutation { %s }" % " ".join(fields), token=token)
        data, _ = gql(self.base, "{ organizations(first: 1) { totalCount } "
                      "organization(shortName: \"Org1000\") { courses { totalCount } } "
                      "partner(shortCode: \"bench200\") { organizations { totalCount } } }")
        assert data["organizations"]["totalCount"] == ORGS, data
        assert data["organization"]["courses"]["totalCount"] == COURSES, data
        assert data["partner"]["organizations"]["totalCount"] == NESTED_ORGS, data
        self.stop()
        return how


# ---------------------------------------------------------------------------------------------
# edx-organizations


class Peer:
    name = "edx-organizations"

    def __init__(self, python, workdir):
        self.python = python
        self.dir = os.path.join(workdir, "peer")
        shutil.copytree(os.path.join(HERE, "peer"), self.dir)
        self.env = dict(os.environ, BENCH_PEER_DB=os.path.join(workdir, "peer.sqlite3"),
                        DJANGO_SETTINGS_MODULE="benchproj.settings", PYTHONPATH=self.dir)
        self.gunicorn = os.path.join(os.path.dirname(python), "gunicorn")
        self.proc = None
        self.port = None

    def manage(self, *args):
        return subprocess.run([self.python, "manage.py", *args], cwd=self.dir, env=self.env,
                              check=True, text=True, capture_output=True)

    def load(self):
        self.manage("migrate", "-v", "0")
        out = self.manage("load_bench", "--organizations", str(ORGS), "--courses", str(COURSES))
        assert out.stdout.strip() == f"{ORGS} organizations, {ORGS * COURSES} course links", out
        return "manage.py load_bench (ORM bulk_create)"

    def start(self, port=None):
        self.port = port or free_port()
        self.proc = subprocess.Popen(
            [self.gunicorn, "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{self.port}",
             "benchproj.wsgi"], cwd=self.dir, env=self.env, stdout=subprocess.DEVNULL)
        CHILDREN.append(self.proc)
        wait_until(lambda: http("GET", self.base + "/bench/stats", timeout=1)[0] == 200, 60,
                   "gunicorn")
        # Both workers up before measuring.
        wait_until(lambda: len(children_of(self.proc.pid)) >= 2, 30, "gunicorn workers")

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        stop(self.proc)

    def pids(self):
        return [self.proc.pid, *children_of(self.proc.pid)]

    def metrics(self):
        _, raw = http("GET", self.base + "/bench/stats")
        s = json.loads(raw)
        return s["requests"], s["statements"]


# ---------------------------------------------------------------------------------------------
# scenarios


def scenario_requests(workdir):
    """name -> {server -> (method, path, body, check(raw) -> None)}"""

    def gql_body(query, variables=None):
        return {"query": query, "variables": variables or {}}

    def check_single_ours(raw):
        d = json.loads(raw)
        assert not d.get("errors") and d["data"]["organization"]["shortName"] == LOOKUP_NAME, raw

    def check_single_peer(raw):
        assert json.loads(raw)["short_name"] == LOOKUP_NAME, raw[:300]

    def check_list_ours(raw):
        d = json.loads(raw)
        assert not d.get("errors") and len(d["data"]["organizations"]["edges"]) == ORGS, raw[:300]

    def check_list_peer(raw):
        d = json.loads(raw)
        assert isinstance(d, list) and len(d) == ORGS, raw[:300]

    def check_nested(raw):
        d = json.loads(raw)
        assert not d.get("errors"), raw[:300]
        edges = d["data"]["partner"]["organizations"]["edges"]
        assert len(edges) == NESTED_ORGS, len(edges)
        assert all(len(e["node"]["courses"]["edges"]) == COURSES for e in edges)
        e = edges[0]["node"]
        assert e["courses"]["edges"][0]["node"]["organization"]["shortName"] == e["shortName"]

    return {
        "single lookup": {
            "ours": ("POST", "/graphql", gql_body(Q_SINGLE, {"s": LOOKUP_NAME}), check_single_ours),
            "peer": ("GET", f"{PEER_BASE}{LOOKUP_NAME}/", None, check_single_peer),
        },
        "list 1,000 organizations": {
            "ours": ("POST", "/graphql", gql_body(Q_LIST), check_list_ours),
            "peer": ("GET", PEER_BASE, None, check_list_peer),
        },
        "nested 4 levels, 200 organizations": {
            "ours": ("POST", "/graphql", gql_body(Q_NESTED, {"p": "bench200"}), check_nested),
        },
    }


def settle(server, timeout=60):
    """Wait until the requests that wrk left in flight are answered (the server's own request
    counter stops moving), so that statements and requests are counted over the same requests."""
    deadline = time.monotonic() + timeout
    last = server.metrics()
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = server.metrics()
        if now == last:
            return now
        last = now
    return last


def run_wrk(server, method, path, body, args, workdir, tag):
    body_file = ""
    if body is not None:
        body_file = os.path.join(workdir, f"{tag}.json")
        with open(body_file, "w") as f:
            json.dump(body, f)
    result = os.path.join(workdir, f"{tag}.result.json")
    env = dict(os.environ, BENCH_METHOD=method, BENCH_PATH=path, BENCH_BODY_FILE=body_file,
               BENCH_RESULT=result, BENCH_HOST=f"127.0.0.1:{server.port}")
    lua = os.path.join(HERE, "wrk", "request.lua")
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.duration}s",
           "--timeout", "10s", "-s", lua, server.base]
    subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    with open(result) as f:
        return json.load(f)


def measure(server, method, path, body, check, args, workdir, tag):
    server.start()
    try:
        status, raw = http(method, server.base + path, body)
        assert status == 200, (status, raw[:300])
        check(raw)
        # Warm-up: connections, caches, the peer's lazy imports.
        for _ in range(20):
            http(method, server.base + path, body)
        if args.warmup > 0:
            warm = argparse.Namespace(**vars(args))
            warm.duration = args.warmup
            run_wrk(server, method, path, body, warm, workdir, tag + ".warmup")
        req0, st0 = settle(server)
        load_start = loadavg()
        w = run_wrk(server, method, path, body, args, workdir, tag)
        req1, st1 = settle(server)
        load_end = loadavg()
        # The same count over 10 sequential requests, none cut off by the end of the run.
        for _ in range(10):
            http(method, server.base + path, body)
        req2, st2 = server.metrics()
        rss_kib = sum(vm_hwm_kib(pid) for pid in server.pids())
        served = req1 - req0
        return {
            "requests": w["requests"],
            "req_per_s": w["requests"] / (w["duration_us"] / 1e6),
            "p50_ms": w["p50_us"] / 1000.0,
            "p99_ms": w["p99_us"] / 1000.0,
            "peak_rss_mib": rss_kib / 1024.0,
            "processes": len(server.pids()),
            "server_requests": served,
            "sql_per_request": (st1 - st0) / served if served else float("nan"),
            "sql_per_request_sequential": (st2 - st1) / (req2 - req1) if req2 > req1 else float("nan"),
            "non2xx": w["non2xx"],
            "socket_errors": w["socket_errors"],
            "response_bytes": len(raw),
            "load_start": load_start,
            "load_end": load_end,
        }
    finally:
        server.stop()


def statements_of(server, query, variables):
    r0, s0 = server.metrics()
    gql(server.base, query, variables)
    r1, s1 = server.metrics()
    assert r1 - r0 == 1, (r0, r1)
    return s1 - s0


def entities_probe(ours, rounds=20):
    reps = []
    for i in range(ENTITY_REPS):
        k = i % 4
        if k == 0:
            reps.append({"__typename": "Organization", "shortName": short_name(i % ORGS + 1)})
        elif k == 1:
            reps.append({"__typename": "Partner", "shortCode": "bench200" if i % 8 == 1 else "bench5"})
        elif k == 2:
            reps.append({"__typename": "Site", "domain": f"site{i}.example"})  # unknown: null
        else:
            reps.append({"__typename": "Course", "courseKey": course_key(i % ORGS + 1, i % COURSES + 1)})
    ours.start()
    try:
        data, size = gql(ours.base, Q_ENTITIES, {"r": reps})
        ents = data["_entities"]
        assert len(ents) == ENTITY_REPS, len(ents)
        assert ents[0]["shortName"] == short_name(1) and ents[2] is None, ents[:4]
        assert ents[3]["organization"]["shortName"] == short_name(4), ents[3]
        for _ in range(3):
            gql(ours.base, Q_ENTITIES, {"r": reps})
        times = []
        r0, s0 = ours.metrics()
        for _ in range(rounds):
            t = time.perf_counter()
            gql(ours.base, Q_ENTITIES, {"r": reps})
            times.append((time.perf_counter() - t) * 1000)
        r1, s1 = ours.metrics()
        times.sort()
        return {"p50_ms": statistics.median(times), "max_ms": times[-1],
                "sql_per_request": (s1 - s0) / (r1 - r0), "rounds": rounds,
                "response_bytes": size,
                "body_bytes": len(json.dumps({"query": Q_ENTITIES, "variables": {"r": reps}}))}
    finally:
        ours.stop()


def cold_start(server, first_answer, rounds=5):
    """Spawn the server, time until the first successful answer (polling every 5 ms)."""
    times = []
    for _ in range(rounds):
        port = free_port()
        t = time.perf_counter()
        # start() below polls a readiness endpoint first; time the real first answer instead.
        if isinstance(server, Ours):
            server.port = port
            server.proc = subprocess.Popen(
                [server.binary, "serve", "--listen", f"127.0.0.1:{port}"], env=server.env,
                stdout=subprocess.DEVNULL)
        else:
            server.port = port
            server.proc = subprocess.Popen(
                [server.gunicorn, "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}",
                 "benchproj.wsgi"], cwd=server.dir, env=server.env, stdout=subprocess.DEVNULL)
        CHILDREN.append(server.proc)
        try:
            wait_until(lambda: first_answer(server), 60, f"{server.name} first answer")
            times.append((time.perf_counter() - t) * 1000)
        finally:
            server.stop()
    return statistics.median(times), times


def ours_first_answer(server):
    data, _ = gql(server.base, Q_SINGLE, {"s": LOOKUP_NAME}, timeout=2)
    return data["organization"]["shortName"] == LOOKUP_NAME


def peer_first_answer(server):
    status, raw = http("GET", f"{server.base}{PEER_BASE}{LOOKUP_NAME}/", timeout=2)
    return status == 200 and json.loads(raw)["short_name"] == LOOKUP_NAME


# ---------------------------------------------------------------------------------------------
# output


def fmt(v, digits=1):
    if v is None or (isinstance(v, float) and v != v):
        return "-"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}"


def table(rows, headers):
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |"
    sep = "| " + " | ".join("-" * w for w in widths) + " |"
    body = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    return "\n".join([line, sep, *body])


def write_svg(path, results):
    """A hand-written bar chart: req/s per scenario and server (log scale), ratio labels."""
    shared = [s for s in results if "peer" in results[s]]
    width, row_h, left = 820, 34, 260
    groups = []
    for s in results:
        for who in results[s]:
            groups.append((s, who, results[s][who]["req_per_s"]))
    import math
    vmax = max(v for _, _, v in groups)
    lmax = math.log10(max(vmax, 10)) + 0.2
    height = 70 + row_h * len(groups) + 40
    colors = {"ours": "#2b6cb0", "peer": "#c05621"}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="13">',
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="24" font-size="16" font-weight="bold">Requests per second '
           '(log scale), same data, same wrk load</text>',
           f'<text x="10" y="44" fill="#555">blue: tenancy-gateway, orange: edx-organizations '
           f'(gunicorn, 2 workers)</text>']
    y = 62
    plot_w = width - left - 120
    for s, who, v in groups:
        bar = max(2, plot_w * math.log10(max(v, 1)) / lmax)
        ours = who.startswith(("ours", "before"))
        label = f"{s} ({who.replace('ours ', '')})" if ours else ""
        out.append(f'<text x="10" y="{y + 21}">{label}</text>')
        out.append(f'<rect x="{left}" y="{y + 6}" width="{bar:.1f}" height="{row_h - 12}" '
                   f'fill="{colors["ours" if ours else "peer"]}"/>')
        txt = f"{v:,.0f} req/s"
        if ours and s in shared:
            txt += f"  ({v / results[s]['peer']['req_per_s']:,.1f}x)"
        out.append(f'<text x="{left + bar + 6:.1f}" y="{y + 21}">{txt}</text>')
        y += row_h
    out.append(f'<text x="10" y="{y + 24}" fill="#555">bench/run.sh; see bench/out/results.csv '
               f'for p50, p99, peak RSS and SQL statements per request</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def machine_description():
    def sh(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, shell=True).stdout.strip()
        except OSError:
            return ""
    model = sh("lscpu | sed -n 's/^Model name: *//p' | head -1")
    mem = sh("free -h | awk '/^Mem:/ {print $2}'")
    return f"{sh('nproc')} cores ({model}), {mem} memory"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--python", required=True, help="the peer's virtualenv python")
    ap.add_argument("--out", required=True)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--baseline", default="",
                    help="another tenancy-gateway binary (an earlier build) measured beside --binary "
                         "in the same run: its rows are labelled 'before'")
    ap.add_argument("--backfill-report", default="", help="output of cargo bench --bench backfill")
    ap.add_argument("--backfill-after", action="store_true",
                    help="run.sh runs the backfill bench after this script and appends its figures")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="tenancy-bench-")
    try:
        return run(args, workdir)
    finally:
        stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir):
    ours = Ours(args.binary, workdir)
    peer = Peer(args.python, workdir)
    log("loading tenancy-gateway ...")
    t = time.perf_counter()
    ours_how = ours.load()
    ours_load_s = time.perf_counter() - t
    log(f"  {ours_how}: {ours_load_s:.1f} s")
    # The earlier build, on its own copy of the same data (it may not know later migrations).
    baseline = None
    if args.baseline:
        base_dir = os.path.join(workdir, "baseline")
        os.makedirs(base_dir, exist_ok=True)
        baseline = Ours(args.baseline, base_dir)
        log("loading the baseline build ...")
        baseline.load()
    log("loading edx-organizations ...")
    t = time.perf_counter()
    peer_how = peer.load()
    peer_load_s = time.perf_counter() - t
    log(f"  {peer_how}: {peer_load_s:.1f} s")

    # The shipped edx-organizations routes refuse anonymous readers; the bench routes allow them.
    peer.start()
    shipped_status, _ = http("GET", f"{peer.base}/shipped/v0/organizations/{LOOKUP_NAME}/")
    peer.stop()

    results = {}
    for scenario, servers in scenario_requests(workdir).items():
        results[scenario] = {}
        for who, (method, path, body, check) in servers.items():
            if who == "ours":
                # The two builds alternate mode by mode, so a drift in the machine's load
                # touches both alike.
                runs = [(f"{label} {m}", env, server) for m, env in OURS_MODES
                        for label, server in (("ours", ours), ("before", baseline)) if server]
            else:
                runs = [(who, {}, peer)]
            for key, env, server in runs:
                server.mode_env = env
                log(f"{scenario}: {server.name}, {key} ({args.duration} s, "
                    f"{args.connections} connections)")
                tag = re.sub(r"\W+", "-", f"{scenario}-{key}")
                results[scenario][key] = measure(server, method, path, body, check, args, workdir,
                                                 tag)
    ours.mode_env = OURS_MODES[0][1]

    log("statements of the nested query at 5 and 200 organizations ...")
    ours.start()
    try:
        nested_5 = statements_of(ours, Q_NESTED, {"p": "bench5"})
        nested_200 = statements_of(ours, Q_NESTED, {"p": "bench200"})
    finally:
        ours.stop()
    log("_entities with 5,050 representations ...")
    entities = entities_probe(ours)
    log("cold start ...")
    cold_ours, cold_ours_all = cold_start(ours, ours_first_answer)
    cold_peer, cold_peer_all = cold_start(peer, peer_first_answer)

    # ---- report
    headers = ["scenario", "server", "cache", "req/s", "p50 ms", "p99 ms", "peak RSS MiB", "SQL/request",
               "req/s ratio", "p99 ratio"]
    rows, csv_rows = [], []
    for scenario, by in results.items():
        for who, r in by.items():
            is_ours = who.startswith(("ours", "before"))
            ratio = p99_ratio = None
            if is_ours and "peer" in by:
                ratio = r["req_per_s"] / by["peer"]["req_per_s"]
                p99_ratio = by["peer"]["p99_ms"] / r["p99_ms"]
            name = (ours.name if who.startswith("ours") else f"{ours.name} (before)") if is_ours \
                else peer.name
            cache = who.split(" ", 1)[1] if is_ours else ""
            rows.append([scenario, name, cache, fmt(r["req_per_s"], 0), fmt(r["p50_ms"], 2),
                         fmt(r["p99_ms"], 2), fmt(r["peak_rss_mib"], 1),
                         fmt(r["sql_per_request"], 2) + (
                             f' ({r["sql_per_request_sequential"]:g} seq.)'
                             if abs(r["sql_per_request"] - r["sql_per_request_sequential"]) > 0.005
                             else ""),
                         f"{ratio:,.1f}x" if ratio else "", f"{p99_ratio:,.1f}x" if p99_ratio else ""])
            csv_rows.append({"scenario": scenario, "server": name, "cache": cache,
                             "connections": args.connections, "duration_s": args.duration,
                             "requests": r["requests"], "req_per_s": round(r["req_per_s"], 1),
                             "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
                             "peak_rss_mib": round(r["peak_rss_mib"], 1),
                             "processes": r["processes"],
                             "sql_per_request": round(r["sql_per_request"], 3),
                             "sql_per_request_sequential": r["sql_per_request_sequential"],
                             "server_requests": r["server_requests"],
                             "non2xx": r["non2xx"], "socket_errors": r["socket_errors"],
                             "response_bytes": r["response_bytes"],
                             "req_per_s_ratio_ours_to_peer": round(ratio, 2) if ratio else "",
                             "p99_ratio_peer_to_ours": round(p99_ratio, 2) if p99_ratio else "",
                             "load_1m_start": r["load_start"], "load_1m_end": r["load_end"]})
    extra = [
        {"scenario": "_entities 5,050 representations (1 request)", "server": ours.name,
         "p50_ms": round(entities["p50_ms"], 2), "p99_ms": "", "requests": entities["rounds"],
         "sql_per_request": entities["sql_per_request"],
         "response_bytes": entities["response_bytes"]},
        {"scenario": "nested query statements at 5 organizations", "server": ours.name,
         "sql_per_request": nested_5},
        {"scenario": "nested query statements at 200 organizations", "server": ours.name,
         "sql_per_request": nested_200},
        {"scenario": "cold start to first answer (median of 5)", "server": ours.name,
         "p50_ms": round(cold_ours, 1)},
        {"scenario": "cold start to first answer (median of 5)", "server": peer.name,
         "p50_ms": round(cold_peer, 1)},
    ]
    csv_path = os.path.join(args.out, "results.csv")
    fields = list(csv_rows[0].keys())
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, restval="")
        w.writeheader()
        w.writerows(csv_rows)
        w.writerows(extra)
    write_svg(os.path.join(args.out, "results.svg"), results)

    ours_rss = max(r[w]["peak_rss_mib"] for r in results.values() for w in r
                   if w.startswith("ours"))
    single, listing = results["single lookup"], results["list 1,000 organizations"]
    cold = ours_key(OURS_MODES[0][0])
    targets = []
    for mode, _ in OURS_MODES:
        for what, by in (("single lookup", single), ("1,000-organization list", listing)):
            ratio = by[ours_key(mode)]["req_per_s"] / by["peer"]["req_per_s"]
            targets.append((f"{what} >= 20x the peer's req/s ({mode})", ratio >= 20,
                            f"{ratio:,.1f}x"))
    targets += [
        (f"single lookup p99 <= 5 ms at {args.connections} connections ({OURS_MODES[0][0]})",
         single[cold]["p99_ms"] <= 5, f"{single[cold]['p99_ms']:.2f} ms"),
        ("nested query statements identical at 5 and 200 organizations",
         nested_5 == nested_200, f"{nested_5} and {nested_200}"),
        ("tenancy-gateway peak RSS <= 64 MiB under load", ours_rss <= 64, f"{ours_rss:.1f} MiB"),
    ]

    loads = [r[w]["load_start"] for r in results.values() for w in r] + \
            [r[w]["load_end"] for r in results.values() for w in r]
    lines = []
    lines.append(f"Machine: {machine_description()}; 1-minute load during the runs "
                 f"{min(loads):.2f} to {max(loads):.2f}")
    lines.append(f"Load: wrk {args.threads} threads, {args.connections} connections, "
                 f"{args.duration} s per scenario after {args.warmup} s warm-up, loopback; "
                 f"a fresh server process per scenario")
    lines.append(f"Data: {ORGS:,} organizations x {COURSES} course links on both; "
                 f"tenancy-gateway loaded by {ours_how} in {ours_load_s:.1f} s, "
                 f"edx-organizations by {peer_how} in {peer_load_s:.1f} s")
    lines.append("")
    lines.append(table(rows, headers))
    lines.append("")
    lines.append(f"_entities, {ENTITY_REPS:,} mixed representations in one request: "
                 f"{entities['p50_ms']:.1f} ms median over {entities['rounds']} sequential requests "
                 f"(max {entities['max_ms']:.1f} ms), {entities['sql_per_request']:g} SQL statements")
    lines.append(f"Nested query (partner -> organizations -> courses -> organization): "
                 f"{nested_5} statements at {SMALL_ORGS} organizations, {nested_200} at "
                 f"{NESTED_ORGS}")
    lines.append(f"Cold start to first answer (spawn to first successful lookup, median of 5): "
                 f"tenancy-gateway {cold_ours:.0f} ms "
                 f"({', '.join(f'{x:.0f}' for x in cold_ours_all)}); edx-organizations/gunicorn "
                 f"{cold_peer:.0f} ms ({', '.join(f'{x:.0f}' for x in cold_peer_all)})")
    if args.backfill_report:
        lines.append("Backfill of 1,000,000 keys (cargo bench --bench backfill):")
        lines.extend("  " + l for l in args.backfill_report.strip().splitlines())
    elif args.backfill_after:
        lines.append("Backfill of 1,000,000 keys: cargo bench --bench backfill runs after the HTTP "
                     "scenarios (so that it does not load the machine during them); its figures "
                     "follow the targets")
    else:
        lines.append("Backfill of 1,000,000 keys: not run (BENCH_BACKFILL=0, or no `backfill` bench in "
                     "this checkout)")
    lines.append("SQL/request: tenancy-gateway = delta of tenancy_sql_statements_total over the run / "
                 "delta of tenancy_http_requests_total{route=\"/graphql\"}; edx-organizations = "
                 "statements seen by a bench middleware (connection.execute_wrapper), summed over both "
                 "workers in shared memory / requests it counted. \"(N seq.)\": the count over 10 "
                 "sequential requests after the run, shown when it differs: statements of requests "
                 "that the end of the run cut off (the client closed the connection while they ran) "
                 "are counted, but the requests are not answered, so not counted")
    lines.append("Peak RSS: VmHWM from /proc/PID/status after the run; for edx-organizations the sum over "
                 "the gunicorn master and its 2 workers (pages shared after fork count in each)")
    lines.append(f"Peer auth: the shipped organizations.v0 routes answer {shipped_status} to an "
                 f"anonymous reader; the bench routes are the same viewset with AllowAny")
    lines.append("")
    lines.append("Targets:")
    for what, ok, value in targets:
        lines.append(f"  [{'met' if ok else 'MISSED'}] {what}: {value}")
    lines.append("")
    lines.append(f"Written: {csv_path}, {os.path.join(args.out, 'results.svg')}, "
                 f"{os.path.join(args.out, 'results.md')}")
    report = "\n".join(lines)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(report + "\n")
    print(report)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        stop_all()
        sys.exit(130)
