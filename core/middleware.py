import logging
import re
import time
import uuid

from rest_framework.throttling import BaseThrottle

from core.metrics import observe_http_request, route_template
from core.request_context import reset_client_address, reset_log_context, set_client_address, set_log_context

# Matched whole (``fullmatch``): ``$`` would also accept the id followed by a line break.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,128}")

access_logger = logging.getLogger("migrateiq.request")


class RequestIdMiddleware:
    """Give every request an id (kept from a sane ``X-Request-ID`` header, else generated).

    The id goes into every log line of the request and back to the client as ``X-Request-ID``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = set_log_context(request_id=request_id)
        address = set_client_address(BaseThrottle().get_ident(request))
        try:
            response = self.get_response(request)
        finally:
            reset_client_address(address)
            reset_log_context(token)
        response["X-Request-ID"] = request_id
        return response


class RequestMetricsMiddleware:
    """Count and time every request by method, route template and status; log one line per request.

    Placed right after :class:`RequestIdMiddleware` so that the line carries the request id, and the
    tenant and user that authentication bound to the log context.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        route = route_template(getattr(request, "resolver_match", None))
        observe_http_request(request.method, route, response.status_code, seconds)
        access_logger.info(
            "%s %s %s %.1fms",
            request.method,
            route,
            response.status_code,
            seconds * 1000,
            extra={
                "http_method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
            },
        )
        return response
