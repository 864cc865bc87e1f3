"""Contract fuzzing: schemathesis generates requests from MigrateIQ's own OpenAPI schema and sends them
in-process (WSGI) to the app on the throwaway test database, as an admin of a tenant with one object
of every kind. Checks: no 5xx, no status code the schema does not document, and every operation that
declares authentication refuses requests without (or with invalid) credentials.
"""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import ignored_auth, status_code_conformance

from conftest import token_for
from migrateiq.wsgi import application
from tenancy.models import Tenant
from tenancy.tests import seed

CHECKS = [not_a_server_error, status_code_conformance, ignored_auth]


def _our_schema() -> dict:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


schema = schemathesis.openapi.from_dict(_our_schema())
schema.app = application


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
def tenant_admin_token(db, settings, in_process_requests):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = ["localhost", "testserver", "127.0.0.1"]
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]  # seeded connectors point at a closed port
    settings.MIGRATEIQ_SYNC_WAIT_SECONDS = 0.0
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 1  # test_connection to the closed port: no retry back-off
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
    case.call_and_validate(headers={"Authorization": f"Bearer {tenant_admin_token}"}, checks=CHECKS)
