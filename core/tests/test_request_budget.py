"""Request budgets (core.budget) enforced by the outbound client against a real local upstream that
records arrival times and requests in flight.

The in-process tests run three times: with the file store (the embedded default), with the
local-memory store (``MIGRATEIQ_REQUEST_BUDGET_FILE=""``) and with Redis through django-redis
(production) on ``TEST_REDIS_URL`` under a key prefix of their own. The cross-process tests start two
real worker processes that share that Redis, or one budget file.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.core.cache import cache

from core.budget import (
    CALM_EXCHANGES,
    LINE_HOLD_SECONDS,
    RATE_MARGIN,
    BudgetUnavailable,
    FileBudgetStore,
    RequestBudget,
    RequestBudgetExhausted,
    slot_order,
    store_for,
)
from core.http import OutboundClient, total_deadline
from core.http_errors import UpstreamError
from core.tests.budget_upstream import (
    JITTER,
    Answer,
    RecordingUpstream,
    most_in_any_window,
    no_gc_pauses,  # noqa: F401  (a fixture, used by pytestmark)
)

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BASE_DIR = Path(__file__).resolve().parents[2]


# Every test here times requests: no garbage-collection pause of this process in between.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_gc_pauses")]


def _redis_cache(prefix: str) -> dict:
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": TEST_REDIS_URL,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }


@pytest.fixture
def redis_prefix(settings):
    """Redis as the default cache, under a key prefix unique to this test; its keys go at teardown."""
    prefix = f"migrateiq-test-budget-{uuid.uuid4().hex[:12]}"
    settings.CACHES = _redis_cache(prefix)
    cache.set("reachable", "yes", 30)
    assert cache.get("reachable") == "yes", f"Redis at {TEST_REDIS_URL} is needed for these tests"
    yield prefix
    cache.delete_pattern("*")  # this test's prefix only, never the whole database


@pytest.fixture(params=["file", "locmem", "redis"])
def store(request, settings, tmp_path):
    if request.param == "redis":
        yield request.getfixturevalue("redis_prefix")
    else:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": uuid.uuid4().hex,
            }
        }
        file = tmp_path / "budgets.sqlite3" if request.param == "file" else ""
        settings.MIGRATEIQ_REQUEST_BUDGET_FILE = str(file)
        yield request.param


@pytest.fixture
def upstream(settings):
    servers: list[RecordingUpstream] = []

    def _start(answer=None) -> RecordingUpstream:
        server = RecordingUpstream(answer)
        servers.append(server)
        settings.MIGRATEIQ_EGRESS_ALLOWLIST = [server.netloc]
        return server

    yield _start
    for server in servers:
        server.close()


def _key() -> str:
    return f"connector:test-{uuid.uuid4().hex[:8]}"


def _send_from_threads(url: str, key: str, *, threads: int, requests: int, **budget) -> list:
    """``requests`` GETs from each of ``threads`` threads, each with its own client and budget object
    of ``key`` (as separate syncs of one connector would); the statuses or error messages."""
    results: list = []
    lock = threading.Lock()

    def send():
        with OutboundClient(budget=RequestBudget(key, **budget)) as client:
            for _ in range(requests):
                try:
                    result = client.get(url).status_code
                except UpstreamError as exc:
                    result = str(exc)
                with lock:
                    results.append(result)

    workers = [threading.Thread(target=send) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    return results


@pytest.fixture(params=["redis", "file"])
def shared_store(request, tmp_path) -> dict:
    """What worker processes share their budgets through: Redis (production) under a prefix of this
    test's, or one budget file (the embedded default); as their environment."""
    if request.param == "redis":
        return {"REDIS_URL": TEST_REDIS_URL, "CACHE_KEY_PREFIX": request.getfixturevalue("redis_prefix")}
    return {"MIGRATEIQ_REQUEST_BUDGET_FILE": str(tmp_path / "shared-budgets.sqlite3")}


