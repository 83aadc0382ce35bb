"""Creates edx-organizations' tables in ORGS_PEER_DATABASE with the real app's migrations and
fills them in bulk for the import benchmark (bench/import.sh): ORGS organizations and LINKS
course links spread evenly over them (one organization in 50 inactive, one link in 20
inactive). Raw multi-row inserts, not the ORM: a million model saves would take far longer
than the import being measured. Usage: fill_bulk.py ORGS LINKS"""
import os
import sys
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")

import django  # noqa: E402

django.setup()
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

orgs, links = int(sys.argv[1]), int(sys.argv[2])
# As fill.py: the LMS's other tables the import reads (sites, site configurations) exist, empty.
call_command("migrate", verbosity=0)
call_command("migrate", run_syncdb=True, verbosity=0)
now = datetime.now(timezone.utc)
if connection.vendor == "sqlite":
    now = now.isoformat(" ")
BATCH = 5000


def insert(table, columns, rows):
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start:start + BATCH])


with transaction.atomic():
    insert(
        "organizations_organization",
        ["id", "created", "modified", "name", "short_name", "description", "logo", "active"],
        [
            (i + 1, now, now, f"Organization {i}", f"Org{i}", f"The organization number {i}",
             f"organization_logos/org{i}.png", i % 50 != 0)
            for i in range(orgs)
        ],
    )
    insert(
        "organizations_organizationcourse",
        ["id", "created", "modified", "course_id", "active", "organization_id"],
        [
            (n + 1, now, now, f"course-v1:Org{n % orgs}+C{n // orgs}+2024", n % 20 != 0, n % orgs + 1)
            for n in range(links)
        ],
    )
if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        for table in ["organizations_organization", "organizations_organizationcourse"]:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            cursor.execute(f"ANALYZE {table}")
