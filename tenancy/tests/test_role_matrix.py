"""The role matrix: anonymous / viewer / editor / admin × every action of every API endpoint.

``MINIMUM_ROLE`` is the specification (viewer reads; editor creates, changes, tests and syncs; admin
deletes and manages members); each installed module adds its routes' rows from its own folder
(``MINIMUM_ROLE`` / ``BODIES`` of its platform test fixtures, see ``tenancy/tests/seed.py``). The
routes come from the URL configuration, so a new endpoint or action fails
``test_the_role_table_names_every_api_action`` until someone decides who may call it.
"""

import pytest
from rest_framework.test import APIClient

from conftest import token_for
from core import extensions
from tenancy.models import Membership, Role, Tenant
from tenancy.tests import seed
from tenancy.tests.routes import route_methods
from tenancy.tests.seed import ids_for

ANONYMOUS = "anonymous"
RANK = {ANONYMOUS: 0, Role.VIEWER: 1, Role.EDITOR: 2, Role.ADMIN: 3}
DESTINATIONS = "api/destinations/"

MINIMUM_ROLE = {
    ("api/auth/token/", "POST"): ANONYMOUS,
    ("api/auth/token/refresh/", "POST"): ANONYMOUS,
    ("api/auth/logout/", "POST"): ANONYMOUS,
    ("api/version/", "GET"): ANONYMOUS,  # the release number, public like the health probes
    ("api/auth/me/", "GET"): Role.VIEWER,
    ("api/status/", "GET"): Role.VIEWER,  # whether the background work runs (the banner of every page)
    ("api/auth/invitations/accept/", "POST"): ANONYMOUS,
    ("api/tenancy/members/", "GET"): Role.ADMIN,
    ("api/tenancy/invitations/", "GET"): Role.ADMIN,
    ("api/tenancy/invitations/", "POST"): Role.ADMIN,
    ("api/tenancy/invitations/{pk}/", "DELETE"): Role.ADMIN,
    ("api/tenancy/members/{pk}/", "GET"): Role.ADMIN,
    ("api/tenancy/members/{pk}/", "PATCH"): Role.ADMIN,
    ("api/tenancy/members/{pk}/", "DELETE"): Role.ADMIN,
    (DESTINATIONS, "GET"): Role.VIEWER,
    (DESTINATIONS, "POST"): Role.EDITOR,
    (DESTINATIONS + "stats/", "GET"): Role.VIEWER,
    (DESTINATIONS + "{pk}/", "GET"): Role.VIEWER,
    (DESTINATIONS + "{pk}/", "PUT"): Role.EDITOR,
    (DESTINATIONS + "{pk}/", "PATCH"): Role.EDITOR,
    (DESTINATIONS + "{pk}/", "DELETE"): Role.ADMIN,
    (DESTINATIONS + "{pk}/test_connection/", "POST"): Role.EDITOR,
    (DESTINATIONS + "{pk}/attach/", "POST"): Role.EDITOR,
    (DESTINATIONS + "{pk}/attachment/", "PATCH"): Role.EDITOR,
    (DESTINATIONS + "{pk}/detach/", "POST"): Role.EDITOR,
    (DESTINATIONS + "{pk}/load/", "POST"): Role.EDITOR,
    (DESTINATIONS + "{pk}/loads/", "GET"): Role.VIEWER,
    # each installed module's rows, from its own folder (its platform_test_fixtures)
    **seed.from_modules("MINIMUM_ROLE"),
}

#: Valid bodies, so that an allowed role's request is a real write (2xx) rather than a 400.
BODIES = {
    ("api/tenancy/invitations/", "POST"): {"email": "new@acme.test", "role": "viewer"},
    ("api/tenancy/members/{pk}/", "PATCH"): {"role": "editor"},
    (DESTINATIONS, "POST"): {"name": "new destination", "host": "dw.invalid", "database": "warehouse"},
    # (the seeded destination's server: moving its stored password elsewhere needs more, see
    # destinations/tests/test_password_binding.py)
    (DESTINATIONS + "{pk}/", "PUT"): {"name": "replaced", "target_schema": "replaced"},
    (DESTINATIONS + "{pk}/", "PATCH"): {"name": "renamed destination"},
    **seed.from_modules("BODIES"),
}

ROLES = [ANONYMOUS, Role.VIEWER, Role.EDITOR, Role.ADMIN]
CASES = [(route, method, role) for route, method in route_methods() for role in ROLES]


@pytest.fixture
def graph(db):
    return seed.seed_tenant(Tenant.objects.create(slug="acme", name="Acme"), "acmemark")


