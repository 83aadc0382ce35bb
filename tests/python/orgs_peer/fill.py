"""Creates and fills an Open edX installation's tables in ORGS_PEER_DATABASE for the import
tests: edx-organizations' tables by the real app's migrations and models, django_site by
Django's, the other services' tables from peer/models.py. Prints nothing; exits non-zero on
failure. The same rows on every engine, so the imports must produce the same graph."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")

import django  # noqa: E402

django.setup()
from django.contrib.sites.models import Site  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from organizations.models import Organization, OrganizationCourse  # noqa: E402

from peer import models as m  # noqa: E402

# The apps with migrations first: the synced tables below refer to django_site.
call_command("migrate", verbosity=0)
call_command("migrate", run_syncdb=True, verbosity=0)

edx = Organization.objects.create(
    short_name="edX", name="edX Inc.", description="The founder", logo="organization_logos/edx.png"
)
if connection.vendor != "mysql":  # a case-only duplicate; MySQL's collation refuses it
    Organization.objects.create(short_name="edx", name="edx again")
mitx = Organization.objects.create(short_name="MITx", name="MIT", description="")
gone = Organization.objects.create(short_name="Gone", name="Gone Org", active=False)
for key, org, active in [
    ("course-v1:edX+DemoX+2024", edx, True),
    ("course-v1:edX+Old+2019", edx, False),
    ("edX/Legacy/2013", edx, True),
    ("course-v1:MITx+6.002x+2024", mitx, True),
    ("course-v1:Gone+G1+2020", gone, True),
]:
    OrganizationCourse.objects.create(course_id=key, organization=org, active=active)
OrganizationCourse.objects.create(course_id="not a key", organization=mitx)

lms = Site.objects.get(id=1)
lms.domain, lms.name = "lms.test", "LMS"
lms.save()
mit_site = Site.objects.create(domain="mit.lms.test", name="MIT on the LMS")
off = Site.objects.create(domain="off.lms.test", name="Disabled")
m.SiteConfiguration.objects.create(site=lms, enabled=True, site_values=json.dumps({"course_org_filter": "edX"}))
m.SiteConfiguration.objects.create(
    site=mit_site, enabled=True, site_values=json.dumps({"course_org_filter": ["MITx", "edX"]})
)
m.SiteConfiguration.objects.create(site=off, enabled=False, site_values=json.dumps({"course_org_filter": "Gone"}))

discovery_site = Site.objects.create(domain="discovery.test", name="Discovery")
partner = m.DiscoveryPartner.objects.create(
    name="edX Partner", short_code="edx", site=discovery_site, lms_url="https://lms.test",
    studio_url="https://studio.test", marketing_site_url_root="https://www.test",
)
m.DiscoveryOrganization.objects.create(uuid="a" * 32, key="edX", slug="edx", name="edX (discovery)", partner=partner)
m.DiscoveryOrganization.objects.create(
    uuid="b" * 32, key="HarvardX", slug="harvardx", name="Harvard", description="From discovery", partner=partner
)

ecommerce_site = Site.objects.create(domain="ecommerce.test", name="E-Commerce")
ecom = m.EcommercePartner.objects.create(code="edx", name="edX Partner", short_code="edx")
m.EcommercePartner.objects.create(code="mitpe", name="MIT PE", short_code="mitpe")
m.EcommerceSiteConfiguration.objects.create(
    site=ecommerce_site, partner=ecom, lms_url_root="https://lms.test", payment_processors="cybersource,paypal",
    discovery_api_url="https://discovery.test/api/v1/",
)
