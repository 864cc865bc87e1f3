"""Deliveries follow the platform's events: a sync's end, a load's end; they are retried with
backoff, never sent twice at once, and never block or fail what caused them."""

import json
import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from core import extensions
from core.metrics import hook_failures_total
from destinations.models import Destination, DestinationLoad, LoadStatus
from destinations.services import loads
from migrateiq.celery import app as celery_app
from sync_engine.engine import run_sync
from sync_engine.errors import SyncProblem
from sync_engine.models import SyncLog, SyncStatus
from sync_engine.runs import connector_model, create_run, finish_run
from sync_engine.sources import Page, SourcePlan, register_source, unregister_source
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.services import deliveries, events, payloads
from webhooks.services.deliveries import backoff, send_due_deliveries

pytestmark = pytest.mark.django_db

RECORDS = [{"id": 1, "name": "Ada"}, {"id": 2, "name": "Grace"}, {"id": 3, "name": "Edsger"}]


class InMemorySource:
    """Two pages from memory: a sync with no upstream at all."""

    def __init__(self, connector):
        self.connector = connector

    def check(self):
        return type("Result", (), {"connected": True, "message": "memory"})()

    def prepare(self) -> SourcePlan:
        return SourcePlan(cursor_field="id")

    def refuse_checkpoint(self, position: dict) -> str:
        return ""

    def pages(self, run, resume):
        yield Page(records=RECORDS[:2], position={"next": 1}, plain=True, label="page 1", more=True)
        yield Page(records=RECORDS[2:], position={"next": 2}, plain=True, label="page 2", more=False)


@pytest.fixture
def memory_connector(tenant_a):
    register_source("webhooks-memory")(InMemorySource)
    yield connector_model().objects.create(
        tenant=tenant_a,
        name="Payroll users",
        source_type="webhooks-memory",
        primary_key="id",
        api_endpoint="",
    )
    unregister_source("webhooks-memory")


