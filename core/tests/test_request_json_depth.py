"""A request body nested too deep is a 400 in the error format, never a 500 (RecursionError).
(An authenticated write with a deep JSON field: ``demo_extension/tests/test_request_json_depth.py``.)"""

import pytest


@pytest.mark.parametrize("depth", [300, 100_000])
def test_a_deeply_nested_request_body_is_a_400(admin_client, depth):
    body = '{"email": "deep@acme.test", "role": ' + "[" * depth + "]" * depth + "}"

    response = admin_client.post("/api/tenancy/invitations/", body, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "nested deeper than 200 levels" in response.json()["detail"]


def test_an_anonymous_deeply_nested_sign_in_is_a_400(client, db):
    body = '{"email": ' + "[" * 100_000 + "]" * 100_000 + "}"

    response = client.post("/api/auth/token/", body, content_type="application/json")

    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]
