"""The connectors endpoints: CRUD, validation, the write-only key, roles, isolation, lists, actions."""

import pytest

from demo_extension.models import CustomDataConnector, SyncLog
from demo_extension.services.sync import DataSyncService
from tenancy.testing import REFUSED_RESOLUTIONS

URL = "/api/demo-extension/connectors/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Members are created per test; the production hasher would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# A local address the egress guard lets these tests save (nothing listens there).
ENDPOINT = "http://127.0.0.1:9/users"


@pytest.fixture(autouse=True)
def _allow_the_test_endpoint(settings):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]


def detail(pk) -> str:
    return f"{URL}{pk}/"


def payload(**overrides) -> dict:
    data = {
        "name": "Customer Database API",
        "api_endpoint": ENDPOINT,
        "api_key": "demo-key-1234567890",
        "sync_frequency": "DAILY",
    }
    data.update(overrides)
    return data


# --- create ---------------------------------------------------------------------------------------


def test_editor_creates_a_connector_as_in_the_seed(editor_client, tenant_a, editor_user):
    response = editor_client.post(URL, payload(), format="json")

    assert response.status_code == 201, response.data
    body = response.json()
    assert body["name"] == "Customer Database API"
    assert body["sync_frequency"] == "DAILY"
    assert body["is_active"] is True
    assert body["has_api_key"] is True
    assert body["api_key_last4"] == "7890"
    assert body["created_by"] == "editor@acme.test"
    assert body["records_count"] == 0
    assert body["last_sync_status"] == ""
    assert "api_key" not in body
    connector = CustomDataConnector.objects.get(pk=body["id"])
    assert connector.tenant == tenant_a
    assert connector.created_by == editor_user
    assert connector.api_key == "demo-key-1234567890"


