"""Tenant isolation, proven over the whole URL configuration.

Every route × every method it accepts is called as an admin of tenant B with tenant A's object ids.
Object routes must answer 404 and change nothing anywhere in the database; list routes must show no
row of tenant A (also when filtered by A's ids) and collection writes must leave A's rows untouched.
A route whose path parameter the test cannot map to a model fails here: extend ``PARAM_MODELS``
(a module's routes: its platform test fixtures name their objects, parameters and filters; see
``tenancy/tests/seed.py``).
"""

import json

import pytest
from django.apps import apps
from rest_framework.test import APIClient

from conftest import hang_up, token_for
from tenancy.models import Invitation, Tenant
from tenancy.tests import seed
from tenancy.tests.routes import EXEMPT_PREFIXES, all_patterns, api_routes, is_exempt, route_methods
from tenancy.tests.seed import ids_for, model_of_param

A_MARK = "acmemark"
B_MARK = "globexmark"
LEAK_SIGNS = (A_MARK, "@acme.test")

#: Routes that are tenant-independent by design (no tenant data in or out).
NOT_TENANT_DATA = {"api/auth/token/", "api/auth/token/refresh/", "api/auth/logout/", "api/version/"}
#: POST routes that answer with a computed result rather than a created row (no "id" to look up).
COMPUTED_ANSWERS = {**seed.from_modules("COMPUTED_ANSWERS")}


def a_body(graph):
    """A write body that points at tenant A's objects wherever a field could take an id (the
    modules name the fields of theirs)."""
    body = {
        "tenant": graph.tenant.pk,
        "tenant_id": graph.tenant.pk,
        "user": graph.admin.pk,
        "name": "renamed by globex",
        "role": "admin",
        "email": graph.admin.email,
        "is_active": False,
    }
    for fields in seed.module_functions("isolation_body"):
        body.update(fields(graph))
    return body


def a_queries(graph):
    """List filters that point at tenant A's objects (the modules name the filters of theirs)."""
    queries = {"search": A_MARK, "tenant": graph.tenant.pk, "page_size": 500}
    for filters in seed.module_functions("isolation_queries"):
        queries.update(filters(graph, A_MARK))
    return queries


def call(client, method, url, body=None):
    if method in ("POST", "PUT", "PATCH"):
        return getattr(client, method.lower())(url, body or {}, format="json")
    return getattr(client, method.lower())(url)


@pytest.fixture
def graphs(db):
    tenant_a = Tenant.objects.create(slug="acme", name="Acme")
    tenant_b = Tenant.objects.create(slug="globex", name="Globex")
    return seed.seed_tenant(tenant_a, A_MARK), seed.seed_tenant(tenant_b, B_MARK)


@pytest.fixture
def b_client(graphs):
    _, b = graphs
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(b.admin, b.tenant)}")
    return client


def assert_no_leak(response, where, echoed=()):
    """No sign of tenant A's data in ``response``, apart from values the caller sent (``echoed``)."""
    text = response.content.decode(errors="replace")
    for value in echoed:
        text = text.replace(value, "")
    for sign in LEAK_SIGNS:
        assert sign not in text, f"{where}: tenant A's data ({sign!r}) in the response: {text[:500]}"


ROUTE_METHODS = route_methods()


