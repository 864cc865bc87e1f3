"""A ``slack`` endpoint receives ``{"text": ...}``: what Slack's incoming webhooks post to a channel."""

import json

import pytest

from webhooks.models import PayloadFormat
from webhooks.services import deliveries, payloads

pytestmark = pytest.mark.django_db


def sync_payload(status, **sync):
    values = {
        "id": 7,
        "status": status,
        "connector": {"id": 3, "name": "Payroll users"},
        "records_processed": 120,
        "records_created": 100,
        "records_updated": 20,
        "records_failed": 0,
        "duration_seconds": 4.25,
        "error_message": "",
        **sync,
    }
    return {"event": "x", "tenant": {"slug": "acme"}, "data": {"sync": values}}


def test_a_slack_endpoint_receives_one_line_of_text_signed_like_any_other(
    inline_sending, receiver, make_endpoint, tenant_a, django_capture_on_commit_callbacks
):
    make_endpoint(url=receiver.url, payload_format=PayloadFormat.SLACK)
    data = sync_payload("SUCCESS")["data"]

    with django_capture_on_commit_callbacks(execute=True):
        deliveries.create_deliveries(tenant_a.pk, "sync.succeeded", lambda: data)

    [request] = receiver.requests
    assert json.loads(request.body) == {
        "text": "MigrateIQ (acme): sync of Payroll users succeeded: 120 records (100 created, "
        "20 updated, 0 failed) in 4.2 s"
    }
    assert request.headers["migrateiq-event"] == "sync.succeeded"
    assert request.headers["migrateiq-signature"].startswith("t=")


def test_the_text_says_why_a_sync_failed():
    text = payloads.slack_text(sync_payload("FAILED", error_message="The upstream answered 401."))
    assert "sync of Payroll users failed" in text and text.endswith("The upstream answered 401.")


def test_the_text_of_a_load_and_of_a_ping():
    load = {
        "event": "load.finished",
        "tenant": {"slug": "acme"},
        "data": {
            "load": {
                "destination": {"name": "Warehouse"},
                "status": "SUCCESS",
                "rows_upserted": 5,
                "rows_deleted": 1,
                "error_message": "",
            }
        },
    }
    assert (
        payloads.slack_text(load)
        == "MigrateIQ (acme): load into Warehouse success: 5 rows upserted, 1 deleted"
    )
    ping = {"event": "ping", "tenant": {"slug": "acme"}, "data": {}}
    assert "test delivery" in payloads.slack_text(ping)


def test_a_partial_sync_is_not_said_to_have_only_quarantined_records():
    text = payloads.slack_text(
        sync_payload("PARTIAL", error_message="The upstream announces 500 records but the sync received 50.")
    )

    assert "ended partial (not every page fetched, or records quarantined)" in text
    assert "announces 500 records" in text


def test_the_partial_status_label_says_it_may_be_an_incomplete_fetch():
    from sync_engine.models import SyncStatus

    assert SyncStatus.PARTIAL.label == "Partial (incomplete fetch or quarantined records)"


def test_names_and_upstream_text_cannot_ping_the_channel_or_disguise_a_link():
    # An upstream's HTTP-200 error and an editor's connector name, as a security test sent them.
    error = (
        "The upstream answered HTTP 200 with an error (error): <!channel> Token revoked: re-authorise at "
        "<https://evil.example/oauth|https://app.migrateiq.example/reconnect> & more"
    )
    name = "<!here> <https://evil.example/login|Sync failed: sign in again>"
    text = payloads.slack_text(
        sync_payload(
            "FAILED",
            error_message=error,
            connector={"id": 3, "name": name},
            warnings_count=1,
            warnings=["<@U123> look"],
        )
    )

    assert "<" not in text and ">" not in text
    assert (
        "sync of &lt;!here&gt; &lt;https://evil.example/login|Sync failed: sign in again&gt; failed" in text
    )
    assert "&lt;!channel&gt; Token revoked" in text and "&amp; more" in text
    assert "&lt;@U123&gt; look" in text
    load = {
        "event": "load.finished",
        "tenant": {"slug": "acme"},
        "data": {
            "load": {
                "destination": {"name": "<!everyone>"},
                "status": "FAILED",
                "rows_upserted": 0,
                "rows_deleted": 0,
                "error_message": "<b>",
            }
        },
    }
    assert payloads.slack_text(load) == (
        "MigrateIQ (acme): load into &lt;!everyone&gt; failed: 0 rows upserted, 0 deleted. &lt;b&gt;"
    )
