"""The web UI's hand-written types of the webhooks API (frontend/src/api/types.ts) say what the
OpenAPI schema says: a field added, renamed or made write-only without the Webhooks page following
fails here."""

import re
from pathlib import Path

from django.conf import settings
from django.test import Client

TYPES = (Path(settings.BASE_DIR) / "frontend" / "src" / "api" / "types.ts").read_text()


def _interface(name: str) -> set[str]:
    match = re.search(rf"^export interface {name}(?: extends \w+)? \{{\n(.*?)^\}}", TYPES, re.S | re.M)
    assert match, f"interface {name} not found in types.ts"
    return set(re.findall(r"^  (\w+)\??:", match.group(1), re.M))


def _schemas() -> dict:
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()["components"]["schemas"]


def test_the_ui_types_have_exactly_the_fields_of_the_webhooks_answers(db):
    schemas = _schemas()
    assert _interface("WebhookEndpoint") == set(schemas["WebhookEndpoint"]["properties"])
    assert _interface("WebhookEndpointCreated") == {"signing_secret"}  # on top of WebhookEndpoint
    assert "signing_secret" in schemas["EndpointCreated"]["properties"]
    assert _interface("WebhookEndpointInput") == set(schemas["WebhookEndpointRequest"]["properties"])
    assert _interface("WebhookDelivery") == set(schemas["WebhookDelivery"]["properties"])