def test_the_key_is_stored_encrypted(editor_client):
    from django.db import connection

    pk = editor_client.post(URL, payload(), format="json").json()["id"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM demo_extension_customdataconnector WHERE id = %s", [pk])
        stored = cursor.fetchone()[0]
    assert "demo-key" not in stored
    assert stored.startswith("fernet:")


def test_a_client_supplied_tenant_is_refused(editor_client, tenant_a, tenant_b):
    response = editor_client.post(URL, payload(tenant=tenant_b.pk), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "tenant": ["Unknown field: everything is created in the tenant of your token."]
    }
    assert not CustomDataConnector.objects.unscoped("test: every tenant").exists()


def test_a_misspelt_field_is_a_400_naming_the_field_meant(editor_client):
    response = editor_client.post(URL, payload(api_keyy="demo-key", sync_frequncy="HOURLY"), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "api_keyy": ["Unknown field. Did you mean 'api_key'?"],
        "sync_frequncy": ["Unknown field. Did you mean 'sync_frequency'?"],
    }
    assert not CustomDataConnector.objects.unscoped("test: every tenant").exists()


def test_a_400_names_every_fields_problem_at_once(editor_client):
    # a value of the wrong JSON type stopped the validation: only name was named, the others one fix
    # at a time
    body = {"name": 123, "api_endpoint": "nope", "sync_frequency": "HOURLYISH", "max_pages": -1, "colour": 1}

    response = editor_client.post(URL, body, format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == ["name", "api_endpoint", "sync_frequency", "max_pages", "colour"]
    assert errors["name"] == ["Must be a string."]
    assert errors["api_endpoint"] == [
        "Enter a valid URL: it has no scheme (start it with https:// or http://)."
    ]
    assert errors["sync_frequency"][0].startswith('"HOURLYISH" is not a valid choice; one of: ')
    assert errors["max_pages"] == ["Ensure this value is greater than or equal to 1."]
    assert errors["colour"] == ["Unknown field."]
    assert response.json()["detail"].startswith("name: Must be a string. api_endpoint: Enter a valid URL: ")
    assert not CustomDataConnector.objects.unscoped("test: every tenant").exists()


def test_a_required_field_of_the_wrong_type_is_named_for_its_type_next_to_the_others(editor_client):
    # the wrong-typed value is left out of the other fields' validation: not "This field is required."
    response = editor_client.post(URL, payload(api_endpoint=5, max_pages=0), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "api_endpoint": ["Must be a string."],
        "max_pages": ["Ensure this value is greater than or equal to 1."],
    }


def test_read_only_fields_are_ignored_on_create(editor_client):
    response = editor_client.post(
        URL,
        payload(records_count=99, last_sync_status="SUCCESS", created_by="x@y.test", running_sync_id=7),
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["records_count"] == 0
    assert response.json()["running_sync_id"] is None
    assert response.json()["last_sync_status"] == ""


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("request_headers", {"Accept": "application/json", "X-A": 5}, "X-A"),
        ("request_headers", {"X-Ratio": 1.5}, "X-Ratio"),
        ("query_params", {"status": "active", "limit": 100}, "limit"),
    ],
)
def test_a_number_as_a_header_or_query_parameter_value_is_a_400_naming_the_key(
    editor_client, field, value, key
):
    response = editor_client.post(URL, payload(**{field: value}), format="json")

    assert response.status_code == 400, response.data
    message = response.json()["errors"][field][0]
    assert message.startswith(f"{field}: the value of {key!r} must be a string, not a number: send")
    assert not CustomDataConnector.objects.unscoped("test: every tenant").exists()


def test_a_connector_takes_its_whole_request_configuration(editor_client):
    config = {
        "auth_type": "header",
        "auth_header_name": "X-Token",
        "auth_param_name": "token",
        "auth_username": "sync-bot",
        "request_headers": {"Accept-Language": "en", "X-Page-Hint": "3"},
        "query_params": {"status": "active"},
        "records_path": "data.items",
        "primary_key": "user.id",
        "pagination": {"type": "page", "page_param": "page", "size_param": "per_page", "page_size": 100},
        "incremental": {"cursor_field": "updated_at", "param": "since"},
        "transformation_rules": {"field_mappings": {"customer_id": "id"}, "type_conversions": {"id": "int"}},
        "max_pages": 20,
        "sync_frequency": "HOURLY",
        "is_active": False,
    }
    response = editor_client.post(URL, payload(**config), format="json")

    assert response.status_code == 201, response.data
    body = response.json()
    for key, value in config.items():
        if key == "auth_username":  # a credential: write-only
            assert key not in body
            assert body["has_auth_username"] is True
        else:
            assert body[key] == value, key


def test_a_connector_without_a_key_has_none(editor_client):
    body = editor_client.post(URL, payload(api_key=None) | {"auth_type": "none"}, format="json")
    assert body.status_code == 400  # null is not a key; omit the field instead
    data = payload(auth_type="none")
    del data["api_key"]
    response = editor_client.post(URL, data, format="json")
    assert response.status_code == 201
    assert response.json()["has_api_key"] is False
    assert response.json()["api_key_last4"] == ""


def test_a_short_key_is_set_but_not_hinted(editor_client):
    response = editor_client.post(URL, payload(api_key="abc1234"), format="json")

    assert response.status_code == 201
    assert response.json()["has_api_key"] is True
    assert response.json()["api_key_last4"] == ""


DEEPLY_NESTED: list = [1]
for _ in range(25):
    DEEPLY_NESTED = [DEEPLY_NESTED]


# --- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("request_headers", {"Authorization": "Bearer sk_live_in_clear"}),
        ("request_headers", {"Proxy-Authorization": "Basic dTpw"}),
        ("request_headers", {"Cookie": "session=in-clear"}),
        ("request_headers", {"X-API-Key": "in-clear"}),
        ("request_headers", {"X-Auth-Token": "in-clear"}),
        ("request_headers", {"PRIVATE-TOKEN": "glpat-in-clear"}),
        ("request_headers", {"Ocp-Apim-Subscription-Key": "in-clear"}),
        ("query_params", {"api_key": "in-clear"}),
        ("query_params", {"apiKey": "in-clear"}),
        ("query_params", {"key": "in-clear"}),
        ("query_params", {"access_token": "in-clear"}),
        ("query_params", {"client_secret": "in-clear"}),
        ("query_params", {"sig": "in-clear"}),
        ("api_endpoint", "http://127.0.0.1:9/users?api_key=in-clear"),
        ("api_endpoint", "http://127.0.0.1:9/users?page=1&access_token=in-clear"),
    ],
)
def test_a_credential_in_plain_request_settings_is_refused_as_they_are_shown_to_every_member(
    editor_client, field, value
):
    response = editor_client.post(URL, payload(**{field: value}), format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert "credential" in response.json()["detail"]
    assert not CustomDataConnector.objects.unscoped("test: every tenant").exists()


def test_plain_names_that_only_look_close_to_credentials_are_accepted(editor_client):
    response = editor_client.post(
        URL,
        payload(
            api_endpoint="http://127.0.0.1:9/users?author=ada&keyword=x",
            request_headers={"Idempotency-Key": "import-1", "X-Auth-Email": "ops@example.test"},
            query_params={"author": "ada", "sort_key": "id", "keyword": "x", "signal": "on", "monkey": "1"},
        ),
        format="json",
    )

    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("name", "", "name"),
        ("name", "   ", "blank"),
        ("name", "x" * 256, "name"),
        ("name", {"first": "x"}, "name"),
        ("api_endpoint", "not a url", "valid URL"),
        ("api_endpoint", "ftp://127.0.0.1/users", "api_endpoint"),
        ("api_endpoint", "file:///etc/passwd", "api_endpoint"),
        ("api_endpoint", 42, "api_endpoint"),
        ("api_endpoint", "http://user:secret@127.0.0.1:9/users", "credentials"),
        ("api_endpoint", "http://" + "a" * 2050 + ".test/", "api_endpoint"),
        ("sync_frequency", "MONTHLY", "MONTHLY"),
        ("sync_frequency", None, "sync_frequency"),
        ("is_active", "perhaps", "is_active"),
        ("auth_type", "oauth", "oauth"),
        ("auth_header_name", "X Bad Header", "header name"),
        ("auth_header_name", "X-Bad\r\nInjected: 1", "header name"),
        ("auth_param_name", "", "auth_param_name"),
        ("api_key", "k" * 5000, "api_key"),
        ("api_key", ["a", "b"], "api_key"),
        ("request_headers", "Accept: */*", "request_headers"),
        ("request_headers", {"Bad Name": "x"}, "header name"),
        ("request_headers", {"Host": "evil.test"}, "Host"),
        ("request_headers", {"X-A": {"nested": True}}, "X-A"),
        ("request_headers", {"X-A": "line\r\nInjected: 1"}, "control characters"),
        ("request_headers", {f"X-{i}": "v" for i in range(51)}, "at most 50"),
        ("query_params", ["a", "b"], "query_params"),
        ("query_params", {"a": None}, "'a'"),
        ("query_params", {"a": True}, "'a'"),
        ("query_params", {"a": "v" * 5000}, "longer than"),
        ("records_path", "x" * 300, "records_path"),
        ("primary_key", {"a": 1}, "primary_key"),
        ("pagination", "page", "pagination"),
        ("pagination", {"type": "scroll"}, "scroll"),
        ("incremental", ["updated_at"], "incremental"),
        ("incremental", {"cursor": "updated_at"}, "cursor"),
        ("transformation_rules", "rename everything", "transformation_rules"),
        ("transformation_rules", {"type_conversions": {"id": "uuid"}}, "uuid"),
        ("transformation_rules", {"field_mappings": ["id"]}, "field_mappings"),
        ("transformation_rules", {"renames": {}}, "renames"),
        ("transformation_rules", {"required": "id"}, "required"),
        ("transformation_rules", {"include_unmapped": "yes"}, "include_unmapped"),
        ("transformation_rules", {"defaults": {"a": "x\u0000y"}}, "NUL"),
        ("transformation_rules", {"defaults": {"a": DEEPLY_NESTED}}, "nested"),
        ("pagination", {"type": "page", "page_param": "p\u0000"}, "NUL"),
        ("incremental", {"cursor_field": "a\u0000", "param": "since"}, "NUL"),
        ("max_pages", 0, "max_pages"),
        ("max_pages", "many", "max_pages"),
    ],
)
def test_bad_input_is_a_400_naming_the_problem(editor_client, field, value, words):
    response = editor_client.post(URL, payload(**{field: value}), format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["errors"]
    if words:
        assert words.lower() in body["detail"].lower()
    assert not CustomDataConnector.objects.unscoped("test: every tenant").exists()


# (field, its server setting, the limit set, a value above it, what the limit counts); before: a value
# above the limit was saved with no warning, and every run stopped at the server's limit all the same
SERVER_LIMITS = [
    ("max_pages", "MIGRATEIQ_SYNC_MAX_PAGES", 10_000, 500_000, "pages per run"),
    ("max_sync_seconds", "MIGRATEIQ_SYNC_MAX_SECONDS", 3_600, 7_200, "seconds per run"),
]


@pytest.mark.parametrize(("field", "setting", "limit", "above", "what"), SERVER_LIMITS)
def test_a_value_above_the_servers_limit_is_a_400_naming_it(
    editor_client, settings, field, setting, limit, above, what
):
    setattr(settings, setting, limit)

    response = editor_client.post(URL, payload(**{field: above}), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        field: [
            f"At most {limit:,}: the server's limit of {what} ({setting}). Leave it empty to use that limit."
        ]
    }
    assert not CustomDataConnector.objects.unscoped("test: every tenant").exists()
    created = editor_client.post(URL, payload(**{field: limit}), format="json")
    assert created.status_code == 201
    assert created.json()[field] == limit


@pytest.mark.parametrize(
    ("field", "setting", "limit", "stored"),
    [
        ("max_pages", "MIGRATEIQ_SYNC_MAX_PAGES", 50, 500),
        ("max_sync_seconds", "MIGRATEIQ_SYNC_MAX_SECONDS", 600, 3_600),
    ],
)
def test_a_stored_value_above_the_limit_may_be_sent_back_unchanged(
    editor_client, make_connector, settings, field, setting, limit, stored
):
    # saved before the limit was checked (or before an operator lowered it): a PUT of what was read
    # still saves; another value above the limit does not
    setattr(settings, setting, limit)
    connector = make_connector(**{field: stored})
    url = f"{URL}{connector.pk}/"

    renamed = editor_client.patch(url, {field: stored, "name": "Renamed"}, format="json")
    assert renamed.status_code == 200, renamed.content
    refused = editor_client.patch(url, {field: stored + 1}, format="json")
    assert refused.status_code == 400
    assert f"At most {limit:,}" in refused.json()["errors"][field][0]


@pytest.mark.parametrize(
    ("field", "setting", "limit"),
    [
        ("max_pages", "MIGRATEIQ_SYNC_MAX_PAGES", 2_500),
        ("max_sync_seconds", "MIGRATEIQ_SYNC_MAX_SECONDS", 900),
    ],
)
def test_the_schema_publishes_the_servers_limit(settings, field, setting, limit):
    from drf_spectacular.generators import SchemaGenerator

    setattr(settings, setting, limit)

    components = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]

    # the bodies a client sends (a response's serializers are built once, at import, with the setting
    # the process started with: the same value outside a test that changes it)
    for name in ("ConnectorRequest", "PatchedConnectorRequest"):
        published = components[name]["properties"][field]
        assert (published["minimum"], published["maximum"]) == (1, limit), name
        assert setting in published["description"], name


