"""One error shape for the whole API, and no 500 for bad input.

Every error body has ``detail`` (a sentence a person can act on; for validation errors, every
field's message, bounded) and, for validation errors,
``errors`` (field → messages).
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"

    def __init__(self, detail=None, code=None, **extra):
        super().__init__(detail, code)
        self.extra = extra


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


# A summary longer than this ends with how many messages it left out: ``errors`` has them all.
DETAIL_SUMMARY_MAX_CHARS = 500

# Keys whose messages are about the request as a whole: no field name in front of them.
_UNNAMED_KEYS = ("non_field_errors", "detail")


def _field_messages(data, path: str = "") -> list[tuple[str, list[str]]]:
    """(field path, messages) for every field with an error, in the order of ``errors``.

    Nested fields are named by their dotted path (``pagination.page_size``), as the web UI's
    client names them; list items share their list's path.
    """
    if isinstance(data, dict):
        found: list[tuple[str, list[str]]] = []
        for key, value in data.items():
            child = path if key in _UNNAMED_KEYS else (f"{path}.{key}" if path else str(key))
            found.extend(_field_messages(value, child))
        return found
    if isinstance(data, (list, tuple)):
        messages = [str(item) for item in data if item and not isinstance(item, (dict, list, tuple))]
        found = [(path, messages)] if messages else []
        for item in data:
            if isinstance(item, (dict, list, tuple)):
                found.extend(_field_messages(item, path))
        return found
    return [(path, [str(data)])] if data else []


def _separator_after(text: str) -> str:
    """A message that ends its sentence is followed by the next one ("… WEEKLY. pagination: …");
    one without a full stop by "; " (never "….; ", the doubled punctuation)."""
    return " " if text.endswith((".", "!", "?")) else "; "


def _named(path: str, text: str) -> str:
    """``path: text``, unless the message already starts with the field's name ("request_headers:
    the value of 'X' must be a string."): never "request_headers: request_headers: ..."."""
    if not path or text.startswith((f"{path}:", f"{path} ")):
        return text
    return f"{path}: {text}"


def summarize_validation_errors(errors, max_chars: int = DETAIL_SUMMARY_MAX_CHARS) -> str:
    """Every field's error, named: ``name: This field is required. api_endpoint: Enter a valid URL.``

    Bounded by ``max_chars``: the fields that do not fit are counted (``(and 2 more)``), never cut
    in the middle, except a first message longer than the bound on its own.
    """
    merged: dict[str, list[str]] = {}
    for path, messages in _field_messages(errors):
        merged.setdefault(path, []).extend(messages)
    parts = [_named(path, " ".join(texts)) for path, texts in merged.items()]
    if not parts:
        return ""
    summary = ""
    for index, part in enumerate(parts):
        after = len(parts) - index - 1
        tail = f" (and {after} more)" if after else ""
        joined = f"{summary}{_separator_after(summary)}{part}" if summary else part
        if len(joined) + len(tail) <= max_chars:
            summary = joined
            continue
        if not summary:  # one message longer than the bound on its own
            summary = part[: max(1, max_chars - len(tail) - 1)].rstrip() + "…"
            continue
        return f"{summary} (and {after + 1} more)"
    return summary


#: A request to the API without credentials: how to get and send them.
NOT_AUTHENTICATED = (
    "Authentication credentials were not provided. Send an access token in the header "
    "'Authorization: Bearer <access token>'; get one with POST /api/auth/token/ "
    '({"email", "password", "tenant"}).'
)


def api_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        # Django's body limit (DATA_UPLOAD_MAX_MEMORY_SIZE), hit when DRF's parser reads the body:
        # answer in the API's error shape instead of Django's HTML 400.
        exc = PayloadTooLarge(
            f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes, the limit."
        )

    if isinstance(exc, exceptions.UnsupportedMediaType):
        # DRF's sentence names the type sent, not the one to send (a form post from a test client or
        # curl -d/-F): the exception is changed in place and keeps its code
        accepted = _accepted_media_types(context)
        if accepted:
            exc.detail = exceptions.ErrorDetail(
                f"{str(exc.detail).rstrip('.')}: send the body as {accepted}.", code=exc.default_code
            )

    unauthenticated = isinstance(exc, exceptions.NotAuthenticated) and str(exc.detail) == str(
        exceptions.NotAuthenticated.default_detail
    )
    if unauthenticated:
        # DRF's sentence says nothing of how to sign in; the exception is changed in place (DRF set its
        # WWW-Authenticate header on it) and keeps its code
        exc.detail = exceptions.ErrorDetail(NOT_AUTHENTICATED, code="not_authenticated")

    response = exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        errors = response.data
        if isinstance(errors, list):  # ValidationError("a sentence"): about the request as a whole
            errors = {"non_field_errors": errors}
        response.data = {"detail": summarize_validation_errors(errors) or "Invalid input.", "errors": errors}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {
            "detail": str(response.data["detail"]),
            **{k: v for k, v in response.data.items() if k != "detail"},
        }
    if unauthenticated:
        response.data["code"] = "not_authenticated"  # as the token errors say theirs (token_not_valid, ...)
    if isinstance(exc, Conflict):
        response.data.update(exc.extra)
    wait = getattr(exc, "wait", None) if isinstance(exc, exceptions.Throttled) else None
    if wait is not None:
        response["Retry-After"] = str(max(1, int(wait + 0.999)))
    return response


def _accepted_media_types(context) -> str:
    """The Content-Types the view's parsers read, as a header would give them ("" if unknown)."""
    view = (context or {}).get("view")
    parsers = getattr(view, "parser_classes", None) or ()
    types = [f"Content-Type: {parser.media_type}" for parser in parsers]
    return " or ".join(types)


def error_response(detail: str, status_code: int, **extra) -> Response:
    return Response({"detail": detail, **extra}, status=status_code)
