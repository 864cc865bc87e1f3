"""The outbound HTTP client against real local upstreams: retries, deadlines, size caps, redirects.

Retry waits are recorded instead of slept (``make_client``); deadlines are real but short.
"""

import datetime
import email.utils
import gc
import gzip
import json
import socket
import ssl
import threading
import time
import tracemalloc
import zlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug import Response

import core.egress
import core.http
from core.http import OutboundClient, UpstreamResponse
from core.http_errors import EgressDenied, ResponseTooLarge, UpstreamError
from core.tests.upstreams import TCPUpstream, http_response

pytestmark = pytest.mark.usefixtures("resolver")

MiB = 1024 * 1024


def _url(server, path="/"):
    return f"http://127.0.0.1:{server.port}{path}"


@pytest.fixture
def raw_upstream(settings):
    """Start scripted TCP upstreams, allowlisted by IP and port; closed after the test."""
    started = []

    def start(handle):
        server = TCPUpstream(handle)
        started.append(server)
        settings.MIGRATEIQ_EGRESS_ALLOWLIST = [
            *settings.MIGRATEIQ_EGRESS_ALLOWLIST,
            f"127.0.0.1:{server.port}",
        ]
        return server

    yield start
    for server in started:
        server.close()


# -- responses --------------------------------------------------------------------------------------


def test_a_2xx_json_response_is_returned_with_its_metadata(upstream, make_client):
    upstream.expect_request("/users", query_string="page=2").respond_with_json(
        [{"id": 1}], headers={"X-Total": "1"}
    )
    response = make_client().get(_url(upstream, "/users"), params={"page": 2})
    assert isinstance(response, UpstreamResponse)
    assert response.status_code == 200
    assert response.json() == [{"id": 1}]
    assert response.headers["x-total"] == "1"
    assert response.url == _url(upstream, "/users?page=2")
    assert response.elapsed_ms > 0
    assert response.text == '[{"id": 1}]\n' or response.text.startswith("[")


def test_requests_reuse_one_keep_alive_connection_and_resolve_once(raw_upstream, make_client, resolver):
    server = raw_upstream(_serve_keep_alive)
    client = make_client()
    for _ in range(5):
        assert client.get(_url(server, "/page")).json() == {"ok": True}
    assert server.connections == 1
    assert len(server.requests) == 5
    assert resolver.calls == ["127.0.0.1"]


def test_the_client_sends_auth_headers_and_params_to_the_upstream(upstream, make_client):
    upstream.expect_request(
        "/secure", headers={"Authorization": "Bearer t0ken", "X-API-Key": "k3y"}, query_string="api_key=abc"
    ).respond_with_json({"ok": True})
    response = make_client().get(
        _url(upstream, "/secure"),
        params={"api_key": "abc"},
        headers={"Authorization": "Bearer t0ken", "X-API-Key": "k3y"},
    )
    assert response.json() == {"ok": True}


def test_basic_auth_is_sent(upstream, make_client):
    upstream.expect_request("/basic", headers={"Authorization": "Basic dXNlcjpwdw=="}).respond_with_data("ok")
    assert make_client().get(_url(upstream, "/basic"), auth=("user", "pw")).content == b"ok"


# -- retries ----------------------------------------------------------------------------------------


def test_three_500s_then_200_succeeds_after_backoff(upstream, make_client, settings):
    settings.MIGRATEIQ_HTTP_BACKOFF_BASE = 0.5
    for _ in range(3):
        upstream.expect_ordered_request("/flaky").respond_with_data("boom", status=500)
    upstream.expect_ordered_request("/flaky").respond_with_json({"ok": True})
    client = make_client()
    assert client.get(_url(upstream, "/flaky")).json() == {"ok": True}
    assert len(client.waits) == 3
    for attempt, wait in enumerate(client.waits, start=1):
        assert 0 <= wait <= 0.5 * 2 ** (attempt - 1)  # full jitter under the exponential ceiling
    assert client.retry_messages[0].startswith(
        f"HTTP 500 from {_url(upstream, '/flaky')} (the API says: 'boom') (attempt 1 of 5)"
    )
    assert "retrying in" in client.retry_messages[2] and "attempt 3 of 5" in client.retry_messages[2]


def test_backoff_has_full_jitter_under_an_exponential_ceiling(settings):
    settings.MIGRATEIQ_HTTP_BACKOFF_BASE = 1.0
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 60
    with OutboundClient() as client:
        waits = [client.retry_wait(4) for _ in range(300)]
        assert all(0 <= w <= 8 for w in waits)
        assert max(waits) > 4 and min(waits) < 4  # spread over the whole range, not a fixed step
        assert all(client.retry_wait(20) <= 60 for _ in range(50))  # capped


def test_429_with_retry_after_seconds_is_honoured(upstream, make_client, settings):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 60
    upstream.expect_ordered_request("/limited").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "2"}
    )
    upstream.expect_ordered_request("/limited").respond_with_json({"ok": True})
    client = make_client()
    assert client.get(_url(upstream, "/limited")).json() == {"ok": True}
    assert client.waits == [2.0]
    assert "HTTP 429" in client.retry_messages[0] and "retrying in 2.0 s" in client.retry_messages[0]


def test_a_retry_after_up_to_the_cap_is_waited_and_retried(upstream, make_client, settings):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 2
    upstream.expect_ordered_request("/limited").respond_with_data(
        "", status=429, headers={"Retry-After": "2"}
    )
    upstream.expect_ordered_request("/limited").respond_with_data(
        "", status=503, headers={"Retry-After": "1"}
    )
    upstream.expect_ordered_request("/limited").respond_with_json({"ok": True})
    client = make_client()
    assert client.get(_url(upstream, "/limited")).json() == {"ok": True}
    assert client.waits == [2.0, 1.0]


@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_longer_than_the_cap_fails_at_once_naming_the_wait_and_the_cap(
    upstream, settings, status
):
    # Really slept, not recorded: the request must give up without waiting even the cap.
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 5
    upstream.expect_request("/limited").respond_with_json(
        {"message": "Too many requests"}, status=status, headers={"Retry-After": "3600"}
    )
    started = time.monotonic()
    with OutboundClient() as client, pytest.raises(UpstreamError) as failure:
        client.get(_url(upstream, "/limited"))
    elapsed = time.monotonic() - started

    assert elapsed < 1.0
    assert len(upstream.log) == 1  # not sent again
    assert failure.value.attempts == 1 and failure.value.status_code == status
    assert str(failure.value) == (
        f"HTTP {status} from {_url(upstream, '/limited')} (the API says: 'Too many requests'); "
        "it asks to wait 3600 s, longer than MIGRATEIQ_HTTP_RETRY_AFTER_CAP (5 s), so it was not "
        "retried after 1 attempt. Try again once that wait is over (a failed sync that stored pages "
        "can then be resumed from the last of them), or raise MIGRATEIQ_HTTP_RETRY_AFTER_CAP to wait "
        "that long within a request"
    )


