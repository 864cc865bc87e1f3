"""Metrics across processes and hosts: the queue-depth gauge read from the real broker per scrape, and
one metrics volume shared by several containers."""

import os
import uuid

import pytest
import redis
from celery import Celery
from django.test import Client
from kombu import Connection, Exchange, Producer, Queue
from prometheus_client.parser import text_string_to_metric_families

from core.metrics import BrokerQueueCollector

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def queue_samples(collector) -> dict[str, float]:
    return {
        sample.labels["queue"]: sample.value
        for family in collector.collect()
        for sample in family.samples
        if sample.name == "migrateiq_celery_queue_messages"
    }


@pytest.fixture
def redis_queue():
    """A Celery app on Redis db 15 with a key prefix of its own; its keys are deleted afterwards."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"This test needs Redis at {REDIS_URL} (TEST_REDIS_URL): {exc}")
    prefix = f"migrateiq-test-queue-{uuid.uuid4().hex[:8]}:"
    queue = f"syncs-{uuid.uuid4().hex[:8]}"
    options = {"global_keyprefix": prefix}
    app = Celery("queue-depth-test", broker=REDIS_URL, set_as_current=False)
    app.conf.update(broker_transport_options=options, task_default_queue=queue)
    yield app, queue, options
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_the_queue_gauge_counts_the_messages_waiting_in_the_redis_queue(redis_queue):
    app, queue, options = redis_queue
    collector = BrokerQueueCollector(app=app)
    assert queue_samples(collector) == {queue: 0}

    with Connection(REDIS_URL, transport_options=options) as conn:
        target = Queue(queue, Exchange(queue, type="direct"), routing_key=queue)
        producer = Producer(conn.default_channel)
        for number in range(3):
            producer.publish({"n": number}, exchange=target.exchange, routing_key=queue, declare=[target])

    assert queue_samples(collector) == {queue: 3}


def test_an_unreachable_broker_leaves_the_gauge_out_instead_of_failing(caplog):
    app = Celery("queue-depth-down", broker="redis://127.0.0.1:1/0", set_as_current=False)

    assert queue_samples(BrokerQueueCollector(app=app)) == {}
    assert "queue length is unavailable" in caplog.text


def test_the_scrape_reports_the_default_queue_of_the_configured_broker(settings, db):
    settings.MIGRATEIQ_METRICS_TOKEN = "queue-gauge-token-5b1e"
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer queue-gauge-token-5b1e")

    assert response.status_code == 200
    families = {family.name: family for family in text_string_to_metric_families(response.content.decode())}
    (sample,) = families["migrateiq_celery_queue_messages"].samples
    assert sample.labels == {"queue": settings.CELERY_TASK_DEFAULT_QUEUE}
    assert sample.value >= 0


_CHILD = """
from core import metrics
metrics.observe_sync_finished("SUCCESS", 1.0, records=3, failed=0)
"""


def test_metrics_of_containers_sharing_one_volume_are_added_up_from_their_subdirectories(
    settings, db, tmp_path, monkeypatch
):
    """Compose: the web process' directory is the volume's root, each worker container writes to a
    sub-directory named after its host name (docker/entrypoint.sh), with process ids that may repeat."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for container in ("worker-a", "worker-b"):
        env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / container), "PATH": "/usr/bin:/bin"}
        (tmp_path / container).mkdir()
        subprocess.run([sys.executable, "-c", _CHILD], cwd=root, env=env, check=True, timeout=60)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    settings.MIGRATEIQ_METRICS_TOKEN = "queue-gauge-token-5b1e"

    text = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer queue-gauge-token-5b1e").content.decode()

    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("migrateiq_syncs_total", (("status", "success"),))] == 2
    assert samples[("migrateiq_records_synced_total", ())] == 6
