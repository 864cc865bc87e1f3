"""The audit trail itself: append-only rows, read by admins only, filtered, expired by retention."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit import services, tasks
from audit.apps import AuditConfig
from audit.models import AppendOnly, AuditEvent
from audit.tests.conftest import CONNECTORS, EVENTS
from core import activity, extensions


@pytest.fixture
def trail(tenant_a, tenant_b, admin_user, editor_user, outsider_user):
    """Five events in tenant A (two days apart, newest last) and one in tenant B."""
    now = timezone.now()
    made = []
    for i, (action, actor, target_type) in enumerate(
        [
            ("auth.signed_in", admin_user, "user"),
            ("connector.created", editor_user, "connector"),
            ("connector.changed", editor_user, "connector"),
            ("member.role_changed", admin_user, "membership"),
            ("sync.started", None, "sync_log"),
        ]
    ):
        made.append(
            services.store_activity(
                activity.Activity(
                    action=action,
                    tenant_id=tenant_a.pk,
                    at=now - timedelta(days=8 - 2 * i),
                    actor_id=getattr(actor, "pk", None),
                    actor_email=getattr(actor, "email", ""),
                    target_type=target_type,
                    target_id=str(i),
                )
            )
        )
    services.store_activity(
        activity.Activity(
            action="connector.changed",
            tenant_id=tenant_b.pk,
            at=now,
            actor_id=outsider_user.pk,
            actor_email=outsider_user.email,
            target_type="connector",
            target_id="99",
        )
    )
    return made


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_the_activity_hook_writes_one_event_after_the_commit(
    tenant_a, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            activity.record(
                "connector.changed",
                tenant=tenant_a,
                actor=admin_user,
                target_type="connector",
                target_id=7,
                fields=["name", "api_key", "name"],
                detail={"name": "CRM"},
            )
            assert not AuditEvent.objects.unscoped("test: every tenant").exists()  # not before the commit

    event = AuditEvent.objects.unscoped("test: every tenant").get()
    assert (event.tenant_id, event.actor_id, event.actor_email) == (
        tenant_a.pk,
        admin_user.pk,
        admin_user.email,
    )
    assert (event.action, event.target_type, event.target_id) == ("connector.changed", "connector", "7")
    assert (event.fields, event.detail) == (["api_key", "name"], {"name": "CRM"})


def test_a_failing_audit_write_never_breaks_the_action(
    tenant_a, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(AuditEvent.objects, "create", broken)
    with django_capture_on_commit_callbacks(execute=True):
        activity.record("connector.changed", tenant=tenant_a)

    assert not AuditEvent.objects.unscoped("test: every tenant").exists()
    assert "The activity handler" in caplog.text


def test_events_cannot_be_changed_or_deleted(trail):
    event = trail[0]
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action="nothing")
    with pytest.raises(AppendOnly):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnly):
        event.delete()
    event.action = "rewritten"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly), transaction.atomic():  # bulk_update's own atomic is not a savepoint
        AuditEvent.objects.bulk_update([event], ["action"])
    assert AuditEvent.objects.unscoped("test: every tenant").filter(action="rewritten").count() == 0
    assert AuditEvent.objects.unscoped("test: every tenant").count() == 6


def test_the_admin_shows_events_read_only(trail, admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save(update_fields=["is_staff", "is_superuser"])
    browser = Client()
    browser.force_login(admin_user)
    event = trail[0]

    assert browser.get("/admin/audit/auditevent/").status_code == 200
    page = browser.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert browser.get("/admin/audit/auditevent/add/").status_code == 403
    assert browser.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert browser.post(f"/admin/audit/auditevent/{event.pk}/change/", {"action": "x"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk, action=event.action).exists()


def test_only_admins_read_the_audit_trail(trail, admin_client, editor_client, viewer_client, anon_client):
    assert admin_client.get(EVENTS).status_code == 200
    assert admin_client.get(f"{EVENTS}{trail[0].pk}/").status_code == 200
    for client in (editor_client, viewer_client):
        assert client.get(EVENTS).status_code == 403
        assert client.get(f"{EVENTS}{trail[0].pk}/").status_code == 403
    assert anon_client.get(EVENTS).status_code == 401


def test_the_list_is_newest_first_with_the_actor_snapshot(trail, admin_client, admin_user):
    rows = admin_client.get(EVENTS).json()["results"]
    assert [row["id"] for row in rows] == [e.pk for e in reversed(trail)]
    assert rows[0]["actor"] is None  # the system started that sync
    assert rows[-1]["actor"] == {"id": admin_user.pk, "email": admin_user.email, "anonymous": False}
    assert set(rows[0]) == {
        "id",
        "at",
        "actor",
        "action",
        "target_type",
        "target_id",
        "fields",
        "detail",
        "ip",
        "request_id",
        "objects",
    }


def test_another_tenants_events_are_invisible(trail, outsider_client, admin_client):
    assert outsider_client.get(f"{EVENTS}{trail[0].pk}/").status_code == 404
    assert len(ids(outsider_client.get(EVENTS))) == 1
    assert len(ids(admin_client.get(EVENTS))) == 5
    assert ids(admin_client.get(EVENTS, {"target_id": "99"})) == []


def test_the_filters(trail, admin_client, editor_user):
    assert ids(admin_client.get(EVENTS, {"action": "connector.changed"})) == [trail[2].pk]
    assert ids(admin_client.get(EVENTS, {"actor": editor_user.pk})) == [trail[2].pk, trail[1].pk]
    assert ids(admin_client.get(EVENTS, {"target_type": "membership"})) == [trail[3].pk]
    since = (trail[2].at - timedelta(minutes=1)).isoformat()
    until = (trail[3].at + timedelta(minutes=1)).isoformat()
    assert ids(admin_client.get(EVENTS, {"since": since})) == [trail[4].pk, trail[3].pk, trail[2].pk]
    assert ids(admin_client.get(EVENTS, {"since": since, "until": until})) == [trail[3].pk, trail[2].pk]
    assert ids(admin_client.get(EVENTS, {"page_size": 2})) == [trail[4].pk, trail[3].pk]


@pytest.fixture
def refused_sign_in(trail, tenant_a, admin_user):
    """A refused sign-in in tenant A: an anonymous actor, the email tried in the detail."""
    return services.store_activity(
        activity.Activity(
            action="auth.sign_in_failed",
            tenant_id=tenant_a.pk,
            at=timezone.now(),
            anonymous=True,
            target_type="user",
            target_id=str(admin_user.pk),
            detail={"email": admin_user.email, "reason": "invalid_credentials"},
        )
    )


def test_the_actor_filter_picks_anonymous_events_or_the_systems(trail, refused_sign_in, admin_client):
    # a refused sign-in has no actor id: no user id picked it, and the filter took nothing else
    assert ids(admin_client.get(EVENTS, {"actor": "anonymous"})) == [refused_sign_in.pk]
    assert ids(admin_client.get(EVENTS, {"actor": "system"})) == [trail[4].pk]  # not the anonymous one
    assert ids(admin_client.get(EVENTS, {"actor": "anonymous", "action": "connector.changed"})) == []


@pytest.mark.parametrize("value", ["nobody", "Anonymous", "anonymous,system", "-3", "3.0", "9" * 20])
def test_an_unknown_actor_is_a_400_naming_what_the_filter_takes(trail, admin_client, value):
    response = admin_client.get(EVENTS, {"actor": value})

    assert response.status_code == 400, (value, response.content)
    assert response.json()["errors"] == {
        "actor": [
            "Enter a user's id (a whole number from 1), anonymous (requests nobody had signed in to, "
            "such as refused sign-ins) or system (schedules, the engine, operator commands)."
        ]
    }


def test_the_served_schema_documents_the_actor_filters_values(db):
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = response.json()
    [actor] = [p for p in schema["paths"]["/api/audit/events/"]["get"]["parameters"] if p["name"] == "actor"]
    assert actor["schema"]["oneOf"] == [
        {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
        {"type": "string", "enum": ["anonymous", "system"]},
    ]
    assert "anonymous" in actor["description"] and "system" in actor["description"]


VALUES = f"{EVENTS}values/"


def test_the_filters_values_are_the_actions_and_object_types_the_tenants_trail_holds(
    trail, refused_sign_in, admin_client, tenant_a
):
    # the Audit page offers them in its Action and Object type filters: each once, sorted, the
    # other tenant's and an empty object type left out
    services.store_activity(
        activity.Activity(action="tenant.noted", tenant_id=tenant_a.pk, at=timezone.now())
    )

    response = admin_client.get(VALUES)

    assert response.status_code == 200, response.content
    assert response.json() == {
        "actions": [
            "auth.sign_in_failed",
            "auth.signed_in",
            "connector.changed",
            "connector.created",
            "member.role_changed",
            "sync.started",
            "tenant.noted",
        ],
        "target_types": ["connector", "membership", "sync_log", "user"],
    }


def test_only_admins_read_the_filters_values_and_an_outsider_sees_only_their_tenants(
    trail, editor_client, viewer_client, anon_client, outsider_client
):
    for client in (editor_client, viewer_client):
        assert client.get(VALUES).status_code == 403
    assert anon_client.get(VALUES).status_code == 401
    assert outsider_client.get(VALUES).json() == {
        "actions": ["connector.changed"],
        "target_types": ["connector"],
    }


def test_the_served_schema_documents_the_filters_values(db):
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = response.json()
    operation = schema["paths"]["/api/audit/events/values/"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    values = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert values["required"] == ["actions", "target_types"]
    assert values["properties"]["actions"]["items"] == {"type": "string"}


@pytest.mark.parametrize(
    "query",
    [
        "since=yesterday",
        "until=0001-01-01T00:00:00%2B05:00",
        "actor=abc",
        "actor=0",
        "actor=",
        "until=",
        "action=a&action=b",
        "acton=connector.changed",
        "page=0",
    ],
)
def test_malformed_query_parameters_are_refused(trail, admin_client, query):
    response = admin_client.get(f"{EVENTS}?{query}")
    assert response.status_code == 400, (query, response.content)


def test_a_date_time_with_an_offset_the_database_cannot_store_is_read_in_utc(trail, admin_client):
    # PostgreSQL refuses offsets beyond 15:59; the filter compares in UTC instead of failing.
    assert len(ids(admin_client.get(f"{EVENTS}?since=0136-03-11T02:58:47%2B19:12"))) == 5


def test_retention_deletes_older_events_in_batches(trail, settings):
    settings.MIGRATEIQ_AUDIT_RETENTION_DAYS = 5  # trail[0] is 8 days old, trail[1] 6, the rest newer
    with CaptureQueriesContext(connection) as queries:
        deleted = services.expire_events(batch_size=1)

    assert deleted == 2
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("DELETE")]
    assert sum("audit_auditevent" in sql for sql in deletes) == 2
    assert set(AuditEvent.objects.unscoped("test: every tenant").values_list("pk", flat=True)) == {
        e.pk for e in trail[2:]
    } | {AuditEvent.objects.unscoped("test: every tenant").get(target_id="99").pk}
    assert services.expire_events(batch_size=1) == 0


def test_the_retention_job_uses_the_setting_and_zero_keeps_everything(trail, settings):
    settings.MIGRATEIQ_AUDIT_RETENTION_DAYS = 0
    assert tasks.expire_audit_events() == 0
    assert AuditEvent.objects.unscoped("test: every tenant").count() == 6
    settings.MIGRATEIQ_AUDIT_RETENTION_DAYS = 3
    assert tasks.expire_audit_events() == 3
    assert AuditEvent.objects.unscoped("test: every tenant").count() == 3


def test_the_retention_default_is_a_year(settings, monkeypatch):
    del settings.MIGRATEIQ_AUDIT_RETENTION_DAYS
    monkeypatch.delenv("MIGRATEIQ_AUDIT_RETENTION_DAYS", raising=False)
    from audit.conf import retention_days

    assert retention_days() == 365
    monkeypatch.setenv("MIGRATEIQ_AUDIT_RETENTION_DAYS", "30")
    assert retention_days() == 30


def test_the_module_is_enabled_by_default_with_its_daily_retention_beat(settings):
    assert "audit" in settings.MIGRATEIQ_EXTENSIONS
    assert any(isinstance(m, AuditConfig) for m in extensions.installed_modules())
    entry = extensions.beat_schedule()["audit-expire-events"]
    assert entry["task"] == "audit.tasks.expire_audit_events"
    assert entry["schedule"] == 86400.0


def _event(tenant, action, target_type="", target_id="", **detail):
    return services.store_activity(
        activity.Activity(
            action=action,
            tenant_id=tenant.pk,
            at=timezone.now(),
            target_type=target_type,
            target_id=str(target_id),
            detail=detail,
        )
    )


def test_each_event_says_whether_the_objects_it_names_still_exist(
    tenant_a, tenant_b, admin_client, outsider_client, committed
):
    made = []
    for name in ("kept", "gone"):
        with committed():
            response = admin_client.post(
                CONNECTORS, {"name": name, "api_endpoint": "http://127.0.0.1:9/users"}, format="json"
            )
        assert response.status_code == 201, response.content
        made.append(response.json()["id"])
    kept, gone = made
    with committed():
        assert admin_client.delete(f"{CONNECTORS}{gone}/").status_code == 204
    response = outsider_client.post(
        CONNECTORS, {"name": "theirs", "api_endpoint": "http://127.0.0.1:9/users"}, format="json"
    )
    assert response.status_code == 201, response.content
    theirs = _event(tenant_a, "connector.changed", "connector", response.json()["id"])
    started = _event(tenant_a, "sync.started", "sync_log", 12345, connector_id=kept, pages=3)
    loaded = _event(tenant_a, "destination.attached", "destination", 777, connector_id=gone)

    rows = {row["id"]: row for row in admin_client.get(EVENTS).json()["results"]}
    assert rows[started.pk]["objects"] == [
        {"where": "target", "type": "sync_log", "id": "12345", "exists": False, "name": None},
        {"where": "connector_id", "type": "connector", "id": str(kept), "exists": True, "name": "kept"},
    ]
    assert rows[loaded.pk]["objects"] == [
        {"where": "target", "type": "destination", "id": "777", "exists": False, "name": None},
        {"where": "connector_id", "type": "connector", "id": str(gone), "exists": False, "name": None},
    ]
    deleted = next(row for row in rows.values() if row["action"] == "connector.deleted")
    assert deleted["objects"] == [
        {"where": "target", "type": "connector", "id": str(gone), "exists": False, "name": None}
    ]
    # another tenant's object is not this tenant's: it never "exists" here
    assert admin_client.get(f"{EVENTS}{theirs.pk}/").json()["objects"] == [
        {
            "where": "target",
            "type": "connector",
            "id": str(response.json()["id"]),
            "exists": False,
            "name": None,
        }
    ]
    # one query per kind of object a page names, however many events name them
    with CaptureQueriesContext(connection) as few:
        admin_client.get(EVENTS)
    for n in range(10):
        _event(tenant_a, "sync.started", "sync_log", 500 + n, connector_id=kept)
    with CaptureQueriesContext(connection) as many:
        assert len(ids(admin_client.get(EVENTS))) == 16
    assert len(many) == len(few)


def test_an_event_names_a_connector_by_its_name_now_and_never_by_another_tenants(
    tenant_a, admin_client, outsider_client, committed
):
    with committed():
        response = admin_client.post(
            CONNECTORS, {"name": "CRM", "api_endpoint": "http://127.0.0.1:9/users"}, format="json"
        )
    assert response.status_code == 201, response.content
    ours = response.json()["id"]
    with committed():
        assert (
            admin_client.patch(f"{CONNECTORS}{ours}/", {"name": "CRM v2"}, format="json").status_code == 200
        )
    response = outsider_client.post(
        CONNECTORS,
        {"name": "Their secret project", "api_endpoint": "http://127.0.0.1:9/users"},
        format="json",
    )
    assert response.status_code == 201, response.content
    theirs = response.json()["id"]
    started = _event(tenant_a, "sync.started", "sync_log", 321, connector_id=ours)
    forged = _event(tenant_a, "sync.started", "sync_log", 322, connector_id=theirs)

    rows = {row["id"]: row for row in admin_client.get(EVENTS).json()["results"]}
    assert rows[started.pk]["objects"][1] == {
        "where": "connector_id",
        "type": "connector",
        "id": str(ours),
        "exists": True,
        "name": "CRM v2",
    }
    assert rows[forged.pk]["objects"][1] == {
        "where": "connector_id",
        "type": "connector",
        "id": str(theirs),
        "exists": False,
        "name": None,
    }
    assert "Their secret project" not in admin_client.get(EVENTS).content.decode()
    # one event read alone names it too
    assert admin_client.get(f"{EVENTS}{started.pk}/").json()["objects"][1]["name"] == "CRM v2"
