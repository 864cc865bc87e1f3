"""Pages built in a child process give exactly what pages built in the run's thread give.

A scripted source (in memory) serves the same pages to two connectors: one synced with
``MIGRATEIQ_SYNC_BUILD_PROCESS=off``, one with ``on``. Stored records, counters, the cursor, the
schema and the quarantine must be equal, on a first load and on a re-sync that changes some records
and repeats ids across neighbouring pages (the pages whose keys the child must not trust a read
for). A child that dies or fails mid-run ends the run FAILED with its committed pages kept, and it
resumes.
"""

import os
import random
import signal

import pytest

from sync_engine import builds as builds_module
from sync_engine.engine import run_sync
from sync_engine.models import ConnectorSchema, SyncedRecord, SyncRecordError, SyncStatus
from sync_engine.runs import connector_model
from sync_engine.sources import Page, SourcePlan, register_source, unregister_source

pytestmark = pytest.mark.django_db(transaction=True)

RULES = {
    "field_mappings": {"name": "full_name", "address.city": "city"},
    "type_conversions": {"score": "decimal", "created_at": "datetime"},
}


def make_pages(seed: int, *, pages: int = 24, size: int = 40) -> list[list]:
    rng = random.Random(seed)
    out, next_id = [], 1
    for _ in range(pages):
        page = []
        for _ in range(size):
            kind = rng.random()
            if kind < 0.04:
                page.append({"name": "no key"})  # quarantined: no primary key
            elif kind < 0.06:
                page.append("not an object")  # quarantined
            elif kind < 0.16 and next_id > 3:
                # an id of this page or the one before it again, with other data
                page.append(record(rng.randint(max(1, next_id - size * 2), next_id - 1), rng))
            else:
                page.append(record(next_id, rng))
                next_id += 1
        out.append(page)
    return out


def record(record_id: int, rng: random.Random) -> dict:
    return {
        "id": record_id,
        "name": rng.choice(["Ada", "Grace", "Edsger", "Barbara"]),
        "score": rng.choice(["1.5", "2", "x"]) if rng.random() < 0.3 else "3.25",  # "x": quarantined
        "created_at": "2024-01-02T03:04:05Z",
        "updated": rng.randint(1, 10**6),
        "address": {"city": rng.choice(["Paris", "Oslo"]), "zip": str(rng.randint(1000, 9999))},
        "tags": ["a", "b"][: rng.randint(0, 2)],
    }


def changed(pages: list[list], seed: int) -> list[list]:
    """The same pages with about a third of the records changed."""
    rng = random.Random(seed)
    out = []
    for page in pages:
        out.append(
            [
                {**item, "updated": item["updated"] + 1}
                if type(item) is dict and "updated" in item and rng.random() < 0.33
                else item
                for item in page
            ]
        )
    return out


class ScriptedSource:
    """Serves ``ScriptedSource.pages_by_name[connector.name]``; ``hook(index)`` runs before a page."""

    pages_by_name: dict = {}
    hook = None

    def __init__(self, connector):
        self.connector = connector

    def check(self):
        return type("Result", (), {"connected": True, "message": "scripted"})()

    def prepare(self) -> SourcePlan:
        return SourcePlan(cursor_field="updated")

    def refuse_checkpoint(self, position: dict) -> str:
        return "" if "next" in position else "not a scripted checkpoint"

    def pages(self, run, resume):
        pages = type(self).pages_by_name[self.connector.name]
        index = resume["next"] if resume else 0
        while index < len(pages):
            if type(self).hook is not None:
                type(self).hook(index)
            yield Page(
                records=list(pages[index]),
                position={"next": index + 1},
                plain=True,
                label=f"scripted page {index + 1}",
                more=index + 1 < len(pages),
            )
            index += 1


@pytest.fixture
def scripted(settings):
    settings.MIGRATEIQ_SYNC_ERROR_THRESHOLD = 0.9
    register_source("scripted")(ScriptedSource)
    ScriptedSource.pages_by_name, ScriptedSource.hook = {}, None
    yield ScriptedSource
    unregister_source("scripted")


def connector(tenant, name: str):
    return connector_model().objects.create(
        tenant=tenant,
        name=name,
        source_type="scripted",
        primary_key="id",
        api_endpoint="",
        transformation_rules=RULES,
    )


def outcome(conn, run) -> dict:
    return {
        "status": run.status,
        "counters": (
            run.records_processed,
            run.records_created,
            run.records_updated,
            run.records_unchanged,
            run.records_failed,
            run.pages_fetched,
        ),
        "cursor": run.cursor_value,
        "records": sorted(
            SyncedRecord.objects.filter(connector=conn).values_list("external_id", "data", "checksum")
        ),
        "quarantine": sorted(
            SyncRecordError.objects.filter(sync_log=run).values_list("page", "external_id", "error")
        ),
        "schema": ConnectorSchema.objects.filter(connector=conn).values_list("fields", flat=True).first(),
    }


