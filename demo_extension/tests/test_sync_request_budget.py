"""A connector's request budget: set and validated through the API, enforced on its syncs and its
connection test (embedded default: the budget file; Redis, local memory and worker processes are
covered by core/tests/test_request_budget.py)."""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from core.budget import RATE_MARGIN, RequestBudget
from core.tests.budget_upstream import JITTER, most_in_any_window, no_gc_pauses  # noqa: F401  (a fixture)
from demo_extension.models import CustomDataConnector, SyncStatus
from demo_extension.services.budget import budget_key, connector_paused_for, request_budget
from demo_extension.services.credentials import secret_params_fields
from demo_extension.services.sync import DataSyncService
from demo_extension.tests.sync_support import events, queried, run_sync, stored_ids
from tenancy.testing import at_once

URL = "/api/demo-extension/connectors/"
ENDPOINT = "http://127.0.0.1:9/users"


# Every test here times requests: no garbage-collection pause of this process in between.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_gc_pauses")]

PAGED = {"type": "page", "page_param": "page", "size_param": "per_page", "page_size": 10}


@pytest.fixture(autouse=True)
def _allow_the_test_endpoint(settings):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]


def payload(**overrides) -> dict:
    return {"name": "Rate-limited API", "api_endpoint": ENDPOINT, "sync_frequency": "DAILY", **overrides}


# --- the API ----------------------------------------------------------------------------------------


def test_a_new_connector_has_the_default_budget(editor_client):
    body = editor_client.post(URL, payload(), format="json").json()

    assert body["max_requests_per_second"] is None
    assert body["max_concurrent_requests"] == 4
    assert body["max_requests_per_sync"] is None


