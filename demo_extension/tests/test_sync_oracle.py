"""A randomized differential test of the sync against a real upstream: whatever the pagination style,
page size, envelope, configuration, concurrency and fault, a sync is never silently wrong.

One threaded HTTP server on 127.0.0.1 serves the module; each generated example gives it a
``Scenario`` (the list, how it pages, what goes wrong) and syncs a new connector from it. The
oracle:

* a run that ends ``SUCCESS`` stored exactly the records the upstream serves (ids and data), and its
  counts add up; when the list changed during the run, it stored at least every record the
  upstream serves at its end, and nothing it never served;
* a run whose upstream could not serve everything (it stops early, repeats or drops a page, refuses
  offsets past a cap, answers an error with HTTP 200, cuts a body short, or records shift between
  pages) ends ``PARTIAL`` or ``FAILED`` with a message;
* a re-sync after a ``SUCCESS`` finds every record unchanged; after a failed run, the upstream
  healed, the resumed (or next) run converges to what it serves.

Every counterexample this found is a named test below it (``test_...`` after the property).
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, event, given, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from werkzeug import Response

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.tests import sync_support
from demo_extension.tests.conftest import allow_egress_to
from demo_extension.tests.sync_support import fault_url, json_body, run_sync
from demo_extension.tests.vendors import Stripe
from sync_engine.queue import resume_sync

# How the upstream pages (the styles a user meets), and what it announces beside its records.
STYLES = ("page", "offset", "cursor", "next_url", "link_header", "stripe")
ANNOUNCES = ("nothing", "total", "total_pages", "header_total", "has_more")
ENVELOPES = ("data", "items", "results", "records")
ERRORS_200 = (
    {"error": "Quota exceeded for this key"},
    {"ok": False, "error": "ratelimited"},
    {"status": "error", "message": "Backend unavailable"},
    {"errors": [{"message": "Internal failure"}]},
    {"success": False, "error": "Temporary failure"},
    {"code": 503, "message": "Service Unavailable"},
)
RULES = {"field_mappings": {"name": "full_name"}, "type_conversions": {"rev": "str"}}
DEFAULT_PAGE_SIZE = 10  # what the upstream serves when the request names no size
FIRST_ID = 1000  # records inserted at the front during a run get smaller ids
KEYSET = ("cursor", "next_url", "stripe")  # styles whose next page continues after a record
# Parameter names: the defaults (what auto sends) and another API's (set explicitly).
DEFAULT_PARAMS = {
    "page": "page",
    "size": "per_page",
    "offset": "offset",
    "limit": "limit",
    "cursor": "cursor",
}
OTHER_PARAMS = {"page": "p", "size": "pageSize", "offset": "skip", "limit": "take", "cursor": "after"}


def record(record_id: int, revision: int = 1) -> dict:
    return {"id": record_id, "name": f"user {record_id}", "rev": revision}


@dataclass
class Scenario:
    style: str = "page"
    announces: str = "total"
    envelope: str = "data"
    records: list = field(default_factory=list)
    fault: str = "none"
    fault_page: int = 0  # the page (0-based) the fault starts at
    shift: str = "delete"  # "delete" the first record, or "insert" one before it
    error_body: dict = field(default_factory=dict)
    params: dict = field(default_factory=lambda: dict(DEFAULT_PARAMS))
    start_page: int = 1  # the first page's number
    cursor_at: str = "next_cursor"  # where a cursor is ("meta.next_cursor": in a meta object)
    jitter_ms: int = 0
    max_size: int = 100  # the largest page it serves, whatever was asked for
    rules: bool = False  # the connector renames "name" to "full_name" and stores "rev" as text
    ever_served: dict = field(default_factory=dict)  # id -> every data the upstream sent for it
    shifted: bool = False
    inserted: int | None = None  # the id of the record added during the run (shift "insert")

    def __repr__(self) -> str:
        return (
            f"Scenario(style={self.style!r}, announces={self.announces!r}, envelope={self.envelope!r}, "
            f"records={len(self.records)}, fault={self.fault!r}, fault_page={self.fault_page}, "
            f"shift={self.shift!r}, error_body={self.error_body!r}, params={self.params!r}, "
            f"start_page={self.start_page}, cursor_at={self.cursor_at!r}, jitter_ms={self.jitter_ms}, "
            f"max_size={self.max_size}, rules={self.rules})"
        )

    def heal(self) -> None:
        self.fault = "none"


class Upstream:
    """The module's upstream: one ``ThreadingHTTPServer`` on a port of 8900-8999, answering from its
    current ``scenario`` (replaced by each example)."""

    def __init__(self):
        self.scenario = Scenario()
        self.lock = threading.Lock()
        self.server = None
        for port in range(8900, 9000):
            try:
                self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
                break
            except OSError:
                continue
        assert self.server is not None, "no free port in 8900-8999"
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/items"

    def _handler(self):
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                status, headers, body = upstream.answer(dict(parse_qsl(urlsplit(self.path).query)))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def answer(self, query: dict) -> tuple[int, dict, bytes]:
        jitter = self.scenario.jitter_ms
        if jitter:
            # Answers out of order when several requests are in flight: pages wait 0..jitter ms.
            number = sum(int(value) for value in query.values() if value.isdigit())
            time.sleep((number * 7 % (jitter + 1)) / 1000)
        with self.lock:
            return self._answer(self.scenario, query)

    def _start(self, s: Scenario, query: dict, size: int) -> int:
        """Where the request starts in the list."""
        names = s.params
        records = s.records
        if s.style == "offset":
            return int(query.get(names["offset"], 0))
        if s.style in KEYSET:
            after = query.get(names["cursor"]) or query.get("after") or query.get("starting_after")
            if not after:
                return 0
            return next((i for i, r in enumerate(records) if r["id"] > int(after)), len(records))
        return (int(query.get(names["page"], s.start_page)) - s.start_page) * size

    def _answer(self, s: Scenario, query: dict) -> tuple[int, dict, bytes]:
        json_type = {"Content-Type": "application/json"}
        names = s.params
        size = int(query.get(names["size"]) or query.get(names["limit"]) or query.get("limit") or 0)
        size = max(1, min(size or DEFAULT_PAGE_SIZE, s.max_size))
        records = s.records
        start = self._start(s, query, size)
        index = start // size  # the page's place in the list (a keyset page's too)
        fault = s.fault
        if fault == "shift" and not s.shifted and index >= s.fault_page:
            s.shifted = True
            if s.shift == "delete":
                del records[0]
            else:
                s.inserted = records[0]["id"] - 1 if records else FIRST_ID - 1
                records.insert(0, record(s.inserted))
            return self._answer(s, query)
        if fault == "error_200" and index == s.fault_page:
            return 200, json_type, json.dumps(s.error_body).encode()
        if fault == "html_200" and index == s.fault_page:
            return 200, {"Content-Type": "text/html"}, b"<html><body>Maintenance</body></html>"
        if fault == "status_500" and index == s.fault_page:
            return 500, json_type, b'{"error": "internal"}'
        if fault == "cap" and index >= s.fault_page:
            body = {"error": {"type": "illegal_argument", "reason": "Result window is too large"}}
            return 400, json_type, json.dumps(body).encode()
        served_start = start
        if fault == "stop_early" and index >= s.fault_page:
            served_start = len(records)  # nothing from here, announcements unchanged
        if fault == "repeat_page" and index == s.fault_page:
            served_start = start - size
        if fault == "drop_page" and index == s.fault_page:
            served_start = start + size
        page = records[served_start : served_start + size]
        if fault == "drop_record" and index == s.fault_page and page:
            page = page[: len(page) // 2] + page[len(page) // 2 + 1 :]
        # Whether the whole list goes on past this page (what totals and flags say), and whether the
        # page names a next one (a link, a cursor).
        more = served_start + size < len(records)
        if fault == "stop_early" and index >= s.fault_page:
            more = start + size < len(records)
        links_on = more and bool(page)
        if fault == "stop_early" and s.style in KEYSET and index + 1 >= s.fault_page:
            links_on = False  # the links end early
        last = page[-1]["id"] if page else None
        if fault == "loop" and index == s.fault_page and index > 0 and links_on:
            last = records[start - size - 1]["id"] if start - size > 0 else records[0]["id"] - 1
        body, headers = self._envelope(s, page, size, start, more, links_on, last)
        for item in page:
            s.ever_served.setdefault(item["id"], []).append(item)
        text = json.dumps(body).encode()
        if fault == "truncated" and index == s.fault_page:
            text = text[: len(text) // 2]
        return 200, headers, text

    def _envelope(self, s: Scenario, page, size, start, more, links_on, last):
        total = len(s.records)
        body: dict = {s.envelope: page}
        headers = {"Content-Type": "application/json"}
        if s.announces == "total":
            body["total"] = total
        elif s.announces == "total_pages":
            body["total_pages"] = max(1, math.ceil(total / size))
        elif s.announces == "header_total":
            headers["X-Total-Count"] = str(total)
        elif s.announces == "has_more":
            body["has_more"] = more
        names = s.params
        if s.style == "offset":
            body["offset"], body["limit"] = start, size
        elif s.style == "cursor":
            token = str(last) if links_on else None
            if s.cursor_at == "meta.next_cursor":
                body.setdefault("meta", {})["next_cursor"] = token
            else:
                body["next_cursor"] = token
        elif s.style == "stripe":
            body.update({"object": "list", "url": "/items", "has_more": more})
        elif s.style == "next_url":
            query = {names["cursor"]: last, names["size"]: size}
            body["next"] = f"{self.url}?{urlencode(query)}" if links_on else None
        elif s.style == "link_header" and links_on:
            number = start // size + s.start_page + 1
            query = urlencode({names["page"]: number, names["size"]: size})
            headers["Link"] = f'<{self.url}?{query}>; rel="next"'
        return body, headers


@pytest.fixture(scope="module")
def upstream():
    server = Upstream()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def oracle_upstream(upstream, settings):
    allow_egress_to(settings, f"127.0.0.1:{upstream.port}")
    settings.MIGRATEIQ_HTTP_BACKOFF_BASE = 0.001
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 0.05
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 2
    return upstream


def pagination_for(s: Scenario, size: int, explicit: bool) -> tuple[dict, str | None]:
    """The connector's ``pagination`` and ``records_path`` a user would set for the upstream (auto:
    the type and page size only)."""
    names = s.params
    if not explicit:
        size_param = "limit" if s.style in ("offset", "stripe") else "per_page"
        return {"type": "auto", "size_param": size_param, "page_size": size}, None
    announced = {}
    if s.announces == "has_more" and s.style != "stripe":
        announced["has_more_path"] = "has_more"
    if s.announces == "total":
        announced["total_path"] = "total"
    if s.style == "page":
        config = {"type": "page", "size_param": names["size"], "page_size": size, **announced}
        if names["page"] != "page":
            config["page_param"] = names["page"]
        if s.start_page != 1:
            config["start_page"] = s.start_page
        if s.announces == "total_pages":
            config["total_pages_path"] = "total_pages"
    elif s.style == "offset":
        config = {"type": "offset", "limit": size, **announced}
        if names["offset"] != "offset":
            config.update(offset_param=names["offset"], limit_param=names["limit"])
    elif s.style == "cursor":
        config = {
            "type": "cursor",
            "cursor_path": s.cursor_at,
            "cursor_param": names["cursor"],
            "size_param": names["size"],
            "page_size": size,
        }
    elif s.style == "stripe":
        config = Stripe.pagination(size)
    elif s.style == "next_url":
        config = {"type": "next_url", "next_url_path": "next", "size_param": names["size"], "page_size": size}
    else:
        config = {"type": "link_header", "size_param": names["size"], "page_size": size}
    return config, s.envelope


def fault_pages(style: str, announces: str, count: int, size: int) -> dict[str, tuple[int, int]]:
    """The faults that keep records from a sync in a way the upstream's answers show, with the range
    of pages each may start at. (A list that simply ends early, with nothing announcing more, is
    the end of a list to anyone: not generated.)"""
    pages = max(1, math.ceil(count / size))
    counted = style in ("page", "offset", "link_header")
    # What tells a short copy from the whole list: a record count (a page count too for counted styles).
    record_count = announces in ("total", "header_total")
    announced_total = record_count or (counted and announces == "total_pages")
    last_full = count % size == 0
    ranges = {
        "error_200": (0, pages - 1),
        "html_200": (0, pages - 1),
        "status_500": (0, pages - 1),
        "truncated": (0, pages - 1),
    }
    if pages >= 2:
        ranges["repeat_page"] = ranges["cap"] = (1, pages - 1)
        if announced_total or (announces == "has_more" and style in KEYSET):
            ranges["stop_early"] = (1, pages - 1)
        elif announces == "has_more" and pages >= 3:
            ranges["stop_early"] = (1, pages - 2)
        if record_count:
            ranges["shift"] = (1, pages - 1)
    # The page's records are never served: a total tells, and so does the page after it when it
    # repeats them in full (counted styles: a short page is the end when nothing is announced).
    if (record_count or (counted and announced_total)) and pages >= 3:
        ranges["drop_page"] = (1, pages - 2)
    elif counted and (pages >= 4 or (pages >= 3 and last_full)):
        ranges["drop_page"] = (1, pages - (2 if last_full else 3))
    if record_count and count:
        ranges["drop_record"] = (0, pages - 1)  # one record of a page is missing: a count tells
    if style in ("cursor", "next_url") and pages >= 3:
        ranges["loop"] = (2, pages - 1)  # a next cursor or link back to an earlier page
    return ranges


@st.composite
def scenarios(draw):
    style = draw(st.sampled_from(STYLES))
    announces = "has_more" if style == "stripe" else draw(st.sampled_from(ANNOUNCES))
    explicit = draw(st.booleans())
    size = draw(st.one_of(st.integers(1, 40), st.sampled_from((60, 100))))
    count = draw(st.one_of(st.integers(0, 12), st.integers(0, 250)))
    # An API that serves at most 50 a page whatever is asked (a size APIs commonly serve, which tells
    # a single capped answer from a short list: any other cap is a short list to anyone).
    max_size = draw(st.sampled_from((100, 100, 100, 50)))
    ranges = fault_pages(style, announces, count, min(size, max_size))
    fault = draw(st.sampled_from(["none", *ranges]))
    fault_page = draw(st.integers(*ranges[fault])) if fault != "none" else 0
    scenario = Scenario(
        style=style,
        announces=announces,
        envelope="data" if style == "stripe" else draw(st.sampled_from(ENVELOPES)),
        records=[record(FIRST_ID + i) for i in range(count)],
        fault=fault,
        fault_page=fault_page,
        shift=draw(st.sampled_from(("delete", "insert"))),
        error_body=draw(st.sampled_from(ERRORS_200)),
        jitter_ms=draw(st.sampled_from((0, 0, 3))),
        max_size=max_size,
        rules=draw(st.booleans()),
    )
    if explicit and style != "stripe":
        scenario.params = dict(draw(st.sampled_from((DEFAULT_PARAMS, OTHER_PARAMS))))
        if style in ("page", "link_header"):
            scenario.start_page = draw(st.sampled_from((1, 1, 0)))
        if style == "cursor":
            scenario.cursor_at = draw(st.sampled_from(("next_cursor", "meta.next_cursor")))
    concurrency = draw(st.integers(1, 4))
    follow_up = draw(st.sampled_from(("resume", "next", "full_refresh")))
    changes = draw(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)))
    return scenario, size, explicit, concurrency, follow_up, changes


def stored(connector) -> dict:
    rows = SyncedRecord.objects.filter(connector=connector, deleted_at__isnull=True)
    return dict(rows.values_list("external_id", "data"))


def served(scenario: Scenario) -> dict:
    """What the connector stores of the upstream's current records, by id."""
    if not scenario.rules:
        return {str(item["id"]): item for item in scenario.records}
    return {
        str(item["id"]): {"id": item["id"], "full_name": item["name"], "rev": str(item["rev"])}
        for item in scenario.records
    }