def test_max_sync_seconds_follows_a_raised_server_limit(editor_client, settings):
    # the limit is the operator's setting, not a constant: a server allowing 8 days takes 8 days
    settings.MIGRATEIQ_SYNC_MAX_SECONDS = 8 * 24 * 3600

    response = editor_client.post(URL, payload(max_sync_seconds=8 * 24 * 3600), format="json")

    assert response.status_code == 201, response.content


def test_missing_required_fields_are_named(editor_client):
    response = editor_client.post(URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "api_endpoint"}


def test_a_400_detail_names_every_field_in_error(editor_client):
    response = editor_client.post(URL, payload(name="", max_pages=0), format="json")

    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == {"name", "max_pages"}
    assert body["detail"] == (
        "name: This field may not be blank. max_pages: Ensure this value is greater than or equal to 1."
    )


def test_a_body_that_is_not_an_object_is_a_400(editor_client):
    response = editor_client.post(URL, ["not", "an", "object"], format="json")
    assert response.status_code == 400


def test_malformed_json_is_a_400(editor_client):
    response = editor_client.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_a_duplicate_name_in_the_tenant_is_a_400(editor_client, make_connector):
    make_connector(name="Customer Database API")

    response = editor_client.post(URL, payload(), format="json")

    assert response.status_code == 400
    assert (
        response.json()["detail"]
        == "name: A connector named 'Customer Database API' already exists in this tenant."
    )


