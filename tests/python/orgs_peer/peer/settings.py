"""A minimal Django project hosting the real edx-organizations app as the LMS does, for the
REST differential (tests/api/rest_differential.rs) and the import tests (tests/api/import.rs).

The database comes from ORGS_PEER_DATABASE: sqlite:///PATH, postgres://USER@HOST:PORT/DB or
mysql://USER@HOST:PORT/DB (MariaDB through PyMySQL, nothing to compile). Authentication is
edx-drf-extensions' JwtAuthentication with one HS256 issuer (ORGS_PEER_JWT_SECRET), and
pagination is the LMS's (edx-drf-extensions' DefaultPagination, 10 per page).
"""
import os
from urllib.parse import urlparse

import pymysql

pymysql.install_as_MySQLdb()


def database(url):
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": parsed.path}
    engine = {"postgres": "postgresql", "postgresql": "postgresql", "mysql": "mysql"}[parsed.scheme]
    options = {"charset": "utf8mb4"} if engine == "mysql" else {}
    return {
        "ENGINE": f"django.db.backends.{engine}",
        "NAME": parsed.path.lstrip("/"),
        "USER": parsed.username or "",
        "PASSWORD": parsed.password or "",
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "OPTIONS": options,
    }


SECRET_KEY = "orgs-peer-test-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sites",
    "rest_framework",
    "simple_history",
    "organizations",
    "peer",
]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "peer.urls"
DATABASES = {"default": database(os.environ.get("ORGS_PEER_DATABASE", "sqlite:///peer.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
TIME_ZONE = "UTC"
SITE_ID = 1
# Logos are answered as absolute URLs under it (the import tests expect this one).
MEDIA_URL = "https://lms.test/media/"
# As the LMS's REST_FRAMEWORK settings.
REST_FRAMEWORK = {
    "DEFAULT_PAGINATION_CLASS": "edx_rest_framework_extensions.paginators.DefaultPagination",
    "PAGE_SIZE": 10,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
JWT_AUTH = {
    "JWT_ISSUERS": [
        {
            "ISSUER": "https://lms.test/oauth2",
            "AUDIENCE": "openedx",
            "SECRET_KEY": os.environ.get("ORGS_PEER_JWT_SECRET", "unset-secret-of-at-least-32-bytes"),
        }
    ],
    "JWT_ALGORITHM": "HS256",
    "JWT_VERIFY_AUDIENCE": True,
    "JWT_SUPPORTED_VERSION": "1.2.0",
    "JWT_AUTH_HEADER_PREFIX": "JWT",
    # As the LMS: edx-drf-extensions' decoder (drf-jwt's own would use SECRET_KEY).
    "JWT_DECODE_HANDLER": "edx_rest_framework_extensions.auth.jwt.decoder.jwt_decode_handler",
}
LOGGING = {"version": 1, "disable_existing_loggers": True, "root": {"level": "CRITICAL"}}
