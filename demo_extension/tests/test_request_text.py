"""A connector's settings are Unicode text: a lone surrogate escape (``\\ud800``) anywhere in the body
is a 400, never a value that is stored and then cannot be written out (every answer showing it a
500). Any other body: ``core/tests/test_request_text.py``."""

import json

import pytest

CONNECTORS = "/api/demo-extension/connectors/"
pytestmark = pytest.mark.django_db

LONE = ["\\ud800", "\\udfff", "x\\udbffy"]


def _connector(**fields) -> dict:
    return {"name": "CRM", "api_endpoint": "http://127.0.0.1:9/users", "sync_frequency": "MANUAL", **fields}


def _with(body: dict, raw: str) -> str:
    """``body`` as JSON, each ``"@"`` in it written as ``raw``: an escape json.dumps would not write."""
    return json.dumps(body).replace("@", raw)


@pytest.fixture(autouse=True)
def _endpoint_allowed(settings):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]


@pytest.mark.parametrize("lone", LONE)
@pytest.mark.parametrize(
    "body",
    [
        _connector(query_params={"@": "1"}),  # a key
        _connector(query_params={"page": "@"}),  # a value
        _connector(name="@"),
        _connector(request_body={"filter": [{"q": "@"}]}),
        _connector(pagination={"type": "cursor", "cursor_path": "@"}),
    ],
)
def test_a_lone_surrogate_anywhere_in_a_body_is_a_400_and_nothing_is_stored(editor_client, body, lone):
    # before: {"query_params": {"\ud800": "\ud800"}} was saved on SQLite, and the tenant's connector
    # list was a 500 for every member from then on ('surrogates not allowed'); PostgreSQL: a 500 at save
    response = editor_client.post(CONNECTORS, _with(body, lone), content_type="application/json")

    assert response.status_code == 400, response.content
    assert "lone surrogate" in response.json()["detail"]
    assert editor_client.get(CONNECTORS).json()["count"] == 0


def test_a_lone_surrogate_in_a_change_leaves_the_connector_readable(editor_client, make_connector):
    connector = make_connector(name="CRM")

    response = editor_client.patch(
        f"{CONNECTORS}{connector.pk}/",
        _with({"query_params": {"@": "@"}}, "\\ud800"),
        content_type="application/json",
    )

    assert response.status_code == 400
    listed = editor_client.get(CONNECTORS)
    assert listed.status_code == 200 and listed.json()["results"][0]["query_params"] == {}


def test_an_escaped_surrogate_pair_is_one_character_and_is_kept(editor_client):
    response = editor_client.post(
        CONNECTORS, _with(_connector(name="@ CRM"), "\\ud83d\\ude00"), content_type="application/json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["name"] == "\N{GRINNING FACE} CRM"


@pytest.mark.sqlite_only  # PostgreSQL refuses to store such a string (jsonb, and text in UTF-8)
def test_a_connector_saved_before_with_a_lone_surrogate_is_still_listed(editor_client, make_connector):
    # before: SQLite kept {"\ud800": "\ud800"} and every answer showing the connector was a 500
    # ('surrogates not allowed'): the tenant's connector list, for every member
    connector = make_connector(name="CRM", query_params={"\ud800": "x\ud800"})

    listed = editor_client.get(CONNECTORS)
    shown = editor_client.get(f"{CONNECTORS}{connector.pk}/")

    assert (listed.status_code, shown.status_code) == (200, 200)
    assert b"\\ud800" in shown.content  # written as an ASCII escape, which parsers read back
    assert shown.json()["query_params"] == {"\ud800": "x\ud800"}
    assert listed.json()["results"][0]["name"] == "CRM"
