"""Query parameters given more than once, empty where a value is required, or unknown to the
endpoint (a list, a detail, an action, a write: every method).

A list filter, ``page``, ``search`` or ``ordering`` takes one value; Django keeps the last of
repeated ones, so ``?is_active=true&is_active=false`` was answered as if the first were not there.
The API refuses them with a 400 naming the parameter, except the ones a view declares
multi-valued (e.g. ``?status=FAILED&status=PARTIAL``). An empty value of a typed filter (a date, a
number, a boolean, a choice: ``?created_before=``) was ignored as if absent; it is a 400 too.
A parameter the endpoint does not take is a 400 naming it, the ones it takes and the closest of
them: ``POST .../sync_data/?fullrefresh=true`` (a typo of ``full_refresh``) ran an incremental sync.
"""

import difflib
from typing import TYPE_CHECKING

import django_filters
from rest_framework.exceptions import ValidationError

if TYPE_CHECKING:  # what the mixin is always combined with, so that mypy knows super().initial
    from rest_framework.views import APIView as _APIViewBase
else:
    _APIViewBase = object


def _filters(view) -> dict:
    filterset_class = getattr(view, "filterset_class", None)
    return {} if filterset_class is None else dict(filterset_class.base_filters)


def accepted_query_params(view, method: str) -> set[str]:
    """The query parameters the view's action takes with ``method`` (besides these, a 400).

    A list's parameters are all declared (filters, search, ordering, page, page size); a detail
    (``retrieve``), a create, an update and a delete take none but ``format``; another action (and an
    ``APIView``) names its own with ``@action(..., query_params_accepted=(...))`` (the records of a
    connector, its export, ``sync_data``'s ``full_refresh``, ...) and takes none without it. An unknown
    one is most likely a typo (``?search=`` where the action searches with ``field`` and ``value``,
    ``?fullrefresh=true`` on a sync) that would otherwise silently do something else.
    """
    action = getattr(view, "action", None)
    reads = method in ("GET", "HEAD")
    if action == "list" and reads:
        known = set(_filters(view)) | {"search", "ordering"}
    elif action == "retrieve":
        return {"format"}  # one object: nothing to filter, order or page
    else:
        known = set(getattr(view, "query_params_accepted", None) or ())
    known.add("format")
    paginator = getattr(view, "paginator", None) if reads else None
    known |= {
        name
        for name in (
            getattr(paginator, "page_query_param", None),
            getattr(paginator, "page_size_query_param", None),
        )
        if name
    }
    return known


def _unknown_param_message(name: str, known: set[str], what: str) -> str:
    message = f"Unknown query parameter {name!r}; {what} takes: {', '.join(sorted(known))}."
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
    return message + (f" Did you mean {close[0]!r}?" if close else "")


def _handles(view, method: str) -> bool:
    """Whether the view answers ``method`` with a handler (else DRF's 405 follows, unchanged)."""
    name = method.lower()
    return name in getattr(view, "http_method_names", ()) and hasattr(view, name)


def reject_malformed_params(request, view) -> None:
    if not _handles(view, request.method):
        return
    filters = _filters(view)
    multi = {name for name, f in filters.items() if isinstance(f, django_filters.MultipleChoiceFilter)}
    typed = {name for name, f in filters.items() if not isinstance(f, django_filters.CharFilter)}
    errors = {}
    if request.method != "OPTIONS":  # a CORS preflight carries the query string of what it precedes
        known = accepted_query_params(view, request.method)
        what = "this list" if getattr(view, "action", None) == "list" else "this endpoint"
        for name in request.query_params:
            if name not in known:
                errors[name] = [_unknown_param_message(name, known, what)]
    for name in request.query_params:
        values = request.query_params.getlist(name)
        if name not in multi and len(values) > 1:
            errors[name] = [f"Give {name} once."]
        elif name in typed and any(value.strip() == "" for value in values):
            errors[name] = [f"{name} may not be empty; leave it out to not filter by it."]
    if errors:
        raise ValidationError(errors)


# Every API view's query parameters, checked once after authentication, permissions and throttles (an
# anonymous caller still gets its 401 first) and before the handler (nothing is read or written): the
# tenancy base viewsets inherit the mixin, and so does every other view of the API (sign-in, /api/auth/me/,
# /api/version/), so that no request, read or write, silently ignores a parameter it does not take
# (core/tests/test_api_contract.py walks every route and method). A comment, not a docstring:
# drf-spectacular would publish a mixin's docstring as the description of every view without one.
class RefusesMalformedQueryParamsMixin(_APIViewBase):
    #: the query parameters the view (a viewset: an action other than list, retrieve, create, update
    #: and destroy) takes, besides ``format`` and, on a GET, its paginator's, e.g.
    #: ``@action(..., query_params_accepted=("after", "limit"))``; any other is a 400 naming it.
    #: None (the default) or ``()``: none
    query_params_accepted: tuple[str, ...] | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        reject_malformed_params(request, self)
