"""Admin pages of the connectors module: the key is never shown, and can be set or removed."""

import pytest
from django.test import Client

from demo_extension.models import CustomDataConnector, SyncLog, SyncLogEvent, SyncStatus

pytestmark = pytest.mark.django_db

SECRET = "admin-secret-key-0042"


@pytest.fixture
def operator(django_user_model, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = django_user_model.objects.create_superuser(email="ops@migrateiq.test", password="correct-horse-9")
    client = Client()
    client.force_login(user)
    return client


def form_data(tenant, **overrides) -> dict:
    data = {
        "tenant_choice": tenant.pk,
        "name": "Admin connector",
        "api_endpoint": "http://127.0.0.1:9/users",
        "sync_frequency": "DAILY",
        "is_active": "on",
        "auth_type": "bearer",
        "auth_header_name": "X-API-Key",
        "auth_param_name": "api_key",
        "oauth_client_auth": "client_secret_basic",
        "request_headers": "{}",
        "query_params": "{}",
        "request_method": "GET",
        "request_body": "{}",
        "records_path": "",
        "primary_key": "id",
        "pagination": '{"type": "auto"}',
        "incremental": "{}",
        "transformation_rules": "{}",
        "max_pages": "",
        "max_requests_per_second": "",
        "max_concurrent_requests": "4",
        "max_requests_per_sync": "",
    }
    data.update(overrides)
    return data


@pytest.fixture(autouse=True)
def _allow_the_endpoint(settings):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]


def test_an_operator_adds_a_connector_with_a_key(operator, tenant_a):
    response = operator.post(
        "/admin/demo_extension/customdataconnector/add/", form_data(tenant_a, new_api_key=SECRET)
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    connector = CustomDataConnector.objects.unscoped("test: every tenant").get(name="Admin connector")
    assert connector.tenant == tenant_a
    assert connector.api_key == SECRET
    assert connector.api_key_last4 == "0042"
    assert connector.created_by.email == "ops@migrateiq.test"


def test_the_admin_refuses_an_impossible_request_budget(operator, tenant_a):
    response = operator.post(
        "/admin/demo_extension/customdataconnector/add/",
        form_data(tenant_a, max_requests_per_second="0", max_concurrent_requests="17"),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Ensure this value is greater than or equal to 0.01." in page
    assert "Ensure this value is less than or equal to 16." in page
    assert not CustomDataConnector.objects.unscoped("test: every tenant").exists()


def test_the_change_page_and_the_list_never_show_the_key(operator, make_connector):
    connector = make_connector(api_key=SECRET, api_key_last4="0042")

    change = operator.get(f"/admin/demo_extension/customdataconnector/{connector.pk}/change/")
    listing = operator.get("/admin/demo_extension/customdataconnector/")

    for page in (change, listing):
        assert page.status_code == 200
        assert SECRET not in page.content.decode()
        assert "set (…0042)" in page.content.decode()


def test_saving_without_a_new_key_keeps_it(operator, make_connector, tenant_a):
    connector = make_connector(name="Admin connector", api_key=SECRET, api_key_last4="0042")

    response = operator.post(
        f"/admin/demo_extension/customdataconnector/{connector.pk}/change/",
        form_data(tenant_a, sync_frequency="WEEKLY"),
    )

    assert response.status_code == 302
    connector.refresh_from_db()
    assert connector.sync_frequency == "WEEKLY"
    assert connector.api_key == SECRET


def test_an_operator_removes_the_key(operator, make_connector, tenant_a):
    connector = make_connector(name="Admin connector", api_key=SECRET, api_key_last4="0042")

    operator.post(
        f"/admin/demo_extension/customdataconnector/{connector.pk}/change/",
        form_data(tenant_a, clear_api_key="on"),
    )

    connector.refresh_from_db()
    assert (connector.api_key, connector.api_key_last4) == ("", "")


def test_malformed_rules_are_refused_in_the_admin_too(operator, tenant_a):
    response = operator.post(
        "/admin/demo_extension/customdataconnector/add/",
        form_data(tenant_a, transformation_rules='{"type_conversions": {"id": "uuid"}}'),
    )

    assert response.status_code == 200
    assert "unknown type" in response.content.decode()
    assert not CustomDataConnector.objects.unscoped("test: every tenant").exists()


def test_a_duplicate_name_is_refused_in_the_admin(operator, make_connector, tenant_a):
    make_connector(name="Admin connector")

    response = operator.post("/admin/demo_extension/customdataconnector/add/", form_data(tenant_a))

    assert response.status_code == 200
    assert "already exists in this tenant" in response.content.decode()
    assert CustomDataConnector.objects.unscoped("test: every tenant").count() == 1


def test_renaming_onto_another_connector_is_refused_in_the_admin(operator, make_connector, tenant_a):
    make_connector(name="Taken")
    mine = make_connector(name="Admin connector")

    response = operator.post(
        f"/admin/demo_extension/customdataconnector/{mine.pk}/change/", form_data(tenant_a, name="Taken")
    )

    assert response.status_code == 200
    assert "already exists in this tenant" in response.content.decode()


def test_a_sync_log_page_shows_its_events(operator, make_connector):
    connector = make_connector()
    log = SyncLog.objects.create(tenant=connector.tenant, connector=connector, status=SyncStatus.FAILED)
    SyncLogEvent.objects.create(sync_log=log, level="error", message="HTTP 503 from the upstream")

    page = operator.get(f"/admin/sync_engine/synclog/{log.pk}/change/")

    assert page.status_code == 200
    assert "HTTP 503 from the upstream" in page.content.decode()


@pytest.mark.parametrize(
    "model",
    [
        "demo_extension/customdataconnector",
        "sync_engine/synclog",
        "sync_engine/syncedrecord",
        "sync_engine/syncrecorderror",
    ],
)
def test_every_admin_list_opens(operator, make_connector, model):
    make_connector()

    assert operator.get(f"/admin/{model}/").status_code == 200


def test_the_admin_never_shows_the_other_credentials_and_sets_or_removes_them(
    operator, make_connector, tenant_a
):
    connector = make_connector(
        name="Admin connector",
        auth_type="basic",
        auth_username="admin-user-canary",
        auth_password="admin-password-canary",
        oauth_client_secret="admin-oauth-canary",
    )

    change = operator.get(f"/admin/demo_extension/customdataconnector/{connector.pk}/change/")
    listing = operator.get("/admin/demo_extension/customdataconnector/")
    for page in (change, listing):
        assert page.status_code == 200
        for secret in ("admin-user-canary", "admin-password-canary", "admin-oauth-canary"):
            assert secret not in page.content.decode()
    assert "Basic user name, Basic password, OAuth2 client secret set" in change.content.decode()

    response = operator.post(
        f"/admin/demo_extension/customdataconnector/{connector.pk}/change/",
        form_data(
            tenant_a,
            auth_type="basic",
            new_auth_username="replaced-user",
            clear_auth_password="on",
        ),
    )

    assert response.status_code == 302
    connector.refresh_from_db()
    assert connector.auth_username == "replaced-user"
    assert connector.auth_password == ""
    assert connector.oauth_client_secret == "admin-oauth-canary"
