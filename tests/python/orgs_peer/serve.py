"""Migrates ORGS_PEER_DATABASE and serves the project on a free 127.0.0.1 port, printing
`listening on http://ADDR` (as tenancy-gateway does) once it accepts connections.

With ORGS_PEER_TLS_DIR set, it serves https with a certificate for 127.0.0.1 signed by a CA it
makes there (ca.pem), as an LMS behind a private CA would: `import --ca-cert` must be given
ca.pem to trust it."""
import os
import sys
import warnings
from wsgiref.simple_server import WSGIRequestHandler, make_server

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")

import django  # noqa: E402

django.setup()
from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

# The apps with migrations first: the synced tables below refer to django_site.
# edx-organizations' queryset has no ordering (as in the LMS): DRF warns on every page.
warnings.filterwarnings("ignore", message="Pagination may yield inconsistent results")
call_command("migrate", verbosity=0)
call_command("migrate", run_syncdb=True, verbosity=0)


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def private_ca(directory):
    """A CA made here (ca.pem, the file `import --ca-cert` is given) and a certificate it signs
    for the IP 127.0.0.1, both valid for a day; the server's TLS context."""
    import datetime
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def certificate(subject, issuer, public_key, signing_key, ca):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
            ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = certificate("orgs-peer test CA", "orgs-peer test CA", ca_key.public_key(), ca_key, True)
    server = certificate("127.0.0.1", "orgs-peer test CA", server_key.public_key(), ca_key, False)
    pem = serialization.Encoding.PEM
    paths = {name: os.path.join(directory, name) for name in ["ca.pem", "server.pem", "key.pem"]}
    with open(paths["ca.pem"], "wb") as f:
        f.write(ca.public_bytes(pem))
    with open(paths["server.pem"], "wb") as f:
        f.write(server.public_bytes(pem) + ca.public_bytes(pem))
    with open(paths["key.pem"], "wb") as f:
        f.write(server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(paths["server.pem"], paths["key.pem"])
    return context


server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
scheme = "http"
if os.environ.get("ORGS_PEER_TLS_DIR"):
    server.socket = private_ca(os.environ["ORGS_PEER_TLS_DIR"]).wrap_socket(server.socket, server_side=True)
    scheme = "https"
print(f"listening on {scheme}://127.0.0.1:{server.server_port}", flush=True)
server.serve_forever()
