import re
import uuid

from core.request_context import reset_log_context, set_log_context

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")


class RequestIdMiddleware:
    """Give every request an id (kept from a sane ``X-Request-ID`` header, else generated).

    The id goes into every log line of the request and back to the client as ``X-Request-ID``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = set_log_context(request_id=request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_log_context(token)
        response["X-Request-ID"] = request_id
        return response
