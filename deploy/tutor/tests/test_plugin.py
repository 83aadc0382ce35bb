"""The Tutor plugin, rendered by the real Tutor (pinned in requirements.txt) and proven by the
real consumers of what it renders, with no Docker daemon:

* `tutor config save` into a temporary TUTOR_ROOT, for the default (SQLite, one replica) and
  for TENANCY_RUN_POSTGRESQL=true TENANCY_REPLICAS=3;
* Docker Compose (Debian's docker-compose: `config`) and kustomize (`kubectl kustomize`)
  validate the files, and read the env file to the same values;
* the JWK set equals the one Tutor renders into the LMS's settings;
* the binary, started with exactly the rendered environment, accepts an RS512 token signed with
  Tutor's JWT_RSA_PRIVATE_KEY as an `Authorization: JWT` header and as the MFE's two JWT
  cookies, refuses one signed with another key, allows a CORS preflight from the MFE origin,
  and keeps /metrics behind the rendered token;
* Caddy (Debian's) adapts the rendered Caddyfile: the tenancy host proxies to tenancy:8000 and
  answers /metrics with 404;
* settings that cannot work are refused by `tutor config save`, with the reason;
* `tutor local do init --limit tenancy` hands its job script to `docker compose run
  tenancy-job sh -e -c SCRIPT`; a stand-in for the `docker` command (there is no Docker
  daemon) runs that script as the container would, with the rendered environment and the real
  binary: it migrates and imports from an LMS database in MariaDB that the real
  edx-organizations app filled (TENANCY_TEST_MARIADB_URL, TENANCY_TEST_PYTHON: scripts/test.sh
  sets both); then the service starts with the whole rendered env file and follows that
  database, keeping the LMS's logos;
* with tutor-discovery (and an ecommerce plugin) enabled, the env file follows their databases
  and the init job imports from them.

Run by scripts/tutor-check.sh (which makes the venv); the binary is TENANCY_BINARY.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import yaml
from Crypto.Hash import SHA512
from Crypto.PublicKey import RSA
from Crypto.Signature import pkcs1_15

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
BINARY = os.environ.get("TENANCY_BINARY", str(REPO / "target/debug/tenancy-gateway"))
TUTOR = shutil.which("tutor") or str(Path(os.sys.executable).parent / "tutor")
ENV_FILE = Path("env/plugins/tenancy/apps/tenancy.env")
MFE_ORIGIN = "http://apps.local.openedx.io"
# Settings that name hosts of the Tutor network (the database file in /data, the LMS's MySQL):
# the binary on this machine gets its own values for these, and every other rendered one.
HOST_SPECIFIC = ("TENANCY_LISTEN", "TENANCY_DATABASE_URL", "TENANCY_FOLLOW_")


def tutor(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, TUTOR_ROOT=str(root), TUTOR_PLUGINS_ROOT=str(root / "plugins"))
    done = subprocess.run(
        [TUTOR, *args], env=env, capture_output=True, text=True, timeout=600
    )
    if check and done.returncode != 0:
        raise AssertionError(f"tutor {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as Compose and kustomize read them (comments and blank lines skipped)."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def lms_setting(root: Path, name: str):
    """The literal a JWT_AUTH setting has in the LMS's rendered production settings."""
    text = (root / "env/apps/openedx/settings/lms/production.py").read_text(encoding="utf-8")
    dumps = re.search(
        rf'JWT_AUTH\["{name}"\] = json\.dumps\((.*?)\n\)', text, flags=re.S
    )
    if dumps:
        return ast.literal_eval(dumps.group(1).strip())
    plain = re.search(rf'JWT_AUTH\["{name}"\] = (\[.*?\n\])', text, flags=re.S)
    assert plain, f"{name} not in the LMS settings"
    return ast.literal_eval(plain.group(1))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rs512(key: RSA.RsaKey, claims: dict, kid: str = "openedx") -> str:
    """A JWT as the LMS signs it (RS512, kid `openedx`), made here with pycryptodome."""
    header = {"alg": "RS512", "typ": "JWT", "kid": kid}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = pkcs1_15.new(key).sign(SHA512.new(signing_input.encode()))
    return f"{signing_input}.{b64(signature)}"


