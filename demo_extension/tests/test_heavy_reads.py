"""Heavy reads (exports, field profiles) hold a web thread: a user has one at a time, a tenant shares
its interactive slots between them and upstream calls, and a download keeps its slot while it
streams and gives it back when it ends or is closed.

Before: four exports at once from one viewer held every thread of ``make run`` and another
tenant's sign-in timed out."""

import time

import pytest
from django.core.cache import cache

from conftest import hang_up
from core import interactive
from core.interactive import HeldSlots, SlotHoldingStream
from demo_extension.tests.sync_support import store

pytestmark = pytest.mark.django_db

CONNECTORS = "/api/demo-extension/connectors/"


@pytest.fixture
def stored_connector(make_connector):
    connector = make_connector()
    store(connector, [{"id": i, "name": f"n{i}"} for i in range(1, 6)])
    return connector


def _export(client, connector, **params):
    return client.get(f"{CONNECTORS}{connector.pk}/export/", params)


def _profile(client, connector):
    return client.get(f"{CONNECTORS}{connector.pk}/schema/profile/")


def test_a_second_read_of_a_user_while_a_download_streams_is_a_429_saying_why(
    viewer_client, stored_connector
):
    downloading = _export(viewer_client, stored_connector)
    assert downloading.status_code == 200

    second = _export(viewer_client, stored_connector, format="csv")
    profile = _profile(viewer_client, stored_connector)

    assert [second.status_code, profile.status_code] == [429, 429]
    assert "one user reads one at a time" in second.json()["detail"]
    assert 1 <= int(second["Retry-After"]) <= 30
    # read to its end, the download gives its slot back
    assert b"".join(downloading.streaming_content).count(b"\n") == 5
    assert _profile(viewer_client, stored_connector).status_code == 200


def test_a_download_closed_before_its_end_gives_its_slot_back(viewer_client, stored_connector):
    downloading = _export(viewer_client, stored_connector)
    next(iter(downloading.streaming_content))  # the client read a chunk, then hung up

    hang_up(downloading)

    again = _export(viewer_client, stored_connector)
    assert again.status_code == 200
    hang_up(again)


def test_a_refused_or_failed_read_holds_no_slot(viewer_client, stored_connector):
    assert _export(viewer_client, stored_connector, fields="no_such_field").status_code == 400
    assert viewer_client.get(f"{CONNECTORS}999999/export/").status_code == 404
    assert _profile(viewer_client, stored_connector).status_code == 200  # a profile is no stream

    downloading = _export(viewer_client, stored_connector)
    assert downloading.status_code == 200
    hang_up(downloading)


def test_a_tenant_shares_its_slots_between_downloads_and_upstream_calls(
    client_for, tenant_a, tenant_b, make_member, make_connector, settings, stored_connector
):
    """Two members' downloads take the tenant's two slots: a third member's export, profile and
    connection test are 429 naming the tenant's limit; another tenant's export goes through."""
    settings.MIGRATEIQ_TENANT_INTERACTIVE_SLOTS = 2
    members = [client_for(make_member(tenant_a, "viewer"), tenant_a) for _ in range(2)]
    third = client_for(make_member(tenant_a, "editor"), tenant_a)
    downloads = [_export(member, stored_connector) for member in members]
    assert [download.status_code for download in downloads] == [200, 200]

    refused = [
        _export(third, stored_connector),
        _profile(third, stored_connector),
        third.post(f"{CONNECTORS}{stored_connector.pk}/test_connection/"),
    ]
    other_connector = make_connector(tenant_b)
    outsider = client_for(make_member(tenant_b, "viewer"), tenant_b)
    other_tenant = _export(outsider, other_connector)

    assert [response.status_code for response in refused] == [429, 429, 429]
    for response in refused:
        detail = response.json()["detail"]
        assert "MIGRATEIQ_TENANT_INTERACTIVE_SLOTS" in detail and "exports" in detail, detail
    assert other_tenant.status_code == 200
    hang_up(other_tenant)
    hang_up(downloads[0])
    assert _profile(third, stored_connector).status_code == 200
    hang_up(downloads[1])


