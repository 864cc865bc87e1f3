"""Connector schedules: next_sync_at from sync_frequency, and the beat's dispatch of due connectors
(frozen clock: ``now`` is passed in)."""

from datetime import UTC, datetime, time, timedelta, timezone

import pytest

from demo_extension import tasks
from demo_extension.models import CustomDataConnector, SyncLog, SyncStatus
from demo_extension.services import schedule
from sync_engine import queue as runs

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def published(monkeypatch):
    sent = []
    monkeypatch.setattr(runs.celery_app, "send_task", lambda name, args=(), **options: sent.append(args[0]))
    return sent


@pytest.mark.parametrize(
    ("frequency", "interval"),
    [("HOURLY", timedelta(hours=1)), ("DAILY", timedelta(days=1)), ("WEEKLY", timedelta(weeks=1))],
)
def test_next_sync_is_one_interval_after_the_given_time(make_connector, frequency, interval):
    connector = make_connector(sync_frequency=frequency)

    assert schedule.compute_next_sync_at(connector, after=NOW) == NOW + interval


def test_manual_and_inactive_connectors_are_never_scheduled(make_connector):
    assert schedule.compute_next_sync_at(make_connector(sync_frequency="MANUAL"), after=NOW) is None
    assert schedule.compute_next_sync_at(make_connector(is_active=False), after=NOW) is None


def test_a_new_scheduled_connector_is_due_one_interval_from_now(make_connector):
    connector = make_connector(sync_frequency="HOURLY")

    assert schedule.refresh_next_sync_at(connector, now=NOW) == NOW + timedelta(hours=1)

    connector.refresh_from_db()
    assert connector.next_sync_at == NOW + timedelta(hours=1)


def test_editing_a_connector_keeps_its_pending_due_time(make_connector):
    connector = make_connector(sync_frequency="DAILY", next_sync_at=NOW + timedelta(hours=3))

    assert schedule.refresh_next_sync_at(connector, now=NOW) == NOW + timedelta(hours=3)


def test_a_shorter_interval_brings_the_next_sync_closer(make_connector):
    connector = make_connector(sync_frequency="WEEKLY", next_sync_at=NOW + timedelta(days=6))
    connector.sync_frequency = "HOURLY"

    assert schedule.refresh_next_sync_at(connector, now=NOW) == NOW + timedelta(hours=1)


@pytest.mark.parametrize("change", [{"sync_frequency": "MANUAL"}, {"is_active": False}])
def test_a_connector_made_manual_or_inactive_loses_its_schedule(make_connector, change):
    connector = make_connector(sync_frequency="DAILY", next_sync_at=NOW + timedelta(hours=3))
    for field, value in change.items():
        setattr(connector, field, value)

    assert schedule.refresh_next_sync_at(connector, now=NOW) is None
    connector.refresh_from_db()
    assert connector.next_sync_at is None


def test_a_sync_that_starts_schedules_the_next_one_an_interval_later(make_connector):
    connector = make_connector(sync_frequency="HOURLY", next_sync_at=NOW - timedelta(days=1))

    assert schedule.schedule_next_sync(connector.pk, after=NOW) == NOW + timedelta(hours=1)

    connector.refresh_from_db()
    assert connector.next_sync_at == NOW + timedelta(hours=1)


def test_dispatch_starts_exactly_the_due_active_scheduled_connectors(make_connector, tenant_b, published):
    due_hourly = make_connector(sync_frequency="HOURLY", next_sync_at=NOW - timedelta(minutes=1))
    due_now = make_connector(sync_frequency="WEEKLY", next_sync_at=NOW)
    due_other_tenant = make_connector(tenant_b, sync_frequency="DAILY", next_sync_at=NOW - timedelta(hours=2))
    make_connector(sync_frequency="DAILY", next_sync_at=NOW + timedelta(seconds=1))
    make_connector(sync_frequency="MANUAL", next_sync_at=NOW - timedelta(days=1))
    make_connector(sync_frequency="DAILY", next_sync_at=NOW - timedelta(days=1), is_active=False)
    make_connector(sync_frequency="DAILY", next_sync_at=None)

    started = schedule.dispatch_due_syncs(now=NOW)

    assert sorted(log.connector_id for log in started) == sorted(
        [due_hourly.pk, due_now.pk, due_other_tenant.pk]
    )
    assert all(log.triggered_by == "schedule" and log.status == SyncStatus.PENDING for log in started)
    assert all(log.tenant_id == log.connector.tenant_id for log in started)
    assert SyncLog.objects.unscoped("test: every tenant").count() == 3
    due_hourly.refresh_from_db()
    due_now.refresh_from_db()
    assert due_hourly.next_sync_at == NOW + timedelta(hours=1)
    assert due_now.next_sync_at == NOW + timedelta(weeks=1)


