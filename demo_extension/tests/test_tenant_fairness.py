"""Fair queuing on real Celery workers: one tenant's slow connectors cannot occupy every worker
process, so another tenant's small sync is not stuck behind them.

Two worker processes; tenant A starts two syncs against an upstream that takes 0.8 s a page (8 s a
run), then tenant B starts a 10-record sync. The stated bound: B's sync finishes within 6 s of its
trigger while A's are still running. Without the per-tenant cap (the control case) both processes
run A's syncs and B waits for one of them to end.
"""

import time

import pytest
from rest_framework.test import APIClient

from conftest import token_for
from demo_extension.models import SyncLog, SyncStatus
from demo_extension.tests import test_celery_worker as workers
from demo_extension.tests.test_celery_worker import SYNC_URL, wait_for_status, wait_until
from tenancy.models import Role

pytestmark = workers.pytestmark
broker = workers.broker
start_worker = workers.start_worker

BOUND_SECONDS = 6.0


def trigger(client, connector) -> SyncLog:
    response = client.post(SYNC_URL.format(connector.pk) + "?wait=0")
    assert response.status_code == 202, response.content
    return SyncLog.objects.get(pk=response.json()["id"])


@pytest.mark.slow
@pytest.mark.parametrize("cap", [1, 0], ids=["tenant-cap-1", "control-without-cap"])
def test_a_tenants_slow_syncs_do_not_delay_another_tenants_sync(
    cap, start_worker, sample_upstream, make_connector, make_member, tenant_a, tenant_b
):
    slow = sample_upstream(records=100, page_size=10, style="page", slow_ms=800)
    quick = sample_upstream(records=10, page_size=10, style="page")
    # One request at a time: the slow syncs must stay slow (pages fetched ahead would shorten them).
    hostile = [
        make_connector(tenant_a, upstream=slow, name=f"slow {i}", max_concurrent_requests=1) for i in (1, 2)
    ]
    victim = make_connector(tenant_b, upstream=quick, name="quick")
    client_a, client_b = APIClient(), APIClient()
    user_a = make_member(tenant_a, Role.EDITOR, email="editor@acme.test")
    user_b = make_member(tenant_b, Role.EDITOR, email="editor@globex.test")
    client_a.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user_a, tenant_a)}")
    client_b.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user_b, tenant_b)}")
    start_worker(
        allow=[slow.netloc, quick.netloc],
        concurrency=2,
        MIGRATEIQ_TENANT_MAX_CONCURRENT_SYNCS=cap,
        MIGRATEIQ_SYNC_DEFER_SECONDS=0.5,
    )

    slow_logs = [trigger(client_a, connector) for connector in hostile]
    wait_until(
        lambda: SyncLog.objects.filter(
            pk__in=[log.pk for log in slow_logs], status=SyncStatus.RUNNING
        ).exists(),
        15,
        "tenant A's first sync to start",
    )
    time.sleep(0.5)  # both of A's messages have reached the worker
    started = time.monotonic()
    quick_log = trigger(client_b, victim)
    quick_log = wait_for_status(quick_log, SyncStatus.SUCCESS, timeout=40)
    waited = time.monotonic() - started

    if cap:
        assert waited < BOUND_SECONDS, f"tenant B's sync took {waited:.1f} s behind tenant A's"
        running_a = SyncLog.objects.filter(pk__in=[log.pk for log in slow_logs], status=SyncStatus.RUNNING)
        assert running_a.count() <= 1
        for log in slow_logs:  # A's syncs are delayed, never lost
            assert wait_for_status(log, SyncStatus.SUCCESS, timeout=40).attempts == 1
    else:
        assert waited > BOUND_SECONDS, f"the control finished in {waited:.1f} s: the test proves nothing"