def assert_counts_add_up(log) -> None:
    assert (
        log.records_created + log.records_updated + log.records_unchanged + log.records_failed
        == log.records_processed
    ), (
        log.records_created,
        log.records_updated,
        log.records_unchanged,
        log.records_failed,
        log.records_processed,
    )


def check_run(log, scenario: Scenario, connector, *, faulty: bool) -> None:
    """The oracle for one finished run."""
    note(f"status={log.status} message={log.error_message!r}")
    if log.status != SyncStatus.SUCCESS:
        assert log.status in (SyncStatus.PARTIAL, SyncStatus.FAILED), log.status
        assert log.error_message, "a run that is not SUCCESS says why"
        return
    # A fault the sync got around (a record a page left out, read by the next offset) is no
    # shortfall: what is stored decides.
    if faulty:
        note(f"SUCCESS despite the fault {scenario.fault!r}: the stored records must still be all")
    have = stored(connector)
    if scenario.shifted:
        # The list changed during the run: every record it serves now is stored, nothing invented;
        # but for one added during the run, which the next sync stores (a total that grew: a warning).
        want = served(scenario)
        want.pop(str(scenario.inserted), None)
        assert {k: have.get(k) for k in want} == want
        assert set(have) <= {str(i) for i in scenario.ever_served}
    else:
        assert have == served(scenario)
    assert_counts_add_up(log)


