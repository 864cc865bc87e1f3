"""An exact contract (finding 15): every /api/ error is JSON in the error format. The connectors
module's part (its invalid query parameters, its documented empty values) is tested with it:
``demo_extension/tests/test_api_contract.py``."""

import pytest

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
