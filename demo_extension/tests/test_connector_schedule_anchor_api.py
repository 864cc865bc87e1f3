"""The schedule's anchor in the API: sync_time ("HH:MM", UTC) and sync_weekday (WEEKLY, Monday = 0)."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from demo_extension.models import CustomDataConnector

pytestmark = pytest.mark.django_db

URL = "/api/demo-extension/connectors/"


def _post(client, upstream, **extra):
    body = {"name": "Anchored", "api_endpoint": upstream.url, "sync_frequency": "DAILY", **extra}
    return client.post(URL, body, format="json")


def test_a_daily_connector_at_02_00_is_scheduled_at_the_next_02_00_utc(admin_client, sample_upstream):
    response = _post(admin_client, sample_upstream(), sync_time="02:00")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sync_time"] == "02:00"
    assert body["sync_weekday"] is None
    stored = CustomDataConnector.objects.get(pk=body["id"])
    assert stored.sync_time == time(2, 0)
    now = timezone.now()
    assert now < stored.next_sync_at <= now + timedelta(days=1)
    assert (stored.next_sync_at.astimezone(UTC).hour, stored.next_sync_at.minute) == (2, 0)
    assert datetime.fromisoformat(body["next_sync_at"].replace("Z", "+00:00")) == stored.next_sync_at


def test_a_weekly_connector_on_monday_at_06_30(admin_client, sample_upstream):
    response = _post(
        admin_client, sample_upstream(), sync_frequency="WEEKLY", sync_time="06:30", sync_weekday=0
    )

    assert response.status_code == 201, response.content
    assert (response.json()["sync_time"], response.json()["sync_weekday"]) == ("06:30", 0)
    due = CustomDataConnector.objects.get(pk=response.json()["id"]).next_sync_at.astimezone(UTC)
    assert (due.weekday(), due.hour, due.minute, due.second) == (0, 6, 30, 0)
    assert timezone.now() < due <= timezone.now() + timedelta(weeks=1)


def test_without_an_anchor_the_schedule_counts_from_the_save_as_before(admin_client, sample_upstream):
    before = timezone.now()
    response = _post(admin_client, sample_upstream())

    assert response.json()["sync_time"] is None
    stored = CustomDataConnector.objects.get(pk=response.json()["id"]).next_sync_at
    assert before + timedelta(days=1) <= stored <= timezone.now() + timedelta(days=1)


@pytest.mark.parametrize("value", ["25:00", "12:60", "2:00", "02:00:00", "0200", "", 200])
def test_a_sync_time_that_is_not_hh_mm_is_a_400(admin_client, sample_upstream, value):
    response = _post(admin_client, sample_upstream(), sync_time=value)

    assert response.status_code == 400
    assert response.json()["errors"]["sync_time"] == [
        'Use "HH:MM" in UTC, from 00:00 to 23:59 (e.g. "02:00"); seconds are not accepted.'
    ]
    assert not CustomDataConnector.objects.unscoped("every tenant: nothing was created").exists()


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        (
            {"sync_frequency": "DAILY", "sync_time": "02:00", "sync_weekday": 0},
            "sync_weekday",
            "sync_weekday applies to sync_frequency WEEKLY only, not DAILY: send null.",
        ),
        (
            {"sync_frequency": "MANUAL", "sync_time": "02:00"},
            "sync_time",
            "sync_time applies to sync_frequency HOURLY, DAILY, WEEKLY only, not MANUAL: send null.",
        ),
        (
            {"sync_frequency": "WEEKLY", "sync_time": "02:00"},
            "sync_weekday",
            "A WEEKLY schedule's anchor needs both sync_time and sync_weekday (Monday = 0): "
            "set sync_weekday too, or send both as null.",
        ),
    ],
)
def test_an_anchor_the_frequency_does_not_use_is_a_400_naming_the_rule(
    admin_client, sample_upstream, extra, field, message
):
    response = _post(admin_client, sample_upstream(), **extra)

    assert response.status_code == 400
    assert response.json()["errors"][field] == [message]


def test_a_weekday_out_of_range_is_a_400_listing_the_days(admin_client, sample_upstream):
    response = _post(
        admin_client, sample_upstream(), sync_frequency="WEEKLY", sync_time="02:00", sync_weekday=7
    )

    assert response.status_code == 400
    assert response.json()["errors"]["sync_weekday"] == [
        '"7" is not a valid choice; one of: 0, 1, 2, 3, 4, 5, 6.'
    ]


def test_changing_the_frequency_clears_a_stored_anchor_it_does_not_use_with_a_warning(
    admin_client, sample_upstream
):
    created = _post(
        admin_client, sample_upstream(), sync_frequency="WEEKLY", sync_time="06:30", sync_weekday=0
    ).json()

    response = admin_client.patch(f"{URL}{created['id']}/", {"sync_frequency": "DAILY"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["sync_time"], body["sync_weekday"]) == ("06:30", None)
    assert "sync_weekday (Monday) was cleared: it applies to sync_frequency WEEKLY only." in body["warnings"]
    due = CustomDataConnector.objects.get(pk=created["id"]).next_sync_at.astimezone(UTC)
    assert (due.hour, due.minute) == (6, 30)
    assert due <= timezone.now() + timedelta(days=1)

    manual = admin_client.patch(f"{URL}{created['id']}/", {"sync_frequency": "MANUAL"}, format="json").json()
    assert (manual["sync_time"], manual["next_sync_at"]) == (None, None)
    assert (
        "sync_time (06:30) was cleared: it applies to sync_frequency HOURLY, DAILY, WEEKLY only."
        in (manual["warnings"])
    )


def test_an_hourly_minute_does_not_quietly_become_a_time_of_day(admin_client, sample_upstream):
    # Before: hourly at :15 (sync_time 00:15) became "daily at 00:15 UTC" by a PATCH of the frequency.
    created = _post(admin_client, sample_upstream(), sync_frequency="HOURLY", sync_time="00:15").json()

    daily = admin_client.patch(f"{URL}{created['id']}/", {"sync_frequency": "DAILY"}, format="json").json()

    assert daily["sync_time"] is None
    assert (
        "sync_time (00:15) was cleared: it meant minute :15 of every hour, not what it would mean for "
        "sync_frequency DAILY. Send sync_time with it." in daily["warnings"]
    )
    sent = admin_client.patch(
        f"{URL}{created['id']}/", {"sync_frequency": "HOURLY", "sync_time": "00:45"}, format="json"
    ).json()
    assert sent["sync_time"] == "00:45" and not any("sync_time" in line for line in sent["warnings"])
    again = admin_client.patch(f"{URL}{created['id']}/", {"sync_frequency": "WEEKLY"}, format="json")
    assert again.status_code == 200 and again.json()["sync_time"] is None


def test_an_answer_sent_back_as_a_put_stays_valid(admin_client, sample_upstream):
    created = _post(
        admin_client, sample_upstream(), sync_frequency="WEEKLY", sync_time="06:30", sync_weekday=4
    ).json()
    body = {k: v for k, v in created.items() if v is not None}

    response = admin_client.put(f"{URL}{created['id']}/", body, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["sync_time"], response.json()["sync_weekday"]) == ("06:30", 4)


def test_the_openapi_schema_describes_the_anchor(admin_client):
    schema = admin_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    props = schema["components"]["schemas"]["ConnectorRequest"]["properties"]

    assert "HH:MM" in props["sync_time"]["description"]
    assert props["sync_time"].get("nullable") is True
    assert "Monday" in props["sync_weekday"]["description"]
