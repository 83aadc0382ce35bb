"""The LMS mounts edx-organizations' URLs under api/organizations/."""
from django.urls import include, re_path

urlpatterns = [re_path(r"^api/organizations/", include("organizations.urls", namespace="organizations"))]
