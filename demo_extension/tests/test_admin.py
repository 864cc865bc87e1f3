"""Admin pages of the connectors module: the key is never shown, and can be set or removed."""

import re
from datetime import UTC, time

import pytest

from audit.models import AuditEvent
from demo_extension.models import CustomDataConnector, SyncLog, SyncLogEvent, SyncStatus
from demo_extension.tests.admin_support import form_data
from demo_extension.tests.test_api_connectors import SERVER_LIMITS
from tenancy.testing import REFUSED_RESOLUTIONS

pytestmark = pytest.mark.django_db

SECRET = "admin-secret-key-0042"


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


@pytest.mark.parametrize(("field", "setting", "limit", "above", "what"), SERVER_LIMITS)
def test_the_admin_refuses_a_run_limit_above_the_servers(
    operator, make_connector, tenant_a, settings, field, setting, limit, above, what
):
    # before: the admin saved it, and every run was silently capped at the server's limit
    setattr(settings, setting, limit)

    response = operator.post(
        "/admin/demo_extension/customdataconnector/add/", form_data(tenant_a, **{field: above})
    )

    assert response.status_code == 200
    assert f"At most {limit:,}: the server&#x27;s limit of {what} ({setting})" in response.content.decode()
    assert not CustomDataConnector.objects.unscoped("test: every tenant").exists()
    # a value saved before the limit was lowered may stay while other fields change
    stored = make_connector(name="Admin connector", **{field: above})
    kept = operator.post(
        f"/admin/demo_extension/customdataconnector/{stored.pk}/change/",
        form_data(tenant_a, sync_frequency="WEEKLY", **{field: above}),
    )
    assert kept.status_code == 302, kept.content.decode()[:2000]
    stored.refresh_from_db()
    assert (stored.sync_frequency, getattr(stored, field)) == ("WEEKLY", above)


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


def test_a_connector_whose_host_does_not_resolve_is_saved_from_the_admin_with_a_warning(
    operator, tenant_a, dns
):
    # as in the API: every request checks the addresses it connects to, so the name is not refused
    response = operator.post(
        "/admin/demo_extension/customdataconnector/add/",
        form_data(tenant_a, api_endpoint="https://erp.corp.example/users"),
        follow=True,
    )

    assert response.status_code == 200
    connector = CustomDataConnector.objects.unscoped("test: every tenant").get(name="Admin connector")
    assert connector.api_endpoint == "https://erp.corp.example/users"
    shown = [(m.level_tag, m.message) for m in response.context["messages"]]
    warnings = [message for level, message in shown if level == "warning"]
    assert len(warnings) == 1, shown
    assert warnings[0].startswith(
        "The host name of https://erp.corp.example/users could not be resolved from the web server. "
        "Saved anyway"
    )


def test_the_admin_warns_about_an_unresolvable_token_url_on_a_change(operator, make_connector, tenant_a, dns):
    connector = make_connector(name="Admin connector")

    response = operator.post(
        f"/admin/demo_extension/customdataconnector/{connector.pk}/change/",
        form_data(tenant_a, oauth_token_url="https://login.corp.example/token"),
        follow=True,
    )

    connector.refresh_from_db()
    assert connector.oauth_token_url == "https://login.corp.example/token"
    warnings = [m.message for m in response.context["messages"] if m.level_tag == "warning"]
    assert [w.split(" from the web server")[0] for w in warnings] == [
        "The host name of https://login.corp.example/token could not be resolved"
    ]


def test_a_saved_connector_gets_no_warning_in_the_admin(operator, tenant_a):
    response = operator.post(
        "/admin/demo_extension/customdataconnector/add/", form_data(tenant_a), follow=True
    )

    assert [m.level_tag for m in response.context["messages"]] == ["success"]


@pytest.mark.parametrize(("host", "address"), REFUSED_RESOLUTIONS)
def test_a_host_that_resolves_to_a_refused_address_is_still_refused_in_the_admin(
    operator, tenant_a, dns, settings, host, address
):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = []
    dns[host] = [address]

    response = operator.post(
        "/admin/demo_extension/customdataconnector/add/",
        form_data(tenant_a, api_endpoint=f"https://{host}/u"),
    )

    assert response.status_code == 200
    assert "are not allowed" in response.content.decode()
    assert not CustomDataConnector.objects.unscoped("test: every tenant").exists()


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


ADD = "/admin/demo_extension/customdataconnector/add/"