def test_a_connector_takes_a_request_budget_and_shows_it(editor_client):
    response = editor_client.post(
        URL,
        payload(max_requests_per_second=0.5, max_concurrent_requests=16, max_requests_per_sync=1000),
        format="json",
    )

    assert response.status_code == 201, response.content
    connector = CustomDataConnector.objects.unscoped("test: every tenant").get()
    assert (connector.max_requests_per_second, connector.max_concurrent_requests) == (0.5, 16)
    assert connector.max_requests_per_sync == 1000
    changed = editor_client.patch(
        f"{URL}{connector.pk}/",
        {"max_requests_per_second": None, "max_requests_per_sync": None},
        format="json",
    )
    assert changed.status_code == 200
    assert changed.json()["max_requests_per_second"] is None
    assert changed.json()["max_requests_per_sync"] is None


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("max_requests_per_second", 0, "greater than or equal to 0.01"),
        ("max_requests_per_second", -2, "greater than or equal to 0.01"),
        ("max_requests_per_second", 1001, "less than or equal to 1000"),
        ("max_requests_per_second", "fast", "number"),
        ("max_requests_per_second", "5", "must be a number"),  # a JSON string, not a number
        ("max_requests_per_second", True, "must be a number"),  # not 1.0
        ("max_concurrent_requests", "3", "must be an integer"),
        ("max_concurrent_requests", 0, "greater than or equal to 1"),
        ("max_concurrent_requests", 17, "less than or equal to 16"),
        ("max_concurrent_requests", 2.5, "integer"),
        ("max_concurrent_requests", None, "null"),
        ("max_requests_per_sync", 0, "greater than or equal to 1"),
        ("max_requests_per_sync", "lots", "integer"),
    ],
)
def test_an_impossible_budget_is_a_400_naming_the_field(editor_client, field, value, words):
    response = editor_client.post(URL, payload(**{field: value}), format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["errors"]
    assert words.lower() in str(body["errors"][field]).lower()
    assert not CustomDataConnector.objects.unscoped("test: every tenant").exists()


def test_the_openapi_schema_documents_the_budget_and_its_bounds(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    fields = response.json()["components"]["schemas"]["Connector"]["properties"]
    assert fields["max_requests_per_second"]["minimum"] == 0.01
    assert fields["max_requests_per_second"]["maximum"] == 1000
    assert fields["max_requests_per_second"]["nullable"] is True
    assert (fields["max_concurrent_requests"]["minimum"], fields["max_concurrent_requests"]["maximum"]) == (
        1,
        16,
    )
    assert fields["max_requests_per_sync"]["minimum"] == 1
    assert "resumed" in fields["max_requests_per_sync"]["description"]


# --- syncs ---------------------------------------------------------------------------------------------


def _arrivals(upstream) -> list[float]:
    return [request["at"] for request in upstream.requests if request["path"] == upstream.path]


def test_a_sync_sends_no_more_than_its_connectors_requests_per_second(sample_upstream, make_connector):
    upstream = sample_upstream(records=55, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination=PAGED, max_requests_per_second=5)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    arrivals = _arrivals(upstream)
    assert len(arrivals) == 6
    assert most_in_any_window(arrivals, 1.0) <= 5, arrivals
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    assert min(gaps) >= (1 + RATE_MARGIN) / 5 - JITTER, arrivals


def test_a_rate_limited_sync_sends_its_pages_in_page_order_with_requests_in_flight(
    sample_upstream, make_connector
):
    # 4 requests in flight, a token every 0.275 s: each token goes to the earliest page waiting for
    # one, so page 1 (and the run's first commit) does not wait behind the pages sent ahead of it.
    upstream = sample_upstream(records=75, page_size=10, style="page")
    connector = make_connector(
        upstream=upstream, pagination=PAGED, max_requests_per_second=4, max_concurrent_requests=4
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    pages = [int(page) for page in queried(upstream, "page")]
    assert pages[:8] == list(range(1, 9)), pages


def test_max_requests_per_sync_fails_the_run_clearly_and_the_run_resumes(sample_upstream, make_connector):
    upstream = sample_upstream(records=50, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination=PAGED, max_requests_per_sync=2)

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    # a limit the user set, not a page that failed
    assert log.error_message.startswith("Stopped before page 3: max_requests_per_sync (2) reached")
    assert "failed" not in log.error_message
    assert "resume" in log.error_message
    assert log.pages_fetched == 2
    assert stored_ids(connector) == list(range(1, 21))
    assert sorted(queried(upstream, "page")) == ["1", "2"]  # sent together, within the budget

    CustomDataConnector.objects.filter(pk=connector.pk).update(max_requests_per_sync=None)
    upstream.clear_requests()
    connector.refresh_from_db()
    resumed = DataSyncService(connector).sync_data(sync_log=log)

    assert resumed.status == SyncStatus.SUCCESS, resumed.error_message
    assert stored_ids(connector) == list(range(1, 51))
    assert min(int(page) for page in queried(upstream, "page")) == 3  # none before the checkpoint again


def test_each_run_has_its_own_max_requests_per_sync(sample_upstream, make_connector):
    upstream = sample_upstream(records=30, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination=PAGED, max_requests_per_sync=2)

    log = run_sync(connector)
    assert (log.status, log.pages_fetched) == (SyncStatus.FAILED, 2)
    second = DataSyncService(connector).sync_data(sync_log=log)

    # The resumed run sends pages 3 and 4 (the empty page that ends the sync) with its own two requests.
    assert second.status == SyncStatus.SUCCESS, second.error_message
    assert stored_ids(connector) == list(range(1, 31))


def test_a_429_on_the_connection_test_pauses_the_connectors_next_sync(sample_upstream, make_connector):
    upstream = sample_upstream(
        records=20, page_size=10, style="page", fail_first=1, fail_status=429, retry_after=1
    )
    connector = make_connector(upstream=upstream, pagination=PAGED)

    result = DataSyncService(connector).check_connection()
    log = run_sync(connector)

    assert not result.connected and result.status_code == 429
    assert log.status == SyncStatus.SUCCESS, log.error_message
    rejected, *synced = _arrivals(upstream)
    assert synced[0] - rejected >= 0.9, "the sync did not wait for the connector's pause"


def test_a_429_pauses_the_tenants_other_connectors_calling_the_same_api_with_the_same_key(
    sample_upstream, make_connector, tenant_b
):
    # An API's rate limit is its key's: three connectors of one account (say customers, invoices and
    # charges of one Stripe key) each kept sending while one of them waited out the 429.
    upstream = sample_upstream(
        records=20, page_size=10, style="page", fail_first=1, fail_status=429, retry_after=2, api_key="key-1"
    )
    first = make_connector(upstream=upstream, pagination=PAGED)
    same_key = make_connector(upstream=upstream, pagination=PAGED)
    same_key_other_path = make_connector(
        upstream=upstream, api_endpoint=upstream.url.replace("/users", "/orders")
    )
    other_key = make_connector(upstream=upstream, api_key="another-key")
    other_host = make_connector(upstream=upstream, api_endpoint="http://127.0.0.1:9/users")
    other_tenant = make_connector(tenant_b, upstream=upstream)

    result = DataSyncService(first).check_connection()
    paused = [round(connector_paused_for(c)) for c in (same_key, same_key_other_path)]
    unpaused = [connector_paused_for(c) for c in (other_key, other_host, other_tenant)]
    log = run_sync(same_key)

    assert result.status_code == 429
    assert paused == [2, 2]
    assert unpaused == [0, 0, 0]
    assert log.status == SyncStatus.SUCCESS, log.error_message
    rejected, *synced = _arrivals(upstream)
    assert synced[0] - rejected >= 1.8, "the other connector's sync did not wait out the API's pause"


@pytest.mark.parametrize(
    "one, other, shared",
    [
        (
            {"api_endpoint": "https://API.example.com/v1/a", "api_key": "k"},
            {"api_endpoint": "https://api.example.com:443/v2/b", "api_key": "k"},
            True,
        ),
        (
            {"api_endpoint": "https://api.example.com/a", "api_key": "k"},
            {"api_endpoint": "http://api.example.com/a", "api_key": "k"},
            False,
        ),
        (
            {"api_endpoint": "https://api.example.com/a", "api_key": "k"},
            {"api_endpoint": "https://api.example.com:8443/a", "api_key": "k"},
            False,
        ),
        (
            {"api_endpoint": "https://api.example.com/a", "api_key": "k"},
            {"api_endpoint": "https://api.example.com.evil.test/a", "api_key": "k"},
            False,
        ),
        (
            {"api_endpoint": "https://api.example.com/a", "api_key": "k", "auth_type": "header"},
            {"api_endpoint": "https://api.example.com/b", "api_key": "k", "auth_type": "query"},
            True,
        ),
        (
            {"auth_type": "basic", "auth_username": "u", "api_key": "p"},
            {"auth_type": "basic", "auth_username": "u", "api_key": "q"},
            False,
        ),
        (
            {"auth_type": "basic", "auth_username": "u", "api_key": "p"},
            {"auth_type": "basic", "auth_username": "v", "api_key": "p"},
            False,
        ),
        (
            {
                "auth_type": "oauth2",
                "oauth_token_url": "https://id.example.com/t",
                "oauth_client_id": "c",
                "oauth_client_secret": "s1",
            },
            {
                "auth_type": "oauth2",
                "oauth_token_url": "https://id.example.com/t",
                "oauth_client_id": "c",
                "oauth_client_secret": "s2",
            },
            True,
        ),
        (
            {"auth_type": "oauth2", "oauth_token_url": "https://id.example.com/t", "oauth_client_id": "c"},
            {"auth_type": "oauth2", "oauth_token_url": "https://id.example.com/t", "oauth_client_id": "d"},
            False,
        ),
        ({"auth_type": "none"}, {"auth_type": "none"}, True),
        ({"auth_type": "none"}, {"auth_type": "bearer", "api_key": "k"}, False),
        # two bots: a token in the path, no key
        (
            {"auth_type": "none", **secret_params_fields({"path": {"token": "bot-1"}})},
            {"auth_type": "none", **secret_params_fields({"path": {"token": "bot-2"}})},
            False,
        ),
        (
            {"auth_type": "none", **secret_params_fields({"path": {"token": "bot-1"}})},
            {"auth_type": "none", **secret_params_fields({"path": {"token": "bot-1"}})},
            True,
        ),
        # one API key, two application keys beside it
        (
            secret_params_fields({"headers": {"DD-APPLICATION-KEY": "a1"}}),
            secret_params_fields({"headers": {"DD-APPLICATION-KEY": "a2"}}),
            False,
        ),
        (secret_params_fields({"query": {"token": "t"}}), {}, False),
    ],
)
def test_connectors_share_one_budget_when_they_call_the_same_origin_with_the_same_credentials(
    make_connector, one, other, shared
):
    base = {"api_endpoint": "https://api.example.com/a", "api_key": "k"}
    first, second = make_connector(**{**base, **one}), make_connector(**{**base, **other})

    assert (budget_key(first) == budget_key(second)) is shared
    others = [request_budget(connector, per_sync=True).others for connector in (first, second)]
    assert others == ([1, 1] if shared else [0, 0])


def test_a_429_s_retry_line_names_the_other_connectors_it_paused(sample_upstream, make_connector):
    upstream = sample_upstream(
        records=20, page_size=10, style="page", fail_first=1, fail_status=429, retry_after=1
    )
    # one request at a time: the 429 goes to page 1, not to a request sent ahead past the last page
    alone = make_connector(upstream=upstream, pagination=PAGED, max_concurrent_requests=1)
    assert request_budget(alone, per_sync=True).others == 0
    make_connector(upstream=upstream, pagination=PAGED)

    log = run_sync(alone)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    retries = [line for line in events(log) if "HTTP 429" in line]
    assert retries, events(log)
    assert any(
        "every request of this connector waits as long (its request budget is paused), and every "
        "request of the 1 other connector calling the same API with the same credentials" in retry
        for retry in retries
    ), retries


def _waiting_lines(log) -> list:
    waiting = log.events.filter(message__startswith="Waiting for the API's rate limit")
    return list(waiting.order_by("at", "id"))


def _wall_clock(monotonic_at: float) -> datetime:
    """A ``time.monotonic()`` instant (the sample upstream's arrivals) on the wall clock of the events."""
    return timezone.now() + timedelta(seconds=monotonic_at - time.monotonic())


def test_a_sync_paused_by_a_429_says_while_it_waits_that_it_waits_for_the_rate_limit_and_until_when(
    sample_upstream, make_connector
):
    # The first page is sent from a fetching thread with the pages after it: its retry line used to
    # reach the log only with the page, after the pause, so the run said "Sync started." alone.
    upstream = sample_upstream(
        records=30, page_size=10, style="page", fail_first=1, fail_status=429, retry_after=2
    )
    connector = make_connector(upstream=upstream, pagination=PAGED)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    # the first request was answered 429 (the pages after it left beside it, within a moment)
    rejected, *others = _arrivals(upstream)
    retried = min(at for at in others if at - rejected > 0.5)
    assert retried - rejected >= 1.9, "the sync did not wait out the pause"
    (waiting,) = _waiting_lines(log)
    assert waiting.at < _wall_clock(retried), "said only after the pause"
    until = re.search(r"paused until (\d\d:\d\d:\d\d) UTC \((\d) s\)", waiting.message)
    assert until, waiting.message
    expected = _wall_clock(rejected) + timedelta(seconds=2)
    said = datetime.combine(expected.date(), datetime.strptime(until[1], "%H:%M:%S").time(), tzinfo=UTC)
    assert abs((said - expected).total_seconds()) <= 1.5, (until[1], expected)
    # the page's retry line is in the log before it, not after the page came
    retry = log.events.filter(message__contains="HTTP 429").order_by("at").first()
    assert retry.at <= waiting.at < _wall_clock(retried)


def test_a_sync_of_a_connector_paused_before_it_started_says_what_it_waits_for(
    sample_upstream, make_connector
):
    upstream = sample_upstream(records=20, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination=PAGED)
    RequestBudget(budget_key(connector)).pause(1.5)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    (waiting,) = _waiting_lines(log)
    assert "every request of this connector is paused until" in waiting.message
    assert waiting.at < _wall_clock(_arrivals(upstream)[0])


def test_a_connection_test_answered_with_a_retry_after_past_the_cap_names_the_wait_at_once(
    sample_upstream, make_connector, editor_client, settings
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 5
    upstream = sample_upstream(
        records=20, page_size=10, style="page", fail_first=10, fail_status=429, retry_after=3600
    )
    connector = make_connector(upstream=upstream, pagination=PAGED)
    started = time.monotonic()

    body = editor_client.post(f"{URL}{connector.pk}/test_connection/").json()

    assert time.monotonic() - started < 2.0
    assert (body["connected"], body["status_code"]) == (False, 429)
    assert "it asks to wait 3600 s, longer than MIGRATEIQ_HTTP_RETRY_AFTER_CAP (5 s)" in body["message"]
    assert len(upstream.requests) == 1
    assert 0 < RequestBudget(budget_key(connector)).paused_for() <= 5  # the cap, not the hour


def test_the_connection_test_of_a_paused_connector_says_so_at_once_without_sending(
    sample_upstream, make_connector, editor_client
):
    upstream = sample_upstream(records=20, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination=PAGED)
    RequestBudget(budget_key(connector)).pause(30)

    response = editor_client.post(f"{URL}{connector.pk}/test_connection/")

    assert response.status_code == 200
    body = response.json()
    assert (body["connected"], body["tested"], body["status_code"]) == (False, False, None)
    assert body["message"] == (
        "Not tested: the API asked to slow down (an HTTP 429, a Retry-After header or a rate limit "
        "reported in a response body, as GraphQL APIs answer one), so every request of this "
        "connector is paused for another 30 s. Try again after that."
    )
    assert upstream.requests == []


def test_the_retry_line_says_how_many_requests_the_run_now_sends_at_once(make_connector):
    budget = request_budget(make_connector(), per_sync=True)
    budget.pause(0.01)
    assert budget.pause_note().endswith(
        "; this run now sends at most 2 requests at once (max_concurrent_requests: 4), "
        "one more after every 20 answers without a 429"
    )
    budget._halved_until = 0  # a later burst
    budget.pause(0.01)
    assert "this run now sends at most 1 request at once (max_concurrent_requests: 4)" in budget.pause_note()


def test_the_connection_test_takes_a_slot_of_the_connectors_budget(sample_upstream, make_connector):
    upstream = sample_upstream(records=20, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination=PAGED, max_requests_per_second=2)

    assert DataSyncService(connector).check_connection().connected
    assert DataSyncService(connector).check_connection().connected

    first, second = _arrivals(upstream)
    assert second - first >= (1 + RATE_MARGIN) / 2 - JITTER


def test_a_paused_budget_belongs_to_its_api_account_only(sample_upstream, make_connector, tenant_b):
    upstream = sample_upstream(records=5, page_size=10, style="page", api_key="key-1")
    paused = make_connector(upstream=upstream, pagination=PAGED)
    other_key = make_connector(upstream=upstream, pagination=PAGED, api_key="key-2")
    other_tenant = make_connector(tenant_b, upstream=upstream, pagination=PAGED)
    RequestBudget(budget_key(paused)).pause(30)

    for other in (other_key, other_tenant):
        result = DataSyncService(other).check_connection()
        assert result.status_code == 401 if other is other_key else result.connected, result.message
        assert result.response_time_ms < 5000
    assert len(upstream.requests) == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.shared_database
def test_connectors_of_one_api_account_share_its_requests_per_second(sample_upstream, make_connector):
    # An API's limit is its key's: two connectors of one key, each set to the API's 5 requests a
    # second, sent 5 a second each (10 in a second to the API) while they synced at the same time.
    upstream = sample_upstream(records=50, page_size=10, style="page", api_key="key-1")
    first = make_connector(upstream=upstream, pagination=PAGED, max_requests_per_second=5)
    second = make_connector(upstream=upstream, pagination=PAGED, max_requests_per_second=5)

    logs = at_once(run_sync, [first, second])

    assert [log.status for log in logs] == [SyncStatus.SUCCESS] * 2, [log.error_message for log in logs]
    arrivals = _arrivals(upstream)
    assert len(arrivals) == 10
    assert most_in_any_window(arrivals, 1.0) <= 5, arrivals
    # each run's closing lines say that the budget it waited for is shared
    paced = [line for log in logs for line in events(log) if "paced this run" in line]
    assert any(
        "(5 requests/s), shared with the 1 other connector calling the same API with the same "
        "credentials, paced this run" in line
        for line in paced
    ), paced


@pytest.mark.django_db(transaction=True)
@pytest.mark.shared_database
def test_connectors_of_one_api_account_share_its_requests_at_once(sample_upstream, make_connector):
    # Every answer takes 300 ms: two connectors of one key with 2 requests at once each had 4 in
    # flight at the API together.
    upstream = sample_upstream(records=60, page_size=10, style="page", api_key="key-1", slow_ms=300)
    first = make_connector(upstream=upstream, pagination=PAGED, max_concurrent_requests=2)
    second = make_connector(upstream=upstream, pagination=PAGED, max_concurrent_requests=2)

    logs = at_once(run_sync, [first, second])

    assert [log.status for log in logs] == [SyncStatus.SUCCESS] * 2, [log.error_message for log in logs]
    assert stored_ids(first) == stored_ids(second) == list(range(1, 61))
    # a request is let through only once one of the two before it was answered (300 ms later)
    assert most_in_any_window(_arrivals(upstream), 0.25) <= 2, _arrivals(upstream)


@pytest.mark.django_db(transaction=True)
@pytest.mark.shared_database
def test_connectors_of_other_api_accounts_keep_their_own_requests_per_second(sample_upstream, make_connector):
    upstream = sample_upstream(records=50, page_size=10, style="page", api_key="key-1")
    other = sample_upstream(records=50, page_size=10, style="page", api_key="key-2")
    first = make_connector(upstream=upstream, pagination=PAGED, max_requests_per_second=5)
    second = make_connector(upstream=other, pagination=PAGED, max_requests_per_second=5)

    logs = at_once(run_sync, [first, second])

    assert [log.status for log in logs] == [SyncStatus.SUCCESS] * 2, [log.error_message for log in logs]
    # both ran at their full rate, side by side
    assert most_in_any_window(_arrivals(upstream) + _arrivals(other), 1.0) >= 8


def test_a_connection_test_whose_next_request_the_rate_limit_puts_past_its_10_s_answers_at_once(
    sample_upstream, make_connector, editor_client
):
    # One request every 110 s: the second test would hold a web thread ~110 s for a 10 s budget.
    upstream = sample_upstream(records=20, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination=PAGED, max_requests_per_second=0.01)
    assert editor_client.post(f"{URL}{connector.pk}/test_connection/").json()["connected"]

    started = time.monotonic()
    body = editor_client.post(f"{URL}{connector.pk}/test_connection/").json()

    assert time.monotonic() - started < 2
    assert body["connected"] is False
    assert body["message"].startswith(
        "Timed out: the 10 s budget of this request would run out before the next request the "
        "rate limit of 0.01 a second allows"
    ), body["message"]
    assert len(upstream.requests) == 1


def test_a_run_paced_by_its_requests_per_second_says_so_at_its_end(sample_upstream, make_connector):
    upstream = sample_upstream(records=40, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination=PAGED, max_requests_per_second=2)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    lines = events(log)
    paced = [line for line in lines if "paced this run" in line]
    assert len(paced) == 1, lines
    match = re.fullmatch(
        r"The connector's request budget \(2 requests/s\) paced this run: (\d+) requests waited "
        r"([\d.]+) s in total \(of the run's ([\d.]+) s\); raise max_requests_per_second if the API "
        r"allows it\.",
        paced[0],
    )
    assert match, paced[0]
    waited, took = float(match[2]), float(match[3])
    # every request but the first waited for a token (0.55 s apart)
    assert int(match[1]) == len(_arrivals(upstream)) - 1
    assert waited >= (len(_arrivals(upstream)) - 1) * (1 + RATE_MARGIN) / 2 - 0.2
    assert took >= (len(_arrivals(upstream)) - 1) * (1 + RATE_MARGIN) / 2 - JITTER
    assert waited <= took
    # logged once the pages are read, just before the run's closing line
    assert lines.index(paced[0]) == len(lines) - 2


def test_a_run_the_budget_barely_slowed_logs_no_pacing_line(sample_upstream, make_connector):
    upstream = sample_upstream(records=40, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination=PAGED, max_requests_per_second=2)

    log = run_sync(connector)
    assert any("paced this run" in line for line in events(log))

    # the same run under a rate it never waits for noticeably (its first requests wait out the
    # token the last run took, under half a second)
    CustomDataConnector.objects.filter(pk=connector.pk).update(max_requests_per_second=500)
    connector.refresh_from_db()
    again = run_sync(connector)
    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert not any("paced this run" in line for line in events(again))