def test_a_real_sync_ending_delivers_sync_succeeded(
    inline_sending, receiver, make_endpoint, memory_connector, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(url=receiver.url, events=["sync.succeeded"])

    with django_capture_on_commit_callbacks(execute=True):
        run = run_sync(memory_connector)

    assert run.status == SyncStatus.SUCCESS
    [request] = receiver.requests
    assert request.headers["migrateiq-event"] == "sync.succeeded"
    sync = json.loads(request.body)["data"]["sync"]
    assert sync["id"] == run.pk and sync["status"] == "SUCCESS"
    assert sync["connector"] == {"id": memory_connector.pk, "name": "Payroll users"}
    assert sync["records_processed"] == 3 and sync["records_created"] == 3
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.SUCCESS and delivery.attempts == 1
    assert delivery.delivered_at is not None and delivery.response_status_code == 200


def test_a_sync_that_succeeded_with_warnings_carries_their_count_and_the_slack_text_says_so(
    inline_sending, receiver, make_endpoint, memory_connector, django_capture_on_commit_callbacks
):
    memory_connector.primary_key = "user_id"  # no record has it: keyed by content, with a warning
    memory_connector.save(update_fields=["primary_key"])
    make_endpoint(url=receiver.url, events=["sync.succeeded"])
    make_endpoint(url=receiver.url, events=["sync.succeeded"], payload_format="slack")

    with django_capture_on_commit_callbacks(execute=True):
        run = run_sync(memory_connector)

    assert run.status == SyncStatus.SUCCESS
    bodies = [json.loads(request.body) for request in receiver.requests]
    [sync] = [body["data"]["sync"] for body in bodies if "data" in body]
    assert sync["warnings_count"] == 1
    assert "No record of the first page has the primary key 'user_id'" in sync["warnings"][0]
    [text] = [body["text"] for body in bodies if "text" in body]
    assert "succeeded" in text and "with 1 warning: No record of the first page" in text


class FailsAfterPageOneSource(InMemorySource):
    """A first attempt fails after page 1; a resume goes on from page 1's checkpoint to the end."""

    def pages(self, run, resume):
        if resume is None:
            yield Page(records=RECORDS[:2], position={"next": 1}, plain=True, label="page 1", more=True)
            raise SyncProblem("The upstream went away after page 1.")
        yield Page(records=RECORDS[2:], position={"next": 2}, plain=True, label="page 2", more=False)


def test_a_resumed_sync_says_when_it_resumed_and_keeps_its_first_start(
    inline_sending, receiver, make_endpoint, tenant_a, django_capture_on_commit_callbacks
):
    # the payload had started_at and duration_seconds but not resumed_at: a receiver could not tell
    # a resumed run from one that ran in one go, nor when the attempt it reports began
    register_source("webhooks-fails-once")(FailsAfterPageOneSource)
    try:
        connector = connector_model().objects.create(
            tenant=tenant_a, name="Payroll users", source_type="webhooks-fails-once", primary_key="id"
        )
        make_endpoint(url=receiver.url, events=["sync.failed", "sync.succeeded"])
        with django_capture_on_commit_callbacks(execute=True):
            failed = run_sync(connector)
        assert failed.status == SyncStatus.FAILED and failed.checkpoint
        with django_capture_on_commit_callbacks(execute=True):
            resumed = run_sync(connector, run=failed)
    finally:
        unregister_source("webhooks-fails-once")

    assert resumed.pk == failed.pk and resumed.status == SyncStatus.SUCCESS
    first, second = (json.loads(request.body) for request in receiver.requests)
    assert (first["event"], second["event"]) == ("sync.failed", "sync.succeeded")
    assert first["id"] != second["id"] and first["data"]["sync"]["id"] == second["data"]["sync"]["id"]
    before, after = first["data"]["sync"], second["data"]["sync"]
    assert before["resumed_at"] is None
    assert after["started_at"] == before["started_at"] == resumed.started_at.isoformat()
    assert after["resumed_at"] == resumed.resumed_at.isoformat()
    assert before["finished_at"] <= after["resumed_at"] <= after["finished_at"]


def test_a_sync_that_ran_in_one_go_says_it_was_never_resumed(
    inline_sending, receiver, make_endpoint, memory_connector, django_capture_on_commit_callbacks
):
    make_endpoint(url=receiver.url, events=["sync.succeeded"])

    with django_capture_on_commit_callbacks(execute=True):
        run_sync(memory_connector)

    sync = json.loads(receiver.requests[0].body)["data"]["sync"]
    assert "resumed_at" in sync and sync["resumed_at"] is None


def test_each_end_of_a_run_has_its_event_and_the_filter_chooses(
    inline_sending, receiver, make_endpoint, memory_connector, django_capture_on_commit_callbacks
):
    failures = make_endpoint(url=receiver.url, events=["sync.failed", "sync.cancelled"])
    make_endpoint(url=receiver.url, events=["load.finished"], name="loads only")
    make_endpoint(url=receiver.url, events=["*"], is_active=False, name="disabled")

    for status in (SyncStatus.FAILED, SyncStatus.SUCCESS, SyncStatus.CANCELLED, SyncStatus.PARTIAL):
        run = create_run(memory_connector, status=SyncStatus.RUNNING)
        with django_capture_on_commit_callbacks(execute=True):
            finish_run(run, status, "The upstream said no." if status == SyncStatus.FAILED else "", when=None)

    assert [r.headers["migrateiq-event"] for r in receiver.requests] == ["sync.failed", "sync.cancelled"]
    assert set(WebhookDelivery.objects.unscoped("test: every tenant").values_list("endpoint", flat=True)) == {
        failures.pk
    }
    failed = json.loads(receiver.requests[0].body)["data"]["sync"]
    assert failed["status"] == "FAILED" and failed["error_message"] == "The upstream said no."


def test_sync_star_hears_every_end_of_a_sync_and_no_load(
    inline_sending, receiver, make_endpoint, memory_connector, django_capture_on_commit_callbacks
):
    # before: a consumer of every end of a sync listed four events ("sync.finished" was refused with
    # "Did you mean 'sync.failed'?")
    make_endpoint(url=receiver.url, events=["sync.*"])

    for status in (SyncStatus.FAILED, SyncStatus.SUCCESS, SyncStatus.CANCELLED, SyncStatus.PARTIAL):
        run = create_run(memory_connector, status=SyncStatus.RUNNING)
        with django_capture_on_commit_callbacks(execute=True):
            finish_run(run, status, "", when=None)

    assert [r.headers["migrateiq-event"] for r in receiver.requests] == [
        "sync.failed",
        "sync.succeeded",
        "sync.cancelled",
        "sync.partial",
    ]


def test_another_tenants_endpoints_hear_nothing(
    inline_sending, receiver, make_endpoint, memory_connector, tenant_b, django_capture_on_commit_callbacks
):
    make_endpoint(tenant=tenant_b, url=receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        run_sync(memory_connector)

    assert receiver.requests == [] and not WebhookDelivery.objects.unscoped("test: every tenant").exists()


def test_a_load_ending_delivers_load_finished(
    inline_sending, receiver, make_endpoint, memory_connector, tenant_a, django_capture_on_commit_callbacks
):
    make_endpoint(url=receiver.url, events=["load.finished"])
    destination = Destination.objects.create(tenant=tenant_a, name="Warehouse", host="127.0.0.1", port=9)
    load = DestinationLoad.objects.create(
        tenant=tenant_a, destination=destination, connector=memory_connector, full_reload=True
    )

    with django_capture_on_commit_callbacks(execute=True):
        loads.execute_load(load.pk)  # the connector is not attached: the load ends FAILED

    [request] = receiver.requests
    assert request.headers["migrateiq-event"] == "load.finished"
    data = json.loads(request.body)["data"]["load"]
    assert data["id"] == load.pk and data["status"] == LoadStatus.FAILED
    assert data["full_reload"] is True  # a reload of everything says so
    assert data["destination"] == {"id": destination.pk, "name": "Warehouse"}
    assert "no longer attached" in data["error_message"]


def test_a_failed_load_also_delivers_load_failed_to_its_subscribers_only(
    inline_sending, receiver, make_endpoint, memory_connector, tenant_a, django_capture_on_commit_callbacks
):
    # finding 20: alerting on failed loads meant receiving every load.finished
    alerts = make_endpoint(url=receiver.url, events=["sync.failed", "load.failed"], name="alerts")
    every_load = make_endpoint(url=receiver.url, events=["load.finished"], name="every load")
    destination = Destination.objects.create(tenant=tenant_a, name="Warehouse", host="127.0.0.1", port=9)
    load = DestinationLoad.objects.create(
        tenant=tenant_a, destination=destination, connector=memory_connector
    )

    with django_capture_on_commit_callbacks(execute=True):
        loads.execute_load(load.pk)  # the connector is not attached: the load ends FAILED

    sent = WebhookDelivery.objects.unscoped("test: every tenant").order_by("event")
    assert [(d.endpoint_id, d.event) for d in sent] == [
        (alerts.pk, "load.failed"),
        (every_load.pk, "load.finished"),
    ]
    assert sorted(r.headers["migrateiq-event"] for r in receiver.requests) == ["load.failed", "load.finished"]
    failed = next(
        json.loads(r.body) for r in receiver.requests if r.headers["migrateiq-event"] == "load.failed"
    )
    assert failed["event"] == "load.failed"
    assert failed["data"]["load"]["id"] == load.pk and failed["data"]["load"]["status"] == LoadStatus.FAILED
    assert "no longer attached" in failed["data"]["load"]["error_message"]


def test_a_successful_load_delivers_no_load_failed(
    inline_sending, receiver, make_endpoint, memory_connector, tenant_a, django_capture_on_commit_callbacks
):
    make_endpoint(url=receiver.url, events=["load.failed"], name="alerts")
    make_endpoint(url=receiver.url, events=["*"], name="everything")
    destination = Destination.objects.create(tenant=tenant_a, name="Warehouse", host="127.0.0.1", port=9)
    load = DestinationLoad.objects.create(
        tenant=tenant_a, destination=destination, connector=memory_connector, status=LoadStatus.SUCCESS
    )

    with django_capture_on_commit_callbacks(execute=True):
        events.load_finished(load)

    assert [r.headers["migrateiq-event"] for r in receiver.requests] == ["load.finished"]


def test_an_endpoint_can_subscribe_to_load_failed(admin_client, settings):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]
    response = admin_client.post(
        "/api/webhooks/endpoints/",
        {"name": "alerts", "url": "http://127.0.0.1:9/hooks", "events": ["load.failed"]},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["events"] == ["load.failed"]


def test_a_load_the_queue_refused_also_ends_with_load_finished(
    receiver,
    make_endpoint,
    memory_connector,
    tenant_a,
    settings,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    settings.MIGRATEIQ_SYNC_RUNNER = "celery"
    sent = []

    def send_task(name, args):  # the broker refuses loads only
        if name == loads.RUN_LOAD_TASK:
            raise ConnectionError("broker down")
        sent.append((name, args))

    monkeypatch.setattr(celery_app, "send_task", send_task)
    make_endpoint(url=receiver.url, events=["load.finished"])
    destination = Destination.objects.create(tenant=tenant_a, name="Warehouse", host="127.0.0.1", port=9)
    load = DestinationLoad.objects.create(
        tenant=tenant_a, destination=destination, connector=memory_connector
    )

    with django_capture_on_commit_callbacks(execute=True):
        loads._dispatch(load.pk)

    delivery = WebhookDelivery.objects.unscoped("test: every tenant").get()
    assert delivery.event == "load.finished" and delivery.payload["data"]["load"]["status"] == "FAILED"
    assert sent == [("webhooks.tasks.send_delivery", [delivery.pk])]


def test_with_celery_deliveries_are_queued_after_commit_not_sent_by_the_sync(
    receiver, make_endpoint, memory_connector, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.MIGRATEIQ_SYNC_RUNNER = "celery"
    sent = []
    monkeypatch.setattr(celery_app, "send_task", lambda name, args: sent.append((name, args)))
    make_endpoint(url=receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        run_sync(memory_connector)

    delivery = WebhookDelivery.objects.unscoped("test: every tenant").get()
    assert sent == [("webhooks.tasks.send_delivery", [delivery.pk])]
    assert receiver.requests == [] and delivery.status == DeliveryStatus.PENDING
    # what the worker does with that message
    from webhooks.tasks import send_delivery

    send_delivery(delivery.pk)
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCESS


def test_a_broken_webhook_never_fails_the_sync(
    inline_sending, receiver, make_endpoint, memory_connector, monkeypatch, django_capture_on_commit_callbacks
):
    make_endpoint(url=receiver.url)

    def broken(run):
        raise RuntimeError("payload bug")

    monkeypatch.setattr(payloads, "sync_data", broken)
    before = hook_failures_total.labels(hook="run_finished")._value.get()

    with django_capture_on_commit_callbacks(execute=True):
        run = run_sync(memory_connector)

    assert SyncLog.objects.get(pk=run.pk).status == SyncStatus.SUCCESS
    assert hook_failures_total.labels(hook="run_finished")._value.get() == before + 1
    assert receiver.requests == []


def test_a_failed_attempt_is_retried_with_exponential_backoff_until_the_last(
    inline_sending, receiver, make_endpoint, tenant_a, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(url=receiver.url)
    receiver.statuses = [500]
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = deliveries.create_deliveries(tenant_a.pk, "sync.failed", lambda: {"sync": {}})

    waits = []
    for attempt in range(2, deliveries.MAX_ATTEMPTS + 1):
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == attempt - 1
        waits.append(round((delivery.next_attempt_at - timezone.now()).total_seconds(), -1))
        assert send_due_deliveries() == 0  # not due yet
        # time passes: the retry is due
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        assert send_due_deliveries() == 1
        delivery.refresh_from_db()
        assert delivery.attempts == attempt and len(receiver.requests) == attempt

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None
    assert delivery.attempts == deliveries.MAX_ATTEMPTS == len(receiver.requests)
    assert delivery.response_status_code == 500 and "500" in delivery.error
    assert waits == [60, 120, 240, 480, 960]
    assert send_due_deliveries(now=timezone.now() + timedelta(days=1)) == 0
    assert endpoint.deliveries.count() == 1 and len(receiver.requests) == deliveries.MAX_ATTEMPTS


def test_a_failed_attempts_error_quotes_the_receiver_not_an_api(
    inline_sending, receiver, make_endpoint, tenant_a, django_capture_on_commit_callbacks
):
    make_endpoint(url=receiver.url)
    receiver.statuses = [500]
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = deliveries.create_deliveries(tenant_a.pk, "sync.failed", lambda: {"sync": {}})

    delivery.refresh_from_db()
    assert delivery.error == (
        f"Attempt 1 of 6: HTTP 500 from http://{receiver.netloc}/… (the receiver says: 'down')"
    )


def test_a_failed_attempts_error_counts_the_deliverys_attempts_as_its_attempts_field_does(
    inline_sending, receiver, make_endpoint, tenant_a, django_capture_on_commit_callbacks
):
    # Before: every error ended "after 1 attempt" (the one request of each attempt) while the
    # delivery said 2, 3 ... of 6 attempts, and "after 1 attempt" on a delivery that failed for good.
    make_endpoint(url=receiver.url)
    receiver.statuses = [503]
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = deliveries.create_deliveries(tenant_a.pk, "sync.failed", lambda: {"sync": {}})
    errors = []
    for _ in range(deliveries.MAX_ATTEMPTS - 1):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        assert send_due_deliveries() == 1
        delivery.refresh_from_db()
        errors.append(delivery.error)

    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 6
    assert [error.split(":")[0] for error in errors] == [f"Attempt {n} of 6" for n in range(2, 7)]
    assert "attempt" not in errors[-1].split(": ", 1)[1].lower()


def test_a_delivery_that_succeeds_on_retry_stops_there(
    inline_sending, receiver, make_endpoint, tenant_a, django_capture_on_commit_callbacks
):
    make_endpoint(url=receiver.url)
    receiver.statuses = [502, 200]
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = deliveries.create_deliveries(tenant_a.pk, "sync.failed", lambda: {"sync": {}})
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert send_due_deliveries() == 1

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCESS and delivery.attempts == 2 and delivery.error == ""
    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers["migrateiq-delivery"] == second.headers["migrateiq-delivery"]  # for deduplication


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("where", ["same origin", "another origin"])
def test_a_receiver_that_redirects_is_a_failed_attempt_never_a_delivery(
    status, where, inline_sending, make_receiver, make_endpoint, tenant_a, django_capture_on_commit_callbacks
):
    # A 301/302/303 turns the POST into a GET of the new URL: its 200 said nothing about the event,
    # which no receiver got. A moved endpoint (``/hook`` to ``/hook/``, http to https) must show up in
    # the delivery log as failed, not as delivered.
    receiver, elsewhere = make_receiver(), make_receiver()
    target = elsewhere.url if where == "another origin" else receiver.url + "/moved"
    receiver.statuses, receiver.location = [status, 200], target
    make_endpoint(url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = deliveries.create_deliveries(tenant_a.pk, "sync.failed", lambda: {"sync": {}})

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.delivered_at is None
    assert delivery.response_status_code == status
    assert delivery.error == (
        f"Attempt 1 of 6: HTTP {status} from http://{receiver.netloc}/… redirects to "
        f"http://{(elsewhere if where == 'another origin' else receiver).netloc}/… (not followed)"
    )
    assert [request.path for request in receiver.requests] == ["/hooks/migrateiq"]
    assert elsewhere.requests == []


def test_a_claimed_delivery_is_not_sent_again_until_its_lease_ends(
    inline_sending, receiver, make_endpoint, tenant_a
):
    make_endpoint(url=receiver.url)
    [delivery] = deliveries.create_deliveries(tenant_a.pk, "sync.failed", lambda: {"sync": {}})
    assert deliveries._claim(delivery.pk, timezone.now())  # a worker took it, then died

    assert deliveries.send_delivery(delivery.pk).attempts == 1  # the task's copy: already claimed
    assert send_due_deliveries() == 0
    assert receiver.requests == []
    lease = WebhookDelivery.objects.get(pk=delivery.pk).next_attempt_at - timezone.now()
    assert timedelta(seconds=deliveries.CLAIM_LEASE_SECONDS - 5) < lease
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())  # lease over
    assert send_due_deliveries() == 1 and len(receiver.requests) == 1


def test_a_disabled_endpoint_gets_no_more_retries(inline_sending, receiver, make_endpoint, tenant_a):
    endpoint = make_endpoint(url=receiver.url)
    [delivery] = deliveries.create_deliveries(tenant_a.pk, "sync.failed", lambda: {"sync": {}})
    endpoint.is_active = False
    endpoint.save()

    delivery = deliveries.send_delivery(delivery.pk)

    assert delivery.status == DeliveryStatus.FAILED and "disabled" in delivery.error
    assert receiver.requests == []


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 6, 7, 20)] == [60, 120, 240, 1920, 3600, 3600]


def test_the_beat_sends_due_deliveries_every_minute():
    entry = extensions.beat_schedule()["webhooks-send-due-deliveries"]
    assert entry["task"] == "webhooks.tasks.send_due_deliveries" and entry["schedule"] == 60.0


def test_the_module_subscribes_to_the_platform_hooks():
    from core import hooks

    assert events.run_finished in hooks.handlers("run_finished")
    assert events.load_finished in hooks.handlers("load_finished")


def test_the_secret_and_the_urls_path_stay_out_of_logs_and_errors(
    inline_sending, make_endpoint, tenant_a, settings, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]
    endpoint = make_endpoint(url="http://127.0.0.1:9/services/T000/B000/slack-token-in-path")

    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = deliveries.create_deliveries(tenant_a.pk, "sync.failed", lambda: {"sync": {}})

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1 and delivery.error
    assert "slack-token-in-path" not in delivery.error
    assert "127.0.0.1:9" in delivery.error
    assert "Webhook delivery" in caplog.text
    assert endpoint.secret not in caplog.text and "slack-token-in-path" not in caplog.text


@pytest.mark.parametrize(
    "path",
    [
        "/services/T000/B000/slack-token-in-path?channel=a%20b",  # shown re-encoded: ?channel=a+b
        "/services/T000/B000/slack-token-in-path?x=%7E",  # shown as ?x=~
    ],
)
def test_the_urls_path_stays_out_of_errors_and_logs_however_the_message_encodes_it(
    inline_sending, receiver, make_endpoint, tenant_a, caplog, django_capture_on_commit_callbacks, path
):
    caplog.set_level(logging.DEBUG)
    receiver.statuses = [500]
    make_endpoint(url=f"http://{receiver.netloc}{path}")

    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = deliveries.create_deliveries(tenant_a.pk, "sync.failed", lambda: {"sync": {}})

    delivery.refresh_from_db()
    assert receiver.requests and delivery.error.startswith("Attempt 1 of 6: HTTP 500"), delivery.error
    assert "slack-token-in-path" not in delivery.error
    assert "slack-token-in-path" not in caplog.text


def test_a_sync_end_costs_one_query_for_a_tenant_without_webhooks(
    memory_connector, django_assert_num_queries
):
    run = create_run(memory_connector, status=SyncStatus.SUCCESS)
    with django_assert_num_queries(1):
        events.run_finished(run)
