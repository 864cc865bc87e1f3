"""An exact contract (finding 15) of the connectors API: every error is JSON in the error format,
invalid query parameters are a 400, and a never-synced connector's status is the documented empty
value. (The platform's part: ``core/tests/test_api_contract.py``.)"""

import pytest

from demo_extension.models import CustomDataConnector

LOGS = "/api/demo-extension/sync-logs/"
CONNECTORS = "/api/demo-extension/connectors/"


@pytest.mark.parametrize(
    "path",
    [
        "/api/demo-extension/sync-logs/0.5/events/",
        "/api/demo-extension/connectors/-1/",
    ],
)
def test_a_malformed_id_is_a_json_404(admin_client, path):
    response = admin_client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_method_not_allowed_is_a_json_405(admin_client):
    response = admin_client.put(LOGS, {})

    assert response.status_code == 405
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "query",
    [
        "page=null",
        "page=0",
        "page=-1",
        "page=1&page=2",
        "page_size=null",
        "page_size=ten",
        "page_size=5&page_size=6",
        "search=a&search=b",
        "status=FAILED&connector=1&connector=2",
        "created_before=",
        "connector=",
    ],
)
def test_invalid_query_parameters_are_a_400_naming_them(admin_client, query):
    response = admin_client.get(f"{LOGS}?{query}")

    assert response.status_code == 400, response.content
    name = query.split("=")[0] if "connector=1" not in query else "connector"
    assert name in response.json()["errors"]


def test_several_statuses_are_still_a_valid_filter(admin_client):
    assert admin_client.get(f"{LOGS}?status=FAILED&status=PARTIAL").status_code == 200


@pytest.mark.parametrize("value", ["null", "1", "yes", ""])
def test_a_boolean_filter_takes_true_or_false_only(admin_client, value):
    assert admin_client.get(f"{CONNECTORS}?is_active={value}").status_code == 400
    assert admin_client.get(f"{CONNECTORS}?is_active=false").status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [("primary_key", 5), ("name", 12), ("is_active", "yes"), ("max_pages", "5"), ("max_pages", True)],
)
def test_a_body_value_of_the_wrong_json_type_is_a_400(admin_client, settings, field, value):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]
    body = {"name": "typed", "api_endpoint": "http://127.0.0.1:9/users", field: value}

    response = admin_client.post(CONNECTORS, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_never_synced_connectors_status_is_the_documented_empty_value(admin_client, tenant_a, settings):
    CustomDataConnector.objects.create(tenant=tenant_a, name="new", api_endpoint="http://127.0.0.1:9/")
    schema = admin_client.get("/api/schema/?format=json").json()

    row = admin_client.get(CONNECTORS).json()["results"][0]

    assert row["last_sync_status"] == ""
    documented = schema["components"]["schemas"]["Connector"]["properties"]["last_sync_status"]["oneOf"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in documented
    assert schema["components"]["schemas"]["BlankEnum"]["enum"] == [""]


def test_an_unknown_query_parameter_of_a_list_is_a_400_naming_it(admin_client):
    response = admin_client.get(LOGS, {"stauts": "FAILED"})

    assert response.status_code == 400
    assert "stauts" in response.json()["errors"]


def _one_connector_with_a_run(tenant_a):
    from demo_extension.models import SyncLog, SyncStatus

    connector = CustomDataConnector.objects.create(
        tenant=tenant_a, name="params", api_endpoint="http://127.0.0.1:9/"
    )
    log = SyncLog.objects.create(tenant=tenant_a, connector=connector, status=SyncStatus.SUCCESS)
    return connector, log


@pytest.mark.parametrize(
    ("path", "query", "unknown"),
    [
        # ?search= is how the connectors list searches; the records search with field and value
        ("{c}/records/", "search=Lisbon", "search"),
        ("{c}/records/", "feild=address.city&value=lis", "feild"),
        ("{c}/records/", "order=-external_id", "order"),
        ("{c}/export/", "format=csv&field=address.city&vale=lis", "vale"),
        ("{c}/changes/", "after=0&limt=10", "limt"),
        ("{c}/sync_history/", "status=FAILED", "status"),
        ("{c}/schema/", "fields=id", "fields"),
        ("stats/", "days=7", "days"),
        ("stats/history/", "day=7", "day"),
        ("{log}/events/", "level=error", "level"),
        ("{log}/errors/", "pgae=2", "pgae"),
    ],
)
def test_an_unknown_query_parameter_of_a_connector_action_is_a_400_naming_it(
    admin_client, tenant_a, path, query, unknown
):
    connector, log = _one_connector_with_a_run(tenant_a)
    base = LOGS if path.startswith("{log}") else CONNECTORS
    url = base + path.format(c=connector.pk, log=log.pk) + "?" + query

    response = admin_client.get(url)

    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [unknown]
    assert f"Unknown query parameter {unknown!r}; this endpoint takes:" in response.json()["detail"]


@pytest.mark.parametrize(
    "digits", ["\u0663", "\uff13", "1\u0660"], ids=["arabic-indic", "full-width", "mixed"]
)
@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("{c}/changes/", "after"),
        ("{c}/changes/", "limit"),
        ("{c}/export/", "since"),
        ("{c}/schema/profile/", "sample"),
        ("stats/history/", "days"),
    ],
)
def test_an_integer_parameter_in_other_digits_than_ascii_is_a_400(admin_client, tenant_a, path, name, digits):
    # ?after=٣ read as 3 (Python's int() reads every script's digits); page and page_size never did.
    connector, _log = _one_connector_with_a_run(tenant_a)

    response = admin_client.get(CONNECTORS + path.format(c=connector.pk), {name: digits})

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {name: ["A valid integer is required."]}


