"""Every action the platform and the connectors module report lands in the tenant's audit trail,
with who did it, and never with a secret's value. The calls go through the HTTP API only."""

import json

import pytest

from audit.tests.conftest import CONNECTORS, EVENTS
from destinations.models import Destination, DestinationAttachment
from sync_engine import queue
from sync_engine.models import SyncLog, SyncStatus
from tenancy.models import Invitation, Membership, Role

SECRET = "sk_live_do_not_store_this_9Q4Z"
NEW_SECRET = "sk_live_the_replacement_key_7K2W"


def _connector_id(client, committed, **fields):
    with committed():
        response = client.post(
            CONNECTORS,
            {"name": "CRM", "api_endpoint": "http://127.0.0.1:9/users", **fields},
            format="json",
        )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_a_connector_change_names_the_changed_fields_and_never_their_values(
    admin_client, admin_user, tenant_a, committed, events
):
    pk = _connector_id(admin_client, committed, api_key=SECRET)
    with committed():
        response = admin_client.patch(
            f"{CONNECTORS}{pk}/", {"name": "CRM v2", "api_key": NEW_SECRET, "is_active": True}, format="json"
        )
    assert response.status_code == 200, response.content

    created, changed = events(tenant_a, "connector.created"), events(tenant_a, "connector.changed")
    assert [e.target_id for e in created] == [str(pk)]
    assert {"name", "api_endpoint", "api_key"} <= set(created[0].fields)
    assert len(changed) == 1
    event = changed[0]
    # is_active was sent unchanged: not listed; nor the key's last four characters, which follow it
    assert event.fields == ["api_key", "name"]
    assert (event.actor_id, event.actor_email) == (admin_user.pk, admin_user.email)
    assert (event.target_type, event.target_id) == ("connector", str(pk))
    assert event.request_id
    stored = json.dumps([e.__dict__ for e in events(tenant_a)], default=str)
    listed = admin_client.get(EVENTS).content.decode()
    for secret in (SECRET, NEW_SECRET, SECRET[:-4], NEW_SECRET[:-4]):
        assert secret not in stored
        assert secret not in listed
    assert "api_key" in listed


def test_a_connector_update_that_changes_nothing_records_nothing(admin_client, tenant_a, committed, events):
    pk = _connector_id(admin_client, committed, api_key=SECRET)
    with committed():
        patched = admin_client.patch(f"{CONNECTORS}{pk}/", {"name": "CRM", "is_active": True}, format="json")
        put = admin_client.put(
            f"{CONNECTORS}{pk}/", {"name": "CRM", "api_endpoint": "http://127.0.0.1:9/users"}, format="json"
        )
        empty = admin_client.patch(f"{CONNECTORS}{pk}/", {}, format="json")
    assert (patched.status_code, put.status_code, empty.status_code) == (200, 200, 200)

    # nothing happened to the connector: the trail says so by not saying anything
    assert events(tenant_a, "connector.changed") == []
    assert [e.action for e in events(tenant_a)] == ["connector.created"]


def test_saving_a_connector_unchanged_in_the_django_admin_records_nothing(
    django_user_model, tenant_a, committed, events
):
    from django.test import Client

    from demo_extension.tests.test_admin import form_data

    operator = Client()
    operator.force_login(django_user_model.objects.create_superuser(email="ops@migrateiq.test", password="x"))
    with committed():
        added = operator.post("/admin/demo_extension/customdataconnector/add/", form_data(tenant_a))
    assert added.status_code == 302, added.content.decode()[:2000]
    [created] = events(tenant_a, "connector.created")
    change = f"/admin/demo_extension/customdataconnector/{created.target_id}/change/"

    def as_the_change_page_posts(data):
        # The JSON fields (callable defaults) carry their shown value in a hidden initial-<name> input
        # too, as the browser sends it; without it Django counts them as changed.
        shown = ["request_headers", "query_params", "request_body", "pagination", "incremental"]
        return {**data, **{f"initial-{name}": data[name] for name in [*shown, "transformation_rules"]}}

    with committed():
        unchanged = operator.post(change, as_the_change_page_posts(form_data(tenant_a)))
        renamed = operator.post(change, as_the_change_page_posts(form_data(tenant_a, name="Renamed")))
    assert (unchanged.status_code, renamed.status_code) == (302, 302)

    assert [e.fields for e in events(tenant_a, "connector.changed")] == [["name"]]


def test_deleting_a_connector_is_recorded_with_its_name(admin_client, tenant_a, committed, events):
    pk = _connector_id(admin_client, committed)
    with committed():
        assert admin_client.delete(f"{CONNECTORS}{pk}/").status_code == 204

    [deleted] = events(tenant_a, "connector.deleted")
    assert (deleted.target_id, deleted.detail) == (str(pk), {"name": "CRM"})