def test_a_streaming_download_renews_its_slots_and_a_stalled_one_lets_them_lapse():
    """A download longer than the slots' hold keeps them while chunks go out; one whose reader
    stopped loses them when the hold ends (its thread waits for the server's timeout)."""
    key = "heavy-read-test-slot"
    cache.set(key, "mine", timeout=1)
    held = HeldSlots([key], "mine", hold=1)

    def chunks():
        for _ in range(6):
            time.sleep(0.3)
            yield b"x"

    stream = SlotHoldingStream(chunks(), held, renew_every=0.2)
    assert b"".join(stream) == b"x" * 6  # 1.8 s of streaming against a 1 s hold
    assert cache.get(key) is None  # given back at the end

    cache.set(key, "mine", timeout=1)
    renewing = SlotHoldingStream(chunks(), HeldSlots([key], "mine", hold=1), renew_every=0.2)
    for _ in range(5):
        next(renewing)
    assert cache.get(key) == "mine"  # 1.5 s in: still held
    time.sleep(1.3)  # the reader stalls
    assert cache.get(key) is None
    renewing.close()


def test_a_process_keeps_one_web_thread_free_whatever_the_tenants(
    client_for, tenant_a, tenant_b, make_member, make_connector, settings, monkeypatch, stored_connector
):
    """Each tenant within its two slots, two tenants held all four threads of ``make run``: a
    process of four threads takes three such calls, a fourth is a 429 naming the process's limit
    (quick requests still get the free thread), and a call ending gives its thread back."""
    monkeypatch.setattr(interactive._process_threads, "threads", 4)
    monkeypatch.setattr(interactive._process_threads, "_ends", {})  # none held by other tests
    settings.MIGRATEIQ_TENANT_INTERACTIVE_SLOTS = 2
    other_connector = make_connector(tenant_b)
    store(other_connector, [{"id": 1}])
    readers = [(client_for(make_member(tenant_a, "viewer"), tenant_a), stored_connector) for _ in range(2)]
    readers += [(client_for(make_member(tenant_b, "viewer"), tenant_b), other_connector) for _ in range(2)]
    downloads = [_export(client, connector) for client, connector in readers[:3]]
    assert [download.status_code for download in downloads] == [200, 200, 200]

    fourth_client, fourth_connector = readers[3]
    refused = _export(fourth_client, fourth_connector)
    quick = fourth_client.get(f"{CONNECTORS}{fourth_connector.pk}/")

    assert refused.status_code == 429
    assert (
        "3 calls in progress that hold a web thread, all of its 4 threads but the one"
        in (refused.json()["detail"])
    )
    assert 1 <= int(refused["Retry-After"]) <= 30
    assert quick.status_code == 200
    hang_up(downloads[0])
    again = _export(fourth_client, fourth_connector)
    assert again.status_code == 200
    for download in [*downloads[1:], again]:
        hang_up(download)
    assert interactive._process_threads.seconds_to_first_end(7) == 7  # none held


def test_a_process_of_one_thread_has_no_bound_of_its_own(monkeypatch):
    monkeypatch.setattr(interactive._process_threads, "threads", 1)
    assert all(interactive._process_threads.take(f"call-{n}", 5) for n in range(8))


def test_a_call_never_given_back_lapses_after_its_hold_and_the_stall_bound(monkeypatch, settings):
    """A response never closed (a crashed stream) must not take a process thread for good."""
    settings.MIGRATEIQ_DOWNLOAD_STALL_SECONDS = 0.2
    threads = interactive._ProcessThreads()
    threads.threads = 2
    assert threads.take("leaked", 0.1)
    assert not threads.take("next", 0.1)
    time.sleep(0.35)
    assert threads.take("next", 0.1)


def test_a_stream_goes_out_in_pieces_and_closing_it_closes_the_records_read():
    closed = []

    def chunks():
        try:
            yield b"a" * 200_000
            yield b"b" * 10
            yield b"c" * 200_000
        finally:
            closed.append(True)

    pieces = interactive._in_pieces(chunks())
    first = [next(pieces) for _ in range(5)]
    assert [len(piece) for piece in first] == [65536, 65536, 65536, 3392, 10]
    pieces.close()
    assert closed == [True]
    assert b"".join(interactive._in_pieces(chunks())) == b"a" * 200_000 + b"b" * 10 + b"c" * 200_000