def test_a_deactivated_tenant_s_connectors_are_not_dispatched_until_it_is_active_again(
    make_connector, tenant_a, tenant_b, published
):
    """A deactivated tenant (a customer who left, a breach) kept syncing on schedule: its upstreams
    called with its stored credentials, its destinations loaded and its webhooks sent to."""
    from tenancy.services import set_tenant_active

    due = make_connector(sync_frequency="HOURLY", next_sync_at=NOW - timedelta(minutes=1))
    other = make_connector(tenant_b, sync_frequency="HOURLY", next_sync_at=NOW - timedelta(minutes=1))
    set_tenant_active(tenant_a, False)

    assert [log.connector_id for log in schedule.dispatch_due_syncs(now=NOW)] == [other.pk]
    assert due.pk not in [
        log.connector_id for log in schedule.dispatch_due_syncs(now=NOW + timedelta(hours=5))
    ]
    due.refresh_from_db()
    assert due.next_sync_at == NOW - timedelta(minutes=1)  # kept: nothing ran

    set_tenant_active(tenant_a, True)
    later = NOW + timedelta(hours=6)
    assert [log.connector_id for log in schedule.dispatch_due_syncs(now=later)] == [due.pk]  # one catch-up
    assert SyncLog.objects.filter(connector=due).count() == 1


def test_a_beat_that_was_down_for_a_day_dispatches_one_catch_up_sync_not_a_burst(make_connector, published):
    connector = make_connector(sync_frequency="HOURLY", next_sync_at=NOW - timedelta(days=1))

    first = schedule.dispatch_due_syncs(now=NOW)
    second = schedule.dispatch_due_syncs(now=NOW + timedelta(minutes=1))

    assert [log.connector_id for log in first] == [connector.pk]
    assert second == []
    connector.refresh_from_db()
    assert connector.next_sync_at == NOW + timedelta(hours=1)


def test_two_beats_never_dispatch_the_same_connector_twice(make_connector, monkeypatch, published):
    connector = make_connector(sync_frequency="HOURLY", next_sync_at=NOW - timedelta(minutes=1))
    # The second beat read the due list before the first one claimed the connector.
    stale_snapshot = list(CustomDataConnector.objects.filter(pk=connector.pk))

    first = schedule.dispatch_due_syncs(now=NOW)
    monkeypatch.setattr(schedule, "due_connectors", lambda now: stale_snapshot)
    second = schedule.dispatch_due_syncs(now=NOW)

    assert len(first) == 1
    assert second == []
    assert SyncLog.objects.filter(connector=connector).count() == 1


def test_a_due_connector_whose_sync_is_still_running_is_skipped_until_next_time(make_connector, published):
    connector = make_connector(sync_frequency="HOURLY", next_sync_at=NOW - timedelta(minutes=1))
    running = SyncLog.objects.create(tenant=connector.tenant, connector=connector, status=SyncStatus.RUNNING)

    assert schedule.dispatch_due_syncs(now=NOW) == []

    assert list(SyncLog.objects.filter(connector=connector)) == [running]
    connector.refresh_from_db()
    assert connector.next_sync_at == NOW + timedelta(hours=1)


def test_the_beat_task_dispatches_due_connectors(make_connector, published):
    make_connector(sync_frequency="HOURLY", next_sync_at=NOW)

    assert tasks.dispatch_due_syncs() == 1