def test_exporting_records_is_recorded_with_the_format(admin_client, tenant_a, committed, events):
    pk = _connector_id(admin_client, committed)
    with committed():
        response = admin_client.get(f"{CONNECTORS}{pk}/export/", {"format": "csv"})
        b"".join(response.streaming_content)
        searched = admin_client.get(f"{CONNECTORS}{pk}/export/", {"field": "email", "value": "ada@example"})
        b"".join(searched.streaming_content)
    assert (response.status_code, searched.status_code) == (200, 200)

    exported, searched_export = events(tenant_a, "connector.exported")
    assert exported.target_id == str(pk)
    assert exported.detail["format"] == "csv"
    # the searched field is named; the searched text is the tenant's data and stays out of the trail
    assert searched_export.detail["search_field"] == "email"
    assert "ada@example" not in str(searched_export.detail)


def test_starting_cancelling_and_resuming_a_sync_are_recorded(
    editor_client, editor_user, admin_client, tenant_a, committed, events, monkeypatch
):
    monkeypatch.setattr(queue, "enqueue", lambda sync_log_id: None)  # the run stays pending
    pk = _connector_id(admin_client, committed)
    with committed():
        started = editor_client.post(f"{CONNECTORS}{pk}/sync_data/?wait=0")
    assert started.status_code in (200, 202), started.content
    run_id = started.json()["id"]
    with committed():
        assert editor_client.post(f"/api/demo-extension/sync-logs/{run_id}/cancel/").status_code == 200
    SyncLog.objects.filter(pk=run_id).update(checkpoint={"version": 1, "page": 2})
    with committed():
        resumed = editor_client.post(f"/api/demo-extension/sync-logs/{run_id}/resume/?wait=0")
    assert resumed.status_code in (200, 202), resumed.content

    trail = [(e.action, e.target_id, e.actor_id) for e in events(tenant_a) if e.action.startswith("sync.")]
    assert trail == [
        ("sync.started", str(run_id), editor_user.pk),
        ("sync.cancelled", str(run_id), editor_user.pk),
        ("sync.resumed", str(run_id), editor_user.pk),
    ]
    assert events(tenant_a, "sync.started")[0].detail == {
        "connector_id": pk,
        "triggered_by": "api",
        "full_refresh": False,
    }
    assert events(tenant_a, "sync.cancelled")[0].detail["status"] == SyncStatus.CANCELLED


def test_starting_a_destination_load_is_recorded(
    admin_client, admin_user, tenant_a, committed, events, monkeypatch
):
    from destinations.services import loads

    monkeypatch.setattr(loads, "_dispatch", lambda load_id: None)  # nothing runs it
    pk = _connector_id(admin_client, committed)
    destination = Destination.objects.create(
        tenant=tenant_a,
        name="Warehouse",
        host="127.0.0.1",
        port=9,
        database="dw",
        username="u",
        password="pw",
    )
    DestinationAttachment.objects.create(
        tenant=tenant_a, destination=destination, connector_id=pk, table_name="crm"
    )
    with committed():
        response = admin_client.post(f"/api/destinations/{destination.pk}/load/", {}, format="json")
    assert response.status_code == 202, response.content

    [started] = events(tenant_a, "load.started")
    assert started.actor_id == admin_user.pk
    assert started.detail == {
        "destination_id": destination.pk,
        "connector_id": pk,
        "triggered_by": "api",
        "full_reload": False,
    }


DESTINATIONS = "/api/destinations/"
WEBHOOKS = "/api/webhooks/endpoints/"
PASSWORD = "pg-password-do-not-store-5XR"
HOOK_SECRET = "whsec_do_not_store_this_secret_8JQ"
HOOK_PATH = "/services/T000/B000/slack-path-credential"


def _trail_holds_none_of(tenant, client, events, *secrets):
    stored = json.dumps([e.__dict__ for e in events(tenant)], default=str)
    listed = client.get(EVENTS).content.decode()
    for secret in secrets:
        assert secret not in stored and secret not in listed


