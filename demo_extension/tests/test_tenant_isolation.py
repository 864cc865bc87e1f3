"""Tenant isolation of the connectors API, beyond the platform's route walk
(``tenancy/tests/test_isolation.py``, which covers every route of this module too): a client-supplied
tenant is ignored on create and cannot move a connector; another tenant's connector is a JSON 404."""

import json

import pytest
from rest_framework.test import APIClient

from conftest import token_for
from demo_extension.models import CustomDataConnector
from tenancy.models import Tenant
from tenancy.tests import seed


@pytest.fixture(autouse=True)
def _closed_local_port_allowed(settings):
    """Seeded connectors point at 127.0.0.1:9 (nothing listens there); the egress allowlist lets the
    API accept that URL, and any call to it fails at once without leaving the machine."""
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 1  # no retry back-off against the closed port


@pytest.fixture
def graphs(db):
    tenant_a = Tenant.objects.create(slug="acme", name="Acme")
    tenant_b = Tenant.objects.create(slug="globex", name="Globex")
    return seed.seed_tenant(tenant_a, "acmemark"), seed.seed_tenant(tenant_b, "globexmark")


@pytest.fixture
def b_client(graphs):
    _, b = graphs
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(b.admin, b.tenant)}")
    return client


def test_a_client_supplied_tenant_is_refused_on_create(graphs, b_client):
    graph_a, graph_b = graphs
    counted = CustomDataConnector.objects.unscoped("the test counts every tenant's connectors")
    before = counted.count()
    response = b_client.post(
        "/api/demo-extension/connectors/",
        {
            "name": "made by globex",
            "api_endpoint": "http://127.0.0.1:9/users",
            "tenant": graph_a.tenant.pk,
        },
        format="json",
    )

    assert response.status_code == 400, response.content
    assert "tenant" in response.json()["errors"]
    assert counted.count() == before


def test_a_client_supplied_tenant_cannot_move_an_object(graphs, b_client):
    _, graph_b = graphs
    graph_a = graphs[0]
    url = f"/api/demo-extension/connectors/{graph_b.connector.pk}/"

    response = b_client.patch(
        url, {"tenant": graph_a.tenant.pk, "tenant_id": graph_a.tenant.pk}, format="json"
    )

    assert response.status_code in (200, 400)
    graph_b.connector.refresh_from_db()
    assert graph_b.connector.tenant_id == graph_b.tenant.pk


def test_every_error_body_is_json(graphs, b_client):
    graph_a, _ = graphs
    response = b_client.get(f"/api/demo-extension/connectors/{graph_a.connector.pk}/")
    assert json.loads(response.content) == {"detail": "Not found."}
