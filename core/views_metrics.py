"""``GET /metrics``: the Prometheus scrape endpoint, behind a bearer token.

* ``MIGRATEIQ_METRICS_TOKEN`` unset: 404, as if the endpoint did not exist (metrics are never
  public by accident).
* Missing or wrong ``Authorization: Bearer <token>``: 401 with ``WWW-Authenticate: Bearer``.
  The comparison is constant-time.
"""

import hmac

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from core.metrics import render_latest


def _presented_token(request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@require_safe
def metrics(request):
    expected = settings.MIGRATEIQ_METRICS_TOKEN
    if not expected:
        raise Http404("Metrics are disabled (MIGRATEIQ_METRICS_TOKEN is not set).")
    if not hmac.compare_digest(_presented_token(request).encode(), expected.encode()):
        response = HttpResponse("A valid metrics bearer token is required.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(render_latest(), content_type=CONTENT_TYPE_LATEST)