def test_the_same_name_in_another_tenant_is_fine(editor_client, make_connector, tenant_b):
    make_connector(tenant=tenant_b, name="Customer Database API")

    assert editor_client.post(URL, payload(), format="json").status_code == 201


def test_renaming_onto_another_connector_is_a_400(editor_client, make_connector):
    make_connector(name="Taken")
    mine = make_connector(name="Mine")

    response = editor_client.patch(detail(mine.pk), {"name": "Taken"}, format="json")

    assert response.status_code == 400
    assert "already exists" in response.json()["detail"]


def test_keeping_its_own_name_on_update_is_fine(editor_client, make_connector):
    mine = make_connector(name="Mine")

    response = editor_client.put(detail(mine.pk), payload(name="Mine"), format="json")

    assert response.status_code == 200, response.data


# --- the write-only key ---------------------------------------------------------------------------


def test_an_omitted_key_is_kept_on_update(editor_client):
    pk = editor_client.post(URL, payload(), format="json").json()["id"]

    response = editor_client.patch(detail(pk), {"sync_frequency": "WEEKLY"}, format="json")

    assert response.status_code == 200
    assert response.json()["has_api_key"] is True
    assert CustomDataConnector.objects.get(pk=pk).api_key == "demo-key-1234567890"


def test_put_without_a_key_keeps_it(editor_client):
    pk = editor_client.post(URL, payload(), format="json").json()["id"]
    data = payload(name="Renamed")
    del data["api_key"]

    response = editor_client.put(detail(pk), data, format="json")

    assert response.status_code == 200
    assert CustomDataConnector.objects.get(pk=pk).api_key == "demo-key-1234567890"


def test_a_new_key_replaces_the_old_one_and_its_hint(editor_client):
    pk = editor_client.post(URL, payload(), format="json").json()["id"]

    response = editor_client.patch(detail(pk), {"api_key": "rotated-key-abcdefgh"}, format="json")

    assert response.json()["api_key_last4"] == "efgh"
    connector = CustomDataConnector.objects.get(pk=pk)
    assert connector.api_key == "rotated-key-abcdefgh"
    assert connector.api_key_last4 == "efgh"


def test_an_empty_key_clears_it(editor_client):
    pk = editor_client.post(URL, payload(), format="json").json()["id"]

    response = editor_client.patch(detail(pk), {"api_key": ""}, format="json")

    assert response.json()["has_api_key"] is False
    assert response.json()["api_key_last4"] == ""
    assert CustomDataConnector.objects.get(pk=pk).api_key == ""


def test_the_key_never_appears_in_any_response(editor_client):
    pk = editor_client.post(URL, payload(), format="json").json()["id"]

    for response in (
        editor_client.get(URL),
        editor_client.get(detail(pk)),
        editor_client.patch(detail(pk), {"is_active": False}, format="json"),
    ):
        assert response.status_code == 200
        assert b"demo-key-1234567890" not in response.content
        body = response.json()
        for row in body.get("results", [body]):
            assert "api_key" not in row