def _run_worker_processes(count: int, shared: dict, server: RecordingUpstream, tmp_path, **options) -> list:
    """``count`` worker processes sharing budgets through ``shared`` (see ``shared_store``), all
    starting to send at one moment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIGRATEIQ_", "PYTEST_"))}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="migrateiq.settings",
        MIGRATEIQ_EGRESS_ALLOWLIST=server.netloc,
        PYTHONDONTWRITEBYTECODE="1",
        **shared,
    )
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "core.tests.budget_client",
                json.dumps({"url": f"{server.url}?worker={n}", **options}),
            ],
            cwd=BASE_DIR,
            # Each its own var dir: two first start-ups in one would race to generate its keys.
            env={**env, "MIGRATEIQ_VAR_DIR": str(tmp_path / f"worker{n}")},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(count)
    ]
    # Every process has set Django up; then all start at once.
    for process in processes:
        assert process.stdout.readline().strip() == "ready", process.stderr.read()[-3000:]
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    results = []
    for process in processes:
        try:
            out, err = process.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        assert process.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1])["statuses"])
    return results


def _assert_overlapped(server: RecordingUpstream, count: int) -> None:
    """The worker processes really sent at the same time (not one after the other). Not asserted
    where they compete for a slot: waiters are not served in order, so on a busy machine one process
    may win every slot until it is done (the limits hold either way)."""
    spans = []
    for n in range(count):
        times = [at for at, path in server.arrivals if path.endswith(f"worker={n}")]
        spans.append((min(times), max(times)))
    assert max(first for first, _ in spans) < min(last for _, last in spans), spans


# --- rate ----------------------------------------------------------------------------------------------


def test_five_requests_per_second_are_never_exceeded_in_any_second_across_threads(store, upstream):
    server = upstream()
    results = _send_from_threads(server.url, _key(), threads=3, requests=4, per_second=5, concurrent=16)

    assert results == [200] * 12
    arrivals = server.arrival_times()
    assert most_in_any_window(arrivals, 1.0) <= 5, arrivals
    # The requests were spaced, not merely few: 12 requests at 5/s take 11 intervals (less the
    # scheduling jitter of a loaded machine between a slot and the request's arrival).
    assert arrivals[-1] - arrivals[0] >= 11 / 5 * (1 + RATE_MARGIN) - JITTER, arrivals


def test_a_fractional_rate_spaces_requests_by_its_interval(store, upstream):
    server = upstream()
    results = _send_from_threads(server.url, _key(), threads=2, requests=1, per_second=2.5)

    assert results == [200, 200]
    first, second = server.arrival_times()
    assert second - first >= (1 + RATE_MARGIN) / 2.5 - JITTER


# --- a request written late (a new connection's name lookup and handshakes, a busy machine) ----------


def test_a_request_written_late_moves_the_next_token_to_one_interval_after_the_write(store):
    budget = RequestBudget(_key(), per_second=5)

    with budget.slot() as ticket:
        time.sleep(0.15)  # its connection took this long to open: the grant was 150 ms before the write
        ticket.at_send()
        written = time.monotonic()
    with budget.slot():
        granted = time.monotonic()

    # Not one interval after the first grant (70 ms after the write): the upstream counts writes.
    assert granted - written >= budget.interval - 0.01, (granted - written, budget.interval)
    assert budget.paced_requests == 1  # the second waited for its token; the late one did not wait


def test_a_request_written_after_another_took_the_next_token_waits_for_one_of_its_own(store):
    key = _key()
    budget = RequestBudget(key, per_second=5)
    others: list[float] = []

    def another_sync_sends():  # another run of the connector (its own budget object, same key)
        with RequestBudget(key, per_second=5).slot():
            others.append(time.monotonic())

    with budget.slot() as ticket:
        other = threading.Thread(target=another_sync_sends)
        other.start()
        other.join(10)  # granted one interval after this request's grant, while this one still connects
        ticket.at_send()
        written = time.monotonic()

    assert written - others[0] >= budget.interval - 0.01, (written - others[0], budget.interval)
    assert budget.paced_requests == 1


@pytest.fixture
def slow_name_lookups(monkeypatch):
    """Resolving the host name ``slow-lookup.test`` takes 300 ms (the system resolver answers it as
    127.0.0.1): every new connection to it opens that much after its request was granted a slot,
    as a remote API's TLS handshake would."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "slow-lookup.test":
            time.sleep(0.3)
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return "slow-lookup.test"


