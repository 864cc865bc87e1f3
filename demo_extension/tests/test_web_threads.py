"""Web threads are protected from slow upstreams: ``test_connection`` ends within a short total
deadline, a user has one such call in flight at a time, and ``?wait=`` is capped.

The hostile upstream is a real TCP server on 127.0.0.1 that answers one byte a second."""

import time

import pytest

from core.tests.concurrency import started_in_thread, wait_until
from core.tests.upstreams import TCPUpstream
from demo_extension.tests.conftest import allow_egress_to

CONNECTORS = "/api/demo-extension/connectors/"


def _drip(sock, upstream):
    """Headers at once, then a 1,000-byte JSON body one byte a second (each byte resets a read timeout)."""
    upstream.read_request_head(sock)
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
    for _ in range(1000):
        if upstream.stopping.wait(1.0):
            return
        sock.sendall(b" ")


@pytest.fixture
def drip_upstream(settings):
    server = TCPUpstream(_drip)
    allow_egress_to(settings, f"127.0.0.1:{server.port}")
    yield server
    server.close()


@pytest.fixture
def drip_connector(make_connector, drip_upstream):
    return make_connector(api_endpoint=f"{drip_upstream.base_url}/users", auth_type="none")


def test_connection_to_a_dripping_upstream_ends_within_the_interactive_deadline(
    editor_client, drip_connector, settings
):
    """Before: the per-attempt deadline (MIGRATEIQ_HTTP_TIMEOUT, 30 s) held the web thread."""
    settings.MIGRATEIQ_HTTP_TIMEOUT = 30
    settings.MIGRATEIQ_INTERACTIVE_DEADLINE_SECONDS = 1.5

    started = time.monotonic()
    response = editor_client.post(f"{CONNECTORS}{drip_connector.pk}/test_connection/")
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert response.json()["connected"] is False
    assert "1.5 s budget" in response.json()["message"]
    assert elapsed < 3.5, f"the web thread was held {elapsed:.1f} s"


@pytest.mark.django_db(transaction=True)
def test_one_user_has_one_upstream_call_in_flight_and_others_are_not_blocked(
    client_for, editor_user, tenant_a, make_member, make_connector, drip_connector, settings
):
    """Four calls of one user at once used to take four web threads; now the three made while the
    first is in flight are 429 at once (made one after the other here: SQLite's shared in-memory
    test database locks tables between threads)."""
    settings.MIGRATEIQ_INTERACTIVE_DEADLINE_SECONDS = 2.0
    url = f"{CONNECTORS}{drip_connector.pk}/test_connection/"
    results: list[tuple[int, float]] = []

    def call():
        started = time.monotonic()
        response = client_for(editor_user, tenant_a).post(url)
        results.append((response.status_code, time.monotonic() - started))

    first = started_in_thread(call)
    time.sleep(0.5)  # the first call is now waiting on the upstream
    for _ in range(3):
        call()
    refused = list(results)
    other_user = client_for(make_member(tenant_a, "editor", email="second-editor@acme.test"), tenant_a)
    unrelated = other_user.get("/api/auth/me/")
    first.join(10)

    assert [code for code, _ in refused] == [429, 429, 429]
    assert all(seconds < 1.0 for _, seconds in refused), refused
    assert unrelated.status_code == 200
    assert sorted(code for code, _ in results) == [200, 429, 429, 429]
    # the slot is free again once the call has ended
    again = client_for(editor_user, tenant_a).post(url)
    assert again.status_code == 200


def test_the_in_flight_answer_is_a_json_429_with_retry_after(editor_client, drip_connector, settings):
    from django.core.cache import cache

    from core.interactive import _in_flight_key

    class _Request:
        user = editor_client.user

    cache.add(_in_flight_key(_Request), "someone-else", timeout=30)

    response = editor_client.post(f"{CONNECTORS}{drip_connector.pk}/test_connection/")

    assert response.status_code == 429
    assert "still in progress" in response.json()["detail"]
    assert int(response["Retry-After"]) >= 1
    assert cache.get(_in_flight_key(_Request)) == "someone-else"  # another call's slot is left alone


