"""A request body's text is Unicode: JSON's lone surrogate escape (``\\ud800``, half of a UTF-16 pair)
parses to a string that cannot be written as UTF-8, so the parser refuses it (a 400) before any view
sees it. A connector's settings: ``demo_extension/tests/test_request_text.py``."""

import pytest


@pytest.mark.parametrize("email", ["a\\ud800@acme.test", "a\\udfff@acme.test", "\\udbff@acme.test"])
def test_a_lone_surrogate_in_an_invitation_is_a_400(admin_client, email):
    body = '{"email": "' + email + '", "role": "viewer"}'

    response = admin_client.post("/api/tenancy/invitations/", body, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "lone surrogate" in response.json()["detail"]
    assert admin_client.get("/api/tenancy/invitations/").json()["count"] == 0


def test_an_anonymous_sign_in_with_a_lone_surrogate_key_is_a_400(client, db):
    response = client.post(
        "/api/auth/token/",
        '{"email": "a@x.test", "password": "p", "\\ud800": 1}',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "lone surrogate" in response.json()["detail"]
