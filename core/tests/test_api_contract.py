"""An exact contract (finding 15): every /api/ error is JSON in the error format. The connectors
module's part (its invalid query parameters, its documented empty values) is tested with it:
``demo_extension/tests/test_api_contract.py``."""

import re

import pytest
from django.apps import apps

MEMBERS = "/api/tenancy/members/"


@pytest.mark.parametrize(
    "path",
    [
        "/api/tenancy/members/abc/",
        "/api/no-such-thing/",
    ],
)
def test_a_malformed_id_or_unknown_api_path_is_a_json_404(admin_client, path):
    response = admin_client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_an_address_outside_the_api_and_the_ui_keeps_djangos_404_page(client, db):
    # Other addresses outside /api/ are the web UI's (core/tests/test_views_ui.py); a missing static
    # file reaches handler404, which keeps Django's HTML page there.
    response = client.get("/static/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_method_not_allowed_is_a_json_405(admin_client):
    response = admin_client.put(MEMBERS, {})

    assert response.status_code == 405
    assert "detail" in response.json()


def _route_methods():
    # every route and method of the URL configuration outside the exempt prefixes
    # (tenancy/tests/routes.py), whatever its view inherits: a new view or action, tenant-scoped or
    # not, read or write, cannot escape the check
    from tenancy.tests.routes import route_methods

    return route_methods()


ROUTE_METHODS = _route_methods()


def test_the_walk_includes_the_views_outside_the_tenant_viewsets_and_every_write():
    # /api/auth/me/ and /api/version/ were left out when only tenant-scoped viewsets were walked;
    # writes (sync_data/?fullrefresh=true ran an incremental sync) when only GET routes were
    walked = {(route.pattern, method) for route, method in ROUTE_METHODS}

    assert {("api/auth/me/", "GET"), ("api/version/", "GET"), ("api/auth/token/", "POST")} <= walked
    assert {method for _, method in walked} == {"GET", "POST", "PUT", "PATCH", "DELETE"}


@pytest.mark.parametrize(
    ("route", "method"), ROUTE_METHODS, ids=[f"{method} {route.pattern}" for route, method in ROUTE_METHODS]
)
def test_every_route_and_method_answers_an_unknown_query_parameter_with_a_400_naming_it(
    route, method, admin_client, tenant_a
):
    # lists, details, every action and every write of every module (destinations, webhooks, audit
    # included), sign-in, the signed-in user's /api/auth/me/ and the public /api/version/: a misspelt
    # parameter must not silently answer (or act) as if it were not there
    from tenancy.tests import seed
    from tenancy.tests.seed import ids_for

    graph = seed.seed_tenant(tenant_a, "acmemark")
    url = route.url(**ids_for(route, graph)) + "?colour=blue"
    before = seed.all_tables_checksum()

    if method in ("GET", "DELETE"):
        response = getattr(admin_client, method.lower())(url)
    else:  # the parameters are checked before the body is read
        response = getattr(admin_client, method.lower())(url, {}, format="json")

    assert response.status_code == 400, f"{method} {url}: {response.status_code} {response.content[:300]!r}"
    errors = response.json()["errors"]
    assert list(errors) == ["colour"], errors
    assert errors["colour"][0].startswith("Unknown query parameter 'colour'; this "), errors
    assert "takes: " in errors["colour"][0]
    assert seed.all_tables_checksum() == before, f"{method} {url} changed the database"


def test_a_typo_of_a_parameter_the_endpoint_takes_names_the_closest(admin_client, tenant_a):
    from tenancy.tests import seed

    graph = seed.seed_tenant(tenant_a, "acmemark")

    response = admin_client.get(f"/api/demo-extension/connectors/{graph.connector.pk}/changes/", {"limt": 5})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "limt": [
            "Unknown query parameter 'limt'; this endpoint takes: after, format, limit. Did you mean 'limit'?"
        ]
    }


def test_every_operation_that_refuses_unknown_query_parameters_publishes_its_400():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]

    missing = [
        f"{method} {route.pattern}"
        for route, method in ROUTE_METHODS
        if "400" not in paths["/" + route.pattern.replace("{pk}", "{id}")][method.lower()]["responses"]
    ]
    assert missing == []


def test_a_destinations_loads_list_names_the_parameters_it_takes(admin_client, tenant_a):
    from tenancy.tests import seed

    graph = seed.seed_tenant(tenant_a, "acmemark")

    response = admin_client.get(f"/api/destinations/{graph.destination.pk}/loads/", {"status": "FAILED"})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "status": ["Unknown query parameter 'status'; this endpoint takes: format, page, page_size."]
    }


def test_a_page_size_above_500_is_a_400_naming_the_maximum(admin_client):
    response = admin_client.get(MEMBERS, {"page_size": 1000})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "page_size may be at most 500 (was 1000).",
        "errors": {"page_size": ["page_size may be at most 500 (was 1000)."]},
    }
    assert admin_client.get(MEMBERS, {"page_size": 500}).status_code == 200


