"""The other services' tables the import reads, created by `migrate --run-syncdb` with the
columns the services' own migrations leave, column for column: each class names the repository,
the app's migrations directory, the migrations that create or shape each column it copies, and
the commit of the snapshot those migrations were read at. Field types are Django's, so the
column types and lengths are the ones those migrations produce on each engine. A Python-side
`default` here is the real model's (Django keeps defaults out of the schema, so the columns are
NOT NULL without a database default, as in the real tables). Left out everywhere: many-to-many
fields (another table, no column here) and the services' history tables.

`django_site` is not copied: it is Django's own `django.contrib.sites` table, made by that app's
migrations (0001_initial, 0002_alter_domain_unique), as in all three services.
"""
import uuid

from django.contrib.sites.models import Site
from django.db import models


class SiteConfiguration(models.Model):
    """edx-platform (LMS), openedx/core/djangoapps/site_configuration/migrations, read in the
    indexed copy of github.com/openedx/edx-platform, file by file (0003, 0004, 0006, 0007, 0008
    at 5acde7c01b70; 0001 at 17ba40931d30, 0002 at 0c1605271506, 0005 at 6ed3ddd11f63): the whole
    repository was too large to bring here, so no single snapshot was read:

    - 0001_initial: the table, id, site_id (one-to-one to django_site, NOT NULL), and `values`;
    - 0002_auto_20160720_0231: enabled (bool, NOT NULL);
    - 0003_auto_20200217_1058: alters `values` only;
    - 0004_add_site_values_field: site_values (jsonfield's JSONField, a text column, NOT NULL);
    - 0005_populate_siteconfig_history_site_values, 0006_copy_values_to_site_values: data only;
    - 0007_remove_values_field: drops `values`;
    - 0008_auto_20210910_0940: alters site_values' (de)serialisation only, same column.

    No later migration of this app was found (the index's 0008_merge_tahoe_and_upstream and
    0009_tahoe_fields_update come from Appsembler's fork, not upstream). All columns copied.
    """

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="+")
    enabled = models.BooleanField(default=False)
    site_values = models.TextField(blank=True, default="{}")

    class Meta:
        db_table = "site_configuration_siteconfiguration"


class DiscoveryPartner(models.Model):
    """course-discovery, course_discovery/apps/core/migrations, snapshot e519c2834 of
    github.com/openedx/course-discovery:

    - 0001_squashed_0011_auto_20161101_2207: the table, id, created, modified, name (128,
      unique), short_code (8, unique), courses_api_url, ecommerce_api_url,
      organizations_api_url, programs_api_url, marketing_site_api_url, marketing_site_url_root,
      marketing_site_api_username, marketing_site_api_password (and oidc_url_root, oidc_key,
      oidc_secret, dropped by 0017_drop_oidc_fields);
    - 0002_partner_studio_url: studio_url;
    - 0004_partner_site, 0005_auto_20170830_1246: site_id (one-to-one to django_site, made
      NOT NULL by 0005);
    - 0006_partner_lms_url: lms_url;
    - 0008_auto_20181217_1957: analytics_token, analytics_url (NOT NULL, default '');
    - 0009_partner_lms_commerce_api_url, 0011_remove_partner_lms_commerce_api_url: added then
      dropped lms_commerce_api_url;
    - 0010_partner_lms_coursemode_api_url: lms_coursemode_api_url;
    - 0012_partner_publisher_url: publisher_url;
    - 0015_add_lms_admin_url: lms_admin_url;
    - 0017_drop_oidc_fields: drops the three OIDC columns.

    The other migrations of the app (0003, 0007, 0013, 0014, 0016, 0018 to 0020) touch only the
    user, history and Salesforce tables. All columns copied.
    """

    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    name = models.CharField(max_length=128, unique=True)
    short_code = models.CharField(max_length=8, unique=True)
    courses_api_url = models.URLField(max_length=255, null=True, blank=True)
    ecommerce_api_url = models.URLField(max_length=255, null=True, blank=True)
    organizations_api_url = models.URLField(max_length=255, null=True, blank=True)
    programs_api_url = models.URLField(max_length=255, null=True, blank=True)
    marketing_site_api_url = models.URLField(max_length=255, null=True, blank=True)
    marketing_site_url_root = models.URLField(max_length=255, null=True, blank=True)
    marketing_site_api_password = models.CharField(max_length=255, null=True, blank=True)
    marketing_site_api_username = models.CharField(max_length=255, null=True, blank=True)
    studio_url = models.URLField(max_length=255, null=True, blank=True)
    site = models.OneToOneField(Site, on_delete=models.PROTECT, related_name="+")
    lms_url = models.URLField(max_length=255, null=True, blank=True)
    analytics_token = models.CharField(max_length=255, blank=True, default="")
    analytics_url = models.URLField(max_length=255, blank=True, default="")
    lms_coursemode_api_url = models.URLField(max_length=255, null=True, blank=True)
    publisher_url = models.URLField(max_length=255, null=True, blank=True)
    lms_admin_url = models.URLField(max_length=255, null=True, blank=True)

    class Meta:
        db_table = "core_partner"


