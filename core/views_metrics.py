"""``GET /metrics``: the Prometheus scrape endpoint, behind a bearer token.

* ``MIGRATEIQ_METRICS_TOKEN`` unset: 404 (metrics are never public by accident, and a scraper
  sees no endpoint), with a one-line plain-text hint naming the setting that turns them on: no
  metric, nothing of the instance (``make run`` sets no token, and an HTML "page not found" made a
  first-time user conclude there were no metrics).
* Missing or wrong ``Authorization: Bearer <token>``: 401 with ``WWW-Authenticate: Bearer``.
  The comparison is constant-time.
"""

import hmac

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from core.metrics import render_latest

_PLAIN_TEXT = "text/plain; charset=utf-8"
DISABLED = (
    "Metrics are disabled: set MIGRATEIQ_METRICS_TOKEN to serve them here, "
    "to requests with 'Authorization: Bearer <that token>'.\n"
)


def _presented_token(request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@require_safe
def metrics(request):
    expected = settings.MIGRATEIQ_METRICS_TOKEN
    if not expected:
        return HttpResponseNotFound(DISABLED, content_type=_PLAIN_TEXT)
    if not hmac.compare_digest(_presented_token(request).encode(), expected.encode()):
        response = HttpResponse(
            "A valid metrics bearer token is required.\n", status=401, content_type=_PLAIN_TEXT
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(render_latest(), content_type=CONTENT_TYPE_LATEST)
