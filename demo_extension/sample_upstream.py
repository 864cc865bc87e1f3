"""A deterministic sample upstream REST API ("users") served by a real local HTTP server.

MigrateIQ's tests, the offline demo (``manage.py demo_api``) and the benchmark sync from it. It
speaks every pagination style the sync engine supports, checks every auth style a connector can be
configured with, and has fault switches for the engine's tests (error statuses, HTML pages,
truncated or oversize bodies, dropped connections, stalls, pagination loops).

Records are a pure function of their index, ``seed`` and ``version``: two servers with the same
options serve byte-identical data, and a higher ``version`` changes a known subset of records
(``mutated_ids()``) so re-sync tests can see updates. ``created_at`` grows with ``id``, so it works
as an incremental cursor.

    with SampleUpstream(records=250, page_size=25, style="page") as upstream:
        upstream.url          # "http://127.0.0.1:54321/users"
        upstream.requests     # every request received: {"path", "query", "headers", "at" (monotonic)}

``UpstreamProcess`` serves the same API from a child process (for the benchmark), and
``demo_extension/tests/conftest.py`` has the ``sample_upstream`` fixture that tests use.
"""

from __future__ import annotations

import base64
import binascii
import functools
import gzip
import hmac
import json
import math
import os
import socket
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

STYLES = ("none", "page", "offset", "cursor", "next_url", "link_header")
AUTH_STYLES = ("bearer", "header", "query", "basic", "basic_key")
# What a failing page does (see SampleUpstream): an error status, an HTML page with status 200,
# half a JSON body, a dropped connection, a long stall, a body over the client's size cap, a small
# gzip body that decodes past the cap, or a "next" pointer that loops.
FAULTS = ("status", "html", "truncated", "reset", "stall", "oversize", "gzip_bomb", "loop")
# respond_collection's answer when the connection must be dropped without a response.
RESET = (0, {}, b"")

# Default body key of the record list for each enveloped style.
DEFAULT_RECORDS_KEYS = {"page": "data", "offset": "results", "cursor": "items", "next_url": "results"}

BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)
BASE_EPOCH = int(BASE_TIME.timestamp())
# created_at of record ``i`` is BASE_TIME + i * CREATED_STEP_SECONDS.
CREATED_STEP_SECONDS = 60

_FIRST = (
    "Leanne Ervin Clementine Patricia Chelsey Dennis Kurtis Nicholas Glenna Clementina Ada Alan Grace "
    "Linus Barbara Edsger Margaret Donald Frances Ken Radia Tim Hedy Katherine John Mary Dorothy Niklaus"
).split()
_LAST = (
    "Graham Howell Bauch Lebsack Dietrich Schulist Weissnat Runolfsdottir Reichert DuBuque Lovelace "
    "Turing Hopper Torvalds Liskov Dijkstra Hamilton Knuth Allen Thompson Perlman Berners Lamarr "
    "Johnson Backus Wirth Vaughan Kernighan"
).split()
_CITIES = (
    "Gwenborough Wisokyburgh McKenziehaven SouthElvis Roscoeview SouthChristy Howemouth Aliyaview "
    "Bartholomebury Lebsackbury Lisbon Porto Braga Coimbra Faro Aveiro Leiria Evora Viseu Setubal"
).split()
_STREETS = (
    "Kulas Light|Victor Plains|Douglas Extension|Hoeger Mall|Skiles Walks|Norberto Crossing|"
    "Rex Trail|Ellsworth Summit|Dayna Park|Kattie Turnpike|Rua Augusta|Avenida da Liberdade"
).split("|")
_COMPANIES = (
    "Romaguera-Crona|Deckow-Crist|Romaguera-Jacobson|Robel-Corkery|Keebler LLC|Considine-Lockman|"
    "Johns Group|Abernathy Group|Yost and Sons|Hoeger LLC|Acme Corp|Globex Corporation"
).split("|")
_PHRASES = (
    "Multi-layered client-server neural-net|Proactive didactic contingency|Face to face bifurcated "
    "interface|Multi-tiered zero tolerance productivity|User-centric fault-tolerant solution|"
    "Synchronised bottom-line interface|Configurable multimedia task-force|Implemented secondary "
    "concept|Switchable contextually-based project|Centralized empowering task-force"
).split("|")
_DOMAINS = ("april.biz", "melissa.tv", "yesenia.net", "kory.org", "annie.ca", "jasper.info", "example.com")
_TAGS = ("alpha", "beta", "gamma", "delta", "vip", "trial", "churned", "enterprise", "smb", "partner")


