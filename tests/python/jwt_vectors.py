"""Differential JWT vectors: tokens shaped and signed the way Open edX does it, each labelled
with whether edx-drf-extensions' own decoder (`jwt_decode_handler`) accepts it.

Usage: python jwt_vectors.py OUT.json

OUT.json holds {"config": {...}, "vectors": [{"name", "token", "accepted"}]}; the Rust test
(tests/api/auth_differential.rs) starts the service with the same settings and checks that it
accepts exactly the tokens accepted here.
"""

import base64
import json
import logging
import sys
import time
from types import SimpleNamespace

import django
from django.conf import settings
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://lms.test/oauth2"
AUDIENCE = "openedx"
SECRET = "differential-hs256-secret-at-least-32-bytes"
# A second JWT_ISSUERS entry: edx-drf-extensions 10.x verifies with the first entry only
# (`get_first_jwt_issuer()`), so B's secret and B's audience must never let a token in.
ISSUER_B = "https://studio.test/oauth2"
AUDIENCE_B = "studio-audience"
SECRET_B = "second-issuer-hs256-secret-of-32-bytes-or-more"
LEEWAY = 1


def rsa_key(kid):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = json.loads(RSAAlgorithm.to_jwk(key))
    private.update(kid=kid, alg="RS512")
    public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    public.update(kid=kid, alg="RS512")
    return key, private, public


KEY1, PRIVATE1, PUBLIC1 = rsa_key("key-1")
KEY2, PRIVATE2, PUBLIC2 = rsa_key("key-2")
OTHER, OTHER_PRIVATE, _ = rsa_key("key-1")  # not in the set, but claims key-1's kid
JWK_SET = json.dumps({"keys": [PUBLIC1, PUBLIC2]})

settings.configure(
    SECRET_KEY="unused-django-secret",
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes"],
    DATABASES={},
    JWT_AUTH={
        "JWT_ISSUERS": [
            {"ISSUER": ISSUER, "AUDIENCE": AUDIENCE, "SECRET_KEY": SECRET},
            {"ISSUER": ISSUER_B, "AUDIENCE": AUDIENCE_B, "SECRET_KEY": SECRET_B},
        ],
        "JWT_PUBLIC_SIGNING_JWK_SET": JWK_SET,
        "JWT_PRIVATE_SIGNING_JWK": json.dumps(PRIVATE1),
        "JWT_SIGNING_ALGORITHM": "RS512",
        "JWT_LEEWAY": LEEWAY,
        "JWT_VERIFY_AUDIENCE": True,
        "JWT_SUPPORTED_VERSION": "1.2.0",
        "JWT_ALGORITHM": "HS256",
        "JWT_AUTH_COOKIE_HEADER_PAYLOAD": "edx-jwt-cookie-header-payload",
        "JWT_AUTH_COOKIE_SIGNATURE": "edx-jwt-cookie-signature",
    },
)
django.setup()
logging.disable(logging.CRITICAL)  # the decoder logs every refusal with a traceback

import jwt  # noqa: E402  (after settings, as Django code expects)
from edx_rest_framework_extensions.auth.jwt.decoder import jwt_decode_handler  # noqa: E402
from edx_rest_framework_extensions.auth.jwt.tests import utils  # noqa: E402

NOW = int(time.time())
USER = SimpleNamespace(username="ada", id=7, email="ada@example.com")


def payload(**changes):
    """The LMS's payload (edx-drf-extensions' test utility), valid for a day, then `changes`
    (a value of None removes the claim)."""
    claims = utils.generate_latest_version_payload(
        USER, scopes=["user_id", "email", "profile"], filters=["user:me"]
    )
    claims.update(exp=NOW + 86400, iat=NOW, version="1.2.0", sub="hash-of-ada")
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def rs(claims, key=KEY1, alg="RS512", kid="key-1"):
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims, key, algorithm=alg, headers=headers)


def hs(claims, secret=SECRET):
    return jwt.encode(claims, secret, algorithm="HS256")


def hs_raw(claims, key, alg="HS256"):
    """HMAC signed by hand (PyJWT refuses short keys for some algorithms)."""
    import hashlib
    import hmac

    digest = {"HS256": hashlib.sha256, "HS512": hashlib.sha512}[alg]
    signing_input = f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(claims)}"
    mac = hmac.new(key, signing_input.encode(), digest).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def b64(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned(claims, alg="none"):
    return f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(claims)}."


def hs256_with_public_pem(claims):
    """The algorithm-confusion attack: HMAC keyed with the public key's PEM. PyJWT refuses to
    make one, so it is signed by hand."""
    import hashlib
    import hmac

    pem = KEY1.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT', 'kid': 'key-1'})}.{b64(claims)}"
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


