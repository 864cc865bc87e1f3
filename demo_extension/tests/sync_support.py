"""Helpers of the sync-engine tests: a 127.0.0.1 fault server, fast retries, stored data.

The ``test_sync_*`` modules bind the fixtures they use at module level
(``fault_server = sync_support.fault_server``, with ``fault_server_process``): pytest collects
fixtures from a test module's names.
The well-behaved upstream is ``SampleUpstream`` (``sample_upstream`` fixture in conftest); the fault
server (pytest-httpserver) serves the shapes a real upstream gets wrong.
"""

import json
from dataclasses import dataclass, field

import pytest
from django.db import connection, transaction
from django.utils import timezone
from pytest_httpserver import HTTPServer

from demo_extension.models import SyncedRecord, SyncLog, SyncStatus
from demo_extension.services.prefetch import request_concurrency
from demo_extension.services.sync import DataSyncService
from demo_extension.tests.conftest import allow_egress_to
from sync_engine.records import encode_record, upsert_page
from sync_engine.schema import SchemaAccumulator, save_schema


def _serving(*, threaded: bool):
    server = HTTPServer(host="127.0.0.1", port=0, threaded=threaded)
    server.start()
    yield server
    server.clear()
    server.stop()


def _emptied_and_allowed(server, settings):
    server.clear()
    allow_egress_to(settings, f"127.0.0.1:{server.port}")
    yield server
    server.clear()


@pytest.fixture(scope="module")
def fault_server_process():
    """One pytest-httpserver on 127.0.0.1 (a free port) per test module (stopping one takes 0.5 s)."""
    yield from _serving(threaded=False)


@pytest.fixture
def fault_server(fault_server_process, settings):
    """The module's fault server, emptied of expectations and allowed by the egress guard."""
    yield from _emptied_and_allowed(fault_server_process, settings)


@pytest.fixture(scope="module")
def threaded_fault_server_process():
    yield from _serving(threaded=True)


@pytest.fixture
def threaded_fault_server(threaded_fault_server_process, settings):
    """A fault server that answers each request in a thread of its own: a request a sync gave up
    still hangs there while the next one is served."""
    yield from _emptied_and_allowed(threaded_fault_server_process, settings)


def paged_connector(make_connector, server, **fields):
    """A connector of ``server``'s ``/items``: ``?page=`` numbers, records under ``data``, the page
    count under ``total_pages``."""
    return make_connector(
        api_endpoint=fault_url(server),
        auth_type="none",
        pagination={"type": "page", "total_pages_path": "total_pages"},
        records_path="data",
        **fields,
    )


@pytest.fixture
def fast_retries(settings):
    """Retries without real waiting (the client's backoff and Retry-After cap made tiny)."""
    settings.MIGRATEIQ_HTTP_BACKOFF_BASE = 0.001
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 0.05
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 3


def run_sync(connector, **options):
    """Sync ``connector`` with a freshly loaded connector row (what a task or the API does)."""
    connector.refresh_from_db()
    return DataSyncService(connector).sync_data(**options)


def stored_records(connector) -> dict:
    """``{external_id: data}`` of everything synced for ``connector``."""
    return dict(SyncedRecord.objects.filter(connector=connector).values_list("external_id", "data"))


def stored_ids(connector) -> list[int]:
    return sorted(int(external_id) for external_id in stored_records(connector))


def queried(upstream, name: str) -> list:
    """The values of query parameter ``name`` in the upstream's request log, in order."""
    return [request["query"].get(name) for request in upstream.requests if request["path"] == upstream.path]


def events(sync_log) -> list[str]:
    return list(sync_log.events.values_list("message", flat=True))


def stores_exactly(connector, vendor) -> bool:
    """Whether ``connector`` holds every record of a vendor fake (``vendors``), each as served."""

    def canonical(records) -> list[str]:
        return sorted(json.dumps(record, sort_keys=True) for record in records)

    return canonical(stored_records(connector).values()) == canonical(vendor.all_records())


