"""The web UI's hand-written API types (frontend/src/api/types.ts) and its pagination fields
(frontend/src/components/connectorConfig.ts) say what the OpenAPI schema says: a field added,
renamed or made write-only in the API without the UI following fails here."""

import re

from core.testing import FRONTEND, api_schemas, ui_interface, ui_union

CONFIG = (FRONTEND / "components" / "connectorConfig.ts").read_text()


def test_the_connector_type_has_exactly_the_fields_of_a_connector_response(db):
    schema = api_schemas()
    assert ui_interface("Connector") == set(schema["Connector"]["properties"])
    assert "auth_username" not in ui_interface("Connector")  # write-only: has_auth_username instead


def test_the_connector_input_type_has_exactly_the_writable_fields(db):
    schema = api_schemas()
    assert ui_interface("ConnectorInput") == set(schema["ConnectorRequest"]["properties"])


def test_the_preview_types_have_exactly_the_fields_of_the_preview_answer(db):
    schema = api_schemas()
    for name in (
        "Preview",
        "PreviewPagination",
        "PreviewField",
        "PreviewKeyCandidate",
        "PreviewCursorCandidate",
        "PreviewRecord",
    ):
        assert ui_interface(name) == set(schema[name]["properties"]), name


def test_the_destination_attachment_types_have_exactly_the_fields_of_the_api(db):
    schema = api_schemas()
    assert ui_interface("DestinationAttachment") == set(schema["Attachment"]["properties"])
    assert ui_interface("DestinationLastLoad") == set(schema["LastLoad"]["properties"])
    assert ui_union("ColumnNames") == set(schema["ColumnNamesEnum"]["enum"])


def test_the_auth_styles_and_client_auth_methods_are_the_api_s(db):
    schema = api_schemas()
    assert ui_union("AuthType") == set(schema["AuthTypeEnum"]["enum"])
    assert ui_union("OAuthClientAuth") == set(schema["OauthClientAuthEnum"]["enum"])


def test_the_form_offers_a_field_for_every_pagination_key_of_every_type(db):
    schema = api_schemas()
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


def test_the_schema_profile_types_have_exactly_the_fields_of_the_profile_answer(db):
    schema = api_schemas()
    assert ui_interface("SchemaProfile") == set(schema["ConnectorSchemaProfile"]["properties"])
    assert ui_interface("FieldProfile") == set(schema["FieldProfile"]["properties"])


def test_the_sync_log_detail_type_adds_exactly_the_fields_the_detail_adds(db):
    schema = api_schemas()
    added = set(schema["SyncLogDetail"]["properties"]) - set(schema["SyncLog"]["properties"])
    assert ui_interface("SyncLogDetail") == added
    assert "background_stopped" in added
