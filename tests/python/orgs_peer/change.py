"""Changes ORGS_PEER_DATABASE as an LMS does, on command, for the follow tests and benchmark:
through edx-organizations' own API (Studio's paths: create an organization, link and unlink
a course, deactivate) and its models (the Django admin's: edit, reactivate, delete). Each save
commits as the LMS's do (autocommit), and django-simple-history records it.

Migrates the database first (edx-organizations' tables and peer/models.py's), prints `ready`,
then reads one JSON command per line on stdin and answers one line each: `ok <unix time after
the commit>` or `error <message>`. Commands: {"op": "add_org", "short_name", "name"},
{"op": "rename", "short_name", "name"}, {"op": "link", "short_name", "course"},
{"op": "unlink", "short_name", "course"}, {"op": "deactivate", "short_name"},
{"op": "reactivate", "short_name"}, {"op": "delete_org", "short_name"},
{"op": "delete_link", "short_name", "course"}, {"op": "links", "short_name", "prefix", "count"}
(that many links, one save each); and in the other services' tables (peer/models.py), as
course-discovery and ecommerce write them: {"op": "add_partner", "short_code", "name", "domain"}
(discovery's partner and its site), {"op": "add_partner_org", "partner", "key", "name"}
(discovery's organization of a partner), {"op": "add_ecommerce_partner", "short_code", "name"}."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")

import django  # noqa: E402

django.setup()
from django.core.management import call_command  # noqa: E402
from opaque_keys.edx.keys import CourseKey  # noqa: E402
from organizations import api  # noqa: E402
from django.contrib.sites.models import Site  # noqa: E402
from organizations.models import Organization, OrganizationCourse  # noqa: E402

from peer import models as m  # noqa: E402

call_command("migrate", verbosity=0)
call_command("migrate", run_syncdb=True, verbosity=0)


def org(short_name):
    return Organization.objects.get(short_name=short_name)


def as_data(o):
    return {"id": o.id, "short_name": o.short_name, "name": o.name}


def run(cmd):
    op = cmd["op"]
    if op == "add_org":
        api.add_organization({"short_name": cmd["short_name"], "name": cmd["name"]})
    elif op == "rename":  # the Django admin's change form
        o = org(cmd["short_name"])
        o.name = cmd["name"]
        o.save()
    elif op == "link":
        api.add_organization_course(as_data(org(cmd["short_name"])), CourseKey.from_string(cmd["course"]))
    elif op == "unlink":
        api.remove_organization_course(as_data(org(cmd["short_name"])), CourseKey.from_string(cmd["course"]))
    elif op == "deactivate":  # also deactivates its course links, one save each
        api.remove_organization(org(cmd["short_name"]).id)
    elif op == "reactivate":
        o = org(cmd["short_name"])
        o.active = True
        o.save()
    elif op == "delete_org":  # the admin's delete: its links go too (each recorded)
        org(cmd["short_name"]).delete()
    elif op == "delete_link":
        OrganizationCourse.objects.get(organization=org(cmd["short_name"]), course_id=cmd["course"]).delete()
    elif op == "links":
        o = as_data(org(cmd["short_name"]))
        for n in range(cmd["count"]):
            api.add_organization_course(o, CourseKey.from_string(f"{cmd['prefix']}{n}"))
    elif op == "add_partner":
        site = Site.objects.create(domain=cmd["domain"], name=cmd["name"])
        m.DiscoveryPartner.objects.create(short_code=cmd["short_code"], name=cmd["name"], site=site)
    elif op == "add_partner_org":
        partner = m.DiscoveryPartner.objects.get(short_code=cmd["partner"])
        m.DiscoveryOrganization.objects.create(key=cmd["key"], name=cmd["name"], slug=cmd["key"].lower(), partner=partner)
    elif op == "add_ecommerce_partner":
        m.EcommercePartner.objects.create(code=cmd["short_code"], short_code=cmd["short_code"], name=cmd["name"])
    else:
        raise ValueError(f"unknown op {op!r}")


print("ready", flush=True)
for line in sys.stdin:
    if not line.strip():
        continue
    try:
        run(json.loads(line))
        print(f"ok {time.time():.6f}", flush=True)
    except Exception as e:  # noqa: BLE001 - the test reads the message
        print(f"error {type(e).__name__}: {e}".replace("\n", " "), flush=True)