def test_the_schema_publishes_the_largest_page_size():
    from drf_spectacular.generators import SchemaGenerator

    operation = SchemaGenerator().get_schema(request=None, public=True)["paths"]["/" + "api/tenancy/members/"]
    page_size = next(p for p in operation["get"]["parameters"] if p["name"] == "page_size")

    assert page_size["schema"] == {"type": "integer", "minimum": 1, "maximum": 500}


def test_a_page_past_the_end_names_the_last_page(admin_client, make_member, tenant_a):
    for i in range(4):
        make_member(tenant_a, "viewer", email=f"m{i}@acme.test")  # 5 members with the admin

    response = admin_client.get(MEMBERS, {"page_size": 2, "page": 999})

    assert response.status_code == 404
    assert response.json() == {"detail": "Page 999 is past the last page, 3."}
    assert admin_client.get(MEMBERS, {"page_size": 2, "page": 3}).status_code == 200


def test_a_method_the_endpoint_does_not_take_is_a_405_whatever_the_query_parameters(admin_client):
    # the 405 says what is wrong first: the parameters of a method no handler answers mean nothing
    response = admin_client.put(f"{MEMBERS}?colour=blue", {}, format="json")

    assert response.status_code == 405


#: Where an answer carries data as the upstream (or a webhook body as it was sent) held it: not the
#: API's own date-times.
_NOT_OURS = {"data", "raw_payload", "payload", "sample", "records", "checkpoint"}
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _date_times(value, path=""):
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in _NOT_OURS:
                yield from _date_times(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _date_times(item, f"{path}[{index}]")
    elif isinstance(value, str) and _DATE_TIME.match(value):
        yield path, value


def test_every_date_time_a_get_route_answers_is_utc_in_one_form(admin_client, tenant_a):
    # finding 4: the change feed gave "2026-12-06T00:49:34.640546" (no offset) where records/ gave
    # "...Z" and a destination load's events "+00:00"; a loader reading the feed must not guess
    from tenancy.tests import seed
    from tenancy.tests.routes import route_methods
    from tenancy.tests.seed import ids_for

    graph = seed.seed_tenant(tenant_a, "acmemark")
    graph.load.events = [{"at": "2026-12-06T00:49:34.640546+00:00", "level": "info", "message": "loaded"}]
    graph.load.save(update_fields=["events"])
    type(graph.record).objects.filter(pk=graph.record.pk).update(change_seq=1)  # in the change feed
    seen: dict[str, list[str]] = {}
    for route, method in route_methods():
        if method != "GET":
            continue
        url = route.url(**ids_for(route, graph))
        response = admin_client.get(url)
        if response.status_code != 200 or not response["Content-Type"].startswith("application/json"):
            continue
        found = list(_date_times(response.json()))
        seen[url] = [value for _, value in found]
        for where, value in found:
            assert value.endswith("Z"), f"GET {url} {where}: {value!r} is not UTC written as ...Z"
    every = [value for values in seen.values() for value in values]
    changes = f"/api/demo-extension/connectors/{graph.connector.pk}/changes/"
    assert seen[changes], "the change feed answered no date-time to check"
    assert any(url.startswith("/api/destinations/") for url, values in seen.items() if values)
    assert len(every) > 20


def test_every_api_address_the_readmes_modules_table_gives_answers(admin_client, tenant_a):
    # finding 9: the table gave the webhooks API as /api/webhooks/, a 404 (the modules' routers
    # answer no index at their roots: the table names their collections)
    from pathlib import Path

    from django.apps import apps
    from django.conf import settings

    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    table = readme.split("| module | API | what it adds |", 1)[1].split("\n\n", 1)[0]
    rows = [row.split("|") for row in table.splitlines()[2:]]
    assert len(rows) >= 3, table
    # the rows of the modules this server runs (a platform run may enable only some of them)
    installed = [row for row in rows if apps.is_installed(row[1].strip().strip("`"))]
    addresses = re.findall(r"`(/api/[^`]*)`", "\n".join(row[2] for row in installed))

    assert installed and len(addresses) >= len(installed), table
    for address in addresses:
        response = admin_client.get(address)
        assert response.status_code == 200, f"README, modules: GET {address} is a {response.status_code}"


def _choice_filters():
    import django_filters

    from tenancy.tests.routes import route_methods

    found = []
    for route, method in route_methods():
        filterset = getattr(route.view_class, "filterset_class", None)
        if method != "GET" or route.params or filterset is None:
            continue
        for name, declared in filterset.base_filters.items():
            if name in route.query_params("GET") and isinstance(
                declared, django_filters.ChoiceFilter | django_filters.MultipleChoiceFilter
            ):
                choices = [str(value) for value, _label in declared.extra["choices"]]
                found.append((route.url(), name, choices))
    return found


CHOICE_FILTERS = _choice_filters()


def test_the_lists_have_choice_filters_to_check():
    # the walk below must find what it checks (a run may enable only some modules: the connectors
    # module alone has three choice filters)
    assert CHOICE_FILTERS, "no list of this server has a choice filter to check"


@pytest.mark.parametrize(
    ("url", "name", "choices"), CHOICE_FILTERS, ids=[f"{u}?{n}" for u, n, _ in CHOICE_FILTERS]
)
def test_every_choice_filter_of_every_list_names_its_choices_for_a_value_outside_them(
    admin_client, url, name, choices
):
    # finding 10: "Select a valid choice. cron is not one of the available choices." named none
    response = admin_client.get(url, {name: "zz-none-of-them"})

    assert response.status_code == 400, response.content
    assert response.json()["errors"][name] == [
        f'"zz-none-of-them" is not a valid choice; one of: {", ".join(choices)}.'
    ]


def _searchable_lists():
    from tenancy.tests.routes import route_methods

    return [
        route.url()
        for route, method in route_methods()
        if method == "GET"
        and not route.params
        and getattr(route.view_class, "search_fields", None)
        and "search" in route.query_params("GET")
    ]


SEARCHABLE_LISTS = _searchable_lists()


def test_the_walk_finds_the_searchable_lists():
    # the modules' lists where they are installed (a module's own tests run these with fewer)
    modules = {"destinations": "/api/destinations/", "webhooks": "/api/webhooks/endpoints/"}
    expected = {"/api/tenancy/members/", *(url for app, url in modules.items() if apps.is_installed(app))}
    assert expected <= set(SEARCHABLE_LISTS)


@pytest.mark.parametrize("url", SEARCHABLE_LISTS)
def test_a_search_of_more_words_than_a_search_takes_is_a_400_naming_the_limit_not_a_500(admin_client, url):
    # 1,100 words (each a LIKE over every search field, ANDed) went past SQLite's expression depth of
    # 1,000: "Expression tree is too large", a 500 of every searchable list for any member
    response = admin_client.get(url, {"search": " ".join(["a"] * 1100)})
    assert response.status_code == 400, response.content[:200]
    assert response.json()["errors"]["search"] == [
        "A search takes at most 20 words (spaces and commas separate them); this one has 1100."
    ]
    assert admin_client.get(url, {"search": ",".join(["a"] * 1100)}).status_code == 400

    assert admin_client.get(url, {"search": " ".join(["a"] * 20)}).status_code == 200


def _objects_in(schema, components, seen, name=""):
    """``(name, schema)`` of every object schema a request body's ``schema`` holds: the body's own,
    its nested serializers' (``$ref``: the component's name), and those of lists and combinations."""
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if ref:
        target = ref.rsplit("/", 1)[-1]
        if target not in seen:
            seen.add(target)
            yield from _objects_in(components.get(target, {}), components, seen, target)
        return
    if "properties" in schema:
        yield name, schema
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key, []):
            yield from _objects_in(part, components, seen, name)
    for part in (*schema.get("properties", {}).values(), schema.get("items")):
        yield from _objects_in(part, components, seen, f"{name or 'the body'}, nested")


