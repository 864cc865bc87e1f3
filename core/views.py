"""Liveness and readiness probes for load balancers and orchestrators."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found

logger = logging.getLogger(__name__)


@require_GET
def healthz(request):
    """The process is up and answering."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        logger.warning("readiness: database unreachable: %s", exc)
        return "unreachable"
    return None


def _check_cache() -> str | None:
    try:
        cache.set("migrateiq:readyz", "1", 5)
        if cache.get("migrateiq:readyz") != "1":
            return "not storing values"
    except Exception as exc:
        logger.warning("readiness: cache unreachable: %s", exc)
        return "unreachable"
    return None


def _check_broker() -> str | None:
    from kombu import Connection

    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        logger.warning("readiness: broker unreachable: %s", exc)
        return "unreachable"
    return None


@require_GET
def readyz(request):
    """Database, and cache / broker when configured, are reachable; 503 otherwise."""
    checks = {"database": _check_database()}
    if settings.REDIS_URL:
        checks["cache"] = _check_cache()
    if not settings.CELERY_EMBEDDED_BROKER:
        checks["broker"] = _check_broker()
    ready = all(result is None for result in checks.values())
    body = {
        "status": "ready" if ready else "unavailable",
        "checks": {name: (result or "ok") for name, result in checks.items()},
    }
    return JsonResponse(body, status=200 if ready else 503)


def not_found(request, exception=None):
    """The 404 page (``handler404``): under ``/api/`` the API's JSON error format, so a malformed id
    (``/api/demo-extension/sync-logs/0.5/events/``, which no URL pattern matches) is answered like
    any other missing object; elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
