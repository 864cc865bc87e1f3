"""Refuse request bodies larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` before any view runs.

Django enforces the limit only when something reads ``request.body`` / ``request.POST``; an API
action that takes no body would otherwise accept (and ignore) any amount. Checking the declared
``Content-Length`` here gives every endpoint the same answer: 413 in the API's error shape.

A body sent without a length (``Transfer-Encoding: chunked``, what a client streaming a body sends)
is a 411: WSGI gives Django no way to read it, so the view saw an empty body, and a ``PATCH`` of a
connector answered 200 having changed nothing (an ``sync_data`` with options in such a body started
an ordinary sync). A proxy that buffers the body (Compose's nginx) sends it on with its length.
"""

from django.conf import settings
from django.http import JsonResponse


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Invalid Content-Length header."}, status=400)
        if request.META.get("HTTP_TRANSFER_ENCODING", "").strip().lower() not in ("", "identity"):
            return JsonResponse(
                {
                    "detail": "A request body must come with a Content-Length header: a body sent in "
                    "chunks (Transfer-Encoding) cannot be read here. Send it again with its length."
                },
                status=411,
            )
        if limit is not None and length > limit:
            return JsonResponse(
                {"detail": f"The request body is larger than {limit} bytes, the limit."}, status=413
            )
        return self.get_response(request)