def test_lists_show_the_key_state_without_decrypting(
    editor_client, make_connector, django_assert_num_queries
):
    make_connector(name="With key", api_key="secret-key-000011112222", api_key_last4="2222")
    make_connector(name="Without key")

    with django_assert_num_queries(5):  # auth: user + membership; count; page; the page's last runs
        response = editor_client.get(URL)

    rows = {row["name"]: row for row in response.json()["results"]}
    assert rows["With key"]["has_api_key"] is True
    assert rows["With key"]["api_key_last4"] == "2222"
    assert rows["Without key"]["has_api_key"] is False


# --- read, update, delete -------------------------------------------------------------------------


def test_viewer_reads_a_connector(viewer_client, make_connector):
    connector = make_connector(name="Read me")

    response = viewer_client.get(detail(connector.pk))

    assert response.status_code == 200
    assert response.json()["name"] == "Read me"
    assert response.json()["api_endpoint"] == connector.api_endpoint


def test_put_replaces_the_configuration(editor_client, make_connector):
    connector = make_connector(name="Old", sync_frequency="DAILY")

    response = editor_client.put(
        detail(connector.pk), payload(name="New", sync_frequency="MANUAL", is_active=False), format="json"
    )

    assert response.status_code == 200
    connector.refresh_from_db()
    assert (connector.name, connector.sync_frequency, connector.is_active) == ("New", "MANUAL", False)


def test_patch_validates_like_create(editor_client, make_connector):
    connector = make_connector()

    response = editor_client.patch(
        detail(connector.pk), {"transformation_rules": {"type_conversions": {"id": "integer"}}}, format="json"
    )

    assert response.status_code == 400
    assert "integer" in response.json()["detail"]


def test_admin_deletes_a_connector(admin_client, make_connector):
    connector = make_connector()

    assert admin_client.delete(detail(connector.pk)).status_code == 204
    assert not CustomDataConnector.objects.filter(pk=connector.pk).exists()


def test_editor_cannot_delete_a_connector(editor_client, make_connector):
    connector = make_connector()

    response = editor_client.delete(detail(connector.pk))

    assert response.status_code == 403
    assert "admin" in response.json()["detail"]
    assert CustomDataConnector.objects.filter(pk=connector.pk).exists()


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("post", "", payload()),
        ("put", "{pk}/", payload()),
        ("patch", "{pk}/", {"name": "x"}),
        ("delete", "{pk}/", None),
        ("post", "{pk}/test_connection/", None),
        ("post", "{pk}/sync_data/", None),
    ],
)
def test_viewer_cannot_write(viewer_client, make_connector, method, suffix, body):
    connector = make_connector(name="Untouched")

    response = getattr(viewer_client, method)(URL + suffix.format(pk=connector.pk), body, format="json")

    assert response.status_code == 403
    assert "viewer" in response.json()["detail"]
    connector.refresh_from_db()
    assert connector.name == "Untouched"
    assert not SyncLog.objects.unscoped("test: every tenant").exists()