def test_destinations_created_changed_attached_detached_and_deleted_are_recorded(
    admin_client, editor_client, admin_user, editor_user, tenant_a, committed, events
):
    connector = _connector_id(admin_client, committed)
    with committed():
        created = editor_client.post(
            DESTINATIONS,
            {
                "name": "Warehouse",
                "host": "127.0.0.1",
                "port": 9,
                "database": "dw",
                "username": "u",
                "password": PASSWORD,
            },
            format="json",
        )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    with committed():
        assert (
            editor_client.patch(f"{DESTINATIONS}{pk}/", {"target_schema": "raw"}, format="json").status_code
            == 200
        )
        assert (
            editor_client.patch(f"{DESTINATIONS}{pk}/", {"target_schema": "raw"}, format="json").status_code
            == 200
        )
        changed = admin_client.patch(
            f"{DESTINATIONS}{pk}/", {"database": "other", "password": PASSWORD + "2"}, format="json"
        )
        assert changed.status_code == 200, changed.content
        attached = editor_client.post(f"{DESTINATIONS}{pk}/attach/", {"connector": connector}, format="json")
        assert attached.status_code == 201, attached.content
        detached = editor_client.post(f"{DESTINATIONS}{pk}/detach/", {"connector": connector}, format="json")
        assert detached.status_code == 204, detached.content
        assert admin_client.delete(f"{DESTINATIONS}{pk}/").status_code == 204

    trail = [e for e in events(tenant_a) if e.target_type == "destination"]
    assert [(e.action, e.actor_id) for e in trail] == [
        ("destination.created", editor_user.pk),
        ("destination.changed", editor_user.pk),  # the second PATCH changed nothing: not recorded
        ("destination.changed", admin_user.pk),
        ("destination.attached", editor_user.pk),
        ("destination.detached", editor_user.pk),
        ("destination.deleted", admin_user.pk),
    ]
    assert {e.target_id for e in trail} == {str(pk)}
    assert {"host", "port", "database", "username", "password"} <= set(trail[0].fields)
    assert trail[1].fields == ["target_schema"]
    assert trail[2].fields == ["database", "password"]  # the password's name, never its value
    assert trail[0].detail == {"name": "Warehouse", "host": "127.0.0.1"}
    assert (
        trail[3].detail
        == trail[4].detail
        == {"name": "Warehouse", "connector_id": connector, "table_name": "crm"}
    )
    assert trail[5].detail == {"name": "Warehouse", "host": "127.0.0.1"}
    _trail_holds_none_of(tenant_a, admin_client, events, PASSWORD, PASSWORD[:-4])


def test_webhook_endpoints_created_changed_and_deleted_are_recorded_without_secret_or_path(
    admin_client, admin_user, tenant_a, committed, events, settings
):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [*settings.MIGRATEIQ_EGRESS_ALLOWLIST, "127.0.0.1:10"]
    with committed():
        created = admin_client.post(
            WEBHOOKS,
            {"name": "Alerts", "url": f"http://127.0.0.1:9{HOOK_PATH}", "events": ["*"]},
            format="json",
        )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    with committed():
        moved = admin_client.patch(
            f"{WEBHOOKS}{pk}/",
            {"url": f"http://127.0.0.1:10{HOOK_PATH}", "secret": HOOK_SECRET},
            format="json",
        )
        assert moved.status_code == 200, moved.content
        assert admin_client.patch(f"{WEBHOOKS}{pk}/", {"is_active": True}, format="json").status_code == 200
        assert admin_client.patch(f"{WEBHOOKS}{pk}/", {"is_active": False}, format="json").status_code == 200
        assert admin_client.delete(f"{WEBHOOKS}{pk}/").status_code == 204

    trail = [e for e in events(tenant_a) if e.target_type == "webhook"]
    assert [(e.action, e.actor_id, e.target_id) for e in trail] == [
        ("webhook.created", admin_user.pk, str(pk)),
        ("webhook.changed", admin_user.pk, str(pk)),
        ("webhook.changed", admin_user.pk, str(pk)),  # is_active: True was no change
        ("webhook.deleted", admin_user.pk, str(pk)),
    ]
    assert {"name", "url", "events", "secret"} <= set(trail[0].fields)  # a secret was generated
    assert trail[1].fields == ["secret", "url"]
    assert trail[2].fields == ["is_active"]
    assert {e.detail["host"] for e in trail} == {"127.0.0.1"} and trail[0].detail["name"] == "Alerts"
    generated = created.json()["signing_secret"]
    _trail_holds_none_of(tenant_a, admin_client, events, HOOK_SECRET, generated, HOOK_PATH, "slack-path")


