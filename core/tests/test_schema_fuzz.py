"""Contract fuzzing: schemathesis generates requests from MigrateIQ's own OpenAPI schema and sends them
in-process (WSGI) to the app on the throwaway test database, as an admin of a tenant with one object
of every kind. Valid and invalid requests (positive and negative generation), and every check
schemathesis has: no 5xx, responses that match their schema, documented status codes and content
types, invalid data refused and valid data accepted, and every operation that declares
authentication refusing requests without (or with invalid) credentials.
"""

import json

import pytest
import schemathesis
from django.core.exceptions import ValidationError
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from conftest import token_for
from core.display_names import validate_display_name
from migrateiq.wsgi import application
from tenancy.models import Tenant
from tenancy.tests import seed


def _our_schema() -> dict:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


#: Writes whose bodies are checked by rules no OpenAPI schema can state (the modules name theirs).
RULES_BEYOND_OPENAPI = {
    "/api/destinations/",
    "/api/destinations/{id}/",
    *seed.module_sets("SCHEMA_RULES_BEYOND_OPENAPI"),
}


def unpublished_rules(rules, paths) -> list[str]:
    """The entries of ``rules`` that name no write operation of the published ``paths``: a path in
    another form (``api/x/{pk}/``, the role matrix's) would exempt nothing, silently."""
    writes = {path for path, operations in paths.items() if {"post", "put", "patch"} & set(operations)}
    return sorted(rule for rule in rules if rule not in writes)


def test_every_rule_beyond_openapi_names_a_published_write():
    unknown = unpublished_rules(RULES_BEYOND_OPENAPI, _our_schema()["paths"])

    assert not unknown, (
        f"SCHEMA_RULES_BEYOND_OPENAPI names no write operation of the published schema: {unknown}. "
        'Write the paths as /api/docs/ shows them, with a leading slash and "{id}" '
        '("/api/inventory/items/", "/api/inventory/items/{id}/"), for operations that take a body.'
    )


def test_a_rule_in_the_role_matrix_form_is_found_out():
    paths = {"/api/inventory/items/": {"get": {}, "post": {}}, "/api/inventory/items/{id}/": {"get": {}}}

    assert unpublished_rules({"/api/inventory/items/"}, paths) == []
    assert unpublished_rules({"api/inventory/items/", "/api/inventory/items/{id}/"}, paths) == [
        "/api/inventory/items/{id}/",
        "api/inventory/items/",
    ]


schema = schemathesis.openapi.from_dict(_our_schema())
schema.app = application
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


@pytest.fixture
def in_process_requests():
    """Keep the test's database connection across WSGI requests, as Django's test client does:
    the request_finished handler would close it (it is inside the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tenant_admin_token(db, settings, in_process_requests, resolver):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = ["localhost", "testserver", "127.0.0.1"]
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]  # seeded connectors point at a closed port
    settings.MIGRATEIQ_SYNC_WAIT_SECONDS = 0.0
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 1  # test_connection to the closed port: no retry back-off
    # The schema's example connector (the seed's) points at a public host: resolve it without DNS to
    # a documentation address, which the egress guard refuses at connect time (nothing leaves).
    resolver.answers["jsonplaceholder.typicode.com"] = ["93.184.216.34"]
    settings.MIGRATEIQ_HTTP_CONNECT_TIMEOUT = 0.5
    graph = seed.seed_tenant(Tenant.objects.create(slug="acme", name="Acme"), "acmemark")
    seed.seed_tenant(Tenant.objects.create(slug="globex", name="Globex"), "globexmark")
    return token_for(graph.admin, graph.tenant)


@schema.parametrize()
@hypothesis_settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_honours_its_published_contract(case, tenant_admin_token):
    if case.query and "wait" in case.query:
        case.query["wait"] = 0  # how long a sync trigger waits is not under test; keep the run short
    # Each generated request meets the same seeded state: a request that creates something (the
    # schema's example connector) would otherwise make the next one a name clash.
    excluded = []
    if case.method in ("POST", "PUT", "PATCH") and case.operation.path in RULES_BEYOND_OPENAPI:
        # A connector's endpoint (a destination's host) must resolve to an address the egress
        # guard allows, and its
        # pagination / incremental / transformation objects are checked by the engine's own
        # validators: rules no OpenAPI schema can state, so a schema-valid body can be a correct
        # 400 here. Every other check still runs on these operations (invalid data refused, 2xx
        # bodies matching the schema, ...).
        excluded.append(positive_data_acceptance)
    headers = {"Authorization": f"Bearer {tenant_admin_token}"}
    with transaction.atomic():
        response = case.call(headers=headers)
        if response.status_code == 400 and refused_names(case.body) & set(
            json.dumps(response.json()).split('"')
        ):
            # a name people read (core.display_names): bidi controls, invisible characters, look-alike
            # scripts are refused by rules no OpenAPI pattern states
            excluded.append(positive_data_acceptance)
        if response.status_code == 400 and holds_a_nul(case) and NUL_REFUSED in response.content.decode():
            # every text the API reads refuses NUL (DRF's ProhibitNullCharactersValidator, the query's
            # own checks): PostgreSQL cannot store it, and a filter with it would find nothing
            excluded.append(positive_data_acceptance)
        case.validate_response(response, headers=headers, excluded_checks=excluded)
        transaction.set_rollback(True)


NUL_REFUSED = "Null characters are not allowed."


def holds_a_nul(case) -> bool:
    """Whether a generated request's query or body holds a NUL character anywhere."""
    return "\\u0000" in json.dumps([case.query, case.body], default=str)


def refused_names(body) -> set[str]:
    """What :func:`core.display_names.validate_display_name` says of each string of a request body
    that it refuses."""
    strings = [body] if isinstance(body, str) else []
    if isinstance(body, dict):
        strings = [value for value in body.values() if isinstance(value, str)]
    said = set()
    for value in strings:
        try:
            validate_display_name(value)
        except ValidationError as error:
            said.update(error.messages)
    return said
