"""A destination's connection test holds a web thread like a connector's: it takes the user's
interactive slot (``core.interactive``), so one user cannot hold a thread per destination.

The slow destination is a real TCP server on 127.0.0.1 that accepts the connection and never
answers libpq's first packet (the connect timeout ends the test)."""

import time

import pytest

from core.tests.concurrency import started_in_thread, wait_until
from core.tests.upstreams import TCPUpstream
from destinations.models import Destination
from destinations.tests.pg_wire import SilentServer

URL = "/api/destinations/"


def _stall(sock, server):
    server.stopping.wait(30)


@pytest.fixture
def stalling_server(settings):
    server = TCPUpstream(_stall)
    allowlist = list(getattr(settings, "MIGRATEIQ_EGRESS_ALLOWLIST", None) or [])
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [*allowlist, f"127.0.0.1:{server.port}"]
    yield server
    server.close()


@pytest.mark.django_db(transaction=True)
def test_one_user_has_one_destination_connection_test_in_flight(
    client_for, editor_user, tenant_a, stalling_server, settings
):
    """Four tests of four stalling destinations by one user took four web threads for the whole
    connect timeout; now the ones made while the first is in flight are 429 at once."""
    settings.MIGRATEIQ_DESTINATION_CONNECT_TIMEOUT = 2
    destinations = [
        Destination.objects.create(
            tenant=tenant_a,
            name=f"Stalling {n}",
            host="127.0.0.1",
            port=stalling_server.port,
            database="warehouse",
            username="loader",
            sslmode="disable",
        )
        for n in range(4)
    ]
    results: list[tuple[int, float]] = []

    def call(destination):
        started = time.monotonic()
        response = client_for(editor_user, tenant_a).post(f"{URL}{destination.pk}/test_connection/")
        results.append((response.status_code, time.monotonic() - started))
        return response

    first = started_in_thread(call, destinations[0])
    wait_until(lambda: stalling_server.connections == 1)  # the first test now waits on the stalling server
    refused = [call(destination) for destination in destinations[1:]]
    first.join(10)

    assert [response.status_code for response in refused] == [429, 429, 429]
    assert all(seconds < 1.0 for _, seconds in results[:3]), results
    assert "still in progress" in refused[0].json()["detail"]
    assert int(refused[0]["Retry-After"]) >= 1
    assert sorted(code for code, _ in results) == [200, 429, 429, 429]
    # the slot is free again once the test has answered
    again = client_for(editor_user, tenant_a).post(f"{URL}{destinations[1].pk}/test_connection/")
    assert again.status_code == 200 and again.json()["connected"] is False


@pytest.mark.django_db(transaction=True)
def test_a_server_that_lets_the_check_in_and_then_goes_silent_does_not_hold_the_slot(
    client_for, editor_user, tenant_a, settings
):
    """The check asked the server ``SHOW server_version`` after signing in, with no timeout on the
    answer: a server that never answered held the web thread and the user's slot until it hung up.
    The version comes with the sign-in; the check sends no query."""
    server = SilentServer(version="16.4 (MigrateIQ test)")
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [f"127.0.0.1:{server.port}"]
    settings.MIGRATEIQ_DESTINATION_CONNECT_TIMEOUT = 2
    destination = Destination.objects.create(
        tenant=tenant_a,
        name="Silent",
        host="127.0.0.1",
        port=server.port,
        database="warehouse",
        username="loader",
        sslmode="disable",
    )
    try:
        started = time.monotonic()
        response = client_for(editor_user, tenant_a).post(f"{URL}{destination.pk}/test_connection/")
        took = time.monotonic() - started
    finally:
        server.close()

    assert response.status_code == 200
    assert response.json()["connected"] is True, response.json()
    # the version reached, without a second "Connected" under the web UI's "Connected" heading
    assert response.json()["message"] == "Signed in to PostgreSQL 16.4 (MigrateIQ test)"
    assert took < 2, took
    assert server.queries == []