def test_an_http_date_retry_after_longer_than_the_cap_fails_at_once(upstream, settings):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 5
    when = email.utils.formatdate(time.time() + 2 * 3600, usegmt=True)
    upstream.expect_request("/limited").respond_with_data("", status=429, headers={"Retry-After": when})
    started = time.monotonic()
    with OutboundClient() as client, pytest.raises(UpstreamError) as failure:
        client.get(_url(upstream, "/limited"))

    assert time.monotonic() - started < 1.0
    assert len(upstream.log) == 1
    message = str(failure.value)
    assert "it asks to wait 7199 s" in message or "it asks to wait 7200 s" in message
    assert (
        "longer than MIGRATEIQ_HTTP_RETRY_AFTER_CAP (5 s), so it was not retried after 1 attempt" in message
    )


def test_a_rate_limit_reset_longer_than_the_cap_fails_at_once(upstream, make_client, settings):
    # GitHub's primary rate limit: a 403 whose window resets in an hour.
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 60
    upstream.expect_request("/repos").respond_with_json(
        {"message": "API rate limit exceeded for user ID 1."},
        status=403,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 3000)},
    )
    client = make_client()
    with pytest.raises(UpstreamError) as failure:
        client.get(_url(upstream, "/repos"))

    assert client.waits == [] and client.retry_messages == [] and len(upstream.log) == 1
    message = str(failure.value)
    assert "(the API says: 'API rate limit exceeded for user ID 1.')" in message
    assert "it asks to wait 3000 s" in message or "it asks to wait 2999 s" in message
    assert "longer than MIGRATEIQ_HTTP_RETRY_AFTER_CAP (60 s), so it was not retried" in message


_HUGE = "9" * 400  # a number of seconds no float holds: float() reads it as infinity
_HUGE_INT = "1" + "0" * 400  # a JSON integer Python reads whole, and float() refuses


