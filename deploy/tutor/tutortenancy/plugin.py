"""Tutor plugin "tenancy": tenancy-gateway beside Open edX (Docker Compose and Kubernetes).

Renders one env file (env/plugins/tenancy/apps/tenancy.env) that the `tenancy` and
`tenancy-job` Compose services read and that kustomize turns into the `tenancy-env` Secret;
the Compose services, the Kubernetes Deployment, Service, Job and volumes; the Caddy route for
TENANCY_HOST; MFE_CONFIG["TENANCY_GRAPHQL_URL"]; and the init task (migrate, then import from
the LMS database, and discovery's and ecommerce's when those plugins are enabled).
"""

from __future__ import annotations

import json
import os
import typing as t
import urllib.parse
from glob import glob

import importlib_resources
from tutor import exceptions, fmt
from tutor import hooks as tutor_hooks
from tutor.types import Config, get_typed

from .__about__ import __version__

# Where the env file is rendered, under the Tutor environment (env/).
ENV_FILE = os.path.join("plugins", "tenancy", "apps", "tenancy.env")

# Tokens of at least this many bytes verify HS256 (tenancy-gateway refuses shorter keys).
MIN_HS256_SECRET_BYTES = 32

config: dict[str, dict[str, t.Any]] = {
    "defaults": {
        "VERSION": __version__,
        # scripts/image.sh tags the image it builds with this name; push it to your registry
        # and set TENANCY_DOCKER_IMAGE to that name.
        "DOCKER_IMAGE": "localhost/tenancy-gateway:{{ TENANCY_VERSION }}",
        "HOST": "tenancy.{{ LMS_HOST }}",
        # SQLite on the data/tenancy volume (one replica), the bundled PostgreSQL, or an
        # external postgres:// URL.
        "DATABASE_URL": (
            "{% if TENANCY_RUN_POSTGRESQL %}"
            "postgres://tenancy:{{ TENANCY_POSTGRESQL_PASSWORD }}@tenancy-postgresql:5432/tenancy"
            "{% else %}sqlite:///data/tenancy.db?mode=rwc{% endif %}"
        ),
        "RUN_POSTGRESQL": False,
        "POSTGRESQL_DOCKER_IMAGE": "docker.io/postgres:17",
        "REPLICAS": 1,
        # Follow the LMS's organizations and course links (tenancy-gateway serve with
        # TENANCY_FOLLOW_LMS_DATABASE), and discovery's and ecommerce's when enabled.
        "FOLLOW_LMS": True,
        "FOLLOW_INTERVAL": "10s",
        "CORS_EXTRA_ORIGINS": [],
        # HS256 tokens signed with the Django secret (OPENEDX_SECRET_KEY): off unless wanted.
        "JWT_HS256": False,
        # Who may name the client and the site (X-Forwarded-*): the private networks Caddy and
        # the cluster run in; the service is not published outside them.
        "TRUSTED_PROXIES": "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,127.0.0.0/8,fc00::/7,::1/128",
        "VOLUME_SIZE": "1Gi",
        "POSTGRESQL_VOLUME_SIZE": "5Gi",
    },
    "unique": {
        "POSTGRESQL_PASSWORD": "{{ 24|random_string }}",
        "METRICS_TOKEN": "{{ 32|random_string }}",
    },
}

tutor_hooks.Filters.CONFIG_DEFAULTS.add_items(
    [(f"TENANCY_{key}", value) for key, value in config["defaults"].items()]
)
tutor_hooks.Filters.CONFIG_UNIQUE.add_items(
    [(f"TENANCY_{key}", value) for key, value in config["unique"].items()]
)


def _json(value: t.Any) -> str:
    """Compact JSON on one line, for env-file values."""
    return json.dumps(value, separators=(",", ":"))


def _userinfo(value: t.Any) -> str:
    """A user name or password quoted for the userinfo part of a URL."""
    return urllib.parse.quote(str(value), safe="")


tutor_hooks.Filters.ENV_TEMPLATE_FILTERS.add_items(
    [("tenancy_json", _json), ("tenancy_userinfo", _userinfo)]
)

