"""The API schema describes ``pagination`` as a discriminated union of its types, not free JSON."""

from django.test import Client

from demo_extension.services.pagination import PAGINATION_KEYS, PAGINATION_TYPES


def _schema(db) -> dict:
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_pagination_is_a_one_of_by_type_with_every_type_and_its_keys(db):
    components = _schema(db)["components"]["schemas"]
    union = components["Pagination"]

    assert union["discriminator"]["propertyName"] == "type"
    assert set(union["discriminator"]["mapping"]) == set(PAGINATION_TYPES)
    assert len(union["oneOf"]) == len(PAGINATION_TYPES)
    for kind, ref in union["discriminator"]["mapping"].items():
        variant = components[ref.rsplit("/", 1)[-1]]
        assert set(variant["properties"]) == {"type", *PAGINATION_KEYS[kind]}
    cursor = components["PaginationCursor"]["properties"]
    assert cursor["cursor_param"]["description"].startswith("Query parameter the cursor is sent back as")


def test_the_connector_s_pagination_field_refers_to_the_union(db):
    components = _schema(db)["components"]["schemas"]
    field = components["Connector"]["properties"]["pagination"]
    assert {"$ref": "#/components/schemas/Pagination"} in field.get("allOf", [field])


def test_a_pagination_object_without_a_type_is_refused_as_the_schema_says(editor_client):
    response = editor_client.post(
        "/api/demo-extension/connectors/",
        {"name": "no type", "api_endpoint": "http://127.0.0.1:9/users", "pagination": {}},
        format="json",
    )

    assert response.status_code == 400
    assert '"type"' in response.json()["errors"]["pagination"][0]


def test_the_incremental_and_rules_schemas_are_built_from_the_keys_their_validators_check(db):
    from demo_extension.services.incremental import INCREMENTAL_KEYS
    from sync_engine.transform import RULE_KEYS, SUPPORTED_TYPES

    components = _schema(db)["components"]["schemas"]
    connector = components["Connector"]["properties"]
    assert connector["incremental"]["allOf"][0]["$ref"].endswith("/IncrementalConfig")
    assert connector["transformation_rules"]["allOf"][0]["$ref"].endswith("/TransformationRules")
    assert list(components["IncrementalConfig"]["properties"]) == list(INCREMENTAL_KEYS)
    lookback = components["IncrementalConfig"]["properties"]["lookback"]
    assert (lookback["type"], lookback["minimum"], lookback["nullable"]) == ("number", 0, True)
    assert "seconds for an ISO 8601 timestamp cursor" in lookback["description"]
    rules = components["TransformationRules"]["properties"]
    assert list(rules) == list(RULE_KEYS)
    assert rules["type_conversions"]["additionalProperties"]["enum"] == list(SUPPORTED_TYPES)
    assert all(rules[key].get("description") for key in RULE_KEYS)