class DiscoveryOrganization(models.Model):
    """course-discovery, course_discovery/apps/course_metadata/migrations, snapshot e519c2834
    of github.com/openedx/course-discovery (the squashed 0001_squashed_0033_courserun_mobile_
    available stands for 0001 to 0033 and ends in the same columns as those):

    - 0001_initial: the table, id, created, modified, key, name, description, homepage_url (and
      logo_image_id, with 0011_auto_20160805_1949's banner_image_id: both dropped by 0014);
    - 0009_auto_20160725_1751: partner_id (foreign key to core_partner, nullable);
    - 0014_auto_20160811_0436: uuid (UUIDField: char(32), uuid on PostgreSQL; NOT NULL), key
      no longer unique alone, name NOT NULL, unique together (partner, key) and
      (partner, uuid); adds banner_image_url and logo_image_url (dropped by 0231);
    - 0017_auto_20160815_2135: marketing_url_path (dropped by 0201), tags (taggit, no column);
    - 0041_organization_certificate_logo_image_url: certificate_logo_image_url (dropped by 0231);
    - 0067_auto_20171108_1432, 0070_auto_20171127_1057: key's help text only;
    - 0189_add_salesforce_ids: salesforce_id;
    - 0201_add_organization_slug_remove_marketing_url: slug (django-extensions' AutoSlugField,
      a SlugField: varchar(50), indexed, NOT NULL), drops marketing_url_path;
    - 0214_add_auto_generate_course_run_keys_to_organization: auto_generate_course_run_keys;
    - 0228_add_certificate_name_to_org, 0231_remove_url_fields_from_org: certificate_name; 0231
      drops banner_image_url, certificate_logo_image_url and logo_image_url;
    - 0230_add_org_image_fields: logo_image, certificate_logo_image, banner_image (ImageField:
      varchar(100), nullable);
    - 0263_add_es_description_field: description_es (text, NOT NULL, no default);
    - 0265_auto_20210416_1216, 0266_auto_20210624_1831: enable_skills_in_publisher added, dropped;
    - 0283_auto_20220613_1740: enterprise_subscription_inclusion;
    - 0285_org_uuid_editable: uuid editable (same column);
    - 0297_org_hex_color: organization_hex_color;
    - 0338_auto_20231010_0648: data_modified_timestamp.

    All columns copied.
    """

    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    uuid = models.UUIDField(default=uuid.uuid4)
    key = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    homepage_url = models.URLField(max_length=255, null=True, blank=True)
    partner = models.ForeignKey(DiscoveryPartner, null=True, on_delete=models.CASCADE, related_name="+")
    salesforce_id = models.CharField(max_length=255, null=True, blank=True)
    slug = models.SlugField(blank=True)
    auto_generate_course_run_keys = models.BooleanField(default=True)
    certificate_name = models.CharField(max_length=255, null=True, blank=True)
    banner_image = models.ImageField(null=True, blank=True)
    certificate_logo_image = models.ImageField(null=True, blank=True)
    logo_image = models.ImageField(null=True, blank=True)
    description_es = models.TextField(blank=True)
    enterprise_subscription_inclusion = models.BooleanField(default=False)
    organization_hex_color = models.CharField(max_length=6, null=True, blank=True)
    data_modified_timestamp = models.DateTimeField(null=True, blank=True, default=None)

    class Meta:
        db_table = "course_metadata_organization"
        unique_together = [("partner", "key"), ("partner", "uuid")]


