"""The other services' tables the import reads, created by `migrate --run-syncdb` with the
columns their own migrations leave (see each class). Only what is needed to hold real rows:
columns that the import does not read and that allow NULL are omitted, and say so.
"""
from django.contrib.sites.models import Site
from django.db import models


class SiteConfiguration(models.Model):
    """edx-platform openedx/core/djangoapps/site_configuration: 0001_initial (site one-to-one),
    0002_auto_20160720_0231 (enabled), 0004_add_site_values_field and 0007_remove_values_field
    (site_values, a jsonfield text column)."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="+")
    enabled = models.BooleanField(default=False)
    site_values = models.TextField(blank=True, default="{}")

    class Meta:
        db_table = "site_configuration_siteconfiguration"


class DiscoveryPartner(models.Model):
    """course-discovery course_discovery/apps/core: 0001_squashed_0011_auto_20161101_2207
    (name, short_code, the API URLs, marketing_site_url_root), 0002_partner_studio_url,
    0004_partner_site, 0006_partner_lms_url. Omitted (nullable, unread): the OIDC, analytics and
    publisher columns of later migrations."""

    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    name = models.CharField(max_length=128)
    short_code = models.CharField(max_length=8, unique=True)
    courses_api_url = models.URLField(max_length=255, null=True)
    ecommerce_api_url = models.URLField(max_length=255, null=True)
    organizations_api_url = models.URLField(max_length=255, null=True)
    programs_api_url = models.URLField(max_length=255, null=True)
    marketing_site_api_url = models.URLField(max_length=255, null=True)
    marketing_site_url_root = models.URLField(max_length=255, null=True)
    marketing_site_api_username = models.CharField(max_length=255, null=True)
    marketing_site_api_password = models.CharField(max_length=255, null=True)
    studio_url = models.URLField(max_length=255, null=True)
    site = models.OneToOneField(Site, on_delete=models.PROTECT, related_name="+")
    lms_url = models.URLField(max_length=255, null=True)

    class Meta:
        db_table = "core_partner"


class DiscoveryOrganization(models.Model):
    """course-discovery course_discovery/apps/course_metadata's Organization (key, name,
    description, homepage_url, logo_image_url, partner, uuid, marketing_url_path); the migration
    numbers are not cited here because they were not checked. Omitted (nullable, unread): the
    image, salesforce and enterprise columns of later migrations."""

    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    uuid = models.CharField(max_length=32, unique=True)
    key = models.CharField(max_length=255)
    name = models.CharField(max_length=255, null=True)
    description = models.TextField(null=True)
    homepage_url = models.URLField(max_length=255, null=True)
    logo_image_url = models.URLField(null=True)
    marketing_url_path = models.CharField(max_length=255, null=True)
    partner = models.ForeignKey(DiscoveryPartner, null=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "course_metadata_organization"


class EcommercePartner(models.Model):
    """ecommerce's Partner (django-oscar's AbstractPartner: code, name; ecommerce adds
    short_code, enable_sailthru, default_site); migration numbers not checked. Omitted: oscar's
    user many-to-many (another table)."""

    code = models.SlugField(max_length=128, unique=True)
    name = models.CharField(max_length=128)
    short_code = models.CharField(max_length=8, unique=True)
    enable_sailthru = models.BooleanField(default=True)
    default_site = models.OneToOneField(Site, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "partner_partner"


class EcommerceSiteConfiguration(models.Model):
    """ecommerce ecommerce/core's SiteConfiguration (site, partner, lms_url_root,
    theme_scss_path, payment_processors); migration numbers not checked. Omitted (nullable,
    unread): the OAuth, analytics and payment columns of later migrations."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(EcommercePartner, on_delete=models.CASCADE, related_name="+")
    lms_url_root = models.URLField(max_length=200)
    theme_scss_path = models.CharField(max_length=255, null=True)
    payment_processors = models.CharField(max_length=255, default="")

    class Meta:
        db_table = "core_siteconfiguration"