def test_a_long_wait_on_sync_data_is_cut_to_the_server_cap(editor_client, make_connector, settings):
    """``sync_data?wait=60`` held a web thread for a minute."""
    settings.MIGRATEIQ_SYNC_MAX_WAIT_SECONDS = 0.5
    connector = make_connector()

    started = time.monotonic()
    response = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=60")
    elapsed = time.monotonic() - started

    assert response.status_code == 202
    assert elapsed < 2.5, f"the web thread waited {elapsed:.1f} s"


@pytest.mark.parametrize("saved", [False, True], ids=["unsaved", "saved"])
def test_a_preview_of_a_dripping_upstream_ends_within_the_interactive_deadline(
    editor_client, drip_connector, settings, saved
):
    settings.MIGRATEIQ_HTTP_TIMEOUT = 30
    settings.MIGRATEIQ_INTERACTIVE_DEADLINE_SECONDS = 1.5
    if saved:
        url, body = f"{CONNECTORS}{drip_connector.pk}/preview/", {}
    else:
        url, body = (
            f"{CONNECTORS}preview/",
            {"api_endpoint": drip_connector.api_endpoint, "auth_type": "none"},
        )

    started = time.monotonic()
    response = editor_client.post(url, body, format="json")
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert response.json()["ok"] is False
    assert elapsed < 3.5, f"the web thread was held {elapsed:.1f} s"


def test_a_preview_shares_the_one_call_in_flight_with_test_connection(editor_client, drip_connector):
    from django.core.cache import cache

    from core.interactive import _in_flight_key

    class _Request:
        user = editor_client.user

    cache.add(_in_flight_key(_Request), "a-test-connection-in-flight", timeout=30)

    response = editor_client.post(f"{CONNECTORS}{drip_connector.pk}/preview/", {}, format="json")

    assert response.status_code == 429


def _hold_the_users_slot(user, value="a-test-connection-in-flight"):
    from django.core.cache import cache

    from core.interactive import _in_flight_key

    class _Request:
        pass

    _Request.user = user
    cache.add(_in_flight_key(_Request), value, timeout=30)


@pytest.mark.parametrize("endpoint", ["sync_data", "resume"])
def test_a_wait_for_a_run_without_the_users_slot_starts_the_run_and_answers_at_once(
    editor_client, make_connector, settings, endpoint
):
    """``?wait=`` held a web thread per connector: one user waiting on four connectors held four.
    With the user's slot taken, the run is started all the same and answered at once (no wait)."""
    from sync_engine.models import SyncLog, SyncStatus

    settings.MIGRATEIQ_SYNC_MAX_WAIT_SECONDS = 10  # what the request would wait with a slot
    connector = make_connector()
    if endpoint == "sync_data":
        url = f"{CONNECTORS}{connector.pk}/sync_data/?wait=60"
    else:
        failed = SyncLog.objects.create(
            tenant=connector.tenant,
            connector=connector,
            status=SyncStatus.FAILED,
            checkpoint={"version": 1, "position": {"page": 3}},
        )
        url = f"/api/demo-extension/sync-logs/{failed.pk}/resume/?wait=60"
    _hold_the_users_slot(editor_client.user)

    started = time.monotonic()
    response = editor_client.post(url)
    elapsed = time.monotonic() - started

    assert response.status_code == 202, response.content
    assert response.json()["status"] == "PENDING"
    # at once: well under the 10 s it would wait, with room for a slow, busy host (1.7 s seen)
    assert elapsed < 5, f"the request waited {elapsed:.1f} s without a slot"
    assert SyncLog.objects.filter(connector=connector, status=SyncStatus.PENDING).count() == 1


def test_a_wait_without_a_slot_of_the_tenant_answers_at_once_too(
    client_for, tenant_a, make_member, make_connector, settings
):
    from django.core.cache import cache

    settings.MIGRATEIQ_SYNC_MAX_WAIT_SECONDS = 3
    settings.MIGRATEIQ_TENANT_INTERACTIVE_SLOTS = 2
    for n in range(2):
        cache.add(f"interactive-slot:{tenant_a.pk}:{n}", "another-members-call", timeout=30)
    client = client_for(make_member(tenant_a, "editor"), tenant_a)

    started = time.monotonic()
    response = client.post(f"{CONNECTORS}{make_connector().pk}/sync_data/?wait=60")

    assert response.status_code == 202, response.content
    assert time.monotonic() - started < 1.5


