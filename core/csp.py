"""Content-Security-Policy for every response MigrateIQ serves.

The web UI keeps its tokens in ``sessionStorage``: a script injected into the page could read
them, so the pages allow scripts from this origin only (no inline script, no ``eval``, nothing
from other origins) and cannot be framed. Every response gets the strict policy of the setting
``MIGRATEIQ_CONTENT_SECURITY_POLICY`` unless its view set its own header:

* the web UI (``core/views_ui.py``, a Vite build: external module scripts and stylesheets) and the
  Django admin (external scripts only) run under the strict policy as it is;
* the API docs pages (Swagger UI, ReDoc, served offline by drf-spectacular-sidecar) get
  :data:`DOCS_POLICY` via :func:`docs_policy`: still no inline script (Swagger's initialisation
  script is served as a file by ``SpectacularSwaggerSplitView``), but inline *styles* (both UIs
  inject ``<style>`` elements at run time) and ReDoc's ``blob:`` web worker;
* JSON answers carry the strict policy too (harmless, and it covers an error page rendered as HTML).
"""

import base64
import functools
import hashlib

from django.conf import settings

DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = settings.MIGRATEIQ_CONTENT_SECURITY_POLICY
        return response


def policy_with_style_hash(style: str) -> str:
    """The strict policy, also allowing one inline ``<style>`` element with exactly this text."""
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    return settings.MIGRATEIQ_CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", f"style-src 'self' 'sha256-{digest}'"
    )


def docs_policy(view):
    """Give a docs page view (``as_view()`` result) :data:`DOCS_POLICY`."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response[HEADER] = DOCS_POLICY
        return response

    return wrapper