# Templates: the env file (apps/) and the init task (tasks/).
tutor_hooks.Filters.ENV_TEMPLATE_ROOTS.add_item(
    str(importlib_resources.files("tutortenancy") / "templates")
)
tutor_hooks.Filters.ENV_TEMPLATE_TARGETS.add_item(("tenancy/apps", "plugins"))

with open(
    str(
        importlib_resources.files("tutortenancy")
        / "templates"
        / "tenancy"
        / "tasks"
        / "tenancy"
        / "init"
    ),
    encoding="utf-8",
) as task_file:
    tutor_hooks.Filters.CLI_DO_INIT_TASKS.add_item(("tenancy", task_file.read()))

for path in sorted(glob(str(importlib_resources.files("tutortenancy") / "patches" / "*"))):
    with open(path, encoding="utf-8") as patch_file:
        tutor_hooks.Filters.ENV_PATCHES.add_item(
            (os.path.basename(path), patch_file.read())
        )


@tutor_hooks.Filters.APP_PUBLIC_HOSTS.add()
def _public_hosts(hosts: list[str], context_name: t.Literal["local", "dev"]) -> list[str]:
    if context_name == "local":
        hosts.append("{{ TENANCY_HOST }}")
    return hosts


@tutor_hooks.Actions.CONFIG_LOADED.add()
def _check_config(config: Config) -> None:
    """Refuses settings that cannot run; warns about a host the LMS's cookies do not reach."""
    lms_host = get_typed(config, "LMS_HOST", str, "")
    host = get_typed(config, "TENANCY_HOST", str, "")
    if not host.endswith("." + lms_host):
        fmt.echo_alert(
            f'Warning: TENANCY_HOST="{host}" is not a subdomain of LMS_HOST="{lms_host}": '
            "the LMS's JWT cookies will not reach it, so micro-frontends will call it "
            "anonymously."
        )
    url = get_typed(config, "TENANCY_DATABASE_URL", str, "")
    replicas = get_typed(config, "TENANCY_REPLICAS", int, 1)
    if replicas < 1:
        raise exceptions.TutorError(f"TENANCY_REPLICAS={replicas}: expected 1 or more")
    if url.startswith("sqlite") and replicas > 1:
        raise exceptions.TutorError(
            f"TENANCY_REPLICAS={replicas} needs PostgreSQL: a SQLite database serves one "
            "replica. Set TENANCY_RUN_POSTGRESQL=true (or TENANCY_DATABASE_URL to a "
            "postgres:// URL), or TENANCY_REPLICAS=1."
        )
    if get_typed(config, "TENANCY_JWT_HS256", bool, False):
        secret = get_typed(config, "OPENEDX_SECRET_KEY", str, "")
        if len(secret.encode()) < MIN_HS256_SECRET_BYTES:
            raise exceptions.TutorError(
                f"TENANCY_JWT_HS256=true needs OPENEDX_SECRET_KEY of at least "
                f"{MIN_HS256_SECRET_BYTES} bytes (it has {len(secret.encode())}): "
                "tenancy-gateway refuses shorter HMAC keys. Leave TENANCY_JWT_HS256 off "
                "(the LMS signs RS512), or set a longer OPENEDX_SECRET_KEY."
            )


@tutor_hooks.Actions.ENV_SAVED.add()
def _check_env_file(root: str, config: Config) -> None:
    """The env file must mean the same to Docker Compose and to kustomize.

    Compose (v2) interpolates `$` in env-file values and strips quotes, kustomize takes every
    character literally: so no value may hold `$` or start with a quote. Tutor strips a
    template's last newline: the file must still end with one (the template ends with a
    blank line), or a line-by-line reader loses the last setting.
    """
    path = os.path.join(root, ENV_FILE)
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as env_file:
        text = env_file.read()
    if not text.endswith("\n"):
        raise exceptions.TutorError(f"{path} does not end with a newline")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise exceptions.TutorError(f"{path}:{number}: not KEY=VALUE")
        if "$" in value or value[:1] in ("'", '"'):
            raise exceptions.TutorError(
                f"{path}:{number}: the value of {key} holds '$' or starts with a quote, "
                "which Docker Compose and kustomize read differently; change that setting "
                "(a password with '$', for instance)."
            )
