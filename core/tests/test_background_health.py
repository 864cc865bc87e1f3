"""Whether the background work runs (core.background_health): the beat's tick that a worker records,
read by GET /api/status/, the web UI's banner and /metrics. The real beat and worker are in
demo_extension/tests/test_celery_worker.py (the tick stops when they are killed)."""

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from core import background_health, tasks
from core.models import BackgroundTick
from core.testing import api_schemas, ui_interface, ui_union
from core.tests.test_metrics import TOKEN, sample
from migrateiq.celery import app as celery_app

pytestmark = pytest.mark.django_db

STATUS_URL = "/api/status/"


def test_a_tick_a_worker_recorded_a_moment_ago_is_running(settings):
    settings.MIGRATEIQ_BACKGROUND_STALE_SECONDS = 180
    now = timezone.now()
    background_health.record_tick(now - timedelta(seconds=20))

    status = background_health.background_status(now, process_age=3600)

    assert status["state"] == "running"
    assert status["seconds_since_last_tick"] == 20.0
    assert status["message"] == "Background work runs: a worker last reported 20 s ago."


def test_no_tick_for_longer_than_the_limit_is_stopped_and_says_what_waits(settings):
    settings.MIGRATEIQ_BACKGROUND_STALE_SECONDS = 180
    now = timezone.now().replace(hour=10, minute=19, second=30)
    background_health.record_tick(now - timedelta(minutes=7))

    status = background_health.background_status(now, process_age=600)

    assert status["state"] == "stopped"
    assert status["message"] == (
        "Nothing has run in the background for 7 min (last at 10:12 UTC): queued and scheduled syncs, "
        "destination loads and webhook deliveries wait until a Celery worker and the beat scheduler "
        "run and reach the broker (README, Production)."
    )


def test_a_server_whose_workers_never_reported_is_starting_then_stopped(settings):
    settings.MIGRATEIQ_BACKGROUND_STALE_SECONDS = 180
    now = timezone.now()

    starting = background_health.background_status(now, process_age=40)
    stopped = background_health.background_status(now, process_age=600)

    assert (starting["state"], starting["last_tick_at"], starting["seconds_since_last_tick"]) == (
        "starting",
        None,
        None,
    )
    assert starting["message"] == (
        "No background worker has reported yet: this server started 40 s ago, a report is expected "
        "within 3 min."
    )
    assert stopped["state"] == "stopped"
    assert stopped["message"].startswith(
        "No background worker has reported since this server started 10 min ago: queued and scheduled syncs"
    )


def test_a_server_started_again_is_starting_whatever_the_last_tick_before_it(settings):
    # make run stopped yesterday and started again: its worker's first tick is due in 30 s
    settings.MIGRATEIQ_BACKGROUND_STALE_SECONDS = 180
    now = timezone.now()
    background_health.record_tick(now - timedelta(hours=20))

    starting = background_health.background_status(now, process_age=15)
    stopped = background_health.background_status(now, process_age=181)

    assert starting["state"] == "starting"
    assert starting["message"] == (
        "No background worker has reported since this server started (last 20 h ago): this server "
        "started 15 s ago, a report is expected within 3 min."
    )
    assert stopped["state"] == "stopped"
    assert stopped["message"].startswith("Nothing has run in the background for 20 h (last at ")


def test_ticks_update_one_row():
    first = timezone.now() - timedelta(minutes=5)
    background_health.record_tick(first)
    background_health.record_tick(first + timedelta(seconds=30))

    assert BackgroundTick.objects.count() == 1
    assert background_health.last_tick_at() == first + timedelta(seconds=30)


def test_the_beat_schedules_the_tick_at_the_configured_interval(settings):
    entry = celery_app.conf.beat_schedule["record-background-tick"]
    celery_app.loader.import_default_modules()  # what a worker does at start: every app's tasks.py

    assert entry["task"] == "core.tasks.record_background_tick"
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] == settings.MIGRATEIQ_BACKGROUND_TICK_SECONDS
    assert entry["schedule"] < settings.MIGRATEIQ_BACKGROUND_STALE_SECONDS


def test_the_tick_task_records_the_tick():
    tasks.record_background_tick.apply()

    tick = BackgroundTick.objects.get()
    assert timezone.now() - tick.last_at < timedelta(seconds=5)
    assert tick.hostname


def test_any_member_reads_the_status_and_no_host_name_is_in_it(viewer_client, settings, monkeypatch):
    settings.MIGRATEIQ_BACKGROUND_STALE_SECONDS = 180
    monkeypatch.setattr(background_health, "_process_started", time.monotonic() - 3600)
    background_health.record_tick(timezone.now() - timedelta(minutes=10))
    BackgroundTick.objects.update(hostname="worker-7.internal.example")

    response = viewer_client.get(STATUS_URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"background"}
    assert set(body["background"]) == {
        "state",
        "last_tick_at",
        "seconds_since_last_tick",
        "stale_after_seconds",
        "message",
    }
    assert body["background"]["state"] == "stopped"
    assert body["background"]["stale_after_seconds"] == 180
    assert "worker-7" not in response.content.decode()


def test_the_status_needs_a_signed_in_member():
    response = Client().get(STATUS_URL)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_metrics_give_the_last_tick_as_a_unix_time_once_there_is_one(settings):
    settings.MIGRATEIQ_METRICS_TOKEN = TOKEN

    def scrape() -> str:
        return Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()

    assert "migrateiq_background_last_tick_timestamp_seconds" not in scrape()
    moment = timezone.now().replace(microsecond=0) - timedelta(seconds=42)
    background_health.record_tick(moment)

    assert sample(scrape(), "migrateiq_background_last_tick_timestamp_seconds") == moment.timestamp()


def test_the_web_ui_s_types_are_the_status_answer_s():
    schema = api_schemas()
    background = schema["BackgroundStatus"]

    assert ui_interface("InstallationStatus") == set(schema["Status"]["properties"])
    assert ui_interface("BackgroundStatus") == set(background["properties"])
    assert ui_union("BackgroundState") == set(schema["BackgroundStateEnum"]["enum"])
    assert ui_union("BackgroundState") == {"running", "starting", "stopped"}