def client_as(role, graph, make_member):
    client = APIClient()
    if role != ANONYMOUS:
        user = make_member(graph.tenant, role, email=f"{role}-caller@acme.test")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, graph.tenant)}")
    return client


def where_the_row_goes(pattern: str) -> str:
    """Where a route's row of the table is written: its module's platform test fixtures (the route
    is under the module's ``api_prefix``), or this file for the platform's own routes."""
    for module in extensions.installed_modules():
        if module.api_prefix and pattern.startswith(f"api/{module.api_prefix}/"):
            return (
                f"MINIMUM_ROLE (and BODIES for a write) of {module.platform_test_fixtures or module.name} "
                "(docs/extensions.md, step 5)"
            )
    return "MINIMUM_ROLE (and BODIES for a write) of tenancy/tests/test_role_matrix.py"


def test_a_missing_row_is_named_with_the_file_it_goes_in():
    # a module's route: the first installed module with its own fixtures (a module's own tests run this
    # file with only demo_extension and theirs)
    module = next(module for module in extensions.installed_modules() if module.platform_test_fixtures)
    route = f"api/{module.api_prefix}/x/"
    assert f"of {module.platform_test_fixtures} " in where_the_row_goes(route)
    assert "of tenancy/tests/test_role_matrix.py" in where_the_row_goes("api/tenancy/members/")


def test_the_role_table_names_every_api_action():
    actual = {(route.pattern, method) for route, method in route_methods()}
    missing = sorted(actual - MINIMUM_ROLE.keys())
    stale = sorted(MINIMUM_ROLE.keys() - actual)
    assert not missing, "API actions without a minimum role: " + "; ".join(
        f"{method} {pattern}: add it to {where_the_row_goes(pattern)}" for pattern, method in missing
    )
    assert not stale, f"MINIMUM_ROLE names actions that no longer exist: {stale}"


@pytest.mark.parametrize(
    ("route", "method", "role"), CASES, ids=[f"{role}-{m} {r.pattern}" for r, m, role in CASES]
)
def test_role_matrix(route, method, role, graph, make_member):
    key = (route.pattern, method)
    assert key in MINIMUM_ROLE, (
        f"{method} {route.pattern} is missing from MINIMUM_ROLE: "
        f"add it to {where_the_row_goes(route.pattern)}"
    )
    needed = MINIMUM_ROLE[key]
    client = client_as(role, graph, make_member)
    url = route.url(**ids_for(route, graph)) + route.no_wait(method)
    body = BODIES.get(key, {})

    if method in ("POST", "PUT", "PATCH"):
        response = getattr(client, method.lower())(url, body, format="json")
    else:
        response = getattr(client, method.lower())(url)

    # a streamed download has no .content (it is read once, chunk by chunk)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    where = f"{role} {method} {url}: {response.status_code} {content[:300]!r}"
    assert response.status_code < 500, where
    if RANK[role] >= RANK[needed]:
        assert response.status_code not in (401, 403, 404), where
        if key in BODIES or method in ("GET", "DELETE"):
            assert 200 <= response.status_code < 300, where
    elif role == ANONYMOUS:
        assert response.status_code == 401, where
    else:
        assert response.status_code == 403, where
        assert needed in response.json()["detail"], where


def test_a_viewer_changes_nothing_anywhere(graph, make_member):
    """Every write the API offers, as a viewer: the database is unchanged afterwards."""
    client = client_as(Role.VIEWER, graph, make_member)
    before = seed.all_tables_checksum()
    writes = [
        (r, m) for r, m in route_methods() if m != "GET" and MINIMUM_ROLE.get((r.pattern, m)) != ANONYMOUS
    ]
    assert writes

    for route, method in writes:
        url = route.url(**ids_for(route, graph))
        response = getattr(client, method.lower())(
            url, BODIES.get((route.pattern, method), {}), format="json"
        )
        assert response.status_code == 403, f"viewer {method} {url}: {response.status_code}"

    assert seed.all_tables_checksum() == before


def test_an_editor_cannot_delete_or_manage_members(graph, make_member):
    client = client_as(Role.EDITOR, graph, make_member)

    assert client.delete(f"/api/destinations/{graph.destination.pk}/").status_code == 403
    assert client.get("/api/tenancy/members/").status_code == 403
    assert client.patch(f"/api/tenancy/members/{graph.member.pk}/", {"role": "admin"}).status_code == 403
    assert Membership.objects.get(pk=graph.member.pk).role == Role.VIEWER
    assert type(graph.destination).objects.filter(pk=graph.destination.pk).exists()
