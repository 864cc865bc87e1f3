"""The web UI's hand-written types of the webhooks API (frontend/src/api/types.ts) say what the
OpenAPI schema says: a field added, renamed or made write-only without the Webhooks page following
fails here."""

from core.testing import api_schemas, ui_interface


def test_the_ui_types_have_exactly_the_fields_of_the_webhooks_answers(db):
    schemas = api_schemas()
    assert ui_interface("WebhookEndpoint") == set(schemas["WebhookEndpoint"]["properties"])
    assert ui_interface("WebhookEndpointCreated") == {"signing_secret"}  # on top of WebhookEndpoint
    assert "signing_secret" in schemas["EndpointCreated"]["properties"]
    assert ui_interface("WebhookEndpointInput") == set(schemas["WebhookEndpointRequest"]["properties"])
    assert ui_interface("WebhookDelivery") == set(schemas["WebhookDelivery"]["properties"])
