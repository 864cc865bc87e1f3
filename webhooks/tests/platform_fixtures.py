"""What the platform's route-walk tests need to know about the webhooks module.

Declared by ``WebhooksConfig.platform_test_fixtures`` and read by ``tenancy/tests/seed.py``
(isolation, role matrix, contract fuzzing, body and page-size limits), which documents each name.
Seeded endpoints point at 127.0.0.1:9, which the platform tests allowlist and where nothing listens:
the test action's ping fails at once without leaving the machine.
"""

from django.db.models import Q

from tenancy.models import Role
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

ENDPOINTS = "api/webhooks/endpoints/"
DELIVERIES = "api/webhooks/deliveries/"
CLOSED_PORT_URL = "http://127.0.0.1:9/hooks/migrateiq"


def seed(tenant, marker: str, now) -> dict:
    endpoint = WebhookEndpoint.objects.create(
        tenant=tenant,
        name=f"{marker} webhook",
        url=CLOSED_PORT_URL,
        secret=f"whsec_{marker}-signing-secret-0000",
        secret_last4="0000",
        events=["*"],
    )
    delivery = WebhookDelivery.objects.create(
        tenant=tenant,
        endpoint=endpoint,
        event="sync.failed",
        payload={"event": "sync.failed", "data": {"sync": {"error_message": f"{marker} failed"}}},
        status=DeliveryStatus.FAILED,
        attempts=1,
        error=f"{marker} connection refused",
    )
    return {"webhook_endpoint": endpoint, "webhook_delivery": delivery}


TENANT_ROWS = {
    WebhookEndpoint: lambda t: Q(tenant=t),
    WebhookDelivery: lambda t: Q(tenant=t),
}

PARAM_MODELS = {}

MINIMUM_ROLE = {
    (ENDPOINTS, "GET"): Role.ADMIN,
    (ENDPOINTS, "POST"): Role.ADMIN,
    (ENDPOINTS + "{pk}/", "GET"): Role.ADMIN,
    (ENDPOINTS + "{pk}/", "PUT"): Role.ADMIN,
    (ENDPOINTS + "{pk}/", "PATCH"): Role.ADMIN,
    (ENDPOINTS + "{pk}/", "DELETE"): Role.ADMIN,
    (ENDPOINTS + "{pk}/test/", "POST"): Role.ADMIN,
    (DELIVERIES, "GET"): Role.ADMIN,
    (DELIVERIES + "{pk}/", "GET"): Role.ADMIN,
}

BODIES = {
    (ENDPOINTS, "POST"): {"name": "new webhook", "url": CLOSED_PORT_URL, "events": ["sync.failed"]},
    (ENDPOINTS + "{pk}/", "PUT"): {"name": "replaced webhook", "url": CLOSED_PORT_URL, "events": ["*"]},
    (ENDPOINTS + "{pk}/", "PATCH"): {"name": "renamed webhook"},
}

#: The URL is checked by the egress guard (it must resolve to an allowed address) and names are unique
#: per tenant: rules the published schema cannot state.
SCHEMA_RULES_BEYOND_OPENAPI = {"/" + ENDPOINTS, "/" + ENDPOINTS + "{id}/"}

EXPECTED_ROUTES = {ENDPOINTS + "{pk}/", ENDPOINTS + "{pk}/test/", DELIVERIES, DELIVERIES + "{pk}/"}


def isolation_body(graph) -> dict:
    return {"endpoint": graph.webhook_endpoint.pk, "url": CLOSED_PORT_URL, "events": ["*"]}


def isolation_queries(graph, marker: str) -> dict:
    return {"endpoint": graph.webhook_endpoint.pk, "event": "sync.failed"}


def many_rows(tenant, graph, n: int) -> None:
    """More than ``n`` rows of every kind the module lists, in ``tenant``."""
    WebhookEndpoint.objects.bulk_create(
        WebhookEndpoint(tenant=tenant, name=f"bulk {i}", url=CLOSED_PORT_URL, secret="s" * 16, events=["*"])
        for i in range(n)
    )
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(tenant=tenant, endpoint=graph.webhook_endpoint, event="ping", payload={})
        for _ in range(n)
    )