def test_the_beat_gives_scheduled_connectors_without_a_due_time_one_instead_of_never_running_them(
    make_connector, published
):
    hourly = make_connector(sync_frequency="HOURLY", next_sync_at=None)
    manual = make_connector(sync_frequency="MANUAL", next_sync_at=None)
    inactive = make_connector(sync_frequency="DAILY", next_sync_at=None, is_active=False)

    assert schedule.dispatch_due_syncs(now=NOW) == []

    for connector in (hourly, manual, inactive):
        connector.refresh_from_db()
    assert hourly.next_sync_at == NOW + timedelta(hours=1)
    assert manual.next_sync_at is None
    assert inactive.next_sync_at is None


# Anchored schedules ("daily at 02:00 UTC", "weekly on Monday at 06:30", "hourly at :15"): the next
# sync is the anchor's next time strictly after now, in UTC, whenever the connector was saved.


def at(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("frequency", "sync_time", "weekday", "after", "expected"),
    [
        # hourly at :15 (only the minutes of sync_time count)
        ("HOURLY", time(0, 15), None, at(2026, 3, 2, 9, 30), at(2026, 3, 2, 10, 15)),
        ("HOURLY", time(7, 15), None, at(2026, 3, 2, 9, 10), at(2026, 3, 2, 9, 15)),
        ("HOURLY", time(0, 15), None, at(2026, 3, 2, 9, 15), at(2026, 3, 2, 10, 15)),
        ("HOURLY", time(0, 0), None, at(2026, 12, 31, 23, 59, 59), at(2027, 1, 1, 0, 0)),
        # daily at 02:00: before, exactly at, just after, across month and year ends
        ("DAILY", time(2, 0), None, at(2026, 3, 2, 1, 59, 59), at(2026, 3, 2, 2, 0)),
        ("DAILY", time(2, 0), None, at(2026, 3, 2, 2, 0, 0), at(2026, 3, 3, 2, 0)),
        ("DAILY", time(2, 0), None, at(2026, 3, 2, 2, 0, 0, 1), at(2026, 3, 3, 2, 0)),
        ("DAILY", time(2, 0), None, at(2026, 2, 28, 9, 30), at(2026, 3, 1, 2, 0)),
        ("DAILY", time(2, 0), None, at(2028, 2, 28, 9, 30), at(2028, 2, 29, 2, 0)),
        ("DAILY", time(2, 0), None, at(2026, 12, 31, 23, 0), at(2027, 1, 1, 2, 0)),
        # Europe's and the US's DST switches (2026-03-29, 2026-03-08) change nothing: UTC has none
        ("DAILY", time(2, 30), None, at(2026, 3, 29, 0, 0), at(2026, 3, 29, 2, 30)),
        ("DAILY", time(2, 30), None, at(2026, 3, 8, 3, 0), at(2026, 3, 9, 2, 30)),
        # weekly on Monday (0) at 06:30; 2026-03-02 is a Monday
        ("WEEKLY", time(6, 30), 0, at(2026, 3, 2, 6, 0), at(2026, 3, 2, 6, 30)),
        ("WEEKLY", time(6, 30), 0, at(2026, 3, 2, 6, 30), at(2026, 3, 9, 6, 30)),
        ("WEEKLY", time(6, 30), 0, at(2026, 3, 1, 23, 0), at(2026, 3, 2, 6, 30)),
        ("WEEKLY", time(6, 30), 0, at(2026, 3, 3, 0, 0), at(2026, 3, 9, 6, 30)),
        # Sunday (6) from a Monday; across a month end and a year end
        ("WEEKLY", time(23, 59), 6, at(2026, 3, 30, 12, 0), at(2026, 4, 5, 23, 59)),
        ("WEEKLY", time(0, 0), 4, at(2026, 12, 30, 0, 0), at(2027, 1, 1, 0, 0)),
    ],
)
def test_the_next_sync_is_the_anchor_s_next_time_strictly_after(
    make_connector, frequency, sync_time, weekday, after, expected
):
    connector = make_connector(sync_frequency=frequency, sync_time=sync_time, sync_weekday=weekday)

    assert schedule.compute_next_sync_at(connector, after=after) == expected