def sync_both(settings, scripted, tenant, pages_off, pages_on=None):
    results = {}
    for mode, pages in (("off", pages_off), ("on", pages_on or pages_off)):
        settings.MIGRATEIQ_SYNC_BUILD_PROCESS = mode
        conn = connector_model().objects.get(tenant=tenant, name=f"conn-{mode}")
        scripted.pages_by_name[conn.name] = pages
        run = run_sync(conn)
        results[mode] = outcome(conn, run)
    return results["off"], results["on"]


@pytest.fixture
def builds_seen(monkeypatch):
    """The kinds of page builds the runs used."""
    kinds = []
    choose = builds_module.builds_for

    def recording(*args, **kwargs):
        made = choose(*args, **kwargs)
        kinds.append(type(made).__name__)
        return made

    monkeypatch.setattr("sync_engine.engine.builds_for", recording)
    return kinds


@pytest.mark.slow
def test_a_first_load_and_a_re_sync_built_in_a_child_process_equal_the_runs_thread(
    settings, scripted, tenant_a, builds_seen
):
    connector(tenant_a, "conn-off")
    connector(tenant_a, "conn-on")
    first = make_pages(7)
    off, on = sync_both(settings, scripted, tenant_a, first)
    assert builds_seen == ["InlineBuilds", "ProcessBuilds"]
    assert off["status"] == SyncStatus.PARTIAL  # quarantined records
    assert off["counters"][1] > 500 and off["quarantine"]
    assert on == off

    second = changed(first, 8)
    off, on = sync_both(settings, scripted, tenant_a, second)
    assert off["counters"][2] > 100 and off["counters"][3] > 100  # updated and unchanged records
    assert on == off

    off, on = sync_both(settings, scripted, tenant_a, second)  # the same pages again
    assert off["counters"][1] == 0 and off["counters"][3] > 500
    assert on == off


def test_ids_repeated_on_the_next_pages_are_counted_as_the_runs_thread_counts_them(
    settings, scripted, tenant_a
):
    """Page k+1 changes records page k wrote: the child must not trust the parent's read of them."""
    connector(tenant_a, "conn-off")
    connector(tenant_a, "conn-on")
    base = [[record(i, random.Random(i)) for i in range(p * 10 + 1, p * 10 + 11)] for p in range(12)]
    sync_both(settings, scripted, tenant_a, base)
    echoed = [
        page + [{**item, "updated": item["updated"] + 7} for item in (base[p - 1] if p else [])]
        for p, page in enumerate(base)
    ]
    off, on = sync_both(settings, scripted, tenant_a, echoed)
    assert off["counters"][2] > 80  # echoed records (not quarantined) updated on the page after their own
    assert on == off


def test_a_child_that_dies_mid_run_fails_the_run_and_the_run_resumes(
    settings, scripted, tenant_a, monkeypatch
):
    settings.MIGRATEIQ_SYNC_BUILD_PROCESS = "on"
    conn = connector(tenant_a, "conn-on")
    pages = make_pages(9, pages=10)
    scripted.pages_by_name[conn.name] = pages
    children = []

    made = builds_module.builds_for

    def recording(*args, **kwargs):
        children.append(made(*args, **kwargs))
        return children[-1]

    monkeypatch.setattr("sync_engine.engine.builds_for", recording)

    def kill_the_builder(index):
        if index == 6:
            os.kill(children[0].pid, signal.SIGKILL)

    scripted.hook = kill_the_builder
    run = run_sync(conn)
    assert children, "the run had no page builder process"
    assert run.status == SyncStatus.FAILED
    assert "page builder process stopped unexpectedly" in run.error_message
    assert 0 < run.pages_fetched < len(pages)

    assert "exit code -9" in run.error_message
    scripted.hook = None
    resumed = run_sync(conn, run=run)
    assert resumed.status == SyncStatus.PARTIAL  # the quarantined records, nothing else

    settings.MIGRATEIQ_SYNC_BUILD_PROCESS = "off"
    clean = connector(tenant_a, "clean")
    scripted.pages_by_name[clean.name] = pages
    run_sync(clean)
    stored = lambda c: sorted(SyncedRecord.objects.filter(connector=c).values_list("external_id", "data"))  # noqa: E731
    assert stored(conn) == stored(clean)