VECTORS = {
    "hs256 right secret (edx test utility)": lambda: utils.generate_jwt_token(payload()),
    "hs256 wrong secret": lambda: hs(payload(), "another-secret-that-is-32-bytes-long!!"),
    "rs512 key 1 (edx test utility)": lambda: utils.generate_asymmetric_jwt_token(payload()),
    "rs256 key 1": lambda: rs(payload(), alg="RS256"),
    "rs512 key 2 with its kid (rotation)": lambda: rs(payload(), KEY2, kid="key-2"),
    "rs512 key 2 without kid (rotation)": lambda: rs(payload(), KEY2, kid=None),
    "rs512 key 1 without kid": lambda: rs(payload(), kid=None),
    "rs512 key 2 under key 1's kid": lambda: rs(payload(), KEY2, kid="key-1"),
    "rs512 unknown key claiming key 1's kid": lambda: rs(payload(), OTHER),
    "rs384 key 1": lambda: rs(payload(), alg="RS384"),
    "ps256 key 1": lambda: rs(payload(), alg="PS256"),
    "wrong issuer": lambda: rs(payload(iss="https://evil.test/oauth2")),
    "no issuer": lambda: rs(payload(iss=None)),
    "hs256 wrong issuer": lambda: hs(payload(iss="https://evil.test/oauth2")),
    "wrong audience": lambda: rs(payload(aud="other")),
    "no audience": lambda: rs(payload(aud=None)),
    "audience list containing it": lambda: rs(payload(aud=["other", AUDIENCE])),
    "audience list without it": lambda: rs(payload(aud=["other", "more"])),
    "missing iat": lambda: rs(payload(iat=None)),
    "missing exp": lambda: rs(payload(exp=None)),
    "iat in the future": lambda: rs(payload(iat=NOW + 3600)),
    "expired an hour ago": lambda: rs(payload(exp=NOW - 3600)),
    "hs256 expired": lambda: hs(payload(exp=NOW - 3600)),
    "nbf in the future": lambda: rs(payload(nbf=NOW + 3600)),
    "nbf in the past": lambda: rs(payload(nbf=NOW - 60)),
    "version 2.0.0": lambda: rs(payload(version="2.0.0")),
    "version 1.9 (not semver)": lambda: rs(payload(version="1.9")),
    "version 1.9.0": lambda: rs(payload(version="1.9.0")),
    "version 0.9.0": lambda: rs(payload(version="0.9.0")),
    "no version": lambda: rs(payload(version=None)),
    "alg none": lambda: unsigned(payload()),
    "alg none upper case": lambda: unsigned(payload(), alg="NONE"),
    "hs256 signed with the public key pem": lambda: hs256_with_public_pem(payload()),
    "signature cut off": lambda: rs(payload()).rsplit(".", 1)[0] + ".",
    "payload swapped": lambda: (
        lambda good, other: ".".join([good[0], other[1], good[2]])
    )(rs(payload()).split("."), rs(payload(administrator=True)).split(".")),
    "restricted with filters": lambda: rs(
        payload(is_restricted=True, filters=["content_org:MITx", "user:me"])
    ),
    "superuser claim": lambda: rs(payload(superuser=True)),
    "numeric sub": lambda: rs(payload(sub=12345)),
    "string exp": lambda: rs(payload(exp=str(NOW + 86400))),
    "not a jwt": lambda: "not.a.jwt",
    "rs512 key 2 with an unknown kid": lambda: rs(payload(), KEY2, kid="retired"),
    "hs256 with an empty secret": lambda: hs_raw(payload(), b""),
    "hs256 with a kid header": lambda: jwt.encode(payload(), SECRET, algorithm="HS256", headers={"kid": "key-1"}),
    "hs512 right secret": lambda: hs_raw(payload(), SECRET.encode(), "HS512"),
    "audience list with a number": lambda: rs(payload(aud=[1, AUDIENCE])),
    "float exp": lambda: rs(payload(exp=NOW + 86400.5)),
    "string iat": lambda: rs(payload(iat=str(NOW))),
    "administrator, content_org filter": lambda: rs(
        payload(administrator=True, filters=["content_org:MITx"])
    ),
    # The second issuer (B): its secret, its iss and its audience.
    "hs256 issuer B's secret claiming A": lambda: hs(payload(), SECRET_B),
    "hs256 issuer B's secret claiming B": lambda: hs(
        payload(iss=ISSUER_B, aud=AUDIENCE_B), SECRET_B
    ),
    "hs256 issuer B's secret claiming B with A's audience": lambda: hs(
        payload(iss=ISSUER_B), SECRET_B
    ),
    "hs256 issuer A's secret claiming B": lambda: hs(payload(iss=ISSUER_B)),
    "hs256 issuer A's secret claiming B with B's audience": lambda: hs(
        payload(iss=ISSUER_B, aud=AUDIENCE_B)
    ),
    "rs512 claiming B": lambda: rs(payload(iss=ISSUER_B)),
    "rs512 claiming B with B's audience": lambda: rs(payload(iss=ISSUER_B, aud=AUDIENCE_B)),
    "rs512 B's audience claiming A": lambda: rs(payload(aud=AUDIENCE_B)),
    "hs256 B's audience claiming A": lambda: hs(payload(aud=AUDIENCE_B)),
    "rs512 audience list with B's audience only": lambda: rs(payload(aud=[AUDIENCE_B])),
}


def accepted(token):
    try:
        jwt_decode_handler(token)
        return True
    except Exception:  # any refusal, whatever its type, is a refusal
        return False


def main(out):
    vectors = []
    for name, make in VECTORS.items():
        token = make()
        vectors.append({"name": name, "token": token, "accepted": accepted(token)})
    document = {
        "generated_at": NOW,
        "config": {
            "jwk_set": JWK_SET,
            "issuers": json.dumps(settings.JWT_AUTH["JWT_ISSUERS"]),
            "leeway_seconds": LEEWAY,
            "verify_audience": True,
        },
        "vectors": vectors,
    }
    with open(out, "w") as f:
        json.dump(document, f, indent=1)
    print(
        f"{len(vectors)} JWT vectors, {sum(v['accepted'] for v in vectors)} accepted by "
        f"edx-drf-extensions, written to {out}"
    )


if __name__ == "__main__":
    main(sys.argv[1])