def test_anonymous_requests_are_refused(anon_client, make_connector):
    connector = make_connector()

    assert anon_client.get(URL).status_code == 401
    assert anon_client.get(detail(connector.pk)).status_code == 401
    assert anon_client.post(URL, payload(), format="json").status_code == 401


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("put", ""),
        ("patch", ""),
        ("delete", ""),
        ("post", "test_connection/"),
        ("post", "sync_data/"),
        ("get", "sync_history/"),
        ("get", "records/"),
    ],
)
def test_another_tenants_connector_is_a_404(outsider_client, make_connector, tenant_a, method, suffix):
    connector = make_connector(tenant=tenant_a, name="Acme only")

    # a GET's data would be its query string (unknown parameters are a 400 of their own)
    body = None if method == "get" else payload()
    response = getattr(outsider_client, method)(f"{detail(connector.pk)}{suffix}", body, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    connector.refresh_from_db()
    assert connector.name == "Acme only"


@pytest.mark.parametrize("pk", ["999999", "abc"])
def test_an_unknown_connector_is_a_404(admin_client, pk):
    response = admin_client.get(detail(pk))

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


# --- lists: filter, search, ordering, pagination --------------------------------------------------


@pytest.fixture
def three_connectors(make_connector, tenant_a, tenant_b):
    make_connector(name="Billing API", is_active=True, sync_frequency="HOURLY", records_count=5)
    make_connector(name="CRM customers", is_active=False, sync_frequency="DAILY", records_count=50)
    make_connector(name="Analytics billing", is_active=True, sync_frequency="DAILY", records_count=1)
    make_connector(tenant=tenant_b, name="Billing at Globex")


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_the_list_holds_only_the_tenants_connectors_by_name(viewer_client, three_connectors):
    response = viewer_client.get(URL)

    assert names(response) == ["Analytics billing", "Billing API", "CRM customers"]
    assert response.json()["count"] == 3


def test_connectors_filter_by_activity(viewer_client, three_connectors):
    assert names(viewer_client.get(URL, {"is_active": "false"})) == ["CRM customers"]
    assert names(viewer_client.get(URL, {"is_active": "true"})) == ["Analytics billing", "Billing API"]


def test_connectors_filter_by_frequency(viewer_client, three_connectors):
    assert names(viewer_client.get(URL, {"sync_frequency": "DAILY"})) == [
        "Analytics billing",
        "CRM customers",
    ]


def test_an_unknown_frequency_filter_is_a_400(viewer_client, three_connectors):
    response = viewer_client.get(URL, {"sync_frequency": "YEARLY"})

    assert response.status_code == 400
    assert "sync_frequency" in response.json()["errors"]


def test_connectors_search_by_name(viewer_client, three_connectors):
    assert names(viewer_client.get(URL, {"search": "billing"})) == ["Analytics billing", "Billing API"]


def test_connectors_order_by_records_count(viewer_client, three_connectors):
    assert names(viewer_client.get(URL, {"ordering": "-records_count"})) == [
        "CRM customers",
        "Billing API",
        "Analytics billing",
    ]


def test_an_unknown_ordering_is_a_400_naming_it_and_the_fields_the_list_orders_by(
    viewer_client, three_connectors
):
    """It fell back to names without a word: a mistyped ordering looked applied."""
    for ordering in ("api_key", "name,-last_run", "-"):
        response = viewer_client.get(URL, {"ordering": ordering})
        assert response.status_code == 400, ordering
        message = response.json()["errors"]["ordering"][0]
        assert message.startswith("Unknown ordering "), message
        assert "this list orders by: name, created_at, updated_at, last_sync_at" in message
    assert "'api_key'" in viewer_client.get(URL, {"ordering": "api_key"}).json()["errors"]["ordering"][0]
    assert names(viewer_client.get(URL, {"ordering": "-name,created_at"}))[0] == "CRM customers"


def test_connectors_paginate(viewer_client, three_connectors):
    first = viewer_client.get(URL, {"page_size": 2}).json()
    second = viewer_client.get(URL, {"page_size": 2, "page": 2}).json()

    assert first["count"] == 3
    assert [row["name"] for row in first["results"]] == ["Analytics billing", "Billing API"]
    assert first["next"] is not None
    assert [row["name"] for row in second["results"]] == ["CRM customers"]
    assert second["next"] is None


def test_a_page_past_the_end_is_a_404(viewer_client, three_connectors):
    assert viewer_client.get(URL, {"page": 9}).status_code == 404


# --- test_connection ------------------------------------------------------------------------------


def test_test_connection_reports_a_reachable_upstream(editor_client, sample_upstream, make_connector):
    upstream = sample_upstream(records=30, page_size=10, api_key="secret-token-123456")
    connector = make_connector(upstream=upstream)

    response = editor_client.post(f"{detail(connector.pk)}test_connection/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "connected",
        "response_time_ms",
        "message",
        "endpoint",
        "status_code",
        "tested",
        "retry_after",
    }
    assert body["tested"] is True and body["retry_after"] is None
    assert body["connected"] is True
    assert body["status_code"] == 200
    assert body["endpoint"] == upstream.url
    assert body["response_time_ms"] >= 0
    assert body["message"]


def test_test_connection_reports_a_refused_key(editor_client, sample_upstream, make_connector):
    upstream = sample_upstream(records=10, api_key="the-right-key-000")
    connector = make_connector(upstream=upstream, api_key="the-wrong-key-111")

    response = editor_client.post(f"{detail(connector.pk)}test_connection/")

    assert response.status_code == 200
    body = response.json()
    assert body["connected"] is False
    assert body["status_code"] == 401
    assert "the-wrong-key-111" not in response.content.decode()


def test_test_connection_answered_429_says_when_to_try_again(editor_client, sample_upstream, make_connector):
    upstream = sample_upstream(records=10, fail_first=1, fail_status=429, retry_after=30)
    connector = make_connector(upstream=upstream)

    body = editor_client.post(f"{detail(connector.pk)}test_connection/").json()
    again = editor_client.post(f"{detail(connector.pk)}test_connection/").json()

    assert (body["connected"], body["tested"], body["status_code"]) == (False, True, 429)
    assert 25 <= body["retry_after"] <= 30
    # nothing sent while paused: the same wait, counted down
    assert again["tested"] is False and 0 < again["retry_after"] <= body["retry_after"]


def test_test_connection_reports_an_unreachable_upstream(editor_client, make_connector):
    connector = make_connector(api_endpoint=ENDPOINT, auth_type="none")

    response = editor_client.post(f"{detail(connector.pk)}test_connection/")

    assert response.status_code == 200
    assert response.json()["connected"] is False
    assert response.json()["message"]


def test_test_connection_is_throttled(editor_client, sample_upstream, make_connector, settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], test_connection="2/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    from rest_framework.throttling import ScopedRateThrottle

    original = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = rates
    try:
        connector = make_connector(upstream=sample_upstream(records=5))
        codes = [editor_client.post(f"{detail(connector.pk)}test_connection/").status_code for _ in range(3)]
        # Other endpoints keep their own budget.
        other = editor_client.get(detail(connector.pk)).status_code
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original

    assert codes == [200, 200, 429]
    assert other == 200


def test_a_post_connector_takes_a_request_body_and_a_get_one_refuses_it(editor_client):
    body = {"filter": {"property": "Status", "select": {"equals": "Done"}}}
    created = editor_client.post(URL, payload(request_method="POST", request_body=body), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["request_method"] == "POST" and created.json()["request_body"] == body

    refused = editor_client.post(URL, payload(name="get with body", request_body=body), format="json")
    assert refused.status_code == 400
    assert "request_method POST only" in refused.json()["errors"]["request_body"][0]

    switched = editor_client.patch(f"{URL}{created.json()['id']}/", {"request_method": "GET"}, format="json")
    assert switched.status_code == 400 and "request_body" in switched.json()["errors"]


SEARCH_AFTER = {"type": "cursor", "cursor_from": "search_after", "page_size": 500}
SORTED_SEARCH = {"query": {"match_all": {}}, "sort": [{"updated_at": "asc"}, {"doc_id": "asc"}]}


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"request_body": {"query": {"match_all": {}}}}, 'needs a "sort" in request_body'),
        ({"request_method": "GET", "request_body": {}}, "set request_method to POST"),
        ({"request_body": {**SORTED_SEARCH, "from": 100}}, 'request_body sets "from"'),
        ({"pagination": {"type": "cursor", "cursor_from": "search_after"}}, "needs page_size"),
    ],
    ids=["no-sort", "get", "from", "no-page-size"],
)
def test_a_search_after_connector_that_cannot_page_is_a_400_naming_what_is_missing(
    editor_client, fields, said
):
    fields = {"request_method": "POST", "request_body": SORTED_SEARCH, "pagination": SEARCH_AFTER, **fields}

    response = editor_client.post(URL, payload(**fields), format="json")

    assert response.status_code == 400
    assert said in response.json()["errors"]["pagination"][0], response.content
    assert not CustomDataConnector.objects.unscoped("test: every tenant").exists()