def _hash(i: int, seed: int) -> int:
    """A cheaper hash for per-record choices (multiplicative, then one xor-shift)."""
    h = ((i + seed * 0x632BE59BD9B4E019) * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    return h ^ (h >> 29)


def _mix(i: int, seed: int) -> int:
    """A cheap deterministic 64-bit hash of (index, seed) (splitmix64 finaliser)."""
    z = (i * 0x9E3779B97F4A7C15 + seed * 0xBF58476D1CE4E5B9 + 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


_DAY_SECONDS = 86_400
# "THH:MM:SSZ" of every second of a day, built on first use: formatting timestamps is the bulk of a
# record's cost otherwise.
_time_of_day: list[str] = []


@functools.lru_cache(maxsize=8192)
def _date(day_number: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day_number * _DAY_SECONDS))


def _iso(epoch_seconds: int) -> str:
    if not _time_of_day:
        _time_of_day[:] = [
            f"T{h:02d}:{m:02d}:{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)
        ]
    day, second = divmod(epoch_seconds, _DAY_SECONDS)
    return _date(day) + _time_of_day[second]


# Each record's name, address, company, score, ... come from one of VARIANTS precomputed variants
# (chosen by a hash of its id); id, username, email, phone, website and timestamps are its own.
VARIANTS = 4096


@functools.lru_cache(maxsize=4 * VARIANTS)
def _variant(seed: int, version: int, v: int) -> tuple[str, str, str, str, str, str]:
    """(name, username stem, email domain, website stem, phone prefix, JSON of the other fields)."""
    h = _mix(v, seed ^ 0x5EED)
    first = _FIRST[h % len(_FIRST)]
    last = _LAST[(h >> 8) % len(_LAST)]
    score = ((h >> 16) % 100_000) / 100
    active = (h >> 40) % 5 != 0
    phrase = _PHRASES[(h >> 24) % len(_PHRASES)]
    if version:
        score = round(score + version * 1.5, 2)
        active = not active if version % 2 else active
        phrase = f"{phrase} v{version}"
    tags = ",".join(f'"{_TAGS[(h >> (48 + 4 * k)) % len(_TAGS)]}"' for k in range((h >> 44) % 4))
    lat = ((h >> 12) % 180_000) / 1000 - 90
    lng = ((h >> 20) % 360_000) / 1000 - 180
    others = (
        f'"score":{score!r},"active":{"true" if active else "false"},'
        f'"address":{{"street":"{(h >> 32) % 9000 + 100} {_STREETS[(h >> 36) % len(_STREETS)]}",'
        f'"suite":"Apt. {(h >> 6) % 999 + 1}","city":"{_CITIES[(h >> 10) % len(_CITIES)]}",'
        f'"zipcode":"{(h >> 14) % 90000 + 10000:05d}","geo":{{"lat":"{lat:.4f}","lng":"{lng:.4f}"}}}},'
        f'"company":{{"name":"{_COMPANIES[(h >> 18) % len(_COMPANIES)]}","catchPhrase":"{phrase}"}},'
        f'"tags":[{tags}]'
    )
    return (
        f"{first} {last}",
        f"{first.lower()}.{last.lower()}",
        _DOMAINS[(h >> 4) % len(_DOMAINS)],
        last.lower(),
        f"{(h >> 28) % 1000:03d}",
        others,
    )


def created_at_of(record_id: int) -> str:
    """The ``created_at`` of a record (independent of seed and version)."""
    return _iso(BASE_EPOCH + record_id * CREATED_STEP_SECONDS)


def parse_timestamp(value: str) -> float:
    """Seconds since the epoch of an ISO 8601 datetime (``Z`` or offset; naive = UTC) or a number."""
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


class _LRU:
    """A small thread-safe LRU of serialized pages."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._data: OrderedDict[Any, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key, value: bytes) -> None:
        if self.maxsize <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


@functools.lru_cache(maxsize=4)
def _padded_json(size: int) -> bytes:
    """A valid JSON array of one record padded to ``size`` bytes."""
    head, tail = b'[{"id":1,"padding":"', b'"}]'
    return head + b"x" * max(0, size - len(head) - len(tail)) + tail


@functools.lru_cache(maxsize=4)
def _gzip_bomb(size: int) -> bytes:
    """Gzip of a valid JSON array that decodes to ``size`` bytes (about a thousandth on the wire)."""
    return gzip.compress(b"[" + b" " * max(0, size - 2) + b"]", compresslevel=9)


class _BadRequest(Exception):
    pass


class SampleUpstream:
    """A local paginated "users" API. See the module docstring; every option is a keyword.

    Data: ``records`` (count), ``seed``, ``version`` (> 0 changes every ``mutate_every``-th record),
    ``path`` (collection path, default ``/users``; ``/users/{id}`` serves one record).

    Pagination: ``style`` in ``STYLES``; ``page_size`` (default size), ``max_page_size`` (cap on a
    client-requested size); parameter names ``page_param``, ``per_page_param``, ``offset_param``,
    ``limit_param``, ``cursor_param``; ``records_key`` (the body key of the list, per-style default).

    Incremental: ``incremental_param`` (default ``updated_since``; ``None`` disables it) keeps only
    records whose ``incremental_field`` (default ``created_at``) is greater than the value.

    Auth (when ``api_key`` is set): ``auth`` in ``AUTH_STYLES``, ``auth_header`` (header style),
    ``auth_param`` (query style), ``username`` (basic style: the key is the password), ``password``
    (basic_key style: the key is the user name, Stripe-like). Wrong or missing: 401 JSON.

    Faults: ``fail_after_pages=k`` makes pages after k fail until ``heal()``; ``fail_first=n`` makes
    the first n collection requests fail (then they succeed). How a page fails is ``fault`` (one of
    ``FAULTS``): ``status`` answers ``fail_status`` (500) with a JSON error and, with ``retry_after``,
    a ``Retry-After`` header; ``html`` a 200 HTML page; ``truncated`` half the JSON body; ``reset``
    drops the connection; ``stall`` waits ``stall_ms`` first; ``oversize`` sends ``oversize_bytes``
    (11 MiB) of valid JSON; ``gzip_bomb`` sends gzip that decodes to ``oversize_bytes``; ``loop``
    points "next" back at the same page (pointer styles) or repeats page k (page and offset styles).
    ``slow_ms`` is every answer's latency: it leaves ``slow_ms`` after its request arrived, however long
    building it took (a ``stall`` is part of it).
    """

    def __init__(
        self,
        records: int = 250,
        page_size: int = 25,
        style: str = "page",
        api_key: str | None = None,
        auth: str = "bearer",
        *,
        seed: int = 0,
        version: int = 0,
        mutate_every: int = 10,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = "/users",
        max_page_size: int = 10_000,
        page_param: str = "page",
        per_page_param: str = "per_page",
        offset_param: str = "offset",
        limit_param: str = "limit",
        cursor_param: str = "cursor",
        records_key: str | None = None,
        incremental_param: str | None = "updated_since",
        incremental_field: str = "created_at",
        auth_header: str = "X-API-Key",
        auth_param: str = "api_key",
        username: str = "migrateiq",
        password: str = "",
        fail_after_pages: int | None = None,
        fail_status: int = 500,
        fault: str = "status",
        stall_ms: int = 30_000,
        oversize_bytes: int = 11 * 1024 * 1024,
        fail_first: int = 0,
        retry_after: int | None = None,
        slow_ms: int = 0,
        cache_pages: int = 64,
        prefetch: bool = True,
        record_requests: bool = True,
    ):
        if style not in STYLES:
            raise ValueError(f"Unknown pagination style {style!r}; expected one of {', '.join(STYLES)}.")
        if auth not in AUTH_STYLES:
            raise ValueError(f"Unknown auth style {auth!r}; expected one of {', '.join(AUTH_STYLES)}.")
        if incremental_field not in ("created_at", "updated_at"):
            raise ValueError("incremental_field must be 'created_at' or 'updated_at'.")
        if page_size < 1 or records < 0:
            raise ValueError("page_size must be positive and records not negative.")
        self.records = records
        self.page_size = page_size
        self.style = style
        self.api_key = api_key
        self.auth = auth
        self.seed = seed
        self.version = version
        self.mutate_every = max(1, mutate_every)
        self.host = host
        self.port = port
        self.path = "/" + path.strip("/")
        self.max_page_size = max_page_size
        self.page_param = page_param
        self.per_page_param = per_page_param
        self.offset_param = offset_param
        self.limit_param = limit_param
        self.cursor_param = cursor_param
        self.records_key = records_key or DEFAULT_RECORDS_KEYS.get(style, "")
        self.incremental_param = incremental_param
        self.incremental_field = incremental_field
        self.auth_header = auth_header
        self.auth_param = auth_param
        self.username = username
        self.password = password
        self.fail_after_pages = fail_after_pages
        self.fail_status = fail_status
        if fault not in FAULTS:
            raise ValueError(f"Unknown fault {fault!r}; expected one of {', '.join(FAULTS)}.")
        self.fault = fault
        self.stall_ms = stall_ms
        self.oversize_bytes = oversize_bytes
        self.fail_first = fail_first
        self.retry_after = retry_after
        self.slow_ms = slow_ms
        self.record_requests = record_requests

        self._cache = _LRU(cache_pages)
        self.prefetch = prefetch and cache_pages > 0
        self._prefetcher: ThreadPoolExecutor | None = None
        self._pending: dict = {}
        self._requests: list[dict] = []
        self._lock = threading.Lock()
        self._healed = False
        self._failures_served = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # --- data -----------------------------------------------------------------------------------

    def is_mutated(self, record_id: int) -> bool:
        return self.version > 0 and record_id % self.mutate_every == 0

    def mutated_ids(self) -> list[int]:
        """Ids whose data differs from version 0 (empty when ``version`` is 0)."""
        if self.version <= 0:
            return []
        return list(range(self.mutate_every, self.records + 1, self.mutate_every))

    def _mutated_updated_epoch(self) -> int:
        # Later than every record's updated_at at version 0, and later again for each version.
        return BASE_EPOCH + (self.records + 1) * CREATED_STEP_SECONDS + _DAY_SECONDS + self.version * 3600

    def _updated_epoch(self, record_id: int) -> int:
        if self.is_mutated(record_id):
            return self._mutated_updated_epoch()
        return (
            BASE_EPOCH + record_id * CREATED_STEP_SECONDS + (_hash(record_id, self.seed) >> 12) % _DAY_SECONDS
        )

    def records_json(self, ids) -> str:
        """The compact JSON texts of records ``ids`` (1-based), comma-separated.

        Built without ``json.dumps`` (the benchmark serves a million records): every string comes
        from ASCII word lists without quotes or backslashes, so nothing needs escaping;
        ``test_sample_upstream`` checks the text equals ``json.dumps`` of the parsed records.
        """
        seed, version, every = self.seed, self.version, self.mutate_every
        mutated_updated = self._mutated_updated_epoch()
        if not _time_of_day:
            _iso(0)
        time_of_day, date, variant, step, day = (
            _time_of_day,
            _date,
            _variant,
            CREATED_STEP_SECONDS,
            _DAY_SECONDS,
        )
        texts = []
        append = texts.append
        for i in ids:
            h = _hash(i, seed)
            mutated = version > 0 and i % every == 0
            name, user, domain, site, phone, others = variant(seed, version if mutated else 0, h % VARIANTS)
            created = BASE_EPOCH + i * step
            updated = mutated_updated if mutated else created + (h >> 12) % day
            append(
                f'{{"id":{i},"name":"{name}","username":"{user}{i}","email":"{user}{i}@{domain}",'
                f'"phone":"+1-555-{phone}-{i % 10000:04d}","website":"{site}{i}.example.com",'
                f'"created_at":"{date(created // day)}{time_of_day[created % day]}",'
                f'"updated_at":"{date(updated // day)}{time_of_day[updated % day]}",{others}}}'
            )
        return ",".join(texts)

    def record_json(self, record_id: int) -> str:
        """The compact JSON text of one record."""
        return self.records_json((record_id,))

    def record(self, record_id: int) -> dict:
        """Record ``record_id`` (1-based) as a dict."""
        return json.loads(self.record_json(record_id))

    def all_records(self) -> list[dict]:
        """Every record, in id order (what a complete sync must end up with)."""
        return [self.record(i) for i in range(1, self.records + 1)]

    def update(self, **options) -> None:
        """Change data or fault options of a running server (e.g. ``records``, ``version``)."""
        for name, value in options.items():
            if not hasattr(self, name) or name.startswith("_"):
                raise AttributeError(f"SampleUpstream has no option {name!r}.")
            setattr(self, name, value)
        if "style" in options and "records_key" not in options:
            self.records_key = DEFAULT_RECORDS_KEYS.get(self.style, "")
        self._cache.clear()

    # --- faults ---------------------------------------------------------------------------------

    def heal(self) -> None:
        """Stop failing: later requests succeed whatever the fault switches say."""
        self._healed = True

    def break_again(self) -> None:
        """Undo ``heal()``."""
        self._healed = False
        with self._lock:
            self._failures_served = 0

    # --- requests log ---------------------------------------------------------------------------

    @property
    def requests(self) -> list[dict]:
        """A snapshot of every request received so far: ``{"path", "query", "headers"}``."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    # --- lifecycle ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The collection URL a connector points at."""
        return f"{self.base_url}{self.path}"

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> SampleUpstream:
        """Start serving in daemon threads; a restart after ``stop()`` reuses the same port."""
        if self._server is not None:
            return self
        handler = type("SampleUpstreamHandler", (_Handler,), {"upstream": self})
        self._server = _Server((self.host, self.port), handler)
        self.port = self._server.server_address[1]
        if self.prefetch:
            self._prefetcher = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="sample-upstream-prefetch"
            )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sample-upstream-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop open keep-alive connections (clients then see the upstream gone)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        prefetcher, self._prefetcher = self._prefetcher, None
        if prefetcher is not None:
            prefetcher.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> SampleUpstream:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<SampleUpstream {self.style} records={self.records} url={self.url}>"

    # --- request handling (called from handler threads) -----------------------------------------

    def _log(self, path: str, query: dict, headers: dict) -> None:
        if self.record_requests:
            with self._lock:
                self._requests.append(
                    {"path": path, "query": query, "headers": headers, "at": time.monotonic()}
                )

    def _authorised(self, query: dict, headers) -> bool:
        key = self.api_key
        if not key:
            return True
        if self.auth == "bearer":
            given = headers.get("Authorization") or ""
            return hmac.compare_digest(given.encode(), f"Bearer {key}".encode())
        if self.auth == "header":
            return hmac.compare_digest((headers.get(self.auth_header) or "").encode(), key.encode())
        if self.auth == "query":
            return hmac.compare_digest(str(query.get(self.auth_param, "")).encode(), key.encode())
        user, password = (key, self.password) if self.auth == "basic_key" else (self.username, key)
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        return hmac.compare_digest((headers.get("Authorization") or "").encode(), expected.encode())

    def _first_id_after(self, value: str) -> int:
        """The smallest id whose created_at is strictly greater than ``value``."""
        seconds = parse_timestamp(value)
        return max(1, math.floor((seconds - BASE_EPOCH) / CREATED_STEP_SECONDS) + 1)

    def _selected_ids(self, query: dict) -> range | list[int]:
        """The ids the request selects (the incremental filter applied), in order."""
        value = query.get(self.incremental_param) if self.incremental_param else None
        if not value:
            return range(1, self.records + 1)
        try:
            if self.incremental_field == "created_at":
                return range(self._first_id_after(value), self.records + 1)
            threshold = parse_timestamp(value)
        except ValueError as exc:
            raise _BadRequest(f"{self.incremental_param} must be an ISO 8601 datetime.") from exc
        return [i for i in range(1, self.records + 1) if self._updated_epoch(i) > threshold]

    def _int_param(self, query: dict, name: str, default: int, minimum: int) -> int:
        raw = query.get(name)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise _BadRequest(f"{name} must be an integer.") from exc
        if value < minimum:
            raise _BadRequest(f"{name} must be at least {minimum}.")
        return value

    def _size(self, query: dict, name: str) -> int:
        return min(self._int_param(query, name, self.page_size, 1), self.max_page_size)

    def _records_body(self, ids, start: int, count: int, prefetch_next: bool = False) -> bytes:
        """The JSON array of ``ids[start:start + count]``, from the page cache when possible."""
        if not isinstance(ids, range):  # the updated_at filter's ad-hoc list: never cached
            return ("[" + self.records_json(ids[start : start + count]) + "]").encode()
        key = (self.version, self.seed, self.mutate_every, ids, start, count)
        body = self._cache.get(key)
        if body is None:
            with self._lock:
                pending = self._pending.get(key)
            body = pending.result() if pending is not None else self._render_page(key)
        if prefetch_next and start + count < len(ids):
            self._prefetch((*key[:4], start + count, count))
        return body

    def _render_page(self, key) -> bytes:
        version, seed, mutate_every, ids, start, count = key
        body = ("[" + self.records_json(ids[start : start + count]) + "]").encode()
        if (version, seed, mutate_every) == (self.version, self.seed, self.mutate_every):
            self._cache.put(key, body)
        return body

    def _prefetch(self, key) -> None:
        """Render the next page in the background while the client parses this one.

        A paginating client asks for pages one after another; rendering page k+1 during the
        client's work on page k takes the upstream's own time off the benchmark's clock.
        """
        executor = self._prefetcher
        if executor is None or self._cache.get(key) is not None:
            return
        with self._lock:
            if key in self._pending:
                return
            future = executor.submit(self._render_page, key)
            self._pending[key] = future
        future.add_done_callback(lambda _: self._forget_pending(key))

    def _forget_pending(self, key) -> None:
        with self._lock:
            self._pending.pop(key, None)

    def _link(self, query: dict, **changes) -> str:
        merged = {**query, **{k: str(v) for k, v in changes.items()}}
        return f"{self.url}?{urlencode(merged)}"

    def _encode_cursor(self, position: int) -> str:
        return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode().rstrip("=")

    def _decode_cursor(self, cursor: str) -> int:
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            prefix, _, position = text.partition(":")
            if prefix != "pos":
                raise ValueError(cursor)
            return int(position)
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise _BadRequest("Invalid cursor.") from exc

    def _should_fail(self, page_number: int) -> bool:
        if self._healed:
            return False
        if self.fail_first:
            with self._lock:
                if self._failures_served < self.fail_first:
                    self._failures_served += 1
                    return True
        return self.fail_after_pages is not None and page_number > self.fail_after_pages

    def respond_collection(self, query: dict) -> tuple[int, dict, bytes]:
        """Status, extra headers and body of a collection request."""
        ids = self._selected_ids(query)
        total = len(ids)
        headers: dict[str, str] = {}
        style = self.style

        if style == "none":
            start, size = 0, max(total, 1)
        elif style in ("page", "next_url", "link_header"):
            size = self._size(query, self.per_page_param)
            page = self._int_param(query, self.page_param, 1, 1)
            start = (page - 1) * size
        elif style == "offset":
            size = self._size(query, self.limit_param)
            start = self._int_param(query, self.offset_param, 0, 0)
        else:  # cursor
            size = self._size(query, self.limit_param)
            cursor = query.get(self.cursor_param)
            start = self._decode_cursor(cursor) if cursor else 0

        page_number = start // size + 1
        fault = self.fault if self._should_fail(page_number) else None
        if fault not in (None, "loop", "stall", "truncated"):
            return self._fault_response(fault, ids, start, size, page_number)
        if fault == "stall":
            time.sleep(self.stall_ms / 1000)

        records = self._records_body(ids, start, size, prefetch_next=self.prefetch and fault is None)
        end = min(start + size, total)
        has_next = end < total
        next_page, next_position = page_number + 1, end
        if fault == "loop":
            if style in ("page", "offset", "none"):
                # Client-driven styles: the last good page again (an identical page).
                good = max(0, (self.fail_after_pages or 1) - 1) * size
                records = self._records_body(ids, good, size)
            else:
                # Pointer styles: "next" points back at this very page.
                next_page, next_position, has_next = page_number, start, True
        if style in ("none", "link_header"):
            body = records
            if style == "link_header":
                total_pages = max(1, -(-total // size))
                links = []
                if has_next:
                    links.append(f'<{self._link(query, **{self.page_param: next_page})}>; rel="next"')
                links.append(f'<{self._link(query, **{self.page_param: total_pages})}>; rel="last"')
                headers["Link"] = ", ".join(links)
                headers["X-Total-Count"] = str(total)
        else:
            if style == "page":
                meta = {
                    "page": page_number,
                    "per_page": size,
                    "total": total,
                    "total_pages": -(-total // size),
                }
            elif style == "offset":
                meta = {"count": total}
            elif style == "cursor":
                meta = {"next_cursor": self._encode_cursor(next_position) if has_next else None}
            else:  # next_url
                meta = {"next": self._link(query, **{self.page_param: next_page}) if has_next else None}
            # The records list is already serialized: splice it into the envelope.
            head = json.dumps({self.records_key: 0}, separators=(",", ":"))[:-2].encode()
            tail = json.dumps(meta, separators=(",", ":"))[1:].encode()
            body = head + records + b"," + tail
        if fault == "truncated":
            body = body[: len(body) // 2]
        return 200, headers, body

    def _fault_response(self, fault: str, ids, start: int, size: int, page_number: int):
        if fault == "status":
            headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
            message = "Upstream failure (MigrateIQ sample upstream fault switch)."
            return self.fail_status, headers, json.dumps({"error": message, "page": page_number}).encode()
        if fault == "html":
            page = (
                b"<!DOCTYPE html><html><head><title>Maintenance</title></head>"
                b"<body><h1>We will be back soon</h1></body></html>"
            )
            return 200, {"Content-Type": "text/html; charset=utf-8"}, page
        if fault == "reset":
            return RESET
        if fault == "oversize":
            return 200, {}, _padded_json(self.oversize_bytes)
        # gzip_bomb: small on the wire, oversize_bytes once decoded.
        return 200, {"Content-Encoding": "gzip"}, _gzip_bomb(self.oversize_bytes)

    def respond_one(self, raw_id: str) -> tuple[int, dict, bytes]:
        try:
            record_id = int(raw_id)
        except ValueError:
            record_id = 0
        if not 1 <= record_id <= self.records:
            return 404, {}, json.dumps({"error": f"User {raw_id} not found."}).encode()
        return 200, {}, self.record_json(record_id).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A client that hangs up early (a timeout test, a cancelled sync) is not an upstream error.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    upstream: SampleUpstream
    protocol_version = "HTTP/1.1"
    server_version = "MigrateIQSampleUpstream/1.0"
    # Small responses must not wait for delayed ACKs on keep-alive connections.
    disable_nagle_algorithm = True
    timeout = 60

    def setup(self):
        super().setup()
        with self.upstream._lock:
            self.upstream._connections.add(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            with self.upstream._lock:
                self.upstream._connections.discard(self.connection)

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        """Silence the per-request stderr log (the benchmark makes thousands of requests)."""

    _answer_at = 0.0  # monotonic time before which no answer leaves (slow_ms)

    def _wait_for_latency(self) -> None:
        remaining = self._answer_at - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)

    def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self._wait_for_latency()
        headers = {"Content-Type": "application/json", **(headers or {})}
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str, headers: dict | None = None) -> None:
        self._send(status, json.dumps({"error": message}).encode(), headers)

    def do_GET(self):
        upstream = self.upstream
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        upstream._log(parts.path, query, dict(self.headers.items()))
        # slow_ms is the latency: the answer leaves slow_ms after the request arrived, however long
        # building it took (built meanwhile, like a server across a network).
        self._answer_at = time.monotonic() + upstream.slow_ms / 1000
        if not upstream._authorised(query, self.headers):
            challenge = {
                "bearer": 'Bearer realm="users"',
                "basic": 'Basic realm="users"',
                "basic_key": 'Basic realm="users"',
            }.get(upstream.auth)
            self._error(
                401, "Invalid or missing API key.", {"WWW-Authenticate": challenge} if challenge else None
            )
            return
        path = parts.path.rstrip("/") or "/"
        try:
            if path == upstream.path:
                status, headers, body = upstream.respond_collection(query)
            elif path.startswith(upstream.path + "/") and "/" not in path[len(upstream.path) + 1 :]:
                status, headers, body = upstream.respond_one(path[len(upstream.path) + 1 :])
            else:
                status, headers, body = 404, {}, json.dumps({"error": f"No route for {parts.path}."}).encode()
        except _BadRequest as exc:
            self._error(400, str(exc))
            return
        if status == RESET[0]:
            self._wait_for_latency()
            # Drop the connection without an answer (the client sees a connection reset).
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(status, body, headers)

    do_HEAD = do_GET


class UpstreamProcess:
    """A ``SampleUpstream`` in a child process, so a client in this process does not share its GIL.

    For the benchmark: ``with UpstreamProcess(records=1_000_000, page_size=1000) as upstream:``
    then ``upstream.url``. Data attributes and methods (``style``, ``all_records()``...) answer
    locally; requests are not recorded (the child would hold the log). The child is
    ``python -m demo_extension.sample_upstream '<options as JSON>'`` and exits when its stdin closes,
    so it never outlives this process.
    """

    def __init__(self, **options):
        options.setdefault("record_requests", False)
        # Same options, never started: validates them here and answers for the data.
        self.local = SampleUpstream(**options)
        self.options = options
        self.host = self.local.host
        self.path = self.local.path
        self.port = 0
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> UpstreamProcess:
        if self._process is not None:
            return self
        project_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [project_root, os.environ.get("PYTHONPATH")])),
        }
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "demo_extension.sample_upstream", json.dumps(self.options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=project_root,
            env=env,
            text=True,
        )
        line = self._process.stdout.readline()
        if not line.startswith("port "):
            self.stop()
            raise RuntimeError("The sample upstream process did not start (see its stderr).")
        self.port = int(line.split()[1])
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()

    def __getattr__(self, name):
        if name.startswith("_") or name in ("local", "requests"):
            raise AttributeError(name)
        return getattr(self.local, name)

    def __enter__(self) -> UpstreamProcess:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def sample_users(count: int, *, seed: int = 0, version: int = 0) -> list[dict]:
    """The records a ``SampleUpstream(records=count, seed=seed, version=version)`` serves."""
    return SampleUpstream(records=count, seed=seed, version=version).all_records()


__all__ = [
    "AUTH_STYLES",
    "FAULTS",
    "STYLES",
    "SampleUpstream",
    "UpstreamProcess",
    "created_at_of",
    "sample_users",
]


if __name__ == "__main__":
    # The child of UpstreamProcess: serve until stdin closes.
    _upstream = SampleUpstream(**json.loads(sys.argv[1])).start()
    print(f"port {_upstream.port}", flush=True)
    sys.stdin.read()
    _upstream.stop()