def test_requests_on_new_connections_that_open_slowly_keep_five_a_second(store, upstream, slow_name_lookups):
    # Three syncs of one connector, each opening its connection 300 ms after its first slot, then
    # reusing it: without marking the bucket at the write, the second request of the first sync goes
    # before the third sync's first one and six reach the upstream within one second.
    server = upstream()
    url = f"http://{slow_name_lookups}:{server.port}/items"
    results = _send_from_threads(url, _key(), threads=3, requests=4, per_second=5, concurrent=16)

    assert results == [200] * 12
    arrivals = server.arrival_times()
    assert most_in_any_window(arrivals, 1.0) <= 5, arrivals
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    assert min(gaps) >= (1 + RATE_MARGIN) / 5 - JITTER, arrivals


# --- concurrency -----------------------------------------------------------------------------------------


def test_the_concurrency_cap_holds_across_threads(store, upstream):
    server = upstream(lambda number, path: Answer(delay=0.15))
    results = _send_from_threads(server.url, _key(), threads=6, requests=3, concurrent=2)

    assert results == [200] * 18
    assert server.max_in_flight == 2


def test_a_lease_whose_holder_died_expires_and_frees_its_slot(store, upstream):
    server = upstream()
    key = _key()
    # A holder that never gives its slot back (a process killed mid-request).
    assert store_for().try_acquire(key, "dead-holder", 0.0, 1, 0.5) == 0
    started = time.monotonic()

    with OutboundClient(budget=RequestBudget(key, concurrent=1)) as client:
        assert client.get(server.url).status_code == 200

    assert 0.4 <= time.monotonic() - started < 5


def test_a_lease_of_a_killed_process_is_freed_at_once_with_the_budget_file(settings, upstream, tmp_path):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.MIGRATEIQ_REQUEST_BUDGET_FILE = str(tmp_path / "budgets.sqlite3")
    server = upstream()
    key = _key()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from core.budget import FileBudgetStore\n"
            f"store = FileBudgetStore({settings.MIGRATEIQ_REQUEST_BUDGET_FILE!r})\n"
            f"assert store.try_acquire({key!r}, 'worker-lease', 0.0, 1, 600) == 0\n"
            "print('held', flush=True)\n"
            "time.sleep(600)\n",
        ],
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        budget = RequestBudget(key, concurrent=1, sleep=_sleep_until(time.monotonic() + 0.5))
        with pytest.raises(TimeoutError):  # the live holder keeps its slot
            with budget.slot():
                pass
    finally:
        holder.kill()  # SIGKILL: the lease is never given back
        holder.wait()
    started = time.monotonic()

    with OutboundClient(budget=RequestBudget(key, concurrent=1)) as client:
        assert client.get(server.url).status_code == 200

    assert time.monotonic() - started < 2  # not the lease's 600 s


def _hammer_budget_file(path: str, start: float, results) -> None:
    """A process of the test below: 3 threads that open the budget file when ``start`` comes."""
    store = FileBudgetStore(path)
    errors: list[str] = []

    def decide(thread: int) -> None:
        while time.time() < start:
            pass
        try:
            for n in range(20):
                lease = f"{os.getpid()}-{thread}-{n}"
                store.try_acquire("key", lease, 0.0, 4, 30)
                store.release("key", lease)
                store.pause("key", 0.001)
                store.paused_for("key")
        except BudgetUnavailable as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(errors)