def test_a_time_in_another_zone_counts_as_the_same_instant_in_utc(make_connector):
    connector = make_connector(sync_frequency="DAILY", sync_time=time(2, 0))
    # 03:30 in UTC+02:00 is 01:30 UTC: 02:00 UTC is half an hour later, the same day
    after = datetime(2026, 3, 2, 3, 30, tzinfo=timezone(timedelta(hours=2)))

    assert schedule.compute_next_sync_at(connector, after=after) == at(2026, 3, 2, 2, 0)


def test_saving_an_anchored_connector_schedules_the_anchor_not_an_interval_after_the_save(make_connector):
    connector = make_connector(sync_frequency="DAILY", next_sync_at=at(2026, 3, 2, 20, 0))
    connector.sync_time = time(2, 0)

    # an unanchored daily sync pending at 20:00 moves to the anchor's next time (tomorrow 02:00)
    assert schedule.refresh_next_sync_at(connector, now=at(2026, 3, 2, 9, 30)) == at(2026, 3, 3, 2, 0)
    connector.refresh_from_db()
    assert connector.next_sync_at == at(2026, 3, 3, 2, 0)


def test_editing_an_anchored_connector_keeps_a_due_time_that_already_passed(make_connector):
    connector = make_connector(
        sync_frequency="DAILY", sync_time=time(2, 0), next_sync_at=at(2026, 3, 2, 2, 0)
    )

    assert schedule.refresh_next_sync_at(connector, now=at(2026, 3, 2, 2, 0, 30)) == at(2026, 3, 2, 2, 0)


def test_a_late_anchored_sync_runs_once_then_the_schedule_goes_on_at_the_anchor(make_connector, published):
    # daily at 02:00; the workers were down from Sunday to Wednesday 09:30
    connector = make_connector(
        sync_frequency="DAILY", sync_time=time(2, 0), next_sync_at=at(2026, 3, 1, 2, 0)
    )
    now = at(2026, 3, 4, 9, 30)

    first = schedule.dispatch_due_syncs(now=now)
    second = schedule.dispatch_due_syncs(now=now + timedelta(minutes=1))

    assert [log.connector_id for log in first] == [connector.pk]
    assert second == []
    assert SyncLog.objects.filter(connector=connector).count() == 1
    connector.refresh_from_db()
    assert connector.next_sync_at == at(2026, 3, 5, 2, 0)


def test_a_sync_that_starts_schedules_the_anchor_s_next_time(make_connector):
    connector = make_connector(sync_frequency="HOURLY", sync_time=time(0, 15))

    # synced by hand at 10:40: the next hourly sync is at 11:15, not 11:40
    assert schedule.schedule_next_sync(connector.pk, after=at(2026, 3, 2, 10, 40)) == at(2026, 3, 2, 11, 15)


def daily_at_two(make_connector, due):
    return make_connector(sync_frequency="DAILY", sync_time=time(2, 0), next_sync_at=due)


def started_by_hand(connector, status=SyncStatus.PENDING, triggered_by="api"):
    return SyncLog.objects.create(
        tenant=connector.tenant, connector=connector, status=status, triggered_by=triggered_by
    )


@pytest.mark.parametrize("starts", [at(2026, 3, 2, 1, 58), at(2026, 3, 2, 2, 0, 10)])
def test_a_sync_started_by_hand_near_the_anchor_leaves_the_anchor_s_run_to_the_schedule(
    make_connector, published, starts
):
    # daily at 02:00: a sync by hand started at 01:58, or queued then and executed at 02:00:10,
    # before the beat's minute (it used to move the due time to tomorrow: today's 02:00 never ran)
    connector = daily_at_two(make_connector, at(2026, 3, 2, 2, 0))
    manual = started_by_hand(connector)

    schedule.plan_next_sync(manual, starts)

    connector.refresh_from_db()
    assert connector.next_sync_at == at(2026, 3, 2, 2, 0)
    SyncLog.objects.filter(pk=manual.pk).update(status=SyncStatus.SUCCESS)
    started = schedule.dispatch_due_syncs(now=at(2026, 3, 2, 2, 1))
    assert [(log.connector_id, log.triggered_by) for log in started] == [(connector.pk, "schedule")]
    connector.refresh_from_db()
    assert connector.next_sync_at == at(2026, 3, 3, 2, 0)