class EcommercePartner(models.Model):
    """ecommerce, ecommerce/extensions/partner/migrations, snapshot 615fdee5b of
    github.com/openedx/ecommerce. ecommerce forks django-oscar's partner app (its model extends
    oscar.apps.partner.abstract_models.AbstractPartner, django-oscar==3.2 in its requirements:
    code, name, users), so these migrations, not oscar's, make the table:

    - 0001_initial: the table, id, code (oscar's AutoSlugField: varchar(128), unique), name
      (varchar(128), NOT NULL, blank allowed), users (many-to-many: partner_partner_users);
    - 0007_auto_20150914_0841, 0008_auto_20150914_1057: short_code (8, unique, NOT NULL by 0008);
    - 0009_partner_enable_sailthru (altered by 0010, 0011, 0016): enable_sailthru, dropped by
      0018_remove_partner_enable_sailthru;
    - 0013_partner_default_site: default_site_id (one-to-one to django_site, nullable);
    - 0017_auto_20200305_1448: name indexed (oscar 3's AbstractPartner has db_index=True).

    The other migrations (0002 to 0006, 0012, 0014, 0015, 0019) touch the stock record, address
    and history tables, or users. All columns copied; users left out (another table).
    """

    code = models.SlugField(max_length=128, unique=True)
    name = models.CharField(max_length=128, blank=True, db_index=True)
    short_code = models.CharField(max_length=8, unique=True)
    default_site = models.OneToOneField(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "partner_partner"


class EcommerceSiteConfiguration(models.Model):
    """ecommerce, ecommerce/core/migrations, snapshot 615fdee5b of github.com/openedx/ecommerce:

    - 0003_auto_20150914_1120: the table, id, lms_url_root (URLField: varchar(200)),
      theme_scss_path, payment_processors (255, NOT NULL), partner_id, site_id;
    - 0004_auto_20150915_1023: site one-to-one (unique);
    - 0011_siteconfiguration_oauth_settings: oauth_settings (jsonfield's JSONField, text,
      NOT NULL);
    - 0013_siteconfiguration_segment_key: segment_key;
    - 0015_siteconfiguration_from_email: from_email;
    - 0016_siteconfiguration_enable_enrollment_codes (0061): enable_enrollment_codes;
    - 0017_siteconfiguration_payment_support_email (0058): payment_support_email;
    - 0018_siteconfiguration_payment_support_url: payment_support_url;
    - 0019_auto_20161012_1404 (0058): affiliate_cookie_name, utm_cookie_name;
    - 0020_siteconfiguration_enable_otto_receipt_page (0034): dropped by 0036;
    - 0021_siteconfiguration_client_side_payment_processor (0022): client_side_payment_processor;
    - 0023_siteconfiguration_send_refund_notifications (0061): send_refund_notifications;
    - 0024_auto_20170208_1520 (0025, 0059): enable_sdn_check, sdn_api_key, sdn_api_list,
      sdn_api_url;
    - 0027_siteconfiguration_require_account_activation: require_account_activation;
    - 0028_siteconfiguration_optimizely_snippet_src: optimizely_snippet_src;
    - 0029_auto_20170525_2131 (0058): theme_scss_path nullable;
    - 0030_auto_20170525_2134, 0045_auto_20180510_0823: partner made one-to-one, then a plain
      foreign key again (not unique); 0030 drops unique together (site, partner);
    - 0031_siteconfiguration_enable_sailthru: dropped by 0064_remove_siteconfiguration_enable_
      sailthru;
    - 0035_siteconfiguration_base_cookie_domain (0058): base_cookie_domain;
    - 0037_siteconfiguration_enable_embargo_check: enable_embargo_check;
    - 0038_siteconfiguration_discovery_api_url, 0039_auto_20170716_2212,
      0043_auto_20170808_1009: discovery_api_url (varchar(200), NOT NULL); 0039: enable_apple_pay;
    - 0040 / 0041: _allowed_segment_events added, dropped;
    - 0042_siteconfiguration_enable_partial_program (0061): enable_partial_program;
    - 0046 / 0056: journals_api_url added, dropped;
    - 0048_siteconfiguration_hubspot_secret_key: hubspot_secret_key;
    - 0054_auto_20190626_0153 (0061): enable_microfrontend_for_basket_page,
      payment_microfrontend_url;
    - 0059 / 0060: sdn_api_key_v1, sdn_api_url_v1 added, dropped;
    - 0062 / 0066_remove_account_microfrontend_url_field_from_SiteConfiguration:
      account_microfrontend_url added, dropped.

    All columns copied.
    """

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(EcommercePartner, on_delete=models.CASCADE, related_name="+")
    lms_url_root = models.URLField()
    theme_scss_path = models.CharField(max_length=255, null=True, blank=True)
    payment_processors = models.CharField(max_length=255)
    oauth_settings = models.TextField(default="{}")
    segment_key = models.CharField(max_length=255, null=True, blank=True)
    from_email = models.CharField(max_length=255, null=True, blank=True)
    enable_enrollment_codes = models.BooleanField(blank=True, default=False)
    payment_support_email = models.CharField(max_length=255, blank=True, default="support@example.com")
    payment_support_url = models.CharField(max_length=255, blank=True)
    affiliate_cookie_name = models.CharField(max_length=255, blank=True, default="")
    utm_cookie_name = models.CharField(max_length=255, blank=True, default="")
    client_side_payment_processor = models.CharField(max_length=255, null=True, blank=True)
    send_refund_notifications = models.BooleanField(blank=True, default=False)
    enable_sdn_check = models.BooleanField(default=False)
    sdn_api_key = models.CharField(max_length=255, blank=True)
    sdn_api_list = models.CharField(max_length=255, blank=True)
    sdn_api_url = models.CharField(max_length=255, blank=True)
    require_account_activation = models.BooleanField(default=True)
    optimizely_snippet_src = models.CharField(max_length=255, blank=True)
    base_cookie_domain = models.CharField(max_length=255, blank=True, default="")
    enable_embargo_check = models.BooleanField(default=False)
    discovery_api_url = models.URLField()
    enable_apple_pay = models.BooleanField(default=False)
    enable_partial_program = models.BooleanField(blank=True, default=False)
    hubspot_secret_key = models.CharField(max_length=255, blank=True)
    enable_microfrontend_for_basket_page = models.BooleanField(blank=True, default=False)
    payment_microfrontend_url = models.URLField(null=True, blank=True)

    class Meta:
        db_table = "core_siteconfiguration"