def test_sign_in_and_refused_sign_in_are_recorded_for_the_account(
    anon_client, admin_user, tenant_a, committed, events
):
    with committed():
        ok = anon_client.post(
            "/api/auth/token/", {"email": admin_user.email, "password": "correct-horse-9"}, format="json"
        )
        refused = anon_client.post(
            "/api/auth/token/", {"email": admin_user.email, "password": "wrong-password"}, format="json"
        )
        unknown = anon_client.post(
            "/api/auth/token/", {"email": "nobody@acme.test", "password": "wrong-password"}, format="json"
        )
    assert (ok.status_code, refused.status_code, unknown.status_code) == (200, 401, 401), ok.content

    [signed_in] = events(tenant_a, "auth.signed_in")
    assert signed_in.actor_id == admin_user.pk
    [failed] = events(tenant_a, "auth.sign_in_failed")
    assert failed.actor_id is None  # whoever tried is not known; the account is the target
    assert failed.actor_anonymous is True  # an anonymous request, not the system
    assert signed_in.actor_anonymous is False
    assert (failed.target_type, failed.target_id) == ("user", str(admin_user.pk))
    assert failed.detail == {"email": admin_user.email, "reason": "invalid_credentials"}
    assert "wrong-password" not in json.dumps([e.detail for e in events(tenant_a)])
    assert failed.ip == "127.0.0.1"


def test_a_refused_sign_in_naming_the_tenant_in_capitals_is_reported_to_that_tenant(
    anon_client, admin_user, tenant_a, committed, events
):
    with committed():
        refused = anon_client.post(
            "/api/auth/token/",
            {"email": admin_user.email, "password": "wrong-password", "tenant": "ACME"},
            format="json",
        )
    assert refused.status_code == 401, refused.content
    [failed] = events(tenant_a, "auth.sign_in_failed")
    assert failed.detail == {"email": admin_user.email, "reason": "invalid_credentials"}


def test_the_trail_shows_a_refused_sign_in_as_anonymous_with_the_email_tried(
    anon_client, admin_client, admin_user, tenant_a, committed
):
    # its actor was null, which the trail shows as "System": it was an anonymous request
    with committed():
        anon_client.post(
            "/api/auth/token/", {"email": admin_user.email, "password": "wrong-password"}, format="json"
        )

    [row] = admin_client.get(EVENTS, {"action": "auth.sign_in_failed"}).json()["results"]

    assert row["actor"] == {"id": None, "email": "", "anonymous": True}
    assert row["detail"] == {"email": admin_user.email, "reason": "invalid_credentials"}
    assert "wrong-password" not in json.dumps(row)


def test_a_session_ended_by_refresh_token_reuse_is_recorded(
    anon_client, admin_user, tenant_a, committed, events
):
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

    tokens = anon_client.post(
        "/api/auth/token/", {"email": admin_user.email, "password": "correct-horse-9"}, format="json"
    ).json()
    refresh = {"refresh": tokens["refresh"]}
    assert anon_client.post("/api/auth/token/refresh/", refresh, format="json").status_code == 200
    BlacklistedToken.objects.update(
        blacklisted_at=timezone.now() - timedelta(seconds=settings.MIGRATEIQ_REFRESH_REUSE_GRACE_SECONDS + 1)
    )
    with committed():
        assert anon_client.post("/api/auth/token/refresh/", refresh, format="json").status_code == 401

    [ended] = events(tenant_a, "auth.session_ended")
    assert ended.actor_id is None  # the thief and the owner cannot be told apart
    assert (ended.target_type, ended.target_id) == ("user", str(admin_user.pk))
    assert ended.detail == {"email": admin_user.email, "reason": "refresh_token_reused"}


def test_signing_out_is_recorded_once_as_the_users_own_action(
    anon_client, admin_user, tenant_a, committed, events
):
    tokens = anon_client.post(
        "/api/auth/token/", {"email": admin_user.email, "password": "correct-horse-9"}, format="json"
    ).json()
    with committed():
        assert (
            anon_client.post("/api/auth/logout/", {"refresh": tokens["refresh"]}, format="json").status_code
            == 204
        )
        assert (
            anon_client.post("/api/auth/logout/", {"refresh": tokens["refresh"]}, format="json").status_code
            == 401
        )

    [signed_out] = events(tenant_a, "auth.signed_out")
    assert signed_out.actor_id == admin_user.pk
    assert (signed_out.target_type, signed_out.target_id) == ("user", str(admin_user.pk))
    assert events(tenant_a, "auth.session_ended") == []
    assert tokens["refresh"] not in json.dumps([e.detail for e in events(tenant_a)])


