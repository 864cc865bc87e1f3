"""The sample upstream MigrateIQ's sync tests, demo and benchmark call: a real local HTTP server."""

import base64
import json
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import httpx
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from demo_extension.sample_upstream import STYLES, SampleUpstream, UpstreamProcess, created_at_of


def fetch_all(upstream: SampleUpstream, client: httpx.Client, max_pages: int = 1000, **params) -> list[dict]:
    """Follow ``upstream``'s pagination the way a client of that style would."""
    records: list[dict] = []
    # Next URLs carry their own query: pass params=None (httpx replaces a URL's query with params).
    url, query = upstream.url, dict(params)
    for _ in range(max_pages):
        response = client.get(url, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        style = upstream.style
        if style == "none":
            return body
        if style == "page":
            records += body["data"]
            if body["page"] >= body["total_pages"]:
                return records
            query["page"] = body["page"] + 1
        elif style == "offset":
            records += body["results"]
            query["offset"] = query.get("offset", 0) + len(body["results"])
            if not body["results"] or query["offset"] >= body["count"]:
                return records
        elif style == "cursor":
            records += body["items"]
            if body["next_cursor"] is None:
                return records
            query["cursor"] = body["next_cursor"]
        elif style == "next_url":
            records += body["results"]
            if body["next"] is None:
                return records
            url, query = body["next"], None
        else:
            records += body
            if "next" not in response.links:
                return records
            url, query = response.links["next"]["url"], None
    raise AssertionError("pagination did not end")


@pytest.fixture(scope="module")
def client():
    # One client for the module: creating one (its TLS context) costs more than most tests here.
    with httpx.Client(timeout=5) as http:
        yield http


@pytest.mark.parametrize("style", STYLES)
def test_every_style_pages_through_all_records_exactly_once(style, client):
    with SampleUpstream(records=103, page_size=10, style=style) as upstream:
        records = fetch_all(upstream, client)
    assert [r["id"] for r in records] == list(range(1, 104))
    assert records == upstream.all_records()


@pytest.mark.parametrize("style", ["page", "offset", "cursor", "next_url", "link_header"])
def test_every_paginated_style_serves_one_request_per_page(style, client):
    with SampleUpstream(records=50, page_size=10, style=style) as upstream:
        fetch_all(upstream, client)
        assert len(upstream.requests) == 5


def test_clients_choose_the_page_size_up_to_the_cap(client):
    with SampleUpstream(records=30, page_size=5, max_page_size=20) as upstream:
        assert len(client.get(upstream.url, params={"per_page": 12}).json()["data"]) == 12
        assert len(client.get(upstream.url, params={"per_page": 500}).json()["data"]) == 20
        body = client.get(upstream.url, params={"page": 99}).json()
    assert body["data"] == [] and body["total"] == 30 and body["total_pages"] == 6


def test_parameter_names_and_records_key_are_configurable(client):
    options = {"page_param": "p", "per_page_param": "size", "records_key": "users"}
    with SampleUpstream(records=12, page_size=5, **options) as upstream:
        body = client.get(upstream.url, params={"p": 3, "size": 5}).json()
    assert [r["id"] for r in body["users"]] == [11, 12]


def test_page_envelope_reports_totals(client):
    with SampleUpstream(records=26, page_size=5) as upstream:
        body = client.get(upstream.url, params={"page": 2}).json()
    assert {k: body[k] for k in ("page", "per_page", "total", "total_pages")} == {
        "page": 2,
        "per_page": 5,
        "total": 26,
        "total_pages": 6,
    }


def test_records_have_the_documented_fields(client):
    with SampleUpstream(records=3) as upstream:
        record = client.get(upstream.url).json()["data"][0]
    assert set(record) == {
        "id", "name", "username", "email", "phone", "website", "created_at", "updated_at",
        "score", "active", "address", "company", "tags",
    }  # fmt: skip
    assert set(record["address"]) == {"street", "suite", "city", "zipcode", "geo"}
    assert set(record["address"]["geo"]) == {"lat", "lng"}
    assert set(record["company"]) == {"name", "catchPhrase"}
    assert isinstance(record["score"], float) and isinstance(record["active"], bool)
    assert isinstance(record["tags"], list)


def test_record_text_is_valid_compact_json():
    upstream = SampleUpstream(records=2000, version=3, seed=7)
    for i in range(1, 2001):
        text = upstream.record_json(i)
        assert text == json.dumps(json.loads(text), separators=(",", ":"))


def test_created_at_increases_with_id():
    records = SampleUpstream(records=500).all_records()
    created = [r["created_at"] for r in records]
    assert created == sorted(created) and len(set(created)) == 500
    assert all(r["updated_at"] >= r["created_at"] for r in records)


def test_same_options_serve_identical_data(client):
    with SampleUpstream(records=40, seed=3) as first, SampleUpstream(records=40, seed=3) as second:
        assert client.get(first.url).content == client.get(second.url).content
    assert SampleUpstream(records=40, seed=4).all_records() != first.all_records()


def test_a_new_version_changes_only_the_mutated_records():
    before = SampleUpstream(records=100).all_records()
    upstream = SampleUpstream(records=100, version=1)
    after = upstream.all_records()
    changed = [b["id"] for b, a in zip(before, after, strict=True) if a != b]
    assert changed == upstream.mutated_ids() == list(range(10, 101, 10))
    assert all(after[i - 1]["updated_at"] > before[-1]["created_at"] for i in changed)


def test_update_changes_the_data_of_a_running_server(client):
    with SampleUpstream(records=20, page_size=20) as upstream:
        first = client.get(upstream.url).json()["data"]
        upstream.update(version=2, records=25)
        second = client.get(upstream.url, params={"per_page": 25}).json()["data"]
    assert len(second) == 25 and second[9] != first[9] and second[0] == first[0]


def test_more_records_keep_the_existing_ones_unchanged():
    assert SampleUpstream(records=10).all_records() == SampleUpstream(records=30).all_records()[:10]


@pytest.mark.parametrize("style", STYLES)
def test_incremental_filter_returns_only_later_records(style, client):
    with SampleUpstream(records=60, page_size=7, style=style) as upstream:
        since = created_at_of(45)
        records = fetch_all(upstream, client, updated_since=since)
    assert [r["id"] for r in records] == list(range(46, 61))


def test_incremental_filter_accepts_offsets_and_fractions_and_names(client):
    with SampleUpstream(records=10, incremental_param="created_after") as upstream:

        def ids(value):
            body = client.get(upstream.url, params={"created_after": value}).json()
            return [r["id"] for r in body["data"]]

        assert ids("2024-01-01T02:00:00+02:00") == list(range(1, 11))
        assert ids("2024-01-01T00:05:30Z") == list(range(6, 11))
        assert ids("2024-01-01T00:05:00") == list(range(6, 11))
        assert ids("2030-01-01T00:00:00Z") == []
        assert client.get(upstream.url, params={"created_after": "yesterday"}).status_code == 400


def test_incremental_filter_on_updated_at_sees_mutated_records(client):
    base = SampleUpstream(records=50)
    with SampleUpstream(records=50, version=1, incremental_field="updated_at", page_size=50) as upstream:
        since = max(r["updated_at"] for r in base.all_records())
        records = client.get(upstream.url, params={"updated_since": since}).json()["data"]
    assert [r["id"] for r in records] == [10, 20, 30, 40, 50]


@pytest.mark.parametrize(
    ("auth", "good"),
    [
        ("bearer", {"headers": {"Authorization": "Bearer s3cret"}}),
        ("header", {"headers": {"X-API-Key": "s3cret"}}),
        ("query", {"params": {"api_key": "s3cret"}}),
        ("basic", {"auth": ("migrateiq", "s3cret")}),
    ],
)
def test_each_auth_style_accepts_the_key_and_refuses_others(auth, good, client):
    with SampleUpstream(records=5, api_key="s3cret", auth=auth) as upstream:
        assert client.get(upstream.url, **good).status_code == 200
        refused = client.get(upstream.url)
        wrong = client.get(
            upstream.url,
            headers={"Authorization": "Bearer nope", "X-API-Key": "nope"},
            params={"api_key": "nope"},
        )
    assert refused.status_code == wrong.status_code == 401
    assert refused.json() == {"error": "Invalid or missing API key."}


def test_header_and_query_auth_names_are_configurable(client):
    with SampleUpstream(api_key="k", auth="header", auth_header="X-Token") as upstream:
        assert client.get(upstream.url, headers={"X-Token": "k"}).status_code == 200
    with SampleUpstream(api_key="k", auth="query", auth_param="token") as upstream:
        assert client.get(upstream.url, params={"token": "k"}).status_code == 200
    with SampleUpstream(api_key="k", auth="basic", username="ops") as upstream:
        assert client.get(upstream.url, auth=("ops", "k")).status_code == 200
        assert client.get(upstream.url, auth=("migrateiq", "k")).status_code == 401


def test_single_record_endpoint(client):
    with SampleUpstream(records=10, api_key="k") as upstream:
        headers = {"Authorization": "Bearer k"}
        one = client.get(f"{upstream.url}/7", headers=headers)
        missing = client.get(f"{upstream.url}/11", headers=headers)
        other = client.get(f"{upstream.base_url}/posts", headers=headers)
        refused = client.get(f"{upstream.url}/7")
    assert one.status_code == 200 and one.json() == upstream.record(7)
    assert missing.status_code == other.status_code == 404
    assert refused.status_code == 401


def test_fail_after_pages_fails_later_pages_until_healed(client):
    with SampleUpstream(records=50, page_size=10, fail_after_pages=2, fail_status=503) as upstream:
        assert client.get(upstream.url, params={"page": 2}).status_code == 200
        failed = client.get(upstream.url, params={"page": 3})
        upstream.heal()
        healed = client.get(upstream.url, params={"page": 3})
    assert failed.status_code == 503 and "error" in failed.json()
    assert healed.status_code == 200 and healed.json()["data"][0]["id"] == 21


@pytest.mark.parametrize("style", ["offset", "cursor", "link_header"])
def test_fail_after_pages_counts_pages_in_every_style(style, client):
    with SampleUpstream(records=50, page_size=10, style=style, fail_after_pages=3) as upstream:
        with pytest.raises(AssertionError, match="500"):
            fetch_all(upstream, client)
        assert len(upstream.requests) == 4
        upstream.heal()
        assert len(fetch_all(upstream, client)) == 50


def test_fail_first_then_succeeds_with_retry_after(client):
    with SampleUpstream(records=5, fail_first=2, fail_status=429, retry_after=1) as upstream:
        statuses = [client.get(upstream.url) for _ in range(3)]
    assert [r.status_code for r in statuses] == [429, 429, 200]
    assert statuses[0].headers["Retry-After"] == "1"


def test_slow_ms_delays_answers(client):
    with SampleUpstream(records=5, slow_ms=300) as upstream:
        with pytest.raises(httpx.ReadTimeout):
            client.get(upstream.url, timeout=0.1)


def test_requests_are_recorded_with_query_and_headers(client):
    with SampleUpstream(records=5) as upstream:
        client.get(upstream.url, params={"page": 1, "per_page": 2}, headers={"X-Trace": "t1"})
        (request,) = upstream.requests
    assert request["path"] == "/users"
    assert request["query"] == {"page": "1", "per_page": "2"}
    assert request["headers"]["X-Trace"] == "t1"


def test_responses_have_content_length_and_keep_the_connection_alive(client):
    with SampleUpstream(records=30, page_size=10) as upstream:
        responses = [client.get(upstream.url, params={"page": p}) for p in (1, 2, 3)]
        ports = {r.extensions["network_stream"].get_extra_info("client_addr") for r in responses}
    assert all(int(r.headers["Content-Length"]) == len(r.content) for r in responses)
    assert len(ports) == 1


def test_stop_drops_connections_and_restart_keeps_the_url(client):
    upstream = SampleUpstream(records=5).start()
    url = upstream.url
    assert client.get(url).status_code == 200
    upstream.stop()
    with pytest.raises(httpx.TransportError):
        client.get(url)
    upstream.start()
    try:
        assert upstream.url == url and client.get(url).status_code == 200
    finally:
        upstream.stop()


def test_concurrent_clients_are_served(client):
    results: list[int] = []
    with SampleUpstream(records=200, page_size=10, slow_ms=200) as upstream:

        def fetch(page):
            results.append(len(client.get(upstream.url, params={"page": page}).json()["data"]))

        threads = [threading.Thread(target=fetch, args=(p,)) for p in range(1, 11)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    assert results == [10] * 10
    assert elapsed < 1.5  # ten 200 ms answers in parallel, not one after another


def test_invalid_parameters_are_400(client):
    with SampleUpstream(records=5, style="cursor") as upstream:
        assert client.get(upstream.url, params={"cursor": "garbage!"}).status_code == 400
        bad = base64.urlsafe_b64encode(b"x:1").decode()
        assert client.get(upstream.url, params={"cursor": bad}).status_code == 400
        assert client.get(upstream.url, params={"limit": "ten"}).status_code == 400


def test_fixture_allows_egress_to_each_started_server(sample_upstream, settings):
    first = sample_upstream(records=3)
    second = sample_upstream(records=3, style="none")
    assert f"127.0.0.1:{first.port}" in settings.MIGRATEIQ_EGRESS_ALLOWLIST
    assert f"127.0.0.1:{second.port}" in settings.MIGRATEIQ_EGRESS_ALLOWLIST
    assert httpx.get(second.url).json() == second.all_records()


@pytest.mark.django_db
def test_make_connector_points_at_an_upstream(sample_upstream, make_connector, tenant_ctx, tenant_b):
    upstream = sample_upstream(api_key="s3cret", auth="header", auth_header="X-Token")
    connector = make_connector(upstream=upstream)
    other = make_connector(tenant=tenant_b)
    assert connector.tenant == tenant_ctx and other.tenant == tenant_b
    assert connector.api_endpoint == upstream.url and connector.api_key == "s3cret"
    assert connector.auth_type == "header" and connector.auth_header_name == "X-Token"
    assert connector.name != other.name


def test_html_fault_answers_200_with_an_html_page(client):
    with SampleUpstream(records=30, page_size=10, fail_after_pages=1, fault="html") as upstream:
        good = client.get(upstream.url, params={"page": 1})
        bad = client.get(upstream.url, params={"page": 2})
    assert good.headers["Content-Type"] == "application/json"
    assert bad.status_code == 200 and bad.headers["Content-Type"].startswith("text/html")
    assert bad.text.startswith("<!DOCTYPE html>")


def test_truncated_fault_answers_half_a_json_body(client):
    with SampleUpstream(records=30, page_size=10, fail_after_pages=0, fault="truncated") as upstream:
        response = client.get(upstream.url)
    assert response.status_code == 200 and response.content.startswith(b'{"data":[{"id":1,')
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_reset_fault_drops_the_connection(client):
    with SampleUpstream(records=30, page_size=10, fail_after_pages=1, fault="reset") as upstream:
        assert client.get(upstream.url).status_code == 200
        with pytest.raises(httpx.TransportError):
            client.get(upstream.url, params={"page": 2})
        upstream.heal()
        assert client.get(upstream.url, params={"page": 2}).status_code == 200


def test_stall_fault_only_delays_failing_pages(client):
    with SampleUpstream(
        records=30, page_size=10, fail_after_pages=1, fault="stall", stall_ms=2000
    ) as upstream:
        assert client.get(upstream.url, timeout=0.5).status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            client.get(upstream.url, params={"page": 2}, timeout=0.3)


def test_oversize_and_gzip_bomb_faults_decode_past_the_cap(client):
    size = 2 * 1024 * 1024
    with SampleUpstream(fail_first=1, fault="oversize", oversize_bytes=size) as upstream:
        oversize = client.get(upstream.url)
    with SampleUpstream(fail_first=1, fault="gzip_bomb", oversize_bytes=size) as upstream:
        with client.stream("GET", upstream.url) as bomb:
            wire = int(bomb.headers["Content-Length"])
            decoded = sum(len(chunk) for chunk in bomb.iter_bytes())
    assert len(oversize.content) == size and oversize.json()[0]["id"] == 1
    assert bomb.headers["Content-Encoding"] == "gzip"
    assert decoded == size and wire < size // 100


@pytest.mark.parametrize("style", ["cursor", "next_url", "link_header"])
def test_loop_fault_points_next_back_at_the_same_page(style, client):
    with SampleUpstream(records=50, page_size=10, style=style, fail_after_pages=2, fault="loop") as upstream:
        with pytest.raises(AssertionError, match="did not end"):
            fetch_all(upstream, client, max_pages=10)
        pointers = [(r["query"].get("cursor"), r["query"].get("page")) for r in upstream.requests]
    assert len(set(pointers)) == 3  # pages 1, 2 and 3, then page 3 again and again


@pytest.mark.parametrize("style", ["page", "offset"])
def test_loop_fault_repeats_an_identical_page(style, client):
    with SampleUpstream(records=50, page_size=10, style=style, fail_after_pages=2, fault="loop") as upstream:
        params = {"page": 3} if style == "page" else {"offset": 20}
        second = client.get(upstream.url, params={"page": 2} if style == "page" else {"offset": 10})
        third = client.get(upstream.url, params=params)
    key = "data" if style == "page" else "results"
    assert third.json()[key] == second.json()[key]


def test_unknown_options_are_refused():
    for options in ({"style": "pages"}, {"auth": "digest"}, {"fault": "boom"}):
        with pytest.raises(ValueError, match="Unknown"):
            SampleUpstream(**options)


def test_upstream_process_serves_from_a_child_process(client):
    with UpstreamProcess(records=120, page_size=50, style="offset", api_key="k", auth="query") as upstream:
        records = fetch_all(upstream, client, api_key="k")
        assert client.get(upstream.url).status_code == 401
    assert records == SampleUpstream(records=120).all_records()
    with pytest.raises(httpx.TransportError):
        client.get(upstream.url, params={"api_key": "k"})


@contextmanager
def demo_api(*options, sigint_ignored=False):
    """``manage.py demo_api`` on a free port: yields its banner line; on leaving, Ctrl-C must stop it.
    ``sigint_ignored``: started as a script's background job is, with SIGINT ignored."""
    command = [sys.executable, "manage.py", "demo_api", "--port", "0", *options]
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None
    process = subprocess.Popen(
        command,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=ignore,  # noqa: PLW1509
    )
    try:
        yield process.stdout.readline()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()


@pytest.mark.slow
def test_demo_api_command_serves_until_interrupted(client):
    with demo_api("--records", "30", "--page-size", "7", "--api-key", "demo-key") as banner:
        url = banner.split()[2]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/users")
        response = client.get(url, headers={"Authorization": "Bearer demo-key"})
        assert response.json()["total"] == 30 and len(response.json()["data"]) == 7


@pytest.mark.slow
def test_demo_api_command_stops_on_ctrl_c_even_started_in_the_background_of_a_script(client):
    with demo_api("--records", "3", sigint_ignored=True) as banner:
        assert client.get(banner.split()[2]).status_code in (200, 401)


@pytest.mark.slow
def test_demo_api_command_can_rate_limit_its_first_requests(client):
    with demo_api(
        "--records", "10", "--fail-first", "2", "--fail-status", "429", "--retry-after", "3"
    ) as banner:
        assert "the first 2 page requests answer 429 with Retry-After: 3" in banner
        answers = [client.get(banner.split()[2]) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "3"


@pytest.mark.parametrize(
    "options",
    [["--fail-first", "-1"], ["--fail-status", "200"], ["--fail-first", "1", "--retry-after", "-2"]],
)
def test_demo_api_refuses_impossible_faults(options):
    with pytest.raises(CommandError, match="--fail|--retry-after"):
        call_command("demo_api", "--port", "0", *options)


def test_demo_api_refuses_a_non_loopback_host_it_was_not_given(settings):
    settings.MIGRATEIQ_DEMO_API_URL = "http://192.0.2.10:8001/users"
    with pytest.raises(CommandError, match="pass --host explicitly"):
        call_command("demo_api")


def test_prefetched_pages_never_serve_stale_data(client):
    with SampleUpstream(records=40, page_size=10) as upstream:
        client.get(upstream.url, params={"page": 1})  # page 2 is now rendered in the background
        upstream.update(version=1)
        second = client.get(upstream.url, params={"page": 2}).json()["data"]
    assert second == SampleUpstream(records=40, version=1).all_records()[10:20]
    assert second[-1]["company"]["catchPhrase"].endswith(" v1")


def test_prefetch_renders_the_next_page_before_it_is_asked_for(client):
    with SampleUpstream(records=40, page_size=10) as upstream:
        client.get(upstream.url, params={"page": 1})
        upstream.stop()  # waits for the background rendering
        next_key = (0, 0, upstream.mutate_every, range(1, 41), 10, 10)
        assert upstream._cache.get(next_key) is not None


def test_slow_ms_is_the_latency_of_an_answer_however_long_building_it_took(client):
    # A stall of 300 ms while building the page is inside the 500 ms latency, not added to it.
    upstream = SampleUpstream(
        records=20, page_size=10, slow_ms=500, fault="stall", stall_ms=300, fail_after_pages=0
    ).start()
    try:
        started = time.monotonic()
        stalled = client.get(upstream.url, params={"page": 1})
        stalled_seconds = time.monotonic() - started
        upstream.update(fault=None)
        started = time.monotonic()
        plain = client.get(upstream.url, params={"page": 2})
        plain_seconds = time.monotonic() - started
    finally:
        upstream.stop()
    assert stalled.status_code == plain.status_code == 200
    assert 0.5 <= stalled_seconds < 0.75  # 0.8 s when the latency followed the build
    assert 0.5 <= plain_seconds < 0.75