def test_an_operator_adds_a_weekly_connector_on_monday_at_06_30(operator, tenant_a):
    response = operator.post(
        ADD, form_data(tenant_a, sync_frequency="WEEKLY", sync_time="06:30", sync_weekday="0")
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    connector = CustomDataConnector.objects.unscoped("test: every tenant").get(name="Admin connector")
    assert (connector.sync_time, connector.sync_weekday) == (time(6, 30), 0)
    due = connector.next_sync_at.astimezone(UTC)
    assert (due.weekday(), due.hour, due.minute) == (0, 6, 30)


def test_the_connector_list_words_each_schedule_as_the_web_ui_does(operator, make_connector):
    schedules = {
        "Daily at 02:00 UTC": {"sync_frequency": "DAILY", "sync_time": time(2, 0)},
        "Weekly on Monday at 06:30 UTC": {
            "sync_frequency": "WEEKLY",
            "sync_time": time(6, 30),
            "sync_weekday": 0,
        },
        "Hourly at :15 past every hour (UTC)": {"sync_frequency": "HOURLY", "sync_time": time(0, 15)},
        "Weekly": {"sync_frequency": "WEEKLY"},
        "Manual": {"sync_frequency": "MANUAL"},
    }
    for wording, fields in schedules.items():
        make_connector(name=f"Connector {wording}", **fields)

    page = operator.get("/admin/demo_extension/customdataconnector/").content.decode()

    assert '<th scope="col" class="sortable column-schedule">' in page
    cells = re.findall(r'<td class="field-schedule">([^<]*)</td>', page)
    assert sorted(cells) == sorted(schedules)
    assert "column-sync_frequency" not in page  # the schedule is one column


def test_the_add_page_offers_the_anchor_fields(operator):
    page = operator.get(ADD).content.decode()

    assert 'name="sync_time"' in page
    assert 'name="sync_weekday"' in page


def test_a_weekday_with_a_daily_schedule_is_refused_naming_the_rule(operator, tenant_a):
    response = operator.post(
        ADD, form_data(tenant_a, sync_frequency="DAILY", sync_time="02:00", sync_weekday="0")
    )

    assert response.status_code == 200
    assert "sync_weekday applies to sync_frequency WEEKLY only, not DAILY" in response.content.decode()
    assert (
        not CustomDataConnector.objects.unscoped("test: every tenant").filter(name="Admin connector").exists()
    )


def test_changing_the_cursor_field_in_the_admin_drops_the_stored_cursor_with_a_warning(
    operator, make_connector, tenant_a
):
    # as the API: the stored cursor is a value of the old field; sent as the new one's start it
    # would skip records
    connector = make_connector(
        name="Admin connector",
        incremental={"cursor_field": "updated_at", "param": "since"},
        incremental_cursor="2026-12-01T00:00:00Z",
    )

    response = operator.post(
        f"/admin/demo_extension/customdataconnector/{connector.pk}/change/",
        form_data(tenant_a, incremental='{"cursor_field": "created_at", "param": "since"}'),
        follow=True,
    )

    assert response.status_code == 200
    connector.refresh_from_db()
    assert connector.incremental_cursor is None
    notices = [str(message) for message in response.context["messages"]]
    assert (
        "incremental.cursor_field is now 'created_at' (was 'updated_at'): the stored cursor "
        "'2026-12-01T00:00:00Z', a value of 'updated_at', was dropped, so the next sync starts from the "
        "beginning (every record)."
    ) in notices


@pytest.mark.parametrize("how", ["page", "action"])
def test_deleting_connectors_in_the_admin_cancels_their_syncs_and_records_each_deletion(
    operator, make_connector, tenant_a, django_capture_on_commit_callbacks, how
):
    # before: the list's "delete selected" deleted the queryset as it was: no sync asked to stop, no
    # connector.deleted in the tenant's audit trail
    first, second = make_connector(name="CRM"), make_connector(name="Billing")
    pending = SyncLog.objects.create(tenant=tenant_a, connector=first, status=SyncStatus.PENDING)

    with django_capture_on_commit_callbacks(execute=True):
        if how == "page":
            responses = [
                operator.post(f"/admin/demo_extension/customdataconnector/{c.pk}/delete/", {"post": "yes"})
                for c in (first, second)
            ]
        else:
            responses = [
                operator.post(
                    "/admin/demo_extension/customdataconnector/",
                    {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
                )
            ]

    assert {r.status_code for r in responses} == {302}
    assert not CustomDataConnector.objects.unscoped("test: every tenant").exists()
    assert not SyncLog.objects.filter(pk=pending.pk).exists()
    events = AuditEvent.objects.filter(tenant=tenant_a).order_by("id")
    assert [e.action for e in events if e.action == "sync.cancelled"] == ["sync.cancelled"]
    deleted = {(e.target_id, e.detail["name"]) for e in events if e.action == "connector.deleted"}
    assert deleted == {(str(first.pk), "CRM"), (str(second.pk), "Billing")}
    assert all(e.actor_email == "ops@migrateiq.test" for e in events)


LONE_SURROGATE_SETTINGS = [
    ("request_body", '{"query": "\\ud800"}'),
    ("request_body", '{"\\udfff": 1}'),
    ("query_params", '{"q": "a\\ud800b"}'),
    ("pagination", '{"type": "cursor", "cursor_path": "\\ud800", "cursor_param": "c"}'),
    ("incremental", '{"cursor_field": "\\ud800"}'),
    ("transformation_rules", '{"field_mappings": {"\\ud800": "name"}}'),
    ("error_detection", '{"error_path": "\\ud800"}'),
]


@pytest.mark.parametrize(("field", "text"), LONE_SURROGATE_SETTINGS)
def test_a_lone_surrogate_escape_typed_in_a_json_field_is_refused_as_the_api_refuses_it(
    operator, make_connector, tenant_a, field, text
):
    # before: the admin saved it (SQLite), and every member's connector list answered 500 from then on
    connector = make_connector(tenant=tenant_a, name="Admin connector")

    response = operator.post(
        f"/admin/demo_extension/customdataconnector/{connector.pk}/change/",
        form_data(tenant_a, **{field: text}),
    )

    assert response.status_code == 200
    assert "lone surrogate" in response.content.decode()
    connector.refresh_from_db()
    stored = repr(getattr(connector, field))
    assert "\\ud800" not in stored and "\\udfff" not in stored


def test_a_surrogate_pair_escape_typed_in_a_json_field_is_one_character_and_saved(
    operator, make_connector, tenant_a
):
    connector = make_connector(tenant=tenant_a, name="Admin connector")

    response = operator.post(
        f"/admin/demo_extension/customdataconnector/{connector.pk}/change/",
        form_data(tenant_a, request_body='{"query": "\\ud83d\\ude00"}'),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    connector.refresh_from_db()
    assert connector.request_body == {"query": "\U0001f600"}