@pytest.mark.parametrize(
    ("path", "query"),
    [
        (
            "{c}/records/",
            "page=1&page_size=20&ordering=-data.email&field=address.city&value=lis"
            "&external_id=7&sync={log}&include_deleted=true&format=json",
        ),
        (
            "{c}/export/",
            "format=csv&fields=id&since=0&include_deleted=false&spreadsheet_safe=false&field=id&value=1",
        ),
        ("{c}/changes/", "after=0&limit=10"),
        ("{c}/sync_history/", "page=1&page_size=5"),
        ("{c}/schema/", ""),
        ("stats/", ""),
        ("stats/history/", "days=7"),
        ("{log}/events/", "page=1&page_size=500"),
        ("{log}/errors/", "page=1"),
    ],
)
def test_the_query_parameters_a_connector_action_takes_are_accepted(admin_client, tenant_a, path, query):
    connector, log = _one_connector_with_a_run(tenant_a)
    base = LOGS if path.startswith("{log}") else CONNECTORS
    url = base + path.format(c=connector.pk, log=log.pk) + "?" + query.format(log=log.pk)

    response = admin_client.get(url)

    # the export names an unknown field (no stored record has "id") but never an unknown parameter
    errors = response.json().get("errors", {}) if response.status_code == 400 else {}
    assert response.status_code in (200, 400), response.content
    assert set(errors) <= {"fields"}, response.content


@pytest.mark.parametrize(
    ("field", "value", "choices"),
    [
        ("sync_frequency", "daily", "MANUAL, HOURLY, DAILY, WEEKLY. Did you mean 'DAILY'?"),
        ("request_method", "PUT", "GET, POST."),
    ],
)
def test_a_value_that_is_no_choice_is_a_400_naming_the_choices(admin_client, settings, field, value, choices):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]
    body = {"name": "chosen", "api_endpoint": "http://127.0.0.1:9/users", field: value}

    response = admin_client.post(CONNECTORS, body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][field] == [f'"{value}" is not a valid choice; one of: {choices}']


@pytest.mark.parametrize(
    ("path", "query", "method", "error"),
    [
        # finding 10: users of dlt or Meltano try jsonl first
        ("export/", "format=jsonl", "get",
         """"jsonl" is not a valid choice; one of: ndjson, csv. Did you mean 'ndjson'?"""),
        ("export/", "format=CSV", "get",
         """"CSV" is not a valid choice; one of: ndjson, csv. Did you mean 'csv'?"""),
        ("sync_data/", "trigger=cron", "post", '"cron" is not a valid choice; one of: api, ui.'),
    ],
)  # fmt: skip
def test_a_query_parameter_outside_its_choices_is_a_400_naming_them_and_the_one_meant(
    admin_client, tenant_a, path, query, method, error
):
    connector = CustomDataConnector.objects.create(
        tenant=tenant_a, name="chosen", api_endpoint="http://127.0.0.1:9/users"
    )
    name = query.split("=")[0]

    response = getattr(admin_client, method)(f"{CONNECTORS}{connector.pk}/{path}?{query}")

    assert response.status_code == 400
    assert response.json()["errors"] == {name: [error]}
    assert response.json()["detail"] == f"{name}: {error}"


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("status=sucess", '"sucess" is not a valid choice; one of: PENDING, RUNNING, SUCCESS, PARTIAL, '
         "FAILED, CANCELLED. Did you mean 'SUCCESS'?"),
        ("triggered_by=cron", '"cron" is not a valid choice; one of: manual, schedule, api, ui.'),
    ],
)  # fmt: skip
def test_a_list_filter_outside_its_choices_is_a_400_naming_them(admin_client, query, error):
    response = admin_client.get(f"/api/demo-extension/sync-logs/?{query}")

    assert response.status_code == 400
    assert response.json()["errors"] == {query.split("=")[0]: [error]}