@pytest.mark.parametrize(
    ("route", "method"), ROUTE_METHODS, ids=[f"{m} {r.pattern}" for r, m in ROUTE_METHODS]
)
def test_tenant_b_cannot_reach_tenant_a_through(route, method, graphs, b_client):
    graph_a, graph_b = graphs
    if route.params:
        url = route.url(**ids_for(route, graph_a))
        before = seed.all_tables_checksum()

        response = call(b_client, method, url + route.no_wait(method), a_body(graph_a))

        assert response.status_code == 404, f"{method} {url}: {response.status_code} {response.content[:300]}"
        assert_no_leak(response, f"{method} {url}")
        assert seed.all_tables_checksum() == before, f"{method} {url} changed the database"
        head = b_client.head(url) if method == "GET" else None
        assert head is None or head.status_code == 404
        return

    url = route.url()
    before_a = seed.tenant_checksum(graph_a.tenant)
    if method == "GET":
        queries = [{}] + [{name: value} for name, value in a_queries(graph_a).items()]
        for query in queries:
            response = b_client.get(url, query)
            assert response.status_code < 500, f"GET {url} {query}: {response.status_code}"
            assert_no_leak(response, f"GET {url} {query}")
            hang_up(response)  # a download (the export) holds a read slot until it is closed
        plain = b_client.get(url)
        hang_up(plain)
        assert plain.status_code == 200, plain.content[:300]
        if isinstance(plain.json(), dict) and "results" in plain.json() and url not in NOT_TENANT_DATA:
            assert B_MARK in plain.content.decode(), f"GET {url}: tenant B does not see its own rows"
    else:
        body = a_body(graph_a)
        response = call(b_client, method, url + route.no_wait(method), body)
        assert response.status_code < 500, f"{method} {url}: {response.status_code} {response.content[:300]}"
        # adding an existing account by email echoes that email: the caller knew it already
        assert_no_leak(response, f"{method} {url}", echoed=[body["email"]])
        creates = route.pattern not in COMPUTED_ANSWERS
        if (
            200 <= response.status_code < 300
            and creates
            and route.model is not None
            and hasattr(route.model, "tenant")
        ):
            created = route.model.objects.get(pk=response.json()["id"])
            assert created.tenant_id == graph_b.tenant.pk, f"{method} {url} wrote into another tenant"
    assert seed.tenant_checksum(graph_a.tenant) == before_a, f"{method} {url} changed tenant A's data"


def test_the_route_inventory_covers_the_whole_url_configuration():
    """Every route is either an API route exercised above or exempt with a reason; every path
    parameter maps to a model; the API has the routes this test was written against (and more)."""
    patterns = [text for text, _, _ in all_patterns()]
    unexplained = [p for p in patterns if not p.startswith("api/") and not is_exempt(p)]
    assert not unexplained, f"routes outside /api/ that are neither tested nor exempt: {unexplained}"
    for route in api_routes():
        assert route.methods, f"{route.pattern} accepts no method the test knows"
        for param in route.params:
            assert model_of_param(route, param) is not None
    tested = {r.pattern for r in api_routes()}
    assert {
        "api/tenancy/members/",
        "api/tenancy/members/{pk}/",
        "api/destinations/{pk}/",
        *seed.module_sets("EXPECTED_ROUTES"),
    } <= tested
    assert all(reason for reason in EXEMPT_PREFIXES.values())


def test_every_object_kind_of_a_tenant_is_seeded():
    """The isolation test creates one object of every tenant-owned kind in tenant A."""
    missing = [m._meta.label for m in seed.own_models() if m not in seed.TENANT_ROWS]
    assert not missing, (
        f"models the isolation test does not seed or scope: {missing} (see tenancy/tests/seed.py)"
    )
    tenant_fk_models = [
        m._meta.label
        for m in apps.get_models()
        if any(getattr(f, "related_model", None) is Tenant for f in m._meta.concrete_fields)
    ]
    assert set(tenant_fk_models) <= {m._meta.label for m in seed.TENANT_ROWS}


def test_each_tenant_sees_its_own_objects(graphs, b_client):
    """The other half of isolation: the same routes do return tenant B's own objects."""
    _, graph_b = graphs
    for route in api_routes():
        if route.params and "GET" in route.methods:
            url = route.url(**ids_for(route, graph_b))
            response = b_client.get(url)
            hang_up(response)  # a download (the export) holds a read slot until it is closed
            assert response.status_code == 200, f"GET {url}: {response.status_code}"


def test_every_error_body_is_json(graphs, b_client):
    graph_a, _ = graphs
    response = b_client.get(f"/api/destinations/{graph_a.destination.pk}/")
    assert json.loads(response.content) == {"detail": "Not found."}


def test_every_view_of_tenant_data_inherits_the_scoped_base_class():
    from tenancy.viewsets import TenantScopedViewSetMixin

    unscoped = [
        route.pattern
        for route in api_routes()
        if route.model is not None
        and route.model in seed.TENANT_ROWS
        and not issubclass(route.view_class, TenantScopedViewSetMixin)
    ]
    assert not unscoped, f"views of tenant data that bypass tenancy.viewsets: {unscoped}"


def test_a_scoped_viewset_may_not_override_get_queryset():
    from tenancy.viewsets import TenantScopedModelViewSet

    with pytest.raises(TypeError, match="override scope_queryset"):

        class Leaky(TenantScopedModelViewSet):
            queryset = Invitation.objects.all()

            def get_queryset(self):
                return Invitation.objects.all()
