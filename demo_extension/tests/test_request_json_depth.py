"""A connector body nested too deep is a 400 in the error format, never a 500 (RecursionError);
ordinary nesting (transformation rules) is parsed."""

import pytest

CONNECTORS = "/api/demo-extension/connectors/"


@pytest.mark.parametrize("depth", [300, 100_000])
def test_a_deeply_nested_request_body_is_a_400(admin_client, depth):
    body = '{"name": "deep", "transformation_rules": ' + "[" * depth + "]" * depth + "}"

    response = admin_client.post(CONNECTORS, body, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "nested deeper than 200 levels" in response.json()["detail"]


def test_ordinary_nesting_is_parsed(admin_client, settings):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]
    response = admin_client.post(
        CONNECTORS,
        {"name": "ok", "api_endpoint": "http://127.0.0.1:9/users", "transformation_rules": {"defaults": {}}},
        format="json",
    )

    assert response.status_code == 201, response.content