def test_processes_opening_a_new_budget_file_at_once_all_get_their_answers(tmp_path):
    # SQLite answers "database is locked" at once, without its busy timeout, to a connection that
    # opens the file while another switches it to WAL: the store tries again.
    context = multiprocessing.get_context("fork")
    for trial in range(6):
        path, results = str(tmp_path / f"budgets-{trial}.sqlite3"), context.Queue()
        start = time.time() + 0.3
        arguments = (path, start, results)
        processes = [context.Process(target=_hammer_budget_file, args=arguments) for _ in range(4)]
        for process in processes:
            process.start()
        errors = [error for _ in processes for error in results.get(timeout=60)]
        for process in processes:
            process.join(10)
        assert errors == [], errors[:3]


def _sleep_until(ends: float):
    """A budget's sleep that raises TimeoutError once ``ends`` (monotonic) has passed."""

    def sleep(wait: float) -> None:
        if time.monotonic() >= ends:
            raise TimeoutError
        time.sleep(min(wait, 0.05))

    return sleep


# --- 429 and Retry-After ----------------------------------------------------------------------------------


def _one_429(retry_after: str = "2", delay: float = 0.05):
    def answer(number, path):
        if number == 6:
            return Answer(status=429, headers={"Retry-After": retry_after})
        return Answer(delay=delay)

    return answer


def _assert_paused_after_the_429(server: RecordingUpstream, seconds: float) -> None:
    (paused_at,) = [at for at, status in server.answered if status == 429]
    arrivals = server.arrival_times()
    # Requests sent before the client had read the 429 may land just after the server answered it
    # (a loaded machine can take a moment to schedule the reading thread); nothing else until it ends.
    during = [at - paused_at for at in arrivals if paused_at + 0.25 < at < paused_at + seconds - 0.1]
    assert during == [], f"requests arrived {during} s into the {seconds} s pause"
    after = [at for at in arrivals if at >= paused_at + seconds - 0.1]
    assert after, "the requests did not resume after the pause"


def test_a_429_with_retry_after_pauses_every_request_of_the_connector(store, upstream):
    server = upstream(_one_429("2"))
    results = _send_from_threads(server.url, _key(), threads=4, requests=5, concurrent=4)

    assert results == [200] * 20  # the 429 was retried after the pause
    assert len(server.arrivals) == 21
    _assert_paused_after_the_429(server, 2.0)


def test_a_429_pauses_the_connector_even_when_its_request_gives_up(store, upstream):
    server = upstream(lambda number, path: Answer(status=429, headers={"Retry-After": "1"}))
    key = _key()

    with OutboundClient(max_attempts=1, budget=RequestBudget(key)) as client:
        with pytest.raises(UpstreamError, match="HTTP 429"):
            client.get(server.url)

    assert 0.5 < RequestBudget(key).paused_for() <= 1.0


