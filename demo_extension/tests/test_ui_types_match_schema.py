"""The web UI's hand-written API types (frontend/src/api/types.ts) and its pagination fields
(frontend/src/components/connectorConfig.ts) say what the OpenAPI schema says: a field added,
renamed or made write-only in the API without the UI following fails here."""

import re
from pathlib import Path

from django.conf import settings
from django.test import Client

FRONTEND = Path(settings.BASE_DIR) / "frontend" / "src"
TYPES = (FRONTEND / "api" / "types.ts").read_text()
CONFIG = (FRONTEND / "components" / "connectorConfig.ts").read_text()


def _schema(db) -> dict:
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()["components"]["schemas"]


def _interface(name: str) -> set[str]:
    """The property names of ``export interface <name> { ... }`` (its own lines only)."""
    match = re.search(rf"^export interface {name}(?: extends \w+)? \{{\n(.*?)^\}}", TYPES, re.S | re.M)
    assert match, f"interface {name} not found in types.ts"
    return set(re.findall(r"^  (\w+)\??:", match.group(1), re.M))


def _union(name: str) -> set[str]:
    match = re.search(rf"^export type {name} = ([^;]+);", TYPES, re.M)
    assert match, f"type {name} not found in types.ts"
    return set(re.findall(r'"(\w+)"', match.group(1)))


def test_the_connector_type_has_exactly_the_fields_of_a_connector_response(db):
    schema = _schema(db)
    assert _interface("Connector") == set(schema["Connector"]["properties"])
    assert "auth_username" not in _interface("Connector")  # write-only: has_auth_username instead


def test_the_connector_input_type_has_exactly_the_writable_fields(db):
    schema = _schema(db)
    assert _interface("ConnectorInput") == set(schema["ConnectorRequest"]["properties"])


def test_the_preview_types_have_exactly_the_fields_of_the_preview_answer(db):
    schema = _schema(db)
    for name in (
        "Preview",
        "PreviewPagination",
        "PreviewField",
        "PreviewKeyCandidate",
        "PreviewCursorCandidate",
        "PreviewRecord",
    ):
        assert _interface(name) == set(schema[name]["properties"]), name


def test_the_auth_styles_and_client_auth_methods_are_the_api_s(db):
    schema = _schema(db)
    assert _union("AuthType") == set(schema["AuthTypeEnum"]["enum"])
    assert _union("OAuthClientAuth") == set(schema["OauthClientAuthEnum"]["enum"])


def test_the_form_offers_a_field_for_every_pagination_key_of_every_type(db):
    schema = _schema(db)
    union = schema["Pagination"]["discriminator"]["mapping"]
    has_more = re.search(r'const HAS_MORE = \{ key: "(\w+)"', CONFIG).group(1)
    for kind, ref in union.items():
        block = re.search(rf"^  {kind}: \[\],|^  {kind}: \[\n(.*?)^  \],", CONFIG, re.S | re.M)
        assert block, f"no PAGINATION_KEYS entry for {kind}"
        body = block.group(1) or ""
        keys = set(re.findall(r'\{ key: "(\w+)"|^\s+key: "(\w+)"', body, re.M))
        keys = {a or b for a, b in keys}
        if "HAS_MORE" in body:
            keys.add(has_more)
        expected = set(schema[ref.rsplit("/", 1)[-1]]["properties"]) - {"type"}
        assert keys == expected, kind