def loses_records(scenario: Scenario) -> bool:
    """Whether the fault keeps a record of the list from the sync (a record deleted at the front of a
    keyset-paged list was read already: nothing is lost)."""
    if scenario.fault == "shift":
        return scenario.style in ("page", "offset", "link_header") or scenario.shift == "insert"
    return scenario.fault != "none"


def change_the_list(scenario: Scenario, changes: tuple[int, int, int]) -> tuple[int, int, int]:
    """Update, delete and add records between two runs; returns how many of each."""
    updates, deletes, adds = changes
    records = scenario.records
    top = max((r["id"] for r in records), default=FIRST_ID + 10_000)  # added ids are new ones
    deletes = min(deletes, len(records))
    del records[len(records) - deletes :]
    updates = min(updates, len(records))
    for i in range(updates):
        records[i] = record(records[i]["id"], records[i]["rev"] + 1)
    records.extend(record(top + 1 + i) for i in range(adds))
    return updates, deletes, adds


@hypothesis_settings(
    max_examples=int(os.environ.get("ORACLE_EXAMPLES", "150")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.slow
@given(example=scenarios())
def test_a_sync_is_never_silently_wrong_whatever_the_upstream(example, oracle_upstream, make_connector):
    scenario, size, explicit, concurrency, follow_up, changes = example
    upstream = oracle_upstream
    with upstream.lock:
        upstream.scenario = scenario
    pagination, records_path = pagination_for(scenario, size, explicit)
    note(f"{scenario!r} size={size} explicit={explicit} follow_up={follow_up} changes={changes}")
    note(f"pagination={pagination} records_path={records_path!r} concurrency={concurrency}")
    connector = make_connector(
        api_endpoint=upstream.url,
        auth_type="none",
        pagination=pagination,
        records_path=records_path,
        max_concurrent_requests=concurrency,
        transformation_rules=RULES if scenario.rules else {},
    )
    faulty = loses_records(scenario)
    log = run_sync(connector)
    configured = "explicit" if explicit else "auto"
    event(f"{scenario.style}/{scenario.announces}/{configured}/{scenario.fault}: {log.status}")
    check_run(log, scenario, connector, faulty=faulty)
    if not faulty and explicit:
        assert log.status == SyncStatus.SUCCESS, log.error_message

    with upstream.lock:
        scenario.heal()
    if log.status == SyncStatus.SUCCESS:
        again = run_sync(connector)
        check_run(again, scenario, connector, faulty=False)
        assert again.status == SyncStatus.SUCCESS, again.error_message
        assert again.records_created == again.records_updated == 0
        assert again.records_unchanged == len(scenario.records)
        check_a_full_refresh_after_changes(upstream, scenario, connector, changes, explicit=explicit)
        return
    if not explicit:
        return
    # A run that failed on a page repeating an earlier one keeps no checkpoint: the earlier page may
    # have been the wrong one, and a resume after it could end SUCCESS without the right one's records.
    if "holds the same records as an earlier page" in log.error_message:
        assert log.checkpoint is None, log.checkpoint
    if follow_up == "resume" and log.status == SyncStatus.FAILED and log.checkpoint:
        healed = run_sync(connector, sync_log=log)
        note(f"resumed: {healed.status} {healed.error_message!r}")
        check_run(healed, scenario, connector, faulty=False)
        if healed.status != SyncStatus.SUCCESS:
            # A resume does not read again the pages its run committed (an empty page the fault
            # served): it says it is short, and the next run converges.
            assert "announces" in healed.error_message, healed.error_message
            healed = run_sync(connector)
    else:
        healed = run_sync(connector, full_refresh=follow_up == "full_refresh")
    note(f"follow-up {follow_up}: {healed.status} {healed.error_message!r}")
    assert healed.status == SyncStatus.SUCCESS, healed.error_message
    assert_counts_add_up(healed)
    if follow_up == "full_refresh" and healed.full_refresh:
        assert stored(connector) == served(scenario)
    else:
        want = served(scenario)
        have = stored(connector)
        assert {k: have.get(k) for k in want} == want
        assert set(have) <= {str(i) for i in scenario.ever_served}


def check_a_full_refresh_after_changes(upstream, scenario: Scenario, connector, changes, *, explicit) -> None:
    """Records updated, deleted and added upstream after a SUCCESS: a full refresh counts each and
    leaves exactly the served records live (or, when the upstream now serves none, refuses)."""
    with upstream.lock:
        updates, deletes, adds = change_the_list(scenario, changes)
    before = len(stored(connector))
    log = run_sync(connector, full_refresh=True)
    note(
        f"refresh after {updates} updates, {deletes} deletes, {adds} adds: {log.status} {log.error_message!r}"
    )
    if not scenario.records and before:
        assert log.status == SyncStatus.FAILED and log.error_message
        assert len(stored(connector)) == before  # nothing deleted
        return
    if not explicit and log.status != SyncStatus.SUCCESS:
        # Auto detection may not tell the new list's end (a full single page without any paging
        # signal): it says so.
        check_run(log, scenario, connector, faulty=False)
        return
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert stored(connector) == served(scenario)
    assert (log.records_created, log.records_updated, log.records_deleted) == (adds, updates, deletes)
    assert log.records_unchanged == len(scenario.records) - adds - updates
    assert_counts_add_up(log)


# Counterexamples the property found, reduced.

fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process


def reduced_connector(make_connector, server, pagination, **fields):
    """A connector of the fault server's ``/items``, no auth."""
    return make_connector(api_endpoint=fault_url(server), auth_type="none", pagination=pagination, **fields)


def _shifting_list(ids, *, change_before_request: int, change):
    """A handler serving ``ids`` (a list changed in place by ``change`` just before answering the
    ``change_before_request``-th request, counted from 1) by ``offset``/``limit`` or ``page``/
    ``per_page``, with the list's current total in the body and in ``X-Total-Count``, and a
    ``Link: rel="next"`` while more follow."""
    requests = []

    def handler(request):
        requests.append(dict(request.args))
        if len(requests) == change_before_request:
            change(ids)
        size = int(request.args.get("limit") or request.args.get("per_page") or 1)
        if "offset" in request.args:
            start = int(request.args["offset"])
        else:
            start = (int(request.args.get("page", 1)) - 1) * size
        rows = [{"id": i} for i in ids[start : start + size]]
        headers = {"X-Total-Count": str(len(ids))}
        if start + size < len(ids):
            page = start // size + 2
            headers["Link"] = f'<{request.base_url}?page={page}&per_page={size}>; rel="next"'
        body = json_body({"data": rows, "total": len(ids), "offset": start, "limit": size})
        return Response(body, content_type="application/json", headers=headers)

    return handler


def test_an_offset_sync_whose_list_loses_its_first_record_mid_run_is_not_success(
    fault_server, make_connector
):
    # Record 1 goes before the second page is asked: offset 1 now starts at 3, and 2 is never read,
    # while the two records received (1 and 3) match the last total (2).
    fault_server.expect_request("/items").respond_with_handler(
        _shifting_list([1, 2, 3], change_before_request=2, change=lambda ids: ids.remove(1))
    )
    connector = reduced_connector(
        make_connector,
        fault_server,
        {"type": "offset", "limit": 1},
        records_path="data",
        max_concurrent_requests=1,
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert "total fell from 3 to 2 records during the run" in log.error_message
    assert sorted(stored(connector)) == ["1", "3"]


def test_a_page_numbered_sync_whose_list_gains_a_record_at_its_front_mid_run_stores_every_first_listed_one(
    fault_server, make_connector
):
    # Record 0 arrives before page 2: page 2 repeats record 2 and record 0 is not read, while every
    # record listed when the run started is. Records added during a run are the next sync's (a live
    # API grows all the time: PARTIAL for it would be every run's status); the run says so.
    fault_server.expect_request("/items").respond_with_handler(
        _shifting_list([1, 2, 3], change_before_request=2, change=lambda ids: ids.insert(0, 0))
    )
    connector = reduced_connector(
        make_connector,
        fault_server,
        {"type": "page", "size_param": "per_page", "page_size": 2},
        records_path="data",
        max_concurrent_requests=1,
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert sorted(stored(connector)) == ["1", "2", "3"]
    assert any("total grew from 3 to 4 records during the run" in line for line in log.warnings), log.warnings
    again = run_sync(connector)
    assert again.status == SyncStatus.SUCCESS and sorted(stored(connector)) == ["0", "1", "2", "3"]


def _one_record_pages(make_connector, fault_server):
    """A connector of ``fault_server``'s ``/items`` on auto, one record a page, one request at a time."""
    return reduced_connector(
        make_connector,
        fault_server,
        {"type": "auto", "size_param": "per_page", "page_size": 1},
        max_concurrent_requests=1,
    )


def test_link_header_pages_of_a_list_that_loses_a_record_mid_run_end_partial(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_handler(
        _shifting_list([1, 2, 3], change_before_request=2, change=lambda ids: ids.remove(1))
    )
    connector = _one_record_pages(make_connector, fault_server)

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert "total fell from 3 to 2 records during the run" in log.error_message


def test_a_total_that_stays_the_same_through_a_run_ends_success(fault_server, make_connector):
    fault_server.expect_request("/items").respond_with_handler(
        _shifting_list([1, 2, 3], change_before_request=0, change=lambda ids: None)
    )
    connector = reduced_connector(
        make_connector, fault_server, {"type": "offset", "limit": 1}, records_path="data"
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert sorted(stored(connector)) == ["1", "2", "3"]


def test_empty_link_header_pages_in_a_row_that_name_new_next_pages_are_followed(fault_server, make_connector):
    # The empty pages' bodies are the same ({"data": []}); their Link headers name new pages.
    layout = {1: [1], 2: [], 3: [], 4: [2]}

    def handler(request):
        number = int(request.args.get("page", 1))
        headers = {"Link": f'<{request.base_url}?page={number + 1}>; rel="next"'} if number < 4 else {}
        rows = [{"id": i} for i in layout[number]]
        return Response(json_body({"data": rows}), content_type="application/json", headers=headers)

    fault_server.expect_request("/items").respond_with_handler(handler)
    connector = reduced_connector(
        make_connector, fault_server, {"type": "link_header"}, records_path="data", max_concurrent_requests=1
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert sorted(stored(connector)) == ["1", "2"]


def test_an_offset_page_that_leaves_a_record_out_does_not_let_a_repeated_record_make_up_the_total(
    fault_server, make_connector
):
    # Offset 0 answers 1 and 3 (2 left out): the next offset, 2, reads 3 again, and the four records
    # read (1, 3, 3, 4) met the total of 4 while record 2 was never read.
    ids = [1, 2, 3, 4]

    def handler(request):
        start = int(request.args.get("offset", 0))
        rows = [1, 3] if start == 0 else ids[start : start + 3]
        body = json_body({"data": [{"id": i} for i in rows], "total": len(ids)})
        return Response(body, content_type="application/json")

    fault_server.expect_request("/items").respond_with_handler(handler)
    connector = reduced_connector(
        make_connector, fault_server, {"type": "offset", "limit": 3}, records_path="data"
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert (
        "announces 4 records and the sync read 4, but 1 of them repeated the primary key" in log.error_message
    )
    assert sorted(stored(connector)) == ["1", "3", "4"]


def test_an_empty_page_among_the_pages_the_upstream_announces_is_not_the_end_of_a_complete_list(
    fault_server, make_connector
):
    # total_pages says 3 pages of 1 record; page 2 answers none: one record of three was stored.
    def handler(request):
        number = int(request.args.get("page", 1))
        rows = [{"id": 1}] if number == 1 else []
        body = json_body({"data": rows, "total_pages": 3})
        return Response(body, content_type="application/json")

    fault_server.expect_request("/items").respond_with_handler(handler)
    connector = _one_record_pages(make_connector, fault_server)

    log = run_sync(connector)

    assert log.status == SyncStatus.PARTIAL
    assert "Page 2 of the 3 pages the upstream announces is empty" in log.error_message


def test_an_empty_list_of_one_announced_page_ends_success(fault_server, make_connector):
    body = {"data": [], "total_pages": 1}
    fault_server.expect_request("/items").respond_with_json(body)
    connector = reduced_connector(
        make_connector, fault_server, {"type": "page", "total_pages_path": "total_pages"}, records_path="data"
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message


def test_a_run_that_failed_on_a_repeated_page_is_not_resumed_after_the_page_it_repeats(
    fault_server, make_connector
):
    """Page 2 answered page 3's records once, so page 3 repeated them and the run failed. Its
    checkpoint followed the wrong page 2: a resume went on with page 3 and ended SUCCESS without
    records 3 and 4. Now the run keeps its pages but no checkpoint, and a new sync gets them all."""
    ids = [1, 2, 3, 4, 5, 6]
    served_wrong = []

    def handler(request):
        page = int(request.args.get("page", 1))
        if page == 2 and not served_wrong:
            served_wrong.append(page)
            page = 3
        rows = [{"id": i} for i in ids[(page - 1) * 2 : page * 2]]
        return Response(json_body({"data": rows, "total": len(ids)}), content_type="application/json")

    fault_server.expect_request("/items").respond_with_handler(handler)
    connector = reduced_connector(
        make_connector,
        fault_server,
        {"type": "page", "size_param": "per_page", "page_size": 2},
        records_path="data",
        max_concurrent_requests=1,
    )

    log = run_sync(connector)

    assert log.status == SyncStatus.FAILED
    assert "holds the same records as an earlier page" in log.error_message
    assert "cannot be resumed" in log.error_message
    assert log.checkpoint is None
    assert sorted(stored(connector)) == ["1", "2", "5", "6"]  # the committed pages are kept
    with pytest.raises(ValueError, match="no checkpoint"):
        resume_sync(log)
    again = run_sync(connector)
    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert sorted(stored(connector)) == ["1", "2", "3", "4", "5", "6"]
