"""Query parameters given more than once, empty where a value is required, or unknown to a list
(or to an action that names the parameters it takes).

A list filter, ``page``, ``search`` or ``ordering`` takes one value; Django keeps the last of
repeated ones, so ``?is_active=true&is_active=false`` was answered as if the first were not there.
The API refuses them with a 400 naming the parameter, except the ones a view declares
multi-valued (e.g. ``?status=FAILED&status=PARTIAL``). An empty value of a typed filter (a date, a
number, a boolean, a choice: ``?created_before=``) was ignored as if absent; it is a 400 too.
"""

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


def _known_params(view, filters: dict) -> set[str] | None:
    """The query parameters the view's action takes, or None when it does not say.

    A list's parameters are all declared (filters, search, ordering, page, page size); a detail
    (``retrieve``) takes none; another action names its own with
    ``@action(..., query_params_accepted=(...))`` (the records of a connector, its export, ...). An
    unknown one is most likely a typo (``?search=`` where the action searches with ``field`` and
    ``value``) that would otherwise silently not filter.
    """
    action = getattr(view, "action", None)
    if action == "list":
        known = set(filters) | {"search", "ordering"}
    elif action == "retrieve":
        return {"format"}  # one object: nothing to filter, order or page
    else:
        accepted = getattr(view, "query_params_accepted", None)
        if accepted is None:
            return None
        known = set(accepted)
    known.add("format")
    paginator = getattr(view, "paginator", None)
    known |= {
        name
        for name in (
            getattr(paginator, "page_query_param", None),
            getattr(paginator, "page_size_query_param", None),
        )
        if name
    }
    return known


def refuses_unknown_params(view) -> bool:
    """Whether the view's action answers an unknown query parameter with a 400 (for the schema)."""
    return _known_params(view, _filters(view)) is not None


def reject_malformed_params(request, view) -> None:
    filters = _filters(view)
    multi = {name for name, f in filters.items() if isinstance(f, django_filters.MultipleChoiceFilter)}
    typed = {name for name, f in filters.items() if not isinstance(f, django_filters.CharFilter)}
    errors = {}
    known = _known_params(view, filters)
    if known is not None:
        what = "this list" if getattr(view, "action", None) == "list" else "this endpoint"
        for name in request.query_params:
            if name not in known:
                takes = ", ".join(sorted(known))
                errors[name] = [f"Unknown query parameter {name!r}; {what} takes: {takes}."]
    for name in request.query_params:
        values = request.query_params.getlist(name)
        if name not in multi and len(values) > 1:
            errors[name] = [f"Give {name} once."]
        elif name in typed and any(value.strip() == "" for value in values):
            errors[name] = [f"{name} may not be empty; leave it out to not filter by it."]
    if errors:
        raise ValidationError(errors)


# Every API view's query parameters, checked once after authentication and permissions (an anonymous
# caller still gets its 401 first): the tenancy base viewsets inherit the mixin, and so does any other
# view of the API (/api/auth/me/, /api/version/), so that no read silently ignores a parameter it does
# not take (core/tests/test_api_contract.py walks every GET route). A comment, not a docstring:
# drf-spectacular would publish a mixin's docstring as the description of every view without one.
class RefusesMalformedQueryParamsMixin(_APIViewBase):
    #: the query parameters the view (a viewset: an action other than ``list``) takes, besides
    #: ``format`` and its paginator's, e.g. ``@action(..., query_params_accepted=("after", "limit"))``
    #: or ``query_params_accepted = ()`` on an ``APIView``; any other is a 400 naming it. None: not
    #: checked (repeated and empty typed parameters still are)
    query_params_accepted: tuple[str, ...] | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        reject_malformed_params(request, self)