def test_a_search_after_connector_keeps_its_sort_when_its_body_is_edited(editor_client):
    created = editor_client.post(
        URL,
        payload(request_method="POST", request_body=SORTED_SEARCH, pagination=SEARCH_AFTER),
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["pagination"] == SEARCH_AFTER

    unsorted = {"query": {"term": {"status": "active"}}}
    edited = editor_client.patch(detail(created.json()["id"]), {"request_body": unsorted}, format="json")

    assert edited.status_code == 400
    assert 'needs a "sort" in request_body' in edited.json()["errors"]["pagination"][0]
    assert CustomDataConnector.objects.get(pk=created.json()["id"]).request_body == SORTED_SEARCH


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"request_method": "PUT"}, "request_method"),
        ({"request_method": "POST", "request_body": ["not", "an", "object"]}, "request_body"),
        ({"request_method": "POST", "request_body": {"q": "x" * 20_000}}, "request_body"),
    ],
)
def test_an_unusable_request_method_or_body_is_a_400_naming_it(editor_client, fields, field):
    response = editor_client.post(URL, payload(**fields), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_an_incremental_body_filter_needs_post_and_the_since_placeholder(editor_client):
    body_filter = {
        "filter": {"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": "{since}"}}
    }
    incremental = {"cursor_field": "last_edited_time", "body_filter": body_filter}
    created = editor_client.post(URL, payload(request_method="POST", incremental=incremental), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["incremental"] == incremental

    for fields, words in [
        ({"incremental": incremental}, "POST only"),
        (
            {"request_method": "POST", "incremental": {"cursor_field": "t", "body_filter": {"a": 1}}},
            "{since}",
        ),
        ({"request_method": "POST", "incremental": {**incremental, "param": "since"}}, "one of them"),
    ]:
        response = editor_client.post(URL, payload(name=f"refused {words}", **fields), format="json")
        assert response.status_code == 400, response.content
        assert words in response.json()["errors"]["incremental"][0]


def test_an_incremental_lookback_is_a_number_of_seconds_or_units_from_zero(editor_client):
    incremental = {"cursor_field": "updated_at", "param": "updated_since", "lookback": 300}
    created = editor_client.post(URL, payload(incremental=incremental), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["incremental"] == incremental
    off = editor_client.patch(
        f"{URL}{created.json()['id']}/", {"incremental": {**incremental, "lookback": 0}}, format="json"
    )
    assert off.status_code == 200, off.content
    assert "lookback" not in off.json()["incremental"]  # 0: no lookback

    for lookback in (-1, "5m", True, [60], 10**10):
        response = editor_client.post(
            URL,
            payload(name=f"refused {lookback!r}", incremental={**incremental, "lookback": lookback}),
            format="json",
        )
        assert response.status_code == 400, response.content
        assert (
            "incremental.lookback must be a number from 0 to 1000000000"
            in (response.json()["errors"]["incremental"][0])
        )


# --- the tenant's quota ---------------------------------------------------------------------------


def test_a_tenant_cannot_create_connectors_past_its_quota(
    editor_client, viewer_client, outsider_client, settings, tenant_a
):
    settings.MIGRATEIQ_TENANT_MAX_CONNECTORS = 2
    assert editor_client.post(URL, payload(name="One"), format="json").status_code == 201
    assert editor_client.post(URL, payload(name="Two"), format="json").status_code == 201

    refused = editor_client.post(URL, payload(name="Three"), format="json")

    assert refused.status_code == 409, refused.content
    body = refused.json()
    assert "MIGRATEIQ_TENANT_MAX_CONNECTORS=2" in body["detail"]
    assert body["limit"] == 2
    assert not CustomDataConnector.objects.filter(tenant=tenant_a, name="Three").exists()
    # A viewer is refused for its role first; another tenant has its own count.
    assert viewer_client.post(URL, payload(name="Three"), format="json").status_code == 403
    assert outsider_client.post(URL, payload(name="Three"), format="json").status_code == 201


def test_a_deleted_connector_makes_room_under_the_quota_and_zero_means_no_limit(admin_client, settings):
    settings.MIGRATEIQ_TENANT_MAX_CONNECTORS = 1
    first = admin_client.post(URL, payload(name="One"), format="json").json()["id"]
    assert admin_client.post(URL, payload(name="Two"), format="json").status_code == 409

    assert admin_client.delete(detail(first)).status_code == 204
    assert admin_client.post(URL, payload(name="Two"), format="json").status_code == 201

    settings.MIGRATEIQ_TENANT_MAX_CONNECTORS = 0
    assert admin_client.post(URL, payload(name="Three"), format="json").status_code == 201


def test_a_create_that_loses_the_race_for_a_name_is_the_same_400_not_a_500(
    editor_client, make_connector, monkeypatch
):
    # The other request commits between this one's check and its insert: the database's unique
    # constraint refuses the insert, and the answer is the check's own field error.
    make_connector(name="Customer Database API")
    monkeypatch.setattr("demo_extension.serializers.name_taken", lambda *args, **kwargs: False)

    response = editor_client.post(URL, payload(), format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["name"] == [
        "A connector named 'Customer Database API' already exists in this tenant."
    ]


# --- a host name the web server cannot resolve -----------------------------------------------------


# the ``dns`` fixture (tenancy.testing) answers the egress guard's name lookups


def test_a_connector_whose_host_does_not_resolve_is_saved_with_a_warning(editor_client, dns):
    response = editor_client.post(
        URL, payload(api_endpoint="https://erp.corp.example/api/users"), format="json"
    )

    assert response.status_code == 201, response.content
    warnings = response.json()["warnings"]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        "The host name of https://erp.corp.example/api/users could not be resolved from the web server. "
        "Saved anyway"
    )
    assert "test the connection" in warnings[0]
    # a warning of that save, not a state of the connector
    assert editor_client.get(detail(response.json()["id"])).json()["warnings"] == []


@pytest.mark.parametrize(("host", "address"), REFUSED_RESOLUTIONS)
def test_a_host_that_resolves_to_a_refused_address_is_still_a_400(editor_client, dns, host, address):
    dns[host] = [address]

    response = editor_client.post(URL, payload(api_endpoint=f"https://{host}/users"), format="json")

    assert response.status_code == 400
    assert "are not allowed" in response.json()["errors"]["api_endpoint"][0]


def test_a_metadata_host_name_is_refused_without_resolving_it(editor_client, dns):
    response = editor_client.post(
        URL, payload(api_endpoint="http://metadata.google.internal/computeMetadata/v1/"), format="json"
    )

    assert response.status_code == 400
    assert "cloud-metadata" in response.json()["errors"]["api_endpoint"][0]


def test_a_host_saved_unresolved_is_checked_when_a_request_connects(editor_client, dns):
    created = editor_client.post(URL, payload(api_endpoint="https://later.corp.example/users"), format="json")
    assert created.status_code == 201
    dns["later.corp.example"] = ["127.0.0.1"]  # it resolves now, to an address the guard refuses

    result = editor_client.post(f"{detail(created.json()['id'])}test_connection/").json()

    assert result["connected"] is False
    assert "not allowed" in result["message"]


def test_a_host_that_does_not_resolve_is_said_so_by_the_test_and_the_sync_without_retrying(
    editor_client, dns, tenant_ctx
):
    # finding 8: "Could not connect to ... after 1 attempt", and a sync that asked 5 times over 6 s
    created = editor_client.post(
        URL, payload(api_endpoint="https://erp.corp.example/api/users"), format="json"
    )
    assert created.status_code == 201

    tested = editor_client.post(f"{detail(created.json()['id'])}test_connection/").json()
    log = DataSyncService(CustomDataConnector.objects.get(pk=created.json()["id"])).sync_data()

    assert tested["connected"] is False
    assert tested["message"] == (
        "The host name of https://erp.corp.example/api/users could not be resolved after 1 attempt"
    )
    assert log.status == "FAILED"
    assert "The host name of https://erp.corp.example/api/users could not be resolved after 1 attempt" in (
        log.error_message
    )
    assert not any("retrying" in event.message for event in log.events.all())