def test_signing_out_of_a_session_ended_for_reuse_records_nothing_more(
    anon_client, editor_user, tenant_a, committed, events
):
    """The owner signs out with the newest refresh token after a replay ended the session: 204 (the
    browser forgets its tokens either way), the end stays one row and one record, for the reuse."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

    from tenancy.models import EndedSession

    first = anon_client.post(
        "/api/auth/token/", {"email": editor_user.email, "password": "correct-horse-9"}, format="json"
    ).json()
    newest = anon_client.post("/api/auth/token/refresh/", {"refresh": first["refresh"]}, format="json").json()
    BlacklistedToken.objects.update(
        blacklisted_at=timezone.now() - timedelta(seconds=settings.MIGRATEIQ_REFRESH_REUSE_GRACE_SECONDS + 1)
    )
    with committed():
        replay = anon_client.post("/api/auth/token/refresh/", {"refresh": first["refresh"]}, format="json")
        assert (replay.status_code, replay.json()["code"]) == (401, "session_ended")
        signed_out = anon_client.post("/api/auth/logout/", {"refresh": newest["refresh"]}, format="json")
        again = anon_client.post("/api/auth/logout/", {"refresh": newest["refresh"]}, format="json")

    assert signed_out.status_code == 204, signed_out.content
    assert again.status_code == 401
    assert list(EndedSession.objects.values_list("reason", flat=True)) == ["refresh_token_reused"]
    assert len(events(tenant_a, "auth.session_ended")) == 1
    assert events(tenant_a, "auth.signed_out") == []
    refused = anon_client.post("/api/auth/token/refresh/", {"refresh": newest["refresh"]}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (401, "session_ended")
    assert "presented again" in refused.json()["detail"]  # still told why: the reuse
    anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {newest['access']}")
    assert "presented again" in anon_client.get("/api/auth/me/").json()["detail"]


def test_member_role_changes_and_removals_are_recorded(
    admin_client, admin_user, viewer_user, tenant_a, committed, events
):
    membership = Membership.objects.get(user=viewer_user, tenant=tenant_a)
    url = f"/api/tenancy/members/{membership.pk}/"
    with committed():
        assert admin_client.patch(url, {"role": Role.EDITOR}, format="json").status_code == 200
        assert admin_client.delete(url).status_code == 204

    [changed] = events(tenant_a, "member.role_changed")
    assert changed.detail == {"email": viewer_user.email, "role": Role.EDITOR, "previous_role": Role.VIEWER}
    assert changed.actor_id == admin_user.pk
    [removed] = events(tenant_a, "member.removed")
    assert (removed.target_id, removed.detail["email"]) == (str(membership.pk), viewer_user.email)


def test_refusing_to_demote_the_last_admin_records_nothing(
    admin_client, admin_user, tenant_a, committed, events
):
    membership = Membership.objects.get(user=admin_user, tenant=tenant_a)
    with committed():
        response = admin_client.patch(
            f"/api/tenancy/members/{membership.pk}/", {"role": Role.VIEWER}, format="json"
        )
    assert response.status_code == 400
    assert events(tenant_a, "member.role_changed") == []


def test_invitations_created_revoked_and_accepted_are_recorded(
    admin_client, anon_client, admin_user, tenant_a, committed, events
):
    with committed():
        first = admin_client.post(
            "/api/tenancy/invitations/", {"email": "first@acme.test", "role": Role.VIEWER}, format="json"
        )
        second = admin_client.post(
            "/api/tenancy/invitations/", {"email": "second@acme.test", "role": Role.EDITOR}, format="json"
        )
        assert admin_client.delete(f"/api/tenancy/invitations/{first.json()['id']}/").status_code == 204
        accepted = anon_client.post(
            "/api/auth/invitations/accept/",
            {"token": second.json()["token"], "password": "a-long-new-password-9", "name": "Second"},
            format="json",
        )
    assert accepted.status_code == 200, accepted.content

    actions = [e.action for e in events(tenant_a)]
    assert actions == [
        "invitation.created",
        "invitation.created",
        "invitation.revoked",
        "member.added",
        "invitation.accepted",
    ]
    newcomer = Membership.objects.get(tenant=tenant_a, user__email="second@acme.test")
    added = events(tenant_a, "member.added")[0]
    assert (added.actor_id, added.target_id, added.detail["role"]) == (
        newcomer.user_id,
        str(newcomer.pk),
        Role.EDITOR,
    )
    assert events(tenant_a, "invitation.revoked")[0].actor_id == admin_user.pk
    tokens = [second.json()["token"], first.json()["token"]]
    assert not any(t in json.dumps([e.detail for e in events(tenant_a)]) for t in tokens)
    assert Invitation.objects.filter(tenant=tenant_a).count() == 2


def test_an_action_rolled_back_records_nothing(tenant_a, admin_user, events):
    from django.db import transaction

    from core import activity

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            activity.record("connector.changed", tenant=tenant_a, actor=admin_user)
            raise RuntimeError("rolled back")
    assert events(tenant_a) == []