def test_a_retry_after_past_the_cap_pauses_the_connector_for_the_cap_only_and_fails_at_once(
    store, upstream, settings
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 1.5
    server = upstream(lambda number, path: Answer(status=429, headers={"Retry-After": "3600"}))
    key = _key()
    started = time.monotonic()

    with OutboundClient(budget=RequestBudget(key)) as client:
        with pytest.raises(
            UpstreamError, match="asks to wait 3600 s, longer than MIGRATEIQ_HTTP_RETRY_AFTER_CAP"
        ):
            client.get(server.url)

    assert time.monotonic() - started < 1.0
    assert len(server.arrivals) == 1
    assert 0.5 < RequestBudget(key).paused_for() <= 1.5  # the other requests wait the cap, not an hour


def test_a_pause_is_not_shortened_by_a_later_shorter_one(store):
    budget = RequestBudget(_key())
    budget.pause(3)
    budget.pause(0.5)

    assert budget.paused_for() > 2.5


def test_a_429_halves_the_concurrency_of_the_budget_that_met_it_and_calm_brings_it_back(store, upstream):
    server = upstream(lambda number, path: Answer(delay=0.05))
    budget = RequestBudget(_key(), concurrent=4)
    budget.pause(0.05)
    budget.pause(0.05)  # the other answers of one burst: halved once
    assert (budget.concurrent, budget.configured_concurrent) == (2, 4)
    assert budget.pause_note().endswith("at most 2 of 4 requests at once through this budget for now")
    other = RequestBudget(budget.key, concurrent=4)
    assert other.concurrent == 4  # the run that met the 429 slows down, not the connector's next runs

    with OutboundClient(budget=budget) as client:
        threads = [threading.Thread(target=client.get, args=(server.url,)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert server.max_in_flight == 2

    time.sleep(1.1)  # a later 429 is a new burst
    budget.pause(0.01)
    assert budget.concurrent == 1
    for _ in range(CALM_EXCHANGES - 1):
        with budget.slot():
            pass
    assert budget.concurrent == 1
    with budget.slot():
        pass
    assert budget.concurrent == 2
    assert budget.pause_note() != budget.paused_note
    for _ in range(2 * CALM_EXCHANGES):
        with budget.slot():
            pass
    assert budget.concurrent == 4 and budget.pause_note() == budget.paused_note


def test_paused_here_says_whether_this_objects_own_pause_is_on(store):
    budget = RequestBudget(_key())
    assert not budget.paused_here()
    budget.pause(0.3)
    other = RequestBudget(budget.key)
    assert budget.paused_here() and not other.paused_here()  # no store query: its own pauses only
    assert other.paused_for() > 0  # the store's pause holds for every object of the key
    time.sleep(0.35)
    assert not budget.paused_here()


# --- pacing: what the budget's own limits made requests wait --------------------------------------------


def test_requests_that_waited_for_a_rate_token_are_counted_with_their_wait(store):
    budget = RequestBudget(_key(), per_second=2)
    for _ in range(3):
        with budget.slot():
            pass

    # the first went at once; the next two waited an interval (0.55 s) each
    assert budget.paced_requests == 2
    assert 2 * budget.interval - 0.05 <= budget.paced_seconds <= 2 * budget.interval + 0.5
    assert budget.paced_by_slots == 0


def test_requests_waiting_side_by_side_count_their_common_wait_once(store):
    budget = RequestBudget(_key(), per_second=4)

    def take():
        with budget.slot():
            pass

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    # three waited one, two and three intervals (0.275 s) over the same 0.825 s: not 1.65 s added up
    assert budget.paced_requests == 3
    assert 3 * budget.interval - 0.05 <= budget.paced_seconds <= 3 * budget.interval + 0.5


def test_a_request_that_waited_for_a_concurrency_slot_is_counted_as_such(store):
    budget = RequestBudget(_key(), concurrent=1)
    held = threading.Event()

    def hold_the_slot():
        with budget.slot():
            held.set()
            time.sleep(0.4)

    holder = threading.Thread(target=hold_the_slot)
    holder.start()
    assert held.wait(5)
    started = time.monotonic()
    with budget.slot():
        waited = time.monotonic() - started
    holder.join(5)

    assert (budget.paced_requests, budget.paced_by_slots) == (1, 1)
    # The time it waited for the holder, counted: up to 0.4 s (less when this thread itself was held
    # up before asking, as a loaded test process can be for a third of a second).
    assert waited > 0.01
    assert waited - 0.1 <= budget.paced_seconds <= waited + 0.005, (budget.paced_seconds, waited)


def test_a_pause_is_not_counted_as_pacing_even_in_a_rate_limited_budget(store):
    budget = RequestBudget(_key(), per_second=100)
    started = time.monotonic()  # before the pause starts (its store may take a while to answer)
    budget.pause(0.6)
    with budget.slot():
        pass

    assert time.monotonic() - started >= 0.55  # it waited out the pause
    assert budget.paced_seconds < 0.2  # but at most a rate interval of it was the budget's own limit
    assert budget.paced_by_slots == 0


def test_a_request_granted_at_once_counts_nothing(store):
    budget = RequestBudget(_key(), per_second=1)
    with budget.slot():
        pass

    assert (budget.paced_requests, budget.paced_seconds) == (0, 0.0)


# --- requests per run ---------------------------------------------------------------------------------------


def test_max_requests_stops_before_sending_one_more(store, upstream):
    server = upstream()
    budget = RequestBudget(_key(), max_requests=3, exhausted_message="three is enough")

    with OutboundClient(budget=budget) as client:
        for _ in range(3):
            client.get(server.url)
        with pytest.raises(RequestBudgetExhausted, match="three is enough"):
            client.get(server.url)

    assert len(server.arrivals) == 3


def test_retries_count_against_max_requests(store, upstream, settings):
    settings.MIGRATEIQ_HTTP_BACKOFF_BASE = 0.01
    server = upstream(lambda number, path: Answer(status=503))

    with OutboundClient(max_attempts=5, budget=RequestBudget(_key(), max_requests=2)) as client:
        with pytest.raises(RequestBudgetExhausted):
            client.get(server.url)

    assert len(server.arrivals) == 2


def test_a_budget_refuses_impossible_limits():
    with pytest.raises(ValueError):
        RequestBudget("k", per_second=0)
    with pytest.raises(ValueError):
        RequestBudget("k", concurrent=17)
    with pytest.raises(ValueError):
        RequestBudget("k", max_requests=0)


# --- two worker processes sharing Redis, or the budget file --------------------------------------


def test_two_worker_processes_stay_within_five_requests_per_second(shared_store, upstream, tmp_path):
    server = upstream()
    options = {"key": _key(), "threads": 2, "requests": 4, "per_second": 5, "concurrent": 16}
    results = _run_worker_processes(2, shared_store, server, tmp_path, **options)

    assert results == [[200] * 8, [200] * 8]
    arrivals = server.arrival_times()
    assert len(arrivals) == 16
    assert most_in_any_window(arrivals, 1.0) <= 5, arrivals
    assert arrivals[-1] - arrivals[0] >= 15 / 5 * (1 + RATE_MARGIN) - JITTER, arrivals


def test_two_worker_processes_respect_the_concurrency_cap(shared_store, upstream, tmp_path):
    server = upstream(lambda number, path: Answer(delay=0.2))
    options = {"key": _key(), "threads": 3, "requests": 3, "concurrent": 2}
    results = _run_worker_processes(2, shared_store, server, tmp_path, **options)

    assert results == [[200] * 9, [200] * 9]
    assert server.max_in_flight == 2


def test_a_429_in_one_worker_process_pauses_the_other(shared_store, upstream, tmp_path):
    # Unpaused, each thread would keep sending for about 2 s after the 429.
    server = upstream(_one_429("2", delay=0.15))
    options = {"key": _key(), "threads": 2, "requests": 15, "concurrent": 4}
    results = _run_worker_processes(2, shared_store, server, tmp_path, **options)

    assert results == [[200] * 30, [200] * 30]
    _assert_overlapped(server, 2)
    _assert_paused_after_the_429(server, 2.0)
    (paused_at,) = [at for at, status in server.answered if status == 429]
    for worker in ("worker=0", "worker=1"):
        times = [at for at, path in server.arrivals if path.endswith(worker)]
        assert min(times) < paused_at < max(times), f"{worker} did not send on both sides of the pause"


def test_an_unreachable_redis_fails_the_request_clearly_without_sending_it(settings, upstream):
    server = upstream()
    settings.CACHES = _redis_cache("migrateiq-test-budget-down")
    # Nothing listens on this port of the test range; the URL carries a password that must not show.
    settings.CACHES["default"]["LOCATION"] = "redis://:hunter2@127.0.0.1:18799/15"

    with OutboundClient(budget=RequestBudget(_key())) as client:
        with pytest.raises(BudgetUnavailable) as raised:
            client.get(server.url)

    assert "Redis did not answer" in str(raised.value)
    assert "hunter2" not in str(raised.value) and "18799" not in str(raised.value)
    assert server.arrivals == []


# --- order -----------------------------------------------------------------------------------------------


class _GrantRecordingStore:
    """A budget store that records the slot_order position of each slot it grants, at the grant."""

    def __init__(self, store) -> None:
        self._store = store
        self.granted: list[int | None] = []

    def try_acquire(self, *args) -> float:
        wait = self._store.try_acquire(*args)
        if wait <= 0:
            self.granted.append(slot_order.get())
        return wait

    def __getattr__(self, name):
        return getattr(self._store, name)


def test_requests_of_one_budget_with_positions_take_their_slots_in_that_order(store):
    # Waiting requests poll the pause at most every 20 ms (it would be a minute here).
    budget = RequestBudget(
        _key(), per_second=10, concurrent=8, sleep=lambda wait: time.sleep(min(wait, 0.02))
    )
    recording = budget._store = _GrantRecordingStore(budget._store)
    # Paused until every request waits in line, so that position decides the order, not how fast the
    # threads start: under load, a later page that found the line empty took the token 0.11 s after a
    # spent one, before the earlier pages were in line (taken [4, 1, 2, 3], [3, 1, 2, 4] in 5 of 30 runs).
    budget._store.pause(budget.key, 60)

    def request(position: int) -> None:
        slot_order.set(position)
        with budget.slot():
            pass

    # Threads arrive in reverse page order, as fetching threads may be scheduled.
    workers = [threading.Thread(target=request, args=(position,)) for position in (4, 3, 2, 1)]
    for worker in workers:
        worker.start()
        time.sleep(0.005)
    deadline = time.monotonic() + 10
    while budget._waiting != {1: True, 2: True, 3: True, 4: True} and time.monotonic() < deadline:
        time.sleep(0.005)
    assert budget._waiting == {1: True, 2: True, 3: True, 4: True}
    assert recording.granted == []
    budget.reset()  # the pause ends: one token every 0.11 s
    for worker in workers:
        worker.join(10)
    assert recording.granted == [1, 2, 3, 4]


def test_positions_that_never_ask_for_a_slot_do_not_hold_the_line(store):
    budget = RequestBudget(_key(), per_second=10, concurrent=8)
    done: list[float] = []

    def request() -> None:
        slot_order.set(7)  # positions 1-6 were never sent (dropped, deferred, or not predicted)
        started = time.monotonic()
        with budget.slot():
            done.append(time.monotonic() - started)

    worker = threading.Thread(target=request)
    worker.start()
    worker.join(10)
    assert done and done[0] < 0.5
    assert budget._waiting == {}


def test_a_place_held_in_line_delays_later_positions_for_a_bounded_time_only(store):
    budget = RequestBudget(_key(), per_second=10, concurrent=8)
    waited: list[float] = []

    def request(position: int) -> None:
        slot_order.set(position)
        started = time.monotonic()
        with budget.slot():
            waited.append(time.monotonic() - started)

    budget.join_line(1)  # queued, its fetching thread not started yet (or never)
    worker = threading.Thread(target=request, args=(2,))
    worker.start()
    worker.join(10)
    assert LINE_HOLD_SECONDS - 0.05 <= waited[0] < LINE_HOLD_SECONDS + 1.0

    budget.join_line(3)
    budget.leave_line(3)  # given up (dropped before it was sent): nobody waits for it, nor for 1 any more
    worker = threading.Thread(target=request, args=(4,))
    worker.start()
    worker.join(10)
    assert waited[1] < 0.5


# --- a caller's deadline -------------------------------------------------------------------------------


def test_a_rate_token_past_the_callers_deadline_fails_at_once_and_sends_nothing(store, upstream):
    server = upstream()
    key = _key()
    with OutboundClient(budget=RequestBudget(key, per_second=0.01)) as client:
        with total_deadline(2):
            assert client.get(server.url).status_code == 200  # takes the first token
        started = time.monotonic()
        with total_deadline(2), pytest.raises(UpstreamError) as refused:
            client.get(server.url)  # the next token is 110 s away

    assert time.monotonic() - started < 1.5  # not 2 s of sleeping, nor 110
    assert "the next request the rate limit of 0.01 a second allows" in str(refused.value)
    assert "the 2 s budget of this request would run out" in str(refused.value)
    assert "nothing was sent" in str(refused.value)
    assert len(server.arrivals) == 1


def test_a_pause_past_the_callers_deadline_fails_at_once_naming_the_pause(store, upstream):
    server = upstream()
    key = _key()
    RequestBudget(key).pause(30)
    started = time.monotonic()
    with OutboundClient(budget=RequestBudget(key)) as client:
        with total_deadline(5, "the sync's time budget"), pytest.raises(UpstreamError) as refused:
            client.get(server.url)

    assert time.monotonic() - started < 2.5  # not the 5 s of its budget, nor the 30 s pause
    assert str(refused.value).startswith(
        "Timed out: the sync's time budget would run out before the end of the pause the API asked for"
    )
    assert server.arrivals == []


def test_a_slot_freed_before_the_deadline_is_waited_for(store, upstream):
    server = upstream(lambda number, path: Answer(delay=0.3))
    key = _key()
    results = []

    def send():
        with OutboundClient(budget=RequestBudget(key, concurrent=1)) as client, total_deadline(5):
            results.append(client.get(server.url).status_code)

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [200, 200, 200]  # each waited ~0.3-0.6 s for the one slot, well within 5 s
    assert server.max_in_flight == 1


def _holding_the_only_slot(key: str, server) -> threading.Thread:
    """A thread whose request to ``server`` holds the one slot of ``key`` (returned once it arrived)."""
    holder = threading.Thread(
        target=lambda: OutboundClient(budget=RequestBudget(key, concurrent=1)).get(server.url)
    )
    holder.start()
    deadline = time.monotonic() + 10.0
    while not server.arrivals and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.arrivals
    return holder


def test_a_wait_that_oversleeps_the_deadline_still_names_what_it_waited_for(store, upstream):
    """A loaded machine sleeps longer than asked: the poll that ends past the deadline gives up with
    the same message as one that sees the deadline coming (not "a free slot, 0 s away")."""
    server = upstream(lambda number, path: Answer(delay=3.0))
    key = _key()
    holder = _holding_the_only_slot(key, server)
    oversleeping = RequestBudget(key, concurrent=1, sleep=lambda seconds: time.sleep(seconds + 0.6))
    with OutboundClient(budget=oversleeping) as client:
        with total_deadline(0.5), pytest.raises(UpstreamError) as refused:
            client.get(server.url)
    holder.join()

    assert "would run out before a free slot of the 1 allowed at once" in str(refused.value)
    assert len(server.arrivals) == 1


def test_a_full_concurrency_past_the_deadline_is_a_timeout_not_a_hang(store, upstream):
    server = upstream(lambda number, path: Answer(delay=4.0))
    key = _key()
    holder = _holding_the_only_slot(key, server)
    started = time.monotonic()
    with OutboundClient(budget=RequestBudget(key, concurrent=1)) as client:
        with total_deadline(0.5), pytest.raises(UpstreamError) as refused:
            client.get(server.url)
    waited = time.monotonic() - started
    holder.join()

    assert 0.4 < waited < 2.5  # polled for the slot until its deadline, not for the holder's 4 s
    assert "a free slot of the 1 allowed at once" in str(refused.value)
    assert len(server.arrivals) == 1
