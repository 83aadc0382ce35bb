"""URLs of the bench project.

/api/organizations/v0/organizations/[<short_name>/] is edx-organizations' own
OrganizationsViewSet (list and detail by short name) with its authentication and permission
classes replaced by AllowAny, so that the load tool can read anonymously as it does from
tenancy-gateway's public directory. Everything else (queryset, serializer, lookup) is the shipped
code. The unmodified routes of organizations.v0.urls are mounted too, under /shipped/, to show
that they need a JWT or a session (401/403 without one).
"""
from django.http import JsonResponse
from django.urls import include, path, re_path
from rest_framework import routers
from rest_framework.permissions import AllowAny

from organizations.v0.views import OrganizationsViewSet

from benchproj import stats


class BenchOrganizationsViewSet(OrganizationsViewSet):
    authentication_classes = ()
    permission_classes = (AllowAny,)


router = routers.SimpleRouter()
router.register(r"organizations", BenchOrganizationsViewSet, basename="organization")

urlpatterns = [
    re_path(r"^api/organizations/v0/", include((router.urls, "bench"))),
    re_path(r"^shipped/", include("organizations.urls", namespace="organizations")),
    path("bench/stats", lambda request: JsonResponse(stats.snapshot())),
]