def assert_auto_syncs_every_record(connector, vendor) -> None:
    """Sync ``connector`` (a vendor fake's, pagination on ``auto``) twice: the first run stores every
    record in one request a page, none past the last, and logs why it chose its pagination; the
    second finds every record unchanged."""
    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert (log.records_processed, log.records_created) == (vendor.records, vendor.records)
    assert stores_exactly(connector, vendor)
    assert {request["status"] for request in vendor.requests} == {200}
    assert len(vendor.requests) == vendor.expected_pages() == log.pages_fetched
    assert any("Detected pagination" in line and "because" in line for line in events(log))

    vendor.requests.clear()
    again = run_sync(connector)

    assert again.status == SyncStatus.SUCCESS, again.error_message
    assert (again.records_unchanged, again.records_created, again.records_updated) == (vendor.records, 0, 0)
    assert SyncedRecord.objects.filter(connector=connector).count() == vendor.records


def explicit_connector(make_connector, vendor, page_size: int):
    """A connector of a vendor fake with its documented explicit configuration: its own fields
    (``explicit_fields`` when the explicit configuration needs more than ``connector_fields``), its
    ``records_path`` and its ``pagination(page_size)``."""
    fields = vendor.explicit_fields() if hasattr(vendor, "explicit_fields") else vendor.connector_fields()
    return make_connector(**fields, records_path=vendor.records_path, pagination=vendor.pagination(page_size))


def page_size_unlike_the_default(vendor) -> int:
    """A page size for a vendor fake's explicit configuration that its default is not: a sync that
    dropped the configured size gets the default's pages, and a test counting pages sees it. It leaves
    the last page partial and several pages in the list, and is at least the vendor's smallest
    (``min_page_size``: Campaign Monitor's 10). A fake whose explicit configuration sets its page size
    elsewhere too (Sanity's query slice) names it as ``explicit_page_size``."""
    if hasattr(vendor, "explicit_page_size"):
        return vendor.explicit_page_size
    smallest = getattr(vendor, "min_page_size", 1)
    return next(
        size
        for size in (4, 6, 3, 7, smallest + 1, smallest + 2)
        if smallest <= size <= vendor.max_page_size and size != vendor.page_size and vendor.records % size
    )


def assert_explicit_syncs_every_record(connector, vendor, page_size: int) -> None:
    """Sync ``connector`` (a vendor fake's, with its documented explicit pagination asking for
    ``page_size``): every record stored, none else. When the vendor reads a page size from a request
    (its fake notes the size it serves, see ``VendorServer.serves``), every page was asked for with
    ``page_size`` and served at it (the fake serves its default to a request without it), in as many
    requests as that size makes (and those a sync may send ahead past a last page only a flag tells)."""
    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == vendor.records
    assert stores_exactly(connector, vendor)
    pages = [request for request in vendor.requests if request["status"] == 200]
    if not any("page_size" in request for request in pages):
        return  # the vendor takes no page size (OMDb's ten titles), nor does its configuration
    served = min(page_size, vendor.max_page_size)
    assert [(request.get("size_asked"), request.get("page_size")) for request in pages] == [
        (str(page_size), served)
    ] * len(pages), pages
    past = len(pages) - vendor.expected_pages(served)
    assert 0 <= past <= request_concurrency(connector), pages


def fault_url(server, path: str = "/items") -> str:
    return f"http://127.0.0.1:{server.port}{path}"


def serve_pages(server, pages: dict, path: str = "/items") -> None:
    """Make ``server`` answer ``?page=<n>`` with each page's records (``{"1": [...], ...}``) and any
    other page with an empty list: a page-numbered API the test changes between syncs."""
    server.clear()
    for number, body in pages.items():
        server.expect_request(path, query_string={"page": number}).respond_with_json(body)
    server.expect_request(path).respond_with_json([])


def page_numbered_connector(make_connector, server, **fields):
    """A connector of ``server``'s page-numbered ``/items`` (see :func:`serve_pages`), no auth."""
    return make_connector(
        api_endpoint=fault_url(server), auth_type="none", pagination={"type": "page"}, **fields
    )


def json_body(value) -> str:
    return json.dumps(value)


def set_request_concurrency(connector, requests: int) -> None:
    """Let ``connector``'s syncs have ``requests`` page requests in flight (1: one at a time).

    ``prefetch.request_concurrency`` reads ``max_concurrent_requests``: a plain attribute here,
    saved too when the connector has that field (the request budget), so ``run_sync`` keeps it.
    """
    connector.max_concurrent_requests = requests
    if any(f.name == "max_concurrent_requests" for f in connector._meta.concrete_fields):
        connector.save(update_fields=["max_concurrent_requests"])


