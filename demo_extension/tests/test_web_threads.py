"""Web threads are protected from slow upstreams: ``test_connection`` ends within a short total
deadline, a user has one such call in flight at a time, and ``?wait=`` is capped.

The hostile upstream is a real TCP server on 127.0.0.1 that answers one byte a second."""

import threading
import time

import pytest

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

    first = threading.Thread(target=call)
    first.start()
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