def test_an_error_while_building_in_the_child_fails_the_run_with_its_message(
    settings, scripted, tenant_a, monkeypatch
):
    from sync_engine.errors import SyncProblem
    from sync_engine.page_builder import PageBuilder

    settings.MIGRATEIQ_SYNC_BUILD_PROCESS = "on"
    conn = connector(tenant_a, "conn-on")
    scripted.pages_by_name[conn.name] = make_pages(3, pages=6)
    build = PageBuilder.build
    calls = []

    def failing(self, records, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise SyncProblem("The fourth page could not be built.")
        return build(self, records, **kwargs)

    monkeypatch.setattr(PageBuilder, "build", failing)  # inherited by the forked child
    run = run_sync(conn)
    assert run.status == SyncStatus.FAILED
    assert run.error_message == "The fourth page could not be built."
    assert run.pages_fetched == 3


def test_the_embedded_default_builds_in_the_runs_thread(settings, scripted, tenant_a, builds_seen):
    settings.MIGRATEIQ_SYNC_BUILD_PROCESS = "auto"  # on only in a Celery worker
    conn = connector(tenant_a, "conn-off")
    scripted.pages_by_name[conn.name] = make_pages(4, pages=3)
    run_sync(conn)
    assert builds_seen == ["InlineBuilds"]


@pytest.mark.parametrize(
    ("mode", "in_worker", "first_load", "expected"),
    [
        ("auto", True, True, "ProcessBuilds"),  # a first load on a worker
        # a re-sync: pickling its records costs more; built one page behind its lookups
        ("auto", True, False, "PipelinedBuilds"),
        ("auto", False, True, "InlineBuilds"),  # the embedded web server runs it inline
        ("on", False, False, "ProcessBuilds"),
        ("off", True, True, "InlineBuilds"),
        ("off", True, False, "PipelinedBuilds"),
        ("no-lookup-ahead", False, False, "InlineBuilds"),
    ],
)
def test_where_pages_are_built(settings, mode, in_worker, first_load, expected):
    from sync_engine.page_builder import PageBuilder, Rules
    from sync_engine.schema import SchemaAccumulator

    if mode == "no-lookup-ahead":
        settings.MIGRATEIQ_SYNC_LOOKUP_AHEAD = False
        mode = "off"
    settings.MIGRATEIQ_SYNC_BUILD_PROCESS = mode
    rules = Rules(transform=None, source_hasher=None, primary_key="id", pk_parts=("id",), key_guess=("id",))
    builder = PageBuilder(rules, lookup=dict, schema=SchemaAccumulator(), first_load=first_load)
    builds = builds_module.builds_for(builder, in_worker=in_worker)
    try:
        assert type(builds).__name__ == expected
    finally:
        builds.close()


def test_pages_go_to_the_child_as_json_and_a_page_json_cannot_carry_is_pickled(
    settings, scripted, tenant_a, monkeypatch
):
    """A plain page is sent as orjson's text of its records with their source checksums; a page
    with a value orjson cannot write (an integer beyond 64 bits) falls back to pickling the records.
    Both give what the run's thread gives."""
    sent = []
    dump = builds_module.dump_plain_records
    monkeypatch.setattr(
        builds_module,
        "dump_plain_records",
        lambda records, hasher: sent.append(dump(records, hasher)) or sent[-1],
    )
    connector(tenant_a, "conn-off")
    connector(tenant_a, "conn-on")
    pages = make_pages(11, pages=6)
    pages[3] = [*pages[3], {"id": 10**6, "name": "Big", "score": "1", "huge": 2**70}]
    off, on = sync_both(settings, scripted, tenant_a, pages)
    assert on == off
    assert [entry is None for entry in sent] == [False, False, False, True, False, False]
    assert any(data.get("huge") == 2**70 for _id, data, _sum in on["records"])


def test_a_plain_pages_json_gives_back_equal_records_and_their_source_checksums():
    import orjson

    from sync_engine.records import dump_plain_records, source_checksum, source_hasher

    hasher = source_hasher({"field_mappings": {"a": "b"}}, "id")
    records = [
        {"id": 1, "f": 0.1, "n": -0.0, "big": 2**63 - 1, "s": 'é\u2028"\\', "nested": {"z": [1, None, True]}},
        {"b": 1, "a": 2},  # key order is kept (the source checksum depends on it)
        "not an object",
        [1, 2],
    ]
    body, sums = dump_plain_records(records, hasher)
    back = orjson.loads(body)
    assert back == records
    assert [list(item) for item in back if type(item) is dict] == [list(item) for item in records[:2]]
    assert sums == [source_checksum(records[0], hasher), source_checksum(records[1], hasher), "", ""]
    assert dump_plain_records([{"id": 2**64}], hasher) is None
