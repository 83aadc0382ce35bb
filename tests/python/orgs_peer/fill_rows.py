"""Creates the LMS's tables in ORGS_PEER_DATABASE with the real apps' migrations (as fill.py) and
saves the organizations and course links given as JSON on stdin through edx-organizations' own
models: {"organizations": [{"short_name", "name", "description", "logo", "active"}],
"links": [{"course_id", "short_name", "active"}]} (a link names its organization by the exact
short name it was saved with). Used by the identity and validation tables (tests/api/spellings.rs,
tests/api/values.rs): spellings and values the app stores that this service must fold, cut or
refuse. Prints nothing; exits non-zero on failure."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")

import django  # noqa: E402

django.setup()
from django.core.management import call_command  # noqa: E402
from organizations.models import Organization, OrganizationCourse  # noqa: E402

rows = json.load(sys.stdin)
call_command("migrate", verbosity=0)
call_command("migrate", run_syncdb=True, verbosity=0)
saved = {}
for org in rows.get("organizations", []):
    saved[org["short_name"]] = Organization.objects.create(
        short_name=org["short_name"],
        name=org["name"],
        description=org.get("description"),
        logo=org.get("logo"),
        active=org.get("active", True),
    )
for link in rows.get("links", []):
    OrganizationCourse.objects.create(
        course_id=link["course_id"],
        organization=saved[link["short_name"]],
        active=link.get("active", True),
    )