def test_a_misspelt_choice_in_a_body_names_the_one_meant(admin_client):
    response = admin_client.post(
        "/api/tenancy/invitations/", {"email": "a@b.test", "role": "edtor"}, format="json"
    )

    assert response.json()["errors"]["role"] == [
        """"edtor" is not a valid choice; one of: viewer, editor, admin. Did you mean 'editor'?"""
    ]


def test_a_wrong_choice_is_named_beside_the_other_invalid_fields(admin_client):
    response = admin_client.post(
        "/api/tenancy/invitations/", {"email": "not-an-email", "role": "owner"}, format="json"
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["role"] == ['"owner" is not a valid choice; one of: viewer, editor, admin.']
    assert "email" in errors


def test_the_connection_tests_documented_answer_names_every_field_it_has():
    # "tested" was answered but neither in the example nor in the operation's description
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/demo-extension/connectors/{id}/test_connection/"]["post"]
    answer = operation["responses"]["200"]["content"]["application/json"]
    fields = set(schema["components"]["schemas"]["ConnectionResult"]["properties"])

    assert "tested" in fields
    assert set(next(iter(answer["examples"].values()))["value"]) == fields
    assert "`tested` is false when nothing was sent" in operation["description"]


@pytest.mark.parametrize(
    ("path", "component"),
    [
        ("/api/demo-extension/connectors/{id}/test_connection/", "ConnectionResult"),
        ("/api/destinations/{id}/test_connection/", "ConnectionCheck"),
    ],
)
def test_the_schema_shows_a_failed_connection_test_as_a_200_saying_connected_false(path, component):
    # The seed contract shapes the test's answer ({"connected": true, ...}), so a test that could not
    # connect stays a 200; the schema showed only the connected example, and said nothing of it.
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"][path]["post"]
    examples = operation["responses"]["200"]["content"]["application/json"]["examples"]
    fields = set(schema["components"]["schemas"][component]["properties"])

    shown = {name: example["value"] for name, example in examples.items()}
    assert shown["NotConnected"]["connected"] is False and shown["Connected"]["connected"] is True
    assert all(set(value) == fields for value in shown.values())
    assert "a 200 whether or not it connected" in operation["description"]
    assert "A non-2xx means the test did not run" in " ".join(operation["description"].split())


def test_the_schema_says_when_requests_paused_for_is_zero_and_when_null():
    # a running run that is not paused answers 0.0, which looked like an undocumented null
    from drf_spectacular.generators import SchemaGenerator

    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    field = schemas["SyncLog"]["properties"]["requests_paused_for"]

    assert field["nullable"] is True
    assert "0 when its requests are not paused" in field["description"]
    assert "Null once the run has ended" in field["description"]
    assert "cannot be read" in field["description"]


def test_the_seeds_classes_and_routes_have_the_names_it_gives_them():
    # The seed's step 4 and 6: `class CustomDataConnectorViewSet(viewsets.ModelViewSet)` with a
    # `test_connection` action, registered as `connectors`; its services and models by name.
    from django.urls import resolve
    from rest_framework import viewsets

    from demo_extension.models import CustomDataConnector, SyncLog  # noqa: F401
    from demo_extension.services import ConnectorStatsService, DataSyncService, DataTransformationService  # noqa: F401
    from demo_extension.views import CustomDataConnectorViewSet

    assert issubclass(CustomDataConnectorViewSet, viewsets.ModelViewSet)
    for action in ("test_connection", "sync_data", "sync_history"):
        match = resolve(f"{CONNECTORS}1/{action}/")
        assert match.func.cls is CustomDataConnectorViewSet
        assert action in match.func.actions.values()
    assert resolve(CONNECTORS).func.cls is CustomDataConnectorViewSet


@pytest.mark.parametrize("body_format", ["multipart", "urlencoded"])
def test_a_form_body_is_a_415_saying_to_send_json(admin_client, body_format):
    data = {"name": "Customer Database API", "api_endpoint": "https://api.example.com/customers"}
    if body_format == "multipart":
        response = admin_client.post(CONNECTORS, data, format="multipart")
    else:
        form = "application/x-www-form-urlencoded"
        response = admin_client.generic("POST", CONNECTORS, "name=x", content_type=form)

    assert response.status_code == 415
    detail = response.json()["detail"]
    assert detail.startswith("Unsupported media type ")
    assert detail.endswith(": send the body as Content-Type: application/json.")
    assert not CustomDataConnector.objects.unscoped("test: nothing was created").exists()