@pytest.mark.parametrize(
    ("status", "headers", "body"),
    [
        (429, {"Retry-After": _HUGE}, '{"error": "slow down"}'),
        (429, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": _HUGE}, '{"error": "slow down"}'),
        (429, {}, '{"ok": false, "error_code": 429, "parameters": {"retry_after": ' + _HUGE_INT + "}}"),
        (429, {}, '{"ok": false, "error_code": 429, "parameters": {"retry_after": 1e400}}'),
        (429, {}, '{"errcode": "M_LIMIT_EXCEEDED", "error": "x", "retry_after_ms": ' + _HUGE_INT + "}"),
        (
            200,
            {},
            '{"errors": [{"message": "budget", "extensions": {"code": "COMPLEXITY_BUDGET_EXHAUSTED", '
            '"retry_in_seconds": 1e400}}]}',
        ),
    ],
    ids=["retry-after", "window-reset", "telegram-integer", "telegram-1e400", "matrix", "monday"],
)
def test_a_wait_too_long_for_a_float_fails_the_request_naming_a_year_instead_of_a_500(
    upstream, make_client, settings, status, headers, body
):
    """An upstream's wait past what a float holds was an infinity (``math.ceil``: OverflowError) or an
    OverflowError of its own (``float()`` of a 400-digit integer): the connection test and the preview
    were a 500, a sync "Internal error (OverflowError)". It is read as the longest wait, a year."""
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 60
    upstream.expect_request("/limited").respond_with_data(
        body, status=status, headers=headers, content_type="application/json"
    )
    client = make_client()
    with pytest.raises(UpstreamError) as failure:
        client.get(_url(upstream, "/limited"))

    assert len(upstream.log) == 1 and client.waits == []
    assert failure.value.retry_after == 366 * 24 * 3600
    message = str(failure.value)
    assert "it asks to wait 31622400 s, longer than MIGRATEIQ_HTTP_RETRY_AFTER_CAP (60 s)" in message


def test_a_wait_named_as_nan_falls_back_to_backoff(upstream, make_client, settings):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 60
    upstream.expect_ordered_request("/limited").respond_with_data(
        '{"ok": false, "error_code": 429, "parameters": {"retry_after": NaN}}', status=429
    )
    upstream.expect_ordered_request("/limited").respond_with_json({"ok": True})
    client = make_client()

    assert client.get(_url(upstream, "/limited")).json() == {"ok": True}
    assert len(client.waits) == 1 and 0 <= client.waits[0] < 60


@pytest.mark.parametrize(
    ("status", "code"), [(400, "\u00b2"), (200, "7" * 5000)], ids=["superscript", "long"]
)
def test_a_meta_error_code_int_cannot_read_is_no_rate_limit_and_no_500(upstream, make_client, status, code):
    """``"²".isdigit()`` is true and ``int("²")`` a ValueError; so is int() of 5,000 digits (a 200's
    body is read whole, an error's only its first KiB)."""
    body = json.dumps({"error": {"message": "nope", "code": code, "fbtrace_id": "A"}})
    upstream.expect_request("/graph").respond_with_data(body, status=status, content_type="application/json")
    client = make_client()
    if status == 200:
        assert client.get(_url(upstream, "/graph")).status_code == 200
        return
    with pytest.raises(UpstreamError) as failure:
        client.get(_url(upstream, "/graph"))
    assert str(failure.value).startswith(f"HTTP 400 from {_url(upstream, '/graph')} (the API says: 'nope")
    assert "rate limit" not in str(failure.value)


def test_a_long_retry_after_on_an_answer_that_is_never_retried_says_nothing_of_it(upstream, make_client):
    upstream.expect_request("/bad").respond_with_data("", status=400, headers={"Retry-After": "3600"})
    with pytest.raises(UpstreamError) as failure:
        make_client().get(_url(upstream, "/bad"))
    assert str(failure.value) == f"HTTP 400 from {_url(upstream, '/bad')} after 1 attempt"


def test_retry_after_as_an_http_date_is_honoured(upstream, make_client, settings):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 60
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    upstream.expect_ordered_request("/limited").respond_with_data(
        "", status=503, headers={"Retry-After": when}
    )
    upstream.expect_ordered_request("/limited").respond_with_json({"ok": True})
    client = make_client()
    client.get(_url(upstream, "/limited"))
    assert 27 <= client.waits[0] <= 30


def test_retry_after_in_decimal_seconds_is_honoured(upstream, make_client, settings):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 60
    upstream.expect_ordered_request("/limited").respond_with_data(
        "", status=429, headers={"Retry-After": "1.5"}
    )
    upstream.expect_ordered_request("/limited").respond_with_data(
        "", status=503, headers={"Retry-After": "50.25"}
    )
    upstream.expect_ordered_request("/limited").respond_with_json({"ok": True})
    client = make_client()
    client.get(_url(upstream, "/limited"))
    assert client.waits == [1.5, 50.25]


def test_retry_after_that_is_neither_seconds_nor_a_date_falls_back_to_backoff(
    upstream, make_client, settings
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 60
    upstream.expect_ordered_request("/limited").respond_with_data(
        "", status=429, headers={"Retry-After": "1.5.2"}
    )
    upstream.expect_ordered_request("/limited").respond_with_json({"ok": True})
    client = make_client()
    client.get(_url(upstream, "/limited"))
    assert client.waits[0] != 1.5 and client.waits[0] < 60


def test_500_forever_gives_up_after_five_attempts_with_a_safe_message(upstream, make_client):
    # The body echoes the key back: what the API says is shown, the key is not.
    upstream.expect_request("/users").respond_with_data(
        "Backend down\n(request api_key=sup3r-secret)", status=500
    )
    client = make_client()
    with pytest.raises(UpstreamError) as failure:
        client.get(_url(upstream, "/users"), params={"api_key": "sup3r-secret", "page": "1"})
    error = failure.value
    assert error.status_code == 500
    assert error.attempts == 5
    assert str(error) == (
        f"HTTP 500 from {_url(upstream, '/users')}?api_key=[REDACTED]&page=1 (the API says: 'Backend down') "
        "after 5 attempts"
    )
    assert error.url == f"{_url(upstream, '/users')}?api_key=[REDACTED]&page=1"
    assert "sup3r-secret" not in str(error)
    assert len(client.waits) == 4
    assert len(upstream.log) == 5


def test_max_attempts_setting_bounds_the_retries(upstream, make_client, settings):
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 2
    upstream.expect_request("/down").respond_with_data("", status=502)
    with pytest.raises(UpstreamError, match="after 2 attempts"):
        make_client().get(_url(upstream, "/down"))
    assert len(upstream.log) == 2


def test_a_4xx_is_not_retried(upstream, make_client):
    upstream.expect_request("/missing").respond_with_data("nope", status=404)
    client = make_client()
    with pytest.raises(UpstreamError) as failure:
        client.get(_url(upstream, "/missing"))
    assert failure.value.status_code == 404
    assert failure.value.attempts == 1
    assert (
        str(failure.value)
        == f"HTTP 404 from {_url(upstream, '/missing')} (the API says: 'nope') after 1 attempt"
    )
    assert client.waits == []


def test_a_refused_connection_is_retried_then_reported(raw_upstream, make_client):
    server = raw_upstream(lambda sock, srv: None)
    server.close()
    client = make_client(max_attempts=3)
    with pytest.raises(UpstreamError) as failure:
        client.get(_url(server, "/gone"))
    assert str(failure.value) == f"Could not connect to {_url(server, '/gone')} after 3 attempts"
    assert failure.value.status_code is None
    assert len(client.waits) == 2


# -- deadlines --------------------------------------------------------------------------------------


def _stall(sock, server):
    server.read_request_head(sock)
    server.stopping.wait(10)


def _drip_body(sock, server):
    server.read_request_head(sock)
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
    while not server.stopping.wait(0.5):
        sock.sendall(b"x")


def _drip_headers(sock, server):
    server.read_request_head(sock)
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100:
        if server.stopping.wait(0.5):
            return
        sock.sendall(bytes([byte]))


@pytest.mark.parametrize("handler", [_stall, _drip_body, _drip_headers], ids=["silent", "body", "headers"])
def test_a_stalled_upstream_is_aborted_at_the_total_deadline(handler, raw_upstream, make_client, settings):
    settings.MIGRATEIQ_HTTP_TIMEOUT = 1.0
    server = raw_upstream(handler)
    client = make_client(max_attempts=1)
    started = time.monotonic()
    with pytest.raises(UpstreamError, match=r"Timed out after 1 s waiting for .* after 1 attempt"):
        client.get(_url(server, "/slow"))
    elapsed = time.monotonic() - started
    # A read timeout alone would never fire on the drips: bytes arrive every 0.5 s.
    assert 0.95 <= elapsed < 1.4


def test_each_retry_of_a_stalled_upstream_has_its_own_deadline(raw_upstream, make_client):
    server = raw_upstream(_drip_body)
    client = make_client(timeout=0.4, max_attempts=2)
    started = time.monotonic()
    with pytest.raises(UpstreamError, match="after 2 attempts"):
        client.get(_url(server, "/slow"))
    assert time.monotonic() - started < 1.3
    assert server.connections == 2


@pytest.mark.parametrize("handler", [_stall, _drip_body], ids=["silent", "body"])
def test_an_answer_abandoned_while_awaited_stops_at_once_without_another_attempt(
    handler, raw_upstream, make_client
):
    server = raw_upstream(handler)
    client = make_client(timeout=5, max_attempts=3)
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    with core.http.abandoned_when(cancel, answers=True):
        with pytest.raises(UpstreamError, match="Given up .* while waiting for the answer of") as given_up:
            client.get(_url(server, "/slow"))
    assert time.monotonic() - started < 0.3 + core.http.ABANDON_POLL_SECONDS + 0.3
    assert given_up.value.attempts == 1
    assert server.connections == 1


def test_without_answers_an_abandoned_request_lets_its_attempt_end_but_sends_no_other(
    raw_upstream, make_client
):
    server = raw_upstream(_stall)
    client = make_client(timeout=1, max_attempts=3)
    ended = threading.Event()
    threading.Timer(0.3, ended.set).start()
    started = time.monotonic()
    with core.http.abandoned_when(ended), core.http.abandoned_when(threading.Event(), answers=True):
        with pytest.raises(UpstreamError, match="given up"):
            client.get(_url(server, "/slow"))
    assert 0.95 <= time.monotonic() - started < 1.5  # the attempt's own timeout, not a second one
    assert server.connections == 1


# -- size caps --------------------------------------------------------------------------------------


def test_a_body_over_the_cap_raises_response_too_large(upstream, make_client):
    upstream.expect_request("/big").respond_with_data(b"x" * (64 * 1024 + 1))
    upstream.expect_request("/fits").respond_with_data(b"x" * (64 * 1024))
    client = make_client(max_bytes=64 * 1024)
    with pytest.raises(ResponseTooLarge) as too_large:
        client.get(_url(upstream, "/big"))
    assert "larger than the 64 KiB limit" in str(too_large.value)
    assert too_large.value.attempts == 1
    assert len(client.get(_url(upstream, "/fits")).content) == 64 * 1024


def test_a_declared_huge_content_length_is_refused_before_reading(raw_upstream, make_client):
    def huge(sock, server):
        server.read_request_head(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n" + b"x" * 1024)
        server.stopping.wait(10)

    server = raw_upstream(huge)
    started = time.monotonic()
    with pytest.raises(ResponseTooLarge, match="10 MiB"):
        make_client(timeout=5).get(_url(server, "/huge"))
    assert time.monotonic() - started < 1


def test_an_endless_chunked_body_stops_at_the_cap(raw_upstream, make_client):
    def endless(sock, server):
        server.read_request_head(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (16384, b"y" * 16384)
        while not server.stopping.is_set():
            sock.sendall(chunk)

    server = raw_upstream(endless)
    with pytest.raises(ResponseTooLarge):
        make_client(max_bytes=MiB).get(_url(server, "/stream"))


def _gzip_bomb(decoded_size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = b"\0" * MiB
    parts = [compressor.compress(block) for _ in range(decoded_size // MiB)]
    return b"".join(parts) + compressor.flush()


@pytest.fixture(scope="module")
def bomb():
    return _gzip_bomb(64 * MiB)  # ~64 KiB on the wire: one network read inflates to 64 MiB


def test_a_gzip_bomb_stops_at_the_decoded_cap_without_inflating_in_memory(upstream, make_client, bomb):
    upstream.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    client = make_client(max_bytes=MiB)
    gc.collect()
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLarge):
            client.get(_url(upstream, "/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The cap plus bounded decompression steps (about 1.4 MiB measured alone), far from the 64 MiB a
    # one-shot decoder allocates; the margin absorbs allocations of other threads (the local servers).
    assert peak < 16 * MiB


def test_a_gzip_bomb_behind_a_redirect_stops_at_the_cap(upstream, make_client, bomb):
    upstream.expect_request("/start").respond_with_data("", status=302, headers={"Location": "/bomb"})
    upstream.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(ResponseTooLarge):
        make_client(max_bytes=MiB).get(_url(upstream, "/start"))


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send it
        ("gzip, gzip", lambda data: gzip.compress(gzip.compress(data))),
    ],
)
def test_compressed_bodies_are_decoded(encoding, encode, upstream, make_client):
    payload = b'{"items": [' + b",".join(b'{"id": %d}' % i for i in range(5000)) + b"]}"
    upstream.expect_request("/z").respond_with_data(encode(payload), headers={"Content-Encoding": encoding})
    response = make_client().get(_url(upstream, "/z"))
    assert response.content == payload
    assert len(response.json()["items"]) == 5000


def test_an_unsupported_content_encoding_is_a_clear_error(upstream, make_client):
    upstream.expect_request("/br").respond_with_data(b"\x1b\x00", headers={"Content-Encoding": "br"})
    with pytest.raises(UpstreamError, match=r"unsupported Content-Encoding \(br\)"):
        make_client().get(_url(upstream, "/br"))


def test_a_truncated_body_is_retried_then_reported(raw_upstream, make_client):
    def truncated(sock, server):
        server.read_request_head(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b'{"id": 1, "na')
        sock.shutdown(socket.SHUT_WR)

    server = raw_upstream(truncated)
    client = make_client(max_attempts=2)
    with pytest.raises(UpstreamError, match="broke off after 2 attempts"):
        client.get(_url(server, "/cut"))
    assert server.connections == 2


def test_a_truncated_gzip_stream_is_reported(upstream, make_client):
    cut = gzip.compress(b"x" * 100_000)[:-20]
    upstream.expect_request("/cutgz").respond_with_data(cut, headers={"Content-Encoding": "gzip"})
    with pytest.raises(UpstreamError, match="was truncated"):
        make_client(max_attempts=1).get(_url(upstream, "/cutgz"))


def test_a_gzip_stream_cut_inside_its_header_is_reported(upstream, make_client):
    upstream.expect_request("/cutgz").respond_with_data(b"\x1f\x8b\x08", headers={"Content-Encoding": "gzip"})
    with pytest.raises(UpstreamError, match="was truncated"):
        make_client(max_attempts=1).get(_url(upstream, "/cutgz"))


def test_a_head_request_does_not_read_or_cap_the_declared_body(raw_upstream, make_client):
    def head(sock, server):
        server.read_request_head(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n")

    server = raw_upstream(head)
    response = make_client().request("HEAD", _url(server, "/big"))
    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["content-length"] == "1073741824"


def test_corrupt_gzip_is_reported_without_retrying(upstream, make_client):
    upstream.expect_request("/junk").respond_with_data(
        b"not gzip at all", headers={"Content-Encoding": "gzip"}
    )
    client = make_client()
    with pytest.raises(UpstreamError, match="is corrupt after 1 attempt"):
        client.get(_url(upstream, "/junk"))
    assert client.waits == []


# -- redirects --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_within_the_allowed_origin_is_followed_with_credentials(status, upstream, make_client):
    upstream.expect_request("/old").respond_with_data("", status=status, headers={"Location": "/new?x=1"})
    upstream.expect_request("/new", headers={"Authorization": "Bearer t"}).respond_with_json({"moved": True})
    response = make_client().get(_url(upstream, "/old"), headers={"Authorization": "Bearer t"})
    assert response.json() == {"moved": True}
    assert response.url == _url(upstream, "/new?x=1")


def test_303_after_post_switches_to_get(upstream, make_client):
    upstream.expect_request("/submit", method="POST").respond_with_data(
        "", status=303, headers={"Location": "/r"}
    )
    upstream.expect_request("/r", method="GET").respond_with_json({"done": True})
    assert make_client().request("POST", _url(upstream, "/submit")).json() == {"done": True}


@pytest.mark.parametrize("status", [302, 307, 308])
def test_a_redirect_into_the_canary_is_blocked(status, upstream, canary, make_client, connect_spy):
    targets = [
        f"http://127.0.0.1:{canary.port}/admin",
        f"http://0x7f.1:{canary.port}/",
        f"http://[::ffff:127.0.0.1]:{canary.port}/",
        f"http://169.254.169.254:{canary.port}/latest/meta-data/",
        "file:///etc/passwd",
        f"gopher://127.0.0.1:{canary.port}/_x",
    ]
    client = make_client()
    for target in targets:
        upstream.clear()
        upstream.expect_request("/go").respond_with_data("", status=status, headers={"Location": target})
        with pytest.raises(EgressDenied):
            client.get(_url(upstream, "/go"))
    assert canary.connections == 0
    assert {sockaddr for sockaddr in connect_spy.connected} == {("127.0.0.1", upstream.port)}


def test_a_cross_origin_redirect_drops_credentials(upstream, second_upstream, make_client):
    upstream.expect_request("/start").respond_with_data(
        "",
        status=302,
        headers={"Location": f"{_url(second_upstream, '/landing')}?api_key=leaked&page=2&access_token=t"},
    )
    second_upstream.expect_request("/landing").respond_with_json({"ok": True})
    response = make_client().get(
        _url(upstream, "/start"),
        params={"api_key": "s3cret"},
        headers={"Authorization": "Bearer s3cret", "X-API-Key": "s3cret", "Accept": "application/json"},
        auth=None,
    )
    assert response.json() == {"ok": True}
    ((request, _),) = second_upstream.log
    assert "Authorization" not in request.headers
    assert "X-API-Key" not in request.headers
    assert request.headers["Accept"] == "application/json"
    assert request.args.to_dict() == {"page": "2"}
    assert "s3cret" not in str(request.headers) and "s3cret" not in request.url


def test_a_cookie_an_upstream_sets_is_never_sent_again_here_or_to_another_origin(
    upstream, second_upstream, make_client
):
    # cookies ignore ports (RFC 6265): a jar would hand 127.0.0.1:A's session to 127.0.0.1:B
    upstream.expect_request("/login").respond_with_data(
        "",
        status=302,
        headers={
            "Location": _url(second_upstream, "/landing"),
            "Set-Cookie": "session=upstream-s3cret; Path=/",
        },
    )
    second_upstream.expect_request("/landing").respond_with_json({"ok": True})
    upstream.expect_request("/next").respond_with_json({"ok": True})
    client = make_client()

    client.get(_url(upstream, "/login"))
    client.get(_url(upstream, "/next"))

    ((landing, _),) = second_upstream.log
    assert "Cookie" not in landing.headers
    assert "Cookie" not in upstream.log[-1][0].headers


def test_a_cross_origin_redirect_drops_basic_auth(upstream, second_upstream, make_client):
    upstream.expect_request("/start").respond_with_data(
        "", status=307, headers={"Location": _url(second_upstream, "/x")}
    )
    second_upstream.expect_request("/x").respond_with_data("ok")
    make_client().get(_url(upstream, "/start"), auth=("user", "pw"))
    ((request, _),) = second_upstream.log
    assert "Authorization" not in request.headers


def _redirect_chain(upstream, hops: int):
    for hop in range(hops):
        upstream.expect_request(f"/hop{hop}").respond_with_data(
            "", status=302, headers={"Location": f"/hop{hop + 1}"}
        )
    upstream.expect_request(f"/hop{hops}").respond_with_json({"hops": hops})


def test_three_redirect_hops_are_followed(upstream, make_client):
    _redirect_chain(upstream, 3)
    assert make_client().get(_url(upstream, "/hop0")).json() == {"hops": 3}


def test_a_six_hop_redirect_chain_is_an_error(upstream, make_client):
    _redirect_chain(upstream, 6)
    client = make_client()
    with pytest.raises(UpstreamError) as failure:
        client.get(_url(upstream, "/hop0"))
    assert str(failure.value) == f"Too many redirects (more than 3) starting at {_url(upstream, '/hop0')}"
    assert len(upstream.log) == 4  # the first request and three hops, never the fifth
    assert client.waits == []


def test_a_redirect_without_a_location_is_returned_as_an_error(upstream, make_client):
    upstream.expect_request("/odd").respond_with_data("", status=302)
    with pytest.raises(UpstreamError, match="HTTP 302"):
        make_client().get(_url(upstream, "/odd"))


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_client_told_not_to_follow_redirects_fails_once_naming_where_it_pointed(
    status, upstream, make_client
):
    upstream.expect_request("/hook", method="POST").respond_with_data(
        "", status=status, headers={"Location": "/hook/"}
    )
    upstream.expect_request("/hook/").respond_with_json({"ok": True})
    client = make_client(follow_redirects=False, max_attempts=3)
    with pytest.raises(UpstreamError) as failure:
        client.request("POST", _url(upstream, "/hook"), content=b"{}")
    assert str(failure.value) == (
        f"HTTP {status} from {_url(upstream, '/hook')} redirects to {_url(upstream, '/hook/')} (not followed)"
    )
    assert failure.value.status_code == status
    assert [request.path for request, _ in upstream.log] == ["/hook"]  # no retry, no hop
    assert client.waits == []


# -- DNS rebinding through the client ---------------------------------------------------------------


def _serve_keep_alive(sock, server):
    while True:
        head = server.read_request_head(sock)
        if not head:
            return
        sock.sendall(http_response(200, b'{"ok": true}'))


def test_the_client_connects_to_the_address_it_checked_and_resolves_once(
    raw_upstream, canary, resolver, connect_spy, make_client
):
    """First lookup public (the test reroutes that connect to a local upstream), second loopback."""
    server = raw_upstream(_serve_keep_alive)
    resolver.rotate("rebind.example", ["93.184.216.34"], ["127.0.0.1"])
    connect_spy.reroute["93.184.216.34"] = ("127.0.0.1", server.port)
    url = f"http://rebind.example:{canary.port}/data"

    first = make_client()
    assert first.get(url).json() == {"ok": True}
    assert first.get(url).json() == {"ok": True}  # same pinned connection, no new lookup
    assert resolver.calls.count("rebind.example") == 1
    assert connect_spy.connected == [("93.184.216.34", canary.port)]
    assert server.connections == 1

    with pytest.raises(EgressDenied):
        make_client().get(url)  # a new connection resolves again: now loopback, denied before connect
    assert resolver.calls.count("rebind.example") == 2
    assert connect_spy.connected == [("93.184.216.34", canary.port)]
    assert canary.connections == 0


def test_a_mixed_dns_answer_is_denied_before_connecting(canary, resolver, connect_spy, make_client):
    resolver.answers["mixed.example"] = ["93.184.216.34", "127.0.0.1"]
    with pytest.raises(EgressDenied):
        make_client().get(f"http://mixed.example:{canary.port}/")
    assert connect_spy.connected == []
    assert canary.connections == 0


def test_proxy_environment_variables_are_ignored(upstream, canary, make_client, monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy"):
        monkeypatch.setenv(name, canary.base_url)
    upstream.expect_request("/direct").respond_with_json({"direct": True})
    assert make_client().get(_url(upstream, "/direct")).json() == {"direct": True}
    assert canary.connections == 0


# -- observability hook -----------------------------------------------------------------------------


def test_the_request_observer_sees_every_exchange(upstream, make_client, monkeypatch):
    seen = []
    monkeypatch.setattr(core.http, "request_observer", lambda status, seconds: seen.append((status, seconds)))
    upstream.expect_ordered_request("/obs").respond_with_data("", status=503)
    upstream.expect_ordered_request("/obs").respond_with_data("", status=302, headers={"Location": "/obs2"})
    upstream.expect_ordered_request("/obs2").respond_with_json({})
    make_client().get(_url(upstream, "/obs"))
    assert [status for status, _ in seen] == [503, 302, 200]
    assert all(seconds >= 0 for _, seconds in seen)


def test_a_failed_exchange_is_observed_with_no_status(raw_upstream, make_client, monkeypatch):
    seen = []
    monkeypatch.setattr(core.http, "request_observer", lambda status, seconds: seen.append(status))
    server = raw_upstream(_stall)
    with pytest.raises(UpstreamError):
        make_client(timeout=0.2, max_attempts=1).get(_url(server, "/"))
    assert seen == [None]


def test_a_broken_observer_never_breaks_a_request(upstream, make_client, monkeypatch):
    def broken(status, seconds):
        raise RuntimeError("metrics backend down")

    monkeypatch.setattr(core.http, "request_observer", broken)
    upstream.expect_request("/ok").respond_with_json({"ok": 1})
    assert make_client().get(_url(upstream, "/ok")).json() == {"ok": 1}


# -- construction -----------------------------------------------------------------------------------


def test_the_client_reads_its_budgets_from_settings(settings):
    settings.MIGRATEIQ_HTTP_TIMEOUT = 7
    settings.MIGRATEIQ_HTTP_CONNECT_TIMEOUT = 2
    settings.MIGRATEIQ_HTTP_MAX_RESPONSE_BYTES = 1234
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 3
    with OutboundClient() as client:
        assert (client.timeout, client.connect_timeout, client.max_bytes, client.max_attempts) == (
            7,
            2,
            1234,
            3,
        )
    with OutboundClient(1, 0.5, 10, 1) as client:
        assert (client.timeout, client.connect_timeout, client.max_bytes, client.max_attempts) == (
            1,
            0.5,
            10,
            1,
        )


def test_werkzeug_upstream_helper_is_a_real_server(upstream, make_client):
    # Sanity check of the fixture itself: responses come from a socket, not from a mock of the client.
    upstream.expect_request("/raw").respond_with_response(Response(b"raw", status=201))
    response = make_client().get(_url(upstream, "/raw"))
    assert (response.status_code, response.content) == (201, b"raw")


# -- TLS through the pinned connection --------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A self-signed certificate for ``upstream.test`` (the client trusts exactly this certificate)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "upstream.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("upstream.test")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (directory / "cert.pem").write_bytes(cert_pem)
    (directory / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return directory / "cert.pem", directory / "key.pem", cert_pem.decode()


@pytest.fixture
def tls_upstream(tls_files, raw_upstream, monkeypatch):
    cert_file, key_file, cert_pem = tls_files
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    server_names = []
    server_context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    client_context = ssl.create_default_context(cadata=cert_pem)
    monkeypatch.setattr(core.egress, "default_ssl_context", lambda: client_context)

    def serve_tls(sock, server):
        try:
            tls = server_context.wrap_socket(sock, server_side=True)
        except ssl.SSLError:
            return
        server.read_request_head(tls)
        tls.sendall(http_response(200, b'{"tls": true}'))

    server = raw_upstream(serve_tls)
    server.server_names = server_names
    return server


def test_https_connects_to_the_pinned_address_but_verifies_the_host_name(
    tls_upstream, resolver, connect_spy, make_client
):
    resolver.answers["upstream.test"] = ["127.0.0.1"]
    response = make_client().get(f"https://upstream.test:{tls_upstream.port}/secure")
    assert response.json() == {"tls": True}
    assert tls_upstream.server_names == ["upstream.test"]  # SNI carries the name, not the IP
    assert connect_spy.connected == [("127.0.0.1", tls_upstream.port)]


def test_https_to_a_name_the_certificate_does_not_cover_fails(tls_upstream, resolver, make_client):
    resolver.answers["impostor.test"] = ["127.0.0.1"]
    with pytest.raises(UpstreamError, match="Could not connect to https://impostor.test"):
        make_client(max_attempts=1).get(f"https://impostor.test:{tls_upstream.port}/")
    assert len(tls_upstream.requests) == 0


@pytest.fixture
def full_backlog(settings):
    """A listener on 127.0.0.1 that never accepts, with its accept queue already full: connects hang."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.05)
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [f"127.0.0.1:{port}"]
    yield port
    for sock in [*fillers, listener]:
        sock.close()


def test_a_connect_that_hangs_is_bounded_by_the_connect_timeout(full_backlog, make_client):
    client = make_client(timeout=5, connect_timeout=0.3, max_attempts=1)
    started = time.monotonic()
    with pytest.raises(UpstreamError, match=r"Timed out after 0\.3 s connecting to http://127\.0\.0\.1"):
        client.get(f"http://127.0.0.1:{full_backlog}/")
    assert time.monotonic() - started < 1.5


def test_content_is_sent_byte_for_byte_with_the_callers_content_type(upstream, make_client):
    body = b'{"b": 1,  "a": "\xc3\xa9"}'  # not what json= would write (spaces, key order, UTF-8)
    upstream.expect_request(
        "/raw", method="POST", data=body, headers={"Content-Type": "application/vnd.migrateiq+json"}
    ).respond_with_json({"ok": True})
    response = make_client().request(
        "POST",
        _url(upstream, "/raw"),
        content=body,
        headers={"Content-Type": "application/vnd.migrateiq+json"},
    )
    assert response.json() == {"ok": True}
    ((request, _),) = upstream.log
    assert request.get_data() == body
    assert request.headers.getlist("Content-Type") == ["application/vnd.migrateiq+json"]


# -- what an error answer says, and rate limits answered with 403 ----------------------------------


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        # https://docs.stripe.com/api/errors
        (
            401,
            {
                "error": {
                    "message": "Invalid API Key provided: sk_test_****1234",
                    "type": "invalid_request_error",
                }
            },
            "Invalid API Key provided: sk_test_****1234 (invalid_request_error)",
        ),
        # https://learn.microsoft.com/en-us/graph/errors
        (
            401,
            {"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty."}},
            "Access token is empty. (InvalidAuthenticationToken)",
        ),
        # https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm
        (
            401,
            [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
            "Session expired or invalid (INVALID_SESSION_ID)",
        ),
        # https://jsonapi.org/format/#error-objects
        (
            422,
            {"errors": [{"status": "422", "title": "Invalid Attribute", "detail": "First name too short."}]},
            "First name too short.",
        ),
        # RFC 6749 section 5.2
        (
            400,
            {"error": "invalid_grant", "error_description": "The refresh token expired."},
            "The refresh token expired. (invalid_grant)",
        ),
        (
            403,
            {"message": "Resource not accessible by integration"},
            "Resource not accessible by integration",
        ),
    ],
)
def test_an_error_answer_s_explanation_is_in_the_message(upstream, make_client, status, body, said):
    upstream.expect_request("/v1/items").respond_with_json(body, status=status)
    with pytest.raises(UpstreamError) as failure:
        make_client().get(_url(upstream, "/v1/items"))
    assert (
        str(failure.value)
        == f"HTTP {status} from {_url(upstream, '/v1/items')} (the API says: {said!r}) after 1 attempt"
    )


def test_an_html_error_page_or_an_empty_body_adds_nothing(upstream, make_client):
    upstream.expect_request("/html").respond_with_data(
        "<html><body><h1>502 Bad Gateway</h1></body></html>", status=404, content_type="text/html"
    )
    upstream.expect_request("/empty").respond_with_data("", status=404)
    for path in ("/html", "/empty"):
        with pytest.raises(UpstreamError) as failure:
            make_client().get(_url(upstream, path))
        assert str(failure.value) == f"HTTP 404 from {_url(upstream, path)} after 1 attempt"


def test_a_long_or_compressed_error_body_gives_one_short_line(upstream, make_client):
    upstream.expect_request("/gz-short").respond_with_data(
        gzip.compress(json.dumps({"message": "Quota exceeded"}).encode()),
        status=400,
        headers={"Content-Encoding": "gzip"},
        content_type="application/json",
    )
    with pytest.raises(UpstreamError) as failure:
        make_client().get(_url(upstream, "/gz-short"))
    assert "(the API says: 'Quota exceeded')" in str(failure.value)
    text = "x" * 10_000
    upstream.expect_request("/gz").respond_with_data(
        gzip.compress(json.dumps({"message": text}).encode()),
        status=400,
        headers={"Content-Encoding": "gzip"},
        content_type="application/json",
    )
    with pytest.raises(UpstreamError) as failure:
        make_client().get(_url(upstream, "/gz"))
    message = str(failure.value)
    # a body cut at 4 KiB is not JSON any more: nothing is made up from half a document
    assert message == f"HTTP 400 from {_url(upstream, '/gz')} after 1 attempt"
    upstream.expect_request("/long").respond_with_json({"message": "y" * 1000}, status=400)
    with pytest.raises(UpstreamError) as failure:
        make_client().get(_url(upstream, "/long"))
    assert f"(the API says: '{'y' * 199}…')" in str(failure.value)


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "1"},  # GitHub's secondary rate limit
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "EPOCH+1"},  # GitHub's primary rate limit
    ],
    ids=["retry-after", "x-ratelimit-reset"],
)
def test_a_403_rate_limit_is_retried_after_the_time_it_names(upstream, make_client, settings, headers):
    # https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 60
    headers = {k: str(int(time.time()) + 2) if v == "EPOCH+1" else v for k, v in headers.items()}
    upstream.expect_ordered_request("/repos").respond_with_json(
        {"message": "API rate limit exceeded for user ID 1."}, status=403, headers=headers
    )
    upstream.expect_ordered_request("/repos").respond_with_json([{"id": 1}])
    client = make_client()
    assert client.get(_url(upstream, "/repos")).json() == [{"id": 1}]
    assert len(client.waits) == 1 and 0 < client.waits[0] <= 2
    assert "HTTP 403" in client.retry_messages[0] and "API rate limit exceeded" in client.retry_messages[0]


@pytest.mark.parametrize(
    ("prefix", "body"),
    [
        # https://developer.okta.com/docs/reference/rl-best-practices/: X-Rate-Limit-Reset in epoch seconds
        (
            "X-Rate-Limit-",
            {
                "errorCode": "E0000047",
                "errorSummary": "API call exceeded rate limit due to too many requests.",
            },
        ),
        # Aircall: a prefix of its own, X-AircallApi-Limit / -Remaining / -Reset (epoch seconds)
        ("X-AircallApi-", {"error": "Too many requests", "troubleshoot": "Wait for the rate limit reset."}),
    ],
    ids=["okta", "a-vendor-s-own-prefix"],
)
def test_a_429_waits_for_its_exhausted_window_s_reset_in_epoch_seconds(
    upstream, make_client, settings, prefix, body
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 60
    reset = str(int(time.time()) + 3)
    upstream.expect_ordered_request("/api/v1/users").respond_with_json(
        body,
        status=429,
        headers={f"{prefix}Limit": "600", f"{prefix}Remaining": "0", f"{prefix}Reset": reset},
    )
    upstream.expect_ordered_request("/api/v1/users").respond_with_json([{"id": "00u1"}])
    client = make_client()
    assert client.get(_url(upstream, "/api/v1/users")).json() == [{"id": "00u1"}]
    # until the reset second: 2 to 3 s after it was set, less whatever a busy machine took to answer
    assert len(client.waits) == 1 and 0.5 < client.waits[0] <= 3


def test_a_ratelimit_reset_given_as_an_http_date_is_waited_for(upstream, make_client, settings):
    # GoCardless: RateLimit-Reset is the time the window resets as an HTTP date, without Retry-After
    # (https://developer.gocardless.com/api-reference/#api-usage-rate-limiting)
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 60
    reset = email.utils.formatdate(int(time.time()) + 3, usegmt=True)
    upstream.expect_ordered_request("/customers").respond_with_json(
        {"error": {"code": 429, "type": "invalid_api_usage", "message": "Too many requests"}},
        status=429,
        headers={"RateLimit-Limit": "1000", "RateLimit-Remaining": "0", "RateLimit-Reset": reset},
    )
    upstream.expect_ordered_request("/customers").respond_with_json({"customers": []})
    client = make_client()
    assert client.get(_url(upstream, "/customers")).json() == {"customers": []}
    # until the reset second: 2 to 3 s after it was set, less whatever a busy machine took to answer
    assert len(client.waits) == 1 and 0.5 < client.waits[0] <= 3


SHOPIFY_THROTTLED = {
    # https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits (answered with HTTP 200)
    "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
    "extensions": {
        "cost": {
            "requestedQueryCost": 752,
            "actualQueryCost": None,
            "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 666, "restoreRate": 50.0},
        }
    },
}


def test_a_graphql_throttle_answered_with_http_200_is_retried_after_its_query_cost_is_restored(
    upstream, make_client, settings
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 60
    upstream.expect_ordered_request("/graphql.json", method="POST").respond_with_json(SHOPIFY_THROTTLED)
    upstream.expect_ordered_request("/graphql.json", method="POST").respond_with_json({"data": {"shop": {}}})
    client = make_client()
    answer = client.post(_url(upstream, "/graphql.json"), json={"query": "{ shop { name } }"})
    assert answer.json() == {"data": {"shop": {}}}
    assert client.waits == [pytest.approx((752 - 666) / 50.0)]
    assert "HTTP 200" in client.retry_messages[0] and "reports a rate limit" in client.retry_messages[0]
    assert "(the API says: 'Throttled')" in client.retry_messages[0]


@pytest.mark.parametrize("status", [200, 403])
def test_a_github_graphql_rate_limit_waits_for_its_reset_whatever_the_status(
    upstream, make_client, settings, status
):
    # https://docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 60
    upstream.expect_ordered_request("/graphql", method="POST").respond_with_json(
        {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}]},
        status=status,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 2)},
    )
    upstream.expect_ordered_request("/graphql", method="POST").respond_with_json({"data": {"viewer": {}}})
    client = make_client()
    assert client.post(_url(upstream, "/graphql"), json={"query": "{ viewer { login } }"}).json() == {
        "data": {"viewer": {}}
    }
    assert len(client.waits) == 1 and 0 < client.waits[0] <= 2
    assert "API rate limit exceeded for user ID 1." in client.retry_messages[0]


def test_a_reported_rate_limit_longer_than_the_cap_fails_at_once_naming_the_wait(
    upstream, make_client, settings
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 60
    upstream.expect_request("/graphql", method="POST").respond_with_json(
        {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}]},
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 3000)},
    )
    client = make_client()
    with pytest.raises(UpstreamError) as failure:
        client.post(_url(upstream, "/graphql"), json={"query": "{ viewer { login } }"})
    message = str(failure.value)
    assert failure.value.attempts == 1 and client.waits == []
    assert "it asks to wait 3000 s" in message or "it asks to wait 2999 s" in message
    assert (
        "longer than MIGRATEIQ_HTTP_RETRY_AFTER_CAP (60 s), so it was not retried after 1 attempt. "
        in message
    )
    assert message.endswith("or raise MIGRATEIQ_HTTP_RETRY_AFTER_CAP to wait that long within a request")


def test_a_rate_limit_code_no_vendor_documents_is_no_rate_limit(upstream, make_client):
    # Not waited for: the answer goes back as it is (a sync then fails on its errors, loudly).
    body = {"data": None, "errors": [{"message": "Slow down", "extensions": {"code": "TOO_MANY_REQUESTS"}}]}
    upstream.expect_request("/graphql", method="POST").respond_with_json(body)
    client = make_client()
    assert client.post(_url(upstream, "/graphql"), json={"query": "{ viewer { id } }"}).json() == body
    assert client.waits == [] and client.retry_messages == []


@pytest.mark.parametrize("window", ["Requests", "Complexity", "Endpoint-Requests"])
def test_a_linear_rate_limit_answered_with_http_400_waits_for_its_reset_in_epoch_milliseconds(
    upstream, make_client, settings, window
):
    # https://linear.app/developers/rate-limiting: HTTP 400, extensions.code RATELIMITED, and the
    # exhausted window's X-RateLimit-<window>-Reset in UTC epoch milliseconds.
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 60
    reset = str(int((time.time() + 2) * 1000))
    upstream.expect_ordered_request("/graphql", method="POST").respond_with_json(
        {"errors": [{"message": "Rate limit exceeded.", "extensions": {"code": "RATELIMITED"}}]},
        status=400,
        headers={f"X-RateLimit-{window}-Remaining": "0", f"X-RateLimit-{window}-Reset": reset},
    )
    upstream.expect_ordered_request("/graphql", method="POST").respond_with_json({"data": {"viewer": {}}})
    client = make_client()
    answer = client.post(_url(upstream, "/graphql"), json={"query": "{ viewer { id } }"})
    assert answer.json() == {"data": {"viewer": {}}}
    assert len(client.waits) == 1 and 1 < client.waits[0] <= 2
    assert (
        "HTTP 400" in client.retry_messages[0]
        and "(the API says: 'Rate limit exceeded.')" in client.retry_messages[0]
    )


def test_a_400_that_reports_no_rate_limit_is_not_retried(upstream, make_client):
    upstream.expect_request("/graphql", method="POST").respond_with_json(
        {
            "errors": [
                {"message": "Argument first must be at most 250", "extensions": {"code": "INVALID_INPUT"}}
            ]
        },
        status=400,
    )
    client = make_client()
    with pytest.raises(UpstreamError) as failure:
        client.post(_url(upstream, "/graphql"), json={"query": "{ issues(first: 999) { nodes { id } } }"})
    assert failure.value.attempts == 1 and client.waits == []


def test_monday_s_complexity_budget_exhausted_waits_its_retry_in_seconds(upstream, make_client, settings):
    # https://developer.monday.com/api-reference/changelog/breaking-change-updated-complexity-budget-
    # exhausted-error (answered with HTTP 200: https://developer.monday.com/api-reference/docs/errors)
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 60
    error = {
        "message": "Complexity budget exhausted",
        "extensions": {"code": "COMPLEXITY_BUDGET_EXHAUSTED", "retry_in_seconds": 7},
    }
    upstream.expect_ordered_request("/v2", method="POST").respond_with_json({"errors": [error]})
    upstream.expect_ordered_request("/v2", method="POST").respond_with_json({"data": {"boards": []}})
    client = make_client()
    assert client.post(_url(upstream, "/v2"), json={"query": "{ boards { id } }"}).json() == {
        "data": {"boards": []}
    }
    assert client.waits == [7.0]
    assert (
        "HTTP 200" in client.retry_messages[0] and "'Complexity budget exhausted'" in client.retry_messages[0]
    )


def test_records_that_mention_a_throttle_are_no_rate_limit(upstream, make_client):
    # Only a GraphQL error with the code is a rate limit: a record's text that says it is not.
    body = {"data": {"events": {"nodes": [{"kind": "THROTTLED"}, {"kind": "RATE_LIMITED"}]}}}
    upstream.expect_request("/graphql", method="POST").respond_with_json(body)
    client = make_client()
    assert client.post(_url(upstream, "/graphql"), json={"query": "{ events }"}).json() == body
    assert client.waits == []


def test_a_403_without_a_rate_limit_signal_is_not_retried(upstream, make_client):
    upstream.expect_request("/private").respond_with_json(
        {"message": "Must have admin rights to Repository."},
        status=403,
        headers={"X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": str(int(time.time()) + 3600)},
    )
    client = make_client()
    with pytest.raises(UpstreamError) as failure:
        client.get(_url(upstream, "/private"))
    assert failure.value.attempts == 1 and client.waits == []
