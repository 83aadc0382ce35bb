"""Migrates ORGS_PEER_DATABASE and serves the project on a free 127.0.0.1 port, printing
`listening on http://ADDR` (as tenancy-gateway does) once it accepts connections."""
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


server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
server.serve_forever()
