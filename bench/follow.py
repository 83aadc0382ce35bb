"""Drives one follow benchmark run (bench/follow.sh): a `serve` following an LMS database of
ORGS organizations and LINKS links (filled by tests/python/orgs_peer/fill_bulk.py).

1. Waits for the follower's first round (the whole import) and reports how long it took.
2. Idle rounds: statements each costs the LMS (tenancy_follow_source_statements_total) and its
   time (tenancy_follow_round_duration_seconds{outcome="idle"}).
3. CHANGES changes made through edx-organizations, RATE a second, as Studio and the Django admin
   make them (7 in 10 link a course, 1 renames an organization, 1 unlinks a course linked
   earlier, 1 creates an organization), each timed when its commit returned; then the time
   from each commit to the follower's commit of it (change_log.at), and whether every change
   was applied exactly once.

A course is unlinked only when it was linked three intervals before, so that the follower saw
it linked (changes to one row within one round arrive as one change, its state at the round).

Usage: follow.py METRICS_URL TARGET_POSTGRES_URL ORGS CHANGES RATE INTERVAL_SECONDS
(ORGS_PEER_DATABASE names the LMS database)."""
import os
import statistics
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "python", "orgs_peer"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")

import django  # noqa: E402

django.setup()
import psycopg  # noqa: E402
from opaque_keys.edx.keys import CourseKey  # noqa: E402
from organizations import api  # noqa: E402
from organizations.models import Organization  # noqa: E402

metrics_url, target = sys.argv[1], sys.argv[2]
orgs, changes, rate, interval = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
# Runs against one LMS make keys of their own.
run = os.environ.get("RUN", str(int(time.time())))


def metric(series):
    text = urllib.request.urlopen(metrics_url).read().decode()
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line[len(series) + 1:])
    return 0.0


def wait(what, check, limit=1800, detail=lambda: ""):
    start = time.time()
    while not check():
        if time.time() - start > limit:
            sys.exit(f"{what}: not within {limit} s{detail()}")
        time.sleep(0.2)
    return time.time() - start


applied = 'tenancy_follow_rounds_total{outcome="applied"}'
idle = 'tenancy_follow_rounds_total{outcome="idle"}'
took = wait("the first round", lambda: metric(applied) >= 1)
first = metric('tenancy_follow_round_duration_seconds_sum{outcome="applied"}')
print(f"first round (whole import of the LMS): {first:.1f} s (seen after {took:.1f} s)")

wait("idle rounds", lambda: metric(idle) >= 2)
before = [metric(s) for s in ['tenancy_follow_source_statements_total{source="lms"}', idle,
                               'tenancy_follow_round_duration_seconds_sum{outcome="idle"}']]
time.sleep(float(os.environ.get("IDLE_SECONDS", "30")))
after = [metric(s) for s in ['tenancy_follow_source_statements_total{source="lms"}', idle,
                              'tenancy_follow_round_duration_seconds_sum{outcome="idle"}']]
rounds = after[1] - before[1]
print(f"idle rounds: {rounds:.0f}; source statements each: {(after[0] - before[0]) / rounds:.2f}; "
      f"mean time of an idle round: {(after[2] - before[2]) / rounds * 1000:.2f} ms")

with psycopg.connect(target) as db:
    start_id = db.execute("SELECT COALESCE(MAX(id), 0) FROM change_log").fetchone()[0]

made = []  # (kind, entity, key, commit time)
linked = []
by_name = {o.short_name: o for o in Organization.objects.filter(short_name__in=[f"Org{n}" for n in range(min(orgs, changes))])}
begin = time.time()
for i in range(changes):
    due = begin + i / rate
    if due > time.time():
        time.sleep(due - time.time())
    kind = i % 10
    n = i % orgs
    org = by_name.get(f"Org{n}") or Organization.objects.get(short_name=f"Org{n}")
    data = {"id": org.id, "short_name": org.short_name, "name": org.name}
    ripe = linked and linked[0][3] < time.time() - 3 * interval
    if kind < 7 or (kind == 8 and not ripe):
        course = f"course-v1:Org{n}+R{run}F{i}+2025"
        api.add_organization_course(data, CourseKey.from_string(course))
        made.append(("CREATED", "COURSE_LINK", f"{course}/Org{n}", time.time()))
        linked.append((data, course, n, time.time()))
    elif kind == 7:
        # A name of this run's own: a rename to the name a previous run gave is no change.
        org.name = f"Organization {n} renamed {run}x{i}"
        org.save()
        made.append(("UPDATED", "ORGANIZATION", f"Org{n}", time.time()))
    elif kind == 8:
        data, course, m, _ = linked.pop(0)
        api.remove_organization_course(data, CourseKey.from_string(course))
        made.append(("DEACTIVATED", "COURSE_LINK", f"{course}/Org{m}", time.time()))
    else:
        api.add_organization({"short_name": f"Bench{run}x{i}", "name": f"Bench {i}"})
        made.append(("CREATED", "ORGANIZATION", f"Bench{run}x{i}", time.time()))
spent = time.time() - begin
print(f"{len(made)} changes made in {spent:.1f} s ({len(made) / spent:.0f} a second)")

wanted = {(k, e, key) for k, e, key, _ in made}
rows = []


def all_applied():
    global rows
    with psycopg.connect(target) as db:
        rows = db.execute(
            "SELECT kind, entity, key, at FROM change_log WHERE id > %s AND actor = 'follow'", (start_id,)
        ).fetchall()
    return wanted <= {(k, e, key) for k, e, key, _ in rows}


def missing():
    never = sorted(wanted - {(k, e, key) for k, e, key, _ in rows})
    return f"; {len(never)} never applied, such as {never[:5]}"


waited = wait("every change applied", all_applied, limit=600, detail=missing)
seen = {}
for k, e, key, at in rows:
    seen.setdefault((k, e, key), []).append(at.timestamp())
twice = [c for c, ats in seen.items() if c in wanted and len(ats) > 1]
latencies = sorted(min(seen[(k, e, key)]) - t for k, e, key, t in made)
q = statistics.quantiles(latencies, n=100)
print(f"LMS commit -> follower commit over {len(latencies)} changes: median {statistics.median(latencies) * 1000:.0f} ms, "
      f"p90 {q[89] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms; "
      f"applied twice: {len(twice)}; other follow changes: {len(rows) - sum(len(seen[c]) for c in wanted)}")
if twice:
    sys.exit(f"applied more than once: {twice[:5]}")