def store(connector, records, *, key="id") -> None:
    """Store records the way a sync page does (change sequences, schema)."""
    log = SyncLog.objects.create(tenant=connector.tenant, connector=connector, status=SyncStatus.SUCCESS)
    schema = SchemaAccumulator.for_connector(connector.pk)
    rows = {}
    for record in records:
        text, digest = encode_record(record)
        rows[str(record[key])] = (text, digest, "")
        schema.observe(record)
    with transaction.atomic():
        upsert_page(
            tenant_id=connector.tenant_id,
            connector_id=connector.pk,
            sync_log_id=log.pk,
            rows=rows,
            now=timezone.now(),
        )
        save_schema(connector.pk, schema.to_document())


def database_text() -> str:
    """Every row of every table, as text (the run's checkpoint, events, errors, records...)."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows += [repr(row) for row in cursor.fetchall()]
    return "\n".join(rows)


def vendor_round_tests(
    on_auto, explicit, *, explicit_page_size=page_size_unlike_the_default, partial_last_page=True
):
    """The two tests every vendor round has, for its module to name: each vendor on ``auto`` gets
    every record without a request past the last page (its fake's last page partial, unless the
    round says otherwise), and with the explicit pagination its README documents, every record."""

    @pytest.mark.parametrize("vendor_class", on_auto, ids=lambda cls: cls.name)
    def test_auto_pagination_syncs_every_record_of_each_vendor_without_a_request_past_the_last_page(
        vendor_server, make_connector, vendor_class
    ):
        vendor = vendor_server(vendor_class)
        if partial_last_page:
            assert vendor.records % 2 == 1 and vendor.records % vendor.page_size  # the last page is partial
        connector = make_connector(**vendor.connector_fields())

        assert_auto_syncs_every_record(connector, vendor)

    @pytest.mark.parametrize("vendor_class", explicit, ids=lambda cls: cls.name)
    def test_the_documented_explicit_pagination_syncs_every_record_of_each_vendor(
        vendor_server, make_connector, vendor_class
    ):
        vendor = vendor_server(vendor_class)
        page_size = explicit_page_size(vendor)
        connector = explicit_connector(make_connector, vendor, page_size)

        assert_explicit_syncs_every_record(connector, vendor, page_size)

    return (
        test_auto_pagination_syncs_every_record_of_each_vendor_without_a_request_past_the_last_page,
        test_the_documented_explicit_pagination_syncs_every_record_of_each_vendor,
    )


def assert_run_ends(log, connector, status, said, stored: int) -> None:
    """The run ended ``status`` with a message that says each text of ``said``, and ``stored`` records
    are kept for ``connector``."""
    assert log.status == status, log.error_message
    for text in said:
        assert text in log.error_message, log.error_message
    assert SyncedRecord.objects.filter(connector=connector).count() == stored


@dataclass(frozen=True)
class RunEnds:
    """A vendor fake whose sync cannot prove it got everything (a list its answers cannot show whole, an
    error answered with HTTP 200): the run ends ``status`` saying each text of ``said``, with ``stored``
    records kept. ``records`` and ``page_size`` replace the fake's, ``attributes`` are set on it (the
    fault it serves) and ``fields`` go beside its ``connector_fields``."""

    vendor_class: type
    status: str
    said: tuple[str, ...]
    stored: int
    records: int | None = None
    page_size: int | None = None
    attributes: dict = field(default_factory=dict)
    fields: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.vendor_class.name + (f"-{self.records}" if self.records is not None else "")


def vendor_runs_end_test(cases):
    """A test of :class:`RunEnds` cases, for a round's module to name: each vendor's sync ends as its
    case says, never ``SUCCESS``."""

    @pytest.mark.parametrize("case", cases, ids=lambda case: case.id)
    def test_each_vendor_s_run_ends_as_its_case_says(vendor_server, make_connector, case):
        vendor = vendor_server(case.vendor_class, records=case.records)
        if case.page_size is not None:
            vendor.page_size = case.page_size
        for name, value in case.attributes.items():
            setattr(vendor, name, value)
        connector = make_connector(**{**vendor.connector_fields(), **case.fields})

        log = run_sync(connector)

        assert_run_ends(log, connector, case.status, case.said, case.stored)

    return test_each_vendor_s_run_ends_as_its_case_says
