"""Settings of the bench-only Django project that hosts edx-organizations.

Production-like where it matters for speed: DEBUG off (no query log kept in memory), no session,
CSRF or message middleware, SQLite in WAL mode. The database file is BENCH_PEER_DB.
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    # simple_history's historical models point at the user model, so auth and contenttypes
    # must be installed; their middleware is not.
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "simple_history",
    "organizations",
    "benchproj",
]

MIDDLEWARE = [
    # Counts the SQL statements of every request (see benchproj/stats.py).
    "benchproj.stats.CountStatementsMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "benchproj.urls"
WSGI_APPLICATION = "benchproj.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BENCH_PEER_DB", str(BASE_DIR / "peer.sqlite3")),
        "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;"},
        # One connection per worker for its whole life, as a tuned deployment would.
        "CONN_MAX_AGE": None,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
TIME_ZONE = "UTC"

# DRF's defaults: no pagination class, so the list endpoint returns every organization in one
# response. The anonymous user is disabled because no auth middleware runs.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}

LOGGING = {"version": 1, "disable_existing_loggers": False}
