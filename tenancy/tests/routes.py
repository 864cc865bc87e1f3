"""The API's inventory, read from the URL configuration, for the isolation, role and fuzz tests.

Walking ``get_resolver()`` (rather than a hand-written list) is what makes those tests cover a new
endpoint the moment it is mounted: a route they do not understand makes them fail, not skip.
"""

import re
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver

from core.query_params import accepted_query_params

#: Routes outside the tenant API, each with why it is exempt from the isolation and role tables.
EXEMPT_PREFIXES = {
    "admin/": "Django admin: staff sessions, not tenant-scoped; tested in core/tests/test_security_config.py",
    "api/schema/": "the published OpenAPI document; holds no tenant data",
    "api/docs/": "Swagger UI page",
    "api/redoc/": "ReDoc page",
    "healthz": "liveness probe",
    "readyz": "readiness probe",
    "metrics": "Prometheus metrics, behind its own bearer token",
    "static/": "static assets",
    "(?!api/|admin/|static/){ui_page}": (
        "web UI page (core/views_ui.py): the same index.html for every address outside the API, no data"
    ),
}

_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?:[^()]|\([^()]*\))*\)")
_CONVERTER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    pattern: str  # e.g. "api/tenancy/members/{pk}/"
    view_class: type
    methods: tuple[str, ...]  # upper-case HTTP methods the route dispatches, without HEAD/OPTIONS
    actions: dict = field(default_factory=dict, compare=False, hash=False)  # method -> viewset action
    params: tuple[str, ...] = ()
    initkwargs: dict = field(default_factory=dict, compare=False, hash=False)  # e.g. an @action's options

    @property
    def model(self):
        queryset = getattr(self.view_class, "queryset", None)
        if queryset is not None:
            return queryset.model
        serializer = getattr(self.view_class, "serializer_class", None)
        meta = getattr(serializer, "Meta", None)
        return getattr(meta, "model", None)

    def query_params(self, method: str) -> set[str]:
        """The query parameters the route takes with ``method`` (``core.query_params``)."""
        view = self.view_class(**self.initkwargs)
        view.action = self.actions.get(method)
        return accepted_query_params(view, method)

    def no_wait(self, method: str) -> str:
        """``?wait=0`` where the route takes it (a sync, a resume: do not wait for the run), else ``""``."""
        return "?wait=0" if "wait" in self.query_params(method) else ""

    def url(self, **values) -> str:
        return "/" + self.pattern.format(**{name: values[name] for name in self.params})

    def __str__(self):
        return self.pattern


def _normalise(pattern: str) -> tuple[str, tuple[str, ...]]:
    params: list[str] = []

    def group(match):
        params.append(match.group("name"))
        return "{" + match.group("name") + "}"

    text = _GROUP.sub(group, pattern)
    text = _CONVERTER.sub(group, text)
    text = text.replace("^", "").replace("$", "").replace("\\", "")
    return text, tuple(params)


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def is_exempt(pattern: str) -> bool:
    return any(pattern.startswith(prefix) for prefix in EXEMPT_PREFIXES)


def all_patterns() -> list[tuple[str, tuple[str, ...], URLPattern]]:
    """Every (normalised pattern, parameter names, URLPattern) of the URL configuration, without
    DRF's format-suffix copies."""
    found = []
    for raw, entry in _walk(get_resolver().url_patterns):
        text, params = _normalise(raw)
        if "format" in params:  # DRF's ".json" suffix copy of a route listed anyway
            continue
        found.append((text, params, entry))
    return found


def api_routes() -> list[Route]:
    """Every non-exempt route, as DRF views; raises if a route is not a DRF view (the tests would not
    know how to call it: exempt it in EXEMPT_PREFIXES with a reason, or make it an API view)."""
    routes = []
    for text, params, entry in all_patterns():
        if is_exempt(text):
            continue
        callback = entry.callback
        view_class = getattr(callback, "cls", None)
        if view_class is None:
            raise AssertionError(f"route {text!r} is not a DRF view: exempt it with a reason or make it one")
        actions = dict(getattr(callback, "actions", None) or {})
        allowed = set(getattr(view_class, "http_method_names", []))
        if actions:
            methods = [m for m in actions if m in allowed]
        else:
            methods = [m for m in allowed if hasattr(view_class, m) and m not in ("options", "head")]
        routes.append(
            Route(
                pattern=text,
                view_class=view_class,
                methods=tuple(sorted(m.upper() for m in methods if m not in ("options", "head"))),
                actions={m.upper(): a for m, a in actions.items()},
                params=params,
                initkwargs=dict(getattr(callback, "initkwargs", None) or {}),
            )
        )
    return sorted(routes, key=lambda r: r.pattern)


def route_methods() -> list[tuple[Route, str]]:
    return [(route, method) for route in api_routes() for method in route.methods]