@pytest.mark.django_db(transaction=True)
def test_a_wait_for_a_run_holds_the_users_slot_until_it_answers(
    client_for, editor_user, tenant_a, make_connector, drip_connector, settings
):
    """While one request of a user waits for a run, the user's upstream calls are 429 (and the slot
    is free again once the wait has answered)."""
    from sync_engine.models import SyncLog

    settings.MIGRATEIQ_SYNC_MAX_WAIT_SECONDS = 2
    settings.MIGRATEIQ_INTERACTIVE_DEADLINE_SECONDS = 1.0
    waited: list[tuple[int, float]] = []
    url = f"{CONNECTORS}{make_connector().pk}/sync_data/?wait=2"

    def wait_for_a_run():
        started = time.monotonic()
        response = client_for(editor_user, tenant_a).post(url)
        waited.append((response.status_code, time.monotonic() - started))

    waiting = started_in_thread(wait_for_a_run)
    # the sync is started and the request waits for it
    wait_until(lambda: SyncLog.objects.filter(tenant=tenant_a).exists())
    time.sleep(0.3)
    refused = client_for(editor_user, tenant_a).post(f"{CONNECTORS}{drip_connector.pk}/test_connection/")
    waiting.join(10)
    again = client_for(editor_user, tenant_a).post(f"{CONNECTORS}{drip_connector.pk}/test_connection/")

    assert refused.status_code == 429, refused.content
    assert "one user has one at a time" in refused.json()["detail"]
    assert waited and waited[0][0] == 202 and waited[0][1] >= 1.5, waited
    assert again.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_tenant_holds_at_most_its_interactive_slots_however_many_members_call(
    client_for, tenant_a, tenant_b, make_member, make_connector, drip_upstream, settings
):
    """A tenant admin who invited four editors held four web threads, one each. Now the tenant's
    calls beyond MIGRATEIQ_TENANT_INTERACTIVE_SLOTS are 429 at once, saying which limit and when to
    try again; another tenant's call still goes through."""
    settings.MIGRATEIQ_INTERACTIVE_DEADLINE_SECONDS = 2.0
    settings.MIGRATEIQ_TENANT_INTERACTIVE_SLOTS = 2
    endpoint = f"{drip_upstream.base_url}/users"
    connector = make_connector(api_endpoint=endpoint, auth_type="none")
    url = f"{CONNECTORS}{connector.pk}/test_connection/"
    editors = [make_member(tenant_a, "editor") for _ in range(4)]
    results: list[tuple[int, float]] = []

    def call(user):
        started = time.monotonic()
        response = client_for(user, tenant_a).post(url)
        results.append((response.status_code, time.monotonic() - started))

    holders = [started_in_thread(call, user) for user in editors[:2]]
    wait_until(lambda: drip_upstream.connections == 2)  # both calls now wait on the upstream
    started = time.monotonic()
    refused = [client_for(user, tenant_a).post(url) for user in editors[2:]]
    refused_in = time.monotonic() - started
    # another tenant's call goes through while this tenant's slots are taken
    outsider_connector = make_connector(tenant_b, api_endpoint=endpoint, auth_type="none")
    outsider = client_for(make_member(tenant_b, "editor"), tenant_b)
    other_tenant = outsider.post(f"{CONNECTORS}{outsider_connector.pk}/test_connection/")
    for thread in holders:
        thread.join(10)

    assert [response.status_code for response in refused] == [429, 429]
    assert refused_in < 1.0
    detail = refused[0].json()["detail"]
    assert "MIGRATEIQ_TENANT_INTERACTIVE_SLOTS" in detail and "try again in" in detail, detail
    assert 1 <= int(refused[0]["Retry-After"]) <= 2
    assert other_tenant.status_code == 200
    assert sorted(code for code, _ in results) == [200, 200]
    # the tenant's slots are free again once its calls have ended
    assert client_for(editors[3], tenant_a).post(url).status_code == 200
