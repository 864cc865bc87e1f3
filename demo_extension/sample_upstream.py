"""A deterministic sample upstream REST API ("users") served by a real local HTTP server.

MigrateIQ's tests, the offline demo (``manage.py demo_api``) and the benchmark sync from it. It
speaks every pagination style the sync engine supports, checks every auth style a connector can be
configured with, and has fault switches (failing pages, slow responses) for the engine's tests.

Records are a pure function of their index, ``seed`` and ``version``: two servers with the same
options serve byte-identical data, and a higher ``version`` changes a known subset of records
(``mutated_ids()``) so re-sync tests can see updates. ``created_at`` grows with ``id``, so it works
as an incremental cursor.

    with SampleUpstream(records=250, page_size=25, style="page") as upstream:
        upstream.url          # "http://127.0.0.1:54321/users"
        upstream.requests     # every request received: {"path", "query", "headers"}
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
import socket
import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

STYLES = ("none", "page", "offset", "cursor", "next_url", "link_header")
AUTH_STYLES = ("bearer", "header", "query", "basic")

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


def _mix(i: int, seed: int) -> int:
    """A cheap deterministic 64-bit hash of (index, seed) (splitmix64 finaliser)."""
    z = (i * 0x9E3779B97F4A7C15 + seed * 0xBF58476D1CE4E5B9 + 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


def _iso(epoch_seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_seconds))


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
    ``auth_param`` (query style), ``username`` (basic style). Wrong or missing: 401 JSON.

    Faults: ``fail_after_pages=k`` answers ``fail_status`` for pages after k until ``heal()``;
    ``fail_first=n`` answers ``fail_status`` to the first n collection requests (then succeeds);
    ``retry_after`` adds a ``Retry-After`` header to those failures; ``slow_ms`` delays every answer.
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
        fail_after_pages: int | None = None,
        fail_status: int = 500,
        fail_first: int = 0,
        retry_after: int | None = None,
        slow_ms: int = 0,
        cache_pages: int = 64,
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
        self.fail_after_pages = fail_after_pages
        self.fail_status = fail_status
        self.fail_first = fail_first
        self.retry_after = retry_after
        self.slow_ms = slow_ms
        self.record_requests = record_requests

        self._cache = _LRU(cache_pages)
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

    def _updated_epoch(self, record_id: int) -> int:
        created = BASE_EPOCH + record_id * CREATED_STEP_SECONDS
        if self.is_mutated(record_id):
            # Later than every record's updated_at at version 0, and later again for each version.
            return BASE_EPOCH + (self.records + 1) * CREATED_STEP_SECONDS + 86_400 + self.version * 3600
        return created + (_mix(record_id, self.seed) % 86_400)

    def record_json(self, record_id: int) -> str:
        """The compact JSON text of record ``record_id`` (1-based), built without ``json.dumps``.

        Every string comes from ASCII word lists without quotes or backslashes, so no escaping is
        needed; ``test_sample_upstream`` checks the text equals ``json.dumps`` of ``record()``.
        """
        i = record_id
        h = _mix(i, self.seed)
        first = _FIRST[h % len(_FIRST)]
        last = _LAST[(h >> 8) % len(_LAST)]
        username = f"{first.lower()}.{last.lower()}{i}"
        created = BASE_EPOCH + i * CREATED_STEP_SECONDS
        mutated = self.is_mutated(i)
        score = ((h >> 16) % 100_000) / 100
        active = (h >> 40) % 5 != 0
        phrase = _PHRASES[(h >> 24) % len(_PHRASES)]
        if mutated:
            score = round(score + self.version * 1.5, 2)
            active = not active if self.version % 2 else active
            phrase = f"{phrase} v{self.version}"
        n_tags = (h >> 44) % 4
        tags = ",".join(f'"{_TAGS[(h >> (48 + 4 * k)) % len(_TAGS)]}"' for k in range(n_tags))
        lat = ((h >> 12) % 180_000) / 1000 - 90
        lng = ((h >> 20) % 360_000) / 1000 - 180
        return (
            f'{{"id":{i},"name":"{first} {last}","username":"{username}",'
            f'"email":"{username}@{_DOMAINS[(h >> 4) % len(_DOMAINS)]}",'
            f'"phone":"+1-555-{(h >> 28) % 1000:03d}-{i % 10000:04d}",'
            f'"website":"{last.lower()}{i}.example.com",'
            f'"created_at":"{_iso(created)}","updated_at":"{_iso(self._updated_epoch(i))}",'
            f'"score":{score!r},"active":{"true" if active else "false"},'
            f'"address":{{"street":"{(h >> 32) % 9000 + 100} {_STREETS[(h >> 36) % len(_STREETS)]}",'
            f'"suite":"Apt. {(h >> 6) % 999 + 1}","city":"{_CITIES[(h >> 10) % len(_CITIES)]}",'
            f'"zipcode":"{(h >> 14) % 90000 + 10000:05d}",'
            f'"geo":{{"lat":"{lat:.4f}","lng":"{lng:.4f}"}}}},'
            f'"company":{{"name":"{_COMPANIES[(h >> 18) % len(_COMPANIES)]}","catchPhrase":"{phrase}"}},'
            f'"tags":[{tags}]}}'
        )

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
                self._requests.append({"path": path, "query": query, "headers": headers})

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
        expected = "Basic " + base64.b64encode(f"{self.username}:{key}".encode()).decode()
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

    def _records_body(self, ids, start: int, count: int) -> bytes:
        # Only contiguous id ranges are cached (the updated_at filter gives an ad-hoc list).
        key = (
            (self.version, self.seed, self.mutate_every, ids, start, count)
            if isinstance(ids, range)
            else None
        )
        body = self._cache.get(key) if key else None
        if body is None:
            chunk = ids[start : start + count]
            body = ("[" + ",".join(map(self.record_json, chunk)) + "]").encode()
            if key:
                self._cache.put(key, body)
        return body

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
        if self._should_fail(page_number):
            if self.retry_after is not None:
                headers["Retry-After"] = str(self.retry_after)
            body = json.dumps(
                {"error": "Upstream failure (MigrateIQ sample upstream fault switch).", "page": page_number}
            )
            return self.fail_status, headers, body.encode()

        records = self._records_body(ids, start, size)
        end = min(start + size, total)
        has_next = end < total
        if style == "none":
            return 200, headers, records
        if style == "link_header":
            total_pages = max(1, -(-total // size))
            links = []
            if has_next:
                links.append(f'<{self._link(query, **{self.page_param: page_number + 1})}>; rel="next"')
            links.append(f'<{self._link(query, **{self.page_param: total_pages})}>; rel="last"')
            headers["Link"] = ", ".join(links)
            headers["X-Total-Count"] = str(total)
            return 200, headers, records
        if style == "page":
            meta = {"page": page_number, "per_page": size, "total": total, "total_pages": -(-total // size)}
        elif style == "offset":
            meta = {"count": total}
        elif style == "cursor":
            meta = {"next_cursor": self._encode_cursor(end) if has_next else None}
        else:  # next_url
            meta = {"next": self._link(query, **{self.page_param: page_number + 1}) if has_next else None}
        # The records list is already serialized: splice it into the envelope.
        head = json.dumps({self.records_key: 0}, separators=(",", ":"))[:-2].encode()
        tail = json.dumps(meta, separators=(",", ":"))[1:].encode()
        return 200, headers, head + records + b"," + tail

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

    def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
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
        if upstream.slow_ms:
            time.sleep(upstream.slow_ms / 1000)
        if not upstream._authorised(query, self.headers):
            challenge = {"bearer": 'Bearer realm="users"', "basic": 'Basic realm="users"'}.get(upstream.auth)
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
        self._send(status, body, headers)

    do_HEAD = do_GET


def sample_users(count: int, *, seed: int = 0, version: int = 0) -> list[dict]:
    """The records a ``SampleUpstream(records=count, seed=seed, version=version)`` serves."""
    return SampleUpstream(records=count, seed=seed, version=version).all_records()


__all__ = ["AUTH_STYLES", "STYLES", "SampleUpstream", "created_at_of", "sample_users"]