def request(url: str, method: str = "GET", body: dict | None = None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, dict(res.headers), res.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode()


class Rendered(unittest.TestCase):
    """The default configuration: SQLite on the data/tenancy volume, one replica."""

    root: Path
    tmp: tempfile.TemporaryDirectory

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="tutor-tenancy-")
        cls.root = Path(cls.tmp.name) / "default"
        tutor(cls.root, "plugins", "enable", "mfe", "tenancy")
        tutor(cls.root, "config", "save")
        cls.env = read_env_file(cls.root / ENV_FILE)
        cls.config = yaml.safe_load((cls.root / "config.yml").read_text(encoding="utf-8"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def variant(self, name: str, *settings: str, check: bool = True):
        """A copy of the default root saved again with `--set` settings."""
        root = Path(self.tmp.name) / name
        shutil.copytree(self.root, root)
        args = [arg for setting in settings for arg in ("--set", setting)]
        return root, tutor(root, "config", "save", *args, check=check)

    # The env file: the values, and the traps of its two readers.

    def test_env_file_values(self):
        env = self.env
        self.assertEqual(env["TENANCY_LISTEN"], "0.0.0.0:8000")
        self.assertEqual(env["TENANCY_DATABASE_URL"], "sqlite:///data/tenancy.db?mode=rwc")
        self.assertEqual(env["TENANCY_PUBLIC_URL"], "http://tenancy.local.openedx.io")
        self.assertEqual(
            env["TENANCY_CORS_ALLOWED_ORIGINS"],
            "http://local.openedx.io,http://studio.local.openedx.io," + MFE_ORIGIN,
        )
        self.assertEqual(env["TENANCY_METRICS_TOKEN"], self.config["TENANCY_METRICS_TOKEN"])
        self.assertEqual(len(env["TENANCY_METRICS_TOKEN"]), 32)
        self.assertEqual(
            env["TENANCY_FOLLOW_LMS_DATABASE"],
            f"mysql://openedx:{self.config['OPENEDX_MYSQL_PASSWORD']}@mysql:3306/openedx",
        )
        self.assertEqual(env["TENANCY_FOLLOW_INTERVAL"], "10s")
        self.assertEqual(env["TENANCY_FOLLOW_LMS_MEDIA_URL"], "http://local.openedx.io/media/")
        text = (self.root / ENV_FILE).read_text(encoding="utf-8")
        self.assertTrue(text.endswith("\n"), "Tutor strips the last newline: one must remain")
        for key, value in env.items():
            self.assertNotIn("$", value, key)
            self.assertNotIn(value[:1], ("'", '"'), key)

    def test_jwk_set_and_issuer_are_the_lms_own(self):
        self.assertEqual(
            json.loads(self.env["TENANCY_JWT_PUBLIC_SIGNING_JWK_SET"]),
            lms_setting(self.root, "JWT_PUBLIC_SIGNING_JWK_SET"),
        )
        issuers = json.loads(self.env["TENANCY_JWT_ISSUERS"])
        lms = lms_setting(self.root, "JWT_ISSUERS")
        self.assertEqual(
            issuers,
            [{"ISSUER": lms[0]["ISSUER"], "AUDIENCE": lms[0]["AUDIENCE"]}],
            "the LMS's issuer and audience; no HS256 secret unless TENANCY_JWT_HS256",
        )

    def test_mfe_config_names_the_graphql_url(self):
        for mode in ("production", "development"):
            text = (self.root / f"env/apps/openedx/settings/lms/{mode}.py").read_text()
            self.assertIn(
                'MFE_CONFIG["TENANCY_GRAPHQL_URL"] = "http://tenancy.local.openedx.io/graphql"',
                text,
                mode,
            )

    # Docker Compose.

    # Tutor runs `docker compose -f docker-compose.yml -f docker-compose.prod.yml` for the
    # services, and adds `-f docker-compose.jobs.yml` for `do` jobs.
    SERVICES = ("docker-compose.yml", "docker-compose.prod.yml")
    JOBS = (*SERVICES, "docker-compose.jobs.yml")

    def compose(self, root: Path, *files: str) -> dict:
        args = ["docker-compose", "--project-directory", str(root / "env/local")]
        for name in files:
            args += ["-f", str(root / "env/local" / name)]
        done = subprocess.run(args + ["config"], capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        return yaml.safe_load(done.stdout)

    def test_compose_service_and_job(self):
        services = self.compose(self.root, *self.SERVICES)[
            "services"
        ]
        tenancy = services["tenancy"]
        self.assertEqual(tenancy["image"], "localhost/tenancy-gateway:0.1.0")
        self.assertEqual(tenancy["environment"], self.env, "Compose reads the env file as is")
        self.assertEqual(tenancy["volumes"], [f"{self.root}/data/tenancy:/data:z"])
        self.assertEqual(
            tenancy["healthcheck"]["test"],
            ["CMD", "tenancy-gateway", "probe", "http://127.0.0.1:8000/readyz"],
        )
        self.assertEqual(set(tenancy["depends_on"]), {"mysql", "permissions"})
        self.assertNotIn("deploy", tenancy)
        self.assertNotIn("tenancy-postgresql", services)
        permissions = services["permissions"]["volumes"]
        self.assertIn(f"{self.root}/data/tenancy:/mounts/tenancy:z", permissions)
        setowners = (self.root / "env/apps/permissions/setowners.sh").read_text()
        self.assertIn("setowner 1000 /mounts/tenancy", setowners)

        job = self.compose(self.root, *self.JOBS)["services"]["tenancy-job"]
        self.assertEqual(job["environment"], self.env)
        self.assertEqual(job["volumes"], [f"{self.root}/data/tenancy:/data:z"])

    # Kubernetes.

    def kustomize(self, root: Path) -> list[dict]:
        done = subprocess.run(
            ["kubectl", "kustomize", str(root / "env")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        return [doc for doc in yaml.safe_load_all(done.stdout) if doc]

    @staticmethod
    def find(docs: list[dict], kind: str, name: str) -> dict | None:
        """The resource of that kind and name (a generated Secret: the name is a prefix)."""
        for doc in docs:
            actual = doc["metadata"]["name"]
            if doc["kind"] == kind and (actual == name or (kind == "Secret" and actual.startswith(name))):
                return doc
        return None

    def check_kubernetes(self, root: Path, env: dict[str, str], replicas: int, sqlite: bool):
        docs = self.kustomize(root)
        secret = self.find(docs, "Secret", "tenancy-env-")
        self.assertIsNotNone(secret)
        data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
        self.assertEqual(data, env, "kustomize reads the env file as Compose does")

        deployment = self.find(docs, "Deployment", "tenancy")
        self.assertEqual(deployment["spec"]["replicas"], replicas)
        pod = deployment["spec"]["template"]["spec"]
        self.assertEqual(pod["securityContext"]["runAsUser"], 1000)
        container = pod["containers"][0]
        self.assertEqual(
            container["envFrom"], [{"secretRef": {"name": secret["metadata"]["name"]}}]
        )
        self.assertEqual(container["readinessProbe"]["httpGet"]["path"], "/readyz")
        self.assertEqual(container["livenessProbe"]["httpGet"]["path"], "/healthz")
        service = self.find(docs, "Service", "tenancy")
        self.assertEqual(service["spec"]["ports"][0]["port"], 8000)
        job = self.find(docs, "Job", "tenancy-job")
        self.assertEqual(
            job["spec"]["template"]["spec"]["containers"][0]["envFrom"], container["envFrom"]
        )
        claim = self.find(docs, "PersistentVolumeClaim", "tenancy")
        mounts = [m["mountPath"] for m in container["volumeMounts"]]
        if sqlite:
            self.assertIsNotNone(claim)
            self.assertIn("/data", mounts)
            self.assertEqual(deployment["spec"]["strategy"]["type"], "Recreate")
        else:
            self.assertIsNone(claim)
            self.assertNotIn("/data", mounts)
        return docs

    def test_kubernetes(self):
        docs = self.check_kubernetes(self.root, self.env, replicas=1, sqlite=True)
        self.assertIsNone(self.find(docs, "Deployment", "tenancy-postgresql"))

    # PostgreSQL and three replicas.

    def test_postgresql_and_three_replicas(self):
        root, _ = self.variant("postgresql", "TENANCY_RUN_POSTGRESQL=true", "TENANCY_REPLICAS=3")
        env = read_env_file(root / ENV_FILE)
        config = yaml.safe_load((root / "config.yml").read_text(encoding="utf-8"))
        password = config["TENANCY_POSTGRESQL_PASSWORD"]
        self.assertEqual(password, self.config["TENANCY_POSTGRESQL_PASSWORD"], "made once")
        self.assertEqual(
            env["TENANCY_DATABASE_URL"],
            f"postgres://tenancy:{password}@tenancy-postgresql:5432/tenancy",
        )
        services = self.compose(root, *self.SERVICES)[
            "services"
        ]
        self.assertEqual(services["tenancy"]["deploy"]["replicas"], 3)
        self.assertNotIn("volumes", services["tenancy"])
        self.assertIn("tenancy-postgresql", services["tenancy"]["depends_on"])
        postgresql = services["tenancy-postgresql"]
        self.assertEqual(postgresql["environment"]["POSTGRES_PASSWORD"], password)
        self.assertEqual(
            postgresql["volumes"],
            [f"{root}/data/tenancy-postgresql:/var/lib/postgresql/data:z"],
        )
        job = self.compose(root, *self.JOBS)["services"]["tenancy-job"]
        self.assertEqual(job["environment"], env)

        docs = self.check_kubernetes(root, env, replicas=3, sqlite=False)
        self.assertIsNotNone(self.find(docs, "Deployment", "tenancy-postgresql"))
        self.assertIsNotNone(self.find(docs, "Service", "tenancy-postgresql"))
        self.assertIsNotNone(self.find(docs, "PersistentVolumeClaim", "tenancy-postgresql"))

    # Discovery's and ecommerce's databases, when their plugins are enabled.

    def test_discovery_and_ecommerce_databases(self):
        root = Path(self.tmp.name) / "services"
        shutil.copytree(self.root, root)
        (root / "plugins").mkdir(exist_ok=True)
        (root / "plugins" / "ecommerce.yml").write_text(ECOMMERCE_STAND_IN, encoding="utf-8")
        tutor(root, "plugins", "enable", "discovery", "ecommerce")
        tutor(root, "config", "save")
        config = yaml.safe_load((root / "config.yml").read_text(encoding="utf-8"))
        urls = {
            name: f"mysql://{name}:{config[name.upper() + '_MYSQL_PASSWORD']}@mysql:3306/{name}"
            for name in ("discovery", "ecommerce")
        }
        env = read_env_file(root / ENV_FILE)
        self.assertEqual(env["TENANCY_FOLLOW_DISCOVERY_DATABASE"], urls["discovery"])
        self.assertEqual(env["TENANCY_FOLLOW_ECOMMERCE_DATABASE"], urls["ecommerce"])
        self.assertNotIn("TENANCY_FOLLOW_DISCOVERY_DATABASE", self.env, "not without the plugin")
        # The init job imports from both (its script, as `tutor local do init` hands it over).
        script = init_script(root)
        self.assertIn(f'--discovery-database "{urls["discovery"]}"', script)
        self.assertIn(f'--ecommerce-database "{urls["ecommerce"]}"', script)
        self.assertNotIn("--discovery-database", init_script(self.root))

    # What cannot work is refused, with the reason; a host the cookies miss is warned about.

    def test_refusals_and_warnings(self):
        _, done = self.variant("sqlite-replicas", "TENANCY_REPLICAS=3", check=False)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("TENANCY_REPLICAS=3 needs PostgreSQL", done.stdout + done.stderr)

        _, done = self.variant(
            "dollar", "TENANCY_DATABASE_URL=postgres://u:pa$$word@db:5432/t", check=False
        )
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("TENANCY_DATABASE_URL holds '$'", done.stdout + done.stderr)

        _, done = self.variant("hs256", "TENANCY_JWT_HS256=true", check=False)
        self.assertNotEqual(done.returncode, 0, "Tutor's 24-character Django secret is too short")
        self.assertIn("at least 32 bytes", done.stdout + done.stderr)

        secret = "s" * 40
        root, done = self.variant(
            "hs256-long", "TENANCY_JWT_HS256=true", f"OPENEDX_SECRET_KEY={secret}"
        )
        issuers = json.loads(read_env_file(root / ENV_FILE)["TENANCY_JWT_ISSUERS"])
        self.assertEqual(issuers[0]["SECRET_KEY"], lms_setting(root, "JWT_ISSUERS")[0]["SECRET_KEY"])

        _, done = self.variant("elsewhere", "TENANCY_HOST=tenancy.example.com")
        self.assertIn('TENANCY_HOST="tenancy.example.com" is not a subdomain', done.stdout + done.stderr)

    # Caddy.

    def test_caddy_route(self):
        done = subprocess.run(
            [
                "caddy",
                "adapt",
                "--adapter",
                "caddyfile",
                "--config",
                str(self.root / "env/apps/caddy/Caddyfile"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        routes = [
            route
            for server in json.loads(done.stdout)["apps"]["http"]["servers"].values()
            for route in server["routes"]
            if any("tenancy.local.openedx.io" in m.get("host", []) for m in route.get("match", []))
        ]
        self.assertEqual(len(routes), 1)
        inner = routes[0]["handle"][0]["routes"]
        self.assertEqual(inner[0]["match"], [{"path": ["/metrics", "/metrics/*"]}])
        self.assertEqual(inner[0]["handle"], [{"handler": "static_response", "status_code": 404}])
        proxy = inner[1]["handle"][0]
        self.assertEqual(proxy["handler"], "reverse_proxy")
        self.assertEqual(proxy["upstreams"], [{"dial": "tenancy:8000"}])

    # The binary with exactly the rendered environment.

    def test_binary_accepts_the_lms_tokens(self):
        data = Path(self.tmp.name) / "binary"
        data.mkdir()
        env = {k: v for k, v in self.env.items() if not k.startswith(HOST_SPECIFIC)}
        env.update(
            PATH=os.environ.get("PATH", "/usr/bin:/bin"),
            TENANCY_LISTEN="127.0.0.1:0",
            TENANCY_DATABASE_URL=f"sqlite://{data}/tenancy.db?mode=rwc",
            RUST_LOG="warn",
        )
        with (data / "stderr.log").open("w") as log:
            child = subprocess.Popen(
                [BINARY, "serve"], env=env, cwd=data, stdout=subprocess.PIPE, stderr=log, text=True
            )
        try:
            first = child.stdout.readline().strip()
            if not first.startswith("listening on "):
                child.kill()
                child.wait()
                self.fail(f"did not start: {first}{(data / 'stderr.log').read_text()}")
            base = first.removeprefix("listening on ")
            if child.poll() is not None:
                self.fail(f"the binary stopped: {(data / 'stderr.log').read_text()}")
            self.check_tokens(base)
            self.check_cors(base)
            status, _, _ = request(f"{base}/metrics")
            self.assertEqual(status, 401, "metrics need the rendered token")
            status, _, _ = request(
                f"{base}/metrics",
                headers={"Authorization": f"Bearer {self.env['TENANCY_METRICS_TOKEN']}"},
            )
            self.assertEqual(status, 200)
        finally:
            child.terminate()
            child.wait(timeout=30)
            child.stdout.close()

    def claims(self, **extra) -> dict:
        issuer = json.loads(self.env["TENANCY_JWT_ISSUERS"])[0]
        now = int(time.time())
        claims = {
            "iss": issuer["ISSUER"],
            "aud": issuer["AUDIENCE"],
            "iat": now,
            "exp": now + 300,
            "sub": "a1b2c3d4e5f6",
            "preferred_username": "ada",
            "email": "ada@example.com",
            "administrator": True,
            "superuser": False,
            "filters": ["user:me"],
            "scopes": ["user_id", "email", "profile"],
            "version": "1.2.0",
            "is_restricted": False,
        }
        claims.update(extra)
        return claims

    def viewer(self, base: str, headers: dict) -> dict:
        status, _, body = request(
            f"{base}/graphql",
            "POST",
            {"query": "{ viewer { subject administrator authenticatedBy } }"},
            headers,
        )
        return json.loads(body)

    def check_tokens(self, base: str):
        key = RSA.import_key(self.config["JWT_RSA_PRIVATE_KEY"])
        token = rs512(key, self.claims())
        self.assertEqual(
            self.viewer(base, {"Authorization": f"JWT {token}"}),
            {"data": {"viewer": {"subject": "ada", "administrator": True, "authenticatedBy": "HEADER"}}},
        )
        header_payload, signature = token.rsplit(".", 1)
        cookies = (
            f"edx-jwt-cookie-header-payload={header_payload}; "
            f"edx-jwt-cookie-signature={signature}"
        )
        self.assertEqual(
            self.viewer(base, {"Cookie": cookies, "Origin": MFE_ORIGIN, "Use-Jwt-Cookie": "true"}),
            {"data": {"viewer": {"subject": "ada", "administrator": True, "authenticatedBy": "COOKIE"}}},
        )
        # Not the LMS's key, or not its issuer: refused.
        other = rs512(RSA.generate(2048), self.claims())
        refused = self.viewer(base, {"Authorization": f"JWT {other}"})
        self.assertEqual(refused["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", refused)
        elsewhere = rs512(key, self.claims(iss="http://lms.example.com/oauth2"))
        refused = self.viewer(base, {"Authorization": f"JWT {elsewhere}"})
        self.assertEqual(refused["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", refused)

    def check_cors(self, base: str):
        preflight = {
            "Origin": MFE_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,use-jwt-cookie,x-csrftoken",
        }
        status, headers, _ = request(f"{base}/graphql", "OPTIONS", headers=preflight)
        headers = {k.lower(): v for k, v in headers.items()}
        self.assertLess(status, 300)
        self.assertEqual(headers.get("access-control-allow-origin"), MFE_ORIGIN)
        self.assertEqual(headers.get("access-control-allow-credentials"), "true")
        preflight["Origin"] = "http://evil.example"
        _, headers, _ = request(f"{base}/graphql", "OPTIONS", headers=preflight)
        self.assertNotIn("access-control-allow-origin", {k.lower() for k in headers})


# No ecommerce plugin exists for Tutor 22 (tutor-ecommerce ended at 19): operators who run
# ecommerce keep a plugin of their own. This one declares what tutor-ecommerce 19 declares for
# its database, which is all the tenancy plugin reads from it.
ECOMMERCE_STAND_IN = """name: ecommerce
version: 19.0.0
config:
  defaults:
    MYSQL_DATABASE: ecommerce
    MYSQL_USERNAME: ecommerce
  add:
    MYSQL_PASSWORD: "{{ 8|random_string }}"
"""


def init_script(root: Path) -> str:
    """The tenancy init job's script as `tutor local do init` hands it to `docker compose run`
    (the stand-in `docker` below records it and runs nothing)."""
    with tempfile.TemporaryDirectory(prefix="tutor-tenancy-script-") as tmp:
        tmp = Path(tmp)
        (tmp / "docker").write_text(FAKE_DOCKER.format(python=os.sys.executable))
        (tmp / "docker").chmod(0o755)
        env = dict(
            os.environ,
            TUTOR_ROOT=str(root),
            TUTOR_PLUGINS_ROOT=str(root / "plugins"),
            PATH=f"{tmp}:{os.environ['PATH']}",
            FAKE_JOB_LOG=str(tmp / "jobs.log"),
            FAKE_JOB_DRY="1",
        )
        done = subprocess.run(
            [TUTOR, "local", "do", "init", "--limit", "tenancy"],
            env=env, capture_output=True, text=True, timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        jobs = [json.loads(line) for line in (tmp / "jobs.log").read_text().splitlines()]
        assert [job[-5] for job in jobs] == ["tenancy-job"], jobs
        return jobs[0][-1]


# A stand-in for the `docker` command: Tutor's `local do` asks `compose ... ls` (answered: no
# project runs) and `compose ... run ... tenancy-job sh -e -c SCRIPT` (run here, as the
# container would: the rendered env file, with the local overrides in FAKE_JOB_OVERRIDES).
FAKE_DOCKER = """#!{python}
import json, os, subprocess, sys
args = sys.argv[1:]
if "ls" in args:
    print("[]")
    sys.exit(0)
if "run" not in args:
    sys.exit(0)
with open(os.environ["FAKE_JOB_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
assert args[-4:-1] == ["sh", "-e", "-c"], args
assert args[-5] == "tenancy-job", args
if os.environ.get("FAKE_JOB_DRY"):
    sys.exit(0)
env = dict(PATH=os.environ["FAKE_JOB_PATH"])
with open(os.environ["FAKE_JOB_ENV_FILE"]) as env_file:
    for line in env_file.read().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
env.update(json.loads(os.environ["FAKE_JOB_OVERRIDES"]))
sys.exit(subprocess.run(["sh", "-e", "-c", args[-1]], env=env, cwd=os.environ["FAKE_JOB_DIR"]).returncode)
"""


class DocumentedInstall(unittest.TestCase):
    """The install line of docs/deploy.md, run as written (pip kept offline and without build
    isolation by its environment: everything it needs is in the venv already)."""

    def test_the_install_line_of_the_docs_works_as_written(self):
        text = (REPO / "docs/deploy.md").read_text(encoding="utf-8")
        line = re.search(r"^```sh\n(pip install \./deploy/tutor[^\n]*)\n```", text, re.M)
        self.assertIsNotNone(line, "docs/deploy.md has no `pip install ./deploy/tutor` block")
        self.assertEqual(
            line.group(1),
            "pip install ./deploy/tutor && tutor plugins enable tenancy && tutor config save",
        )
        with tempfile.TemporaryDirectory(prefix="tutor-tenancy-docs-") as tmp:
            env = dict(
                os.environ,
                PATH=f"{Path(TUTOR).parent}:{os.environ['PATH']}",
                TUTOR_ROOT=tmp,
                TUTOR_PLUGINS_ROOT=f"{tmp}/plugins",
                PIP_NO_INDEX="1",
                PIP_NO_BUILD_ISOLATION="0",
                PIP_DISABLE_PIP_VERSION_CHECK="1",
            )
            done = subprocess.run(
                ["bash", "-e", "-c", line.group(1)], cwd=REPO, env=env,
                capture_output=True, text=True, timeout=600,
            )
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            rendered = read_env_file(Path(tmp) / ENV_FILE)
            self.assertEqual(rendered["TENANCY_LISTEN"], "0.0.0.0:8000")


class InitJob(unittest.TestCase):
    def test_init_migrates_and_imports_from_the_lms_database(self):
        admin = os.environ.get("TENANCY_TEST_MARIADB_URL")
        python = os.environ.get("TENANCY_TEST_PYTHON")
        if not (admin and python):
            if os.environ.get("CI"):
                self.fail("CI needs TENANCY_TEST_MARIADB_URL and TENANCY_TEST_PYTHON")
            self.skipTest("TENANCY_TEST_MARIADB_URL / TENANCY_TEST_PYTHON unset (scripts/test.sh sets them)")
        server = urllib.parse.urlparse(admin)
        name = f"lms_init_{os.getpid()}"
        user, password = "tutor_openedx", "Init5ecret"
        create = (
            "import pymysql; c = pymysql.connect(host={h!r}, port={p}, user={u!r}, password={w!r});"
            "k = c.cursor();"
            "k.execute('CREATE DATABASE {n} CHARACTER SET utf8mb4');"
            "k.execute(\"CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY '{password}'\");"
            "k.execute(\"GRANT ALL ON {n}.* TO '{user}'@'%'\")"
        ).format(
            h=server.hostname, p=server.port, u=server.username or "root",
            w=server.password or "", n=name, user=user, password=password,
        )
        subprocess.run([python, "-c", create], check=True, timeout=60)
        fill = subprocess.run(
            [python, str(REPO / "tests/python/orgs_peer/fill.py")],
            env=dict(os.environ, ORGS_PEER_DATABASE=f"mysql://{user}:{password}@{server.hostname}:{server.port}/{name}"),
            capture_output=True, text=True, timeout=300,
        )
        self.assertEqual(fill.returncode, 0, fill.stderr)

        with tempfile.TemporaryDirectory(prefix="tutor-tenancy-init-") as tmp:
            tmp = Path(tmp)
            root = tmp / "root"
            tutor(root, "plugins", "enable", "tenancy")
            tutor(
                root, "config", "save",
                "--set", f"MYSQL_HOST={server.hostname}", "--set", f"MYSQL_PORT={server.port}",
                "--set", f"OPENEDX_MYSQL_USERNAME={user}", "--set", f"OPENEDX_MYSQL_PASSWORD={password}",
                "--set", f"OPENEDX_MYSQL_DATABASE={name}",
            )
            bin_dir = tmp / "bin"
            bin_dir.mkdir()
            (bin_dir / "docker").write_text(FAKE_DOCKER.format(python=os.sys.executable))
            (bin_dir / "docker").chmod(0o755)
            (bin_dir / "tenancy-gateway").symlink_to(BINARY)
            data = tmp / "data"
            data.mkdir()
            database = f"sqlite://{data}/tenancy.db?mode=rwc"
            env = dict(
                os.environ,
                TUTOR_ROOT=str(root),
                TUTOR_PLUGINS_ROOT=str(root / "plugins"),
                PATH=f"{bin_dir}:{os.environ['PATH']}",
                FAKE_JOB_LOG=str(tmp / "jobs.log"),
                FAKE_JOB_PATH=f"{bin_dir}:/usr/bin:/bin",
                FAKE_JOB_ENV_FILE=str(root / ENV_FILE),
                FAKE_JOB_OVERRIDES=json.dumps({"TENANCY_DATABASE_URL": database, "RUST_LOG": "warn"}),
                FAKE_JOB_DIR=str(data),
            )
            done = subprocess.run(
                [TUTOR, "local", "do", "init", "--limit", "tenancy"],
                env=env, capture_output=True, text=True, timeout=600,
            )
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            jobs = [json.loads(line) for line in (tmp / "jobs.log").read_text().splitlines()]
            self.assertEqual([job[-5] for job in jobs], ["tenancy-job"])
            self.assertIn("migrations applied", done.stdout + done.stderr)

            # The `tenancy` service as Compose starts it: the whole rendered env file (following
            # the LMS's MariaDB included), only the address and the database file made local.
            served = dict(read_env_file(root / ENV_FILE), PATH="/usr/bin:/bin", RUST_LOG="warn")
            served.update(TENANCY_LISTEN="127.0.0.1:0", TENANCY_DATABASE_URL=database)
            self.assertIn("TENANCY_FOLLOW_LMS_DATABASE", served)
            child = subprocess.Popen(
                [BINARY, "serve"], env=served,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )
            try:
                base = child.stdout.readline().strip().removeprefix("listening on ")
                # The follower's first round is a whole import: wait until it is done.
                state, body = None, ""
                for _ in range(300):
                    status, _, body = request(f"{base}/readyz", headers={"Accept": "application/json"})
                    # Not ready (503, plain text) while it starts: ask again.
                    if status == 200:
                        state = json.loads(body)["follower"]["state"]
                        if state == "following":
                            break
                    time.sleep(0.1)
                self.assertEqual(state, "following", body)
                status, _, body = request(
                    f"{base}/graphql", "POST",
                    {"query": "{ organizations(first: 10) { edges { node { shortName logoUrl } } } sites(first: 10) { edges { node { domain } } } }"},
                )
                answer = json.loads(body)["data"]
                # What an anonymous reader sees: the active organizations (Gone is inactive).
                organizations = {
                    e["node"]["shortName"]: e["node"]["logoUrl"]
                    for e in answer["organizations"]["edges"]
                }
                # edX's logo is a media path in the LMS: the import and the follower both keep
                # it as a URL under the LMS's media (a follower without the media URL cleared it).
                self.assertEqual(
                    organizations,
                    {"edX": "http://local.openedx.io/media/organization_logos/edx.png", "MITx": None},
                )
                self.assertIn("mit.lms.test", {e["node"]["domain"] for e in answer["sites"]["edges"]})
            finally:
                child.terminate()
                child.wait(timeout=30)
                child.stdout.close()


if __name__ == "__main__":
    unittest.main()