def test_a_sync_by_hand_still_running_at_the_anchor_time_delays_the_anchor_s_run_until_it_ends(
    make_connector, published
):
    connector = daily_at_two(make_connector, at(2026, 3, 2, 2, 0))
    manual = started_by_hand(connector, SyncStatus.RUNNING, triggered_by="ui")

    assert schedule.dispatch_due_syncs(now=at(2026, 3, 2, 2, 0)) == []
    assert schedule.dispatch_due_syncs(now=at(2026, 3, 2, 2, 1)) == []

    connector.refresh_from_db()
    assert connector.next_sync_at == at(2026, 3, 2, 2, 0)  # the slot has not run: still due
    SyncLog.objects.filter(pk=manual.pk).update(status=SyncStatus.SUCCESS)
    started = schedule.dispatch_due_syncs(now=at(2026, 3, 2, 2, 7))
    again = schedule.dispatch_due_syncs(now=at(2026, 3, 2, 2, 8))
    assert [log.triggered_by for log in started] == ["schedule"] and again == []  # once
    connector.refresh_from_db()
    assert connector.next_sync_at == at(2026, 3, 3, 2, 0)


def test_an_anchored_sync_still_running_from_the_previous_slot_skips_the_next_one(make_connector, published):
    connector = make_connector(
        sync_frequency="HOURLY", sync_time=time(0, 15), next_sync_at=at(2026, 3, 2, 10, 15)
    )
    started_by_hand(connector, SyncStatus.RUNNING, triggered_by="schedule")

    assert schedule.dispatch_due_syncs(now=at(2026, 3, 2, 10, 15)) == []

    connector.refresh_from_db()
    assert connector.next_sync_at == at(2026, 3, 2, 11, 15)


def test_a_scheduled_sync_that_starts_late_schedules_the_anchor_s_next_time_after_it(make_connector):
    # queued at 10:15, executed at 11:20 (the workers were busy): the 11:15 slot is not run twice
    connector = make_connector(
        sync_frequency="HOURLY", sync_time=time(0, 15), next_sync_at=at(2026, 3, 2, 11, 15)
    )
    scheduled = started_by_hand(connector, triggered_by="schedule")

    schedule.plan_next_sync(scheduled, at(2026, 3, 2, 11, 20))

    connector.refresh_from_db()
    assert connector.next_sync_at == at(2026, 3, 2, 12, 15)


def test_a_sync_by_hand_of_an_unanchored_schedule_counts_the_next_interval_from_it(make_connector):
    connector = make_connector(sync_frequency="DAILY", next_sync_at=at(2026, 3, 2, 20, 0))

    schedule.plan_next_sync(started_by_hand(connector), at(2026, 3, 2, 19, 58))

    connector.refresh_from_db()
    assert connector.next_sync_at == at(2026, 3, 3, 19, 58)


def test_the_beat_gives_anchored_connectors_without_a_due_time_the_anchor_s_next_time(
    make_connector, published
):
    weekly = make_connector(sync_frequency="WEEKLY", sync_time=time(6, 30), sync_weekday=0, next_sync_at=None)
    daily = make_connector(sync_frequency="DAILY", next_sync_at=None)

    assert schedule.dispatch_due_syncs(now=at(2026, 3, 3, 12, 0)) == []

    weekly.refresh_from_db()
    daily.refresh_from_db()
    assert weekly.next_sync_at == at(2026, 3, 9, 6, 30)
    assert daily.next_sync_at == at(2026, 3, 4, 12, 0)


@pytest.mark.parametrize(
    ("frequency", "sync_time", "weekday", "errors"),
    [
        ("DAILY", time(2, 0), None, set()),
        ("WEEKLY", time(2, 0), 3, set()),
        ("WEEKLY", None, None, set()),
        ("MANUAL", time(2, 0), None, {"sync_time"}),
        ("DAILY", time(2, 0), 0, {"sync_weekday"}),
        ("HOURLY", None, 0, {"sync_weekday"}),
        ("WEEKLY", time(2, 0), None, {"sync_weekday"}),
        ("WEEKLY", None, 2, {"sync_time"}),
    ],
)
def test_anchor_rules(frequency, sync_time, weekday, errors):
    assert set(schedule.anchor_errors(frequency, sync_time, weekday)) == errors