def lax_request_bodies(document) -> list[str]:
    """The request bodies of ``document`` (an OpenAPI document as drf-spectacular generates it) whose
    serializer, or a serializer nested in it, reads values of another JSON type and unknown keys:
    an object of named properties without ``additionalProperties: false``, which
    ``core.openapi.AutoSchema`` publishes for every serializer with ``StrictTypesMixin``."""
    components = document.get("components", {}).get("schemas", {})
    lax = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            for media in (body or {}).get("content", {}).values():
                for name, schema in _objects_in(media.get("schema", {}), components, set()):
                    if schema.get("additionalProperties") is not False:
                        lax.add(f"{method.upper()} {path}: {name or 'the body'}")
    return sorted(lax)


def test_every_request_body_the_api_reads_is_read_strictly():
    # An action whose serializer lacks StrictTypesMixin took {"amount": "5"} as 5 and ignored unknown
    # keys; the schema fuzz sends few such bodies and did not notice. Every body of every module's
    # operations, nested serializers included, is checked here instead.
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)

    assert lax_request_bodies(document) == [], (
        "these request bodies coerce values of another JSON type and ignore unknown keys: give "
        "their serializers core.strict_input.StrictTypesMixin"
    )


def test_a_body_read_by_a_serializer_without_strict_types_is_found():
    from django.urls import path
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.utils import extend_schema
    from rest_framework import serializers
    from rest_framework.views import APIView

    from core.strict_input import StrictTypesMixin

    class Lax(serializers.Serializer):
        amount = serializers.IntegerField()

    class Strict(StrictTypesMixin, serializers.Serializer):
        amount = serializers.IntegerField()

    class Wrapping(StrictTypesMixin, serializers.Serializer):
        inner = Lax()

    def view_reading(serializer_class):
        class Restock(APIView):
            @extend_schema(request=serializer_class, responses={204: None})
            def post(self, request):
                raise AssertionError("never called")

        return Restock.as_view()

    document = SchemaGenerator(
        patterns=[
            path("lax/", view_reading(Lax)),
            path("strict/", view_reading(Strict)),
            path("wrapping/", view_reading(Wrapping)),
        ]
    ).get_schema(request=None, public=True)

    assert lax_request_bodies(document) == ["POST /lax/: LaxRequest", "POST /wrapping/: LaxRequest"]
