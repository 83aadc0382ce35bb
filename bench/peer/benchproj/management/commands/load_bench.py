"""Loads the bench data set with the ORM's bulk_create: N organizations (short name = name =
OrgNNNN) with K course links each (course-v1:OrgNNNN+Ck+2024_T1)."""
from django.core.management.base import BaseCommand
from django.db import transaction

from organizations.models import Organization, OrganizationCourse


class Command(BaseCommand):
    help = "Load N organizations with K course links each (bulk_create)."

    def add_arguments(self, parser):
        parser.add_argument("--organizations", type=int, default=1000)
        parser.add_argument("--courses", type=int, default=5)

    def handle(self, *args, **options):
        n, k = options["organizations"], options["courses"]
        names = [f"Org{i:04d}" for i in range(1, n + 1)]
        with transaction.atomic():
            Organization.objects.bulk_create(
                [Organization(short_name=s, name=s, active=True) for s in names], batch_size=500
            )
            ids = dict(Organization.objects.values_list("short_name", "id"))
            OrganizationCourse.objects.bulk_create(
                [
                    OrganizationCourse(
                        organization_id=ids[s], course_id=f"course-v1:{s}+C{c}+2024_T1", active=True
                    )
                    for s in names
                    for c in range(1, k + 1)
                ],
                batch_size=500,
            )
        self.stdout.write(
            f"{Organization.objects.count()} organizations, "
            f"{OrganizationCourse.objects.count()} course links"
        )
