"""A second kind of source syncs through the engine without a line of the engine changing.

``StaticSource`` serves records from memory (nothing but this test knows it). Registered with
``@register_source``, it gets everything the REST source gets: transform, quarantine, upsert,
checkpoints, resume after a failure, the run's end and its hooks.
"""

import pytest

from sync_engine import hooks
from sync_engine.engine import run_sync
from sync_engine.errors import SyncProblem
from sync_engine.models import SyncedRecord, SyncLog, SyncRecordError, SyncStatus
from sync_engine.runs import connector_model
from sync_engine.sources import Page, SourcePlan, register_source, source_types, unregister_source

PAGES = [
    [{"id": 1, "name": "Ada"}, {"id": 2, "name": "Grace"}],
    [{"id": 3, "name": "Edsger"}, {"name": "no key"}],  # the second one has no primary key
    [{"id": 4, "name": "Barbara"}, "not an object"],
    [{"id": 5, "name": "Donald"}],
]


class StaticSource:
    """Pages from memory; ``fail_at`` (a page index) fails the first read of that page once."""

    fail_at: int | None = None
    reads: list = []

    def __init__(self, connector):
        self.connector = connector

    def check(self):
        return type("Result", (), {"connected": True, "message": "static"})()

    def prepare(self) -> SourcePlan:
        return SourcePlan(cursor_field="id")

    def refuse_checkpoint(self, position: dict) -> str:
        return "" if "next" in position else "not a static checkpoint"

    def pages(self, run, resume):
        index = resume["next"] if resume else 0
        while index < len(PAGES):
            if index == type(self).fail_at:
                type(self).fail_at = None
                raise SyncProblem(f"The static store is unavailable at page {index + 1}.")
            type(self).reads.append(index)
            yield Page(
                records=list(PAGES[index]),
                position={"next": index + 1},
                plain=True,
                label=f"static page {index + 1}",
                more=index + 1 < len(PAGES),
            )
            index += 1


@pytest.fixture
def static_source():
    register_source("static")(StaticSource)
    StaticSource.fail_at, StaticSource.reads = None, []
    yield StaticSource
    unregister_source("static")


@pytest.fixture
def static_connector(tenant_a, settings):
    settings.MIGRATEIQ_SYNC_ERROR_THRESHOLD = 0.5  # 2 of 7 records are quarantined on purpose
    return connector_model().objects.create(
        tenant=tenant_a, name="In memory", source_type="static", primary_key="id", api_endpoint=""
    )


def test_the_registry_knows_the_static_source_beside_rest(static_source):
    assert {"rest", "static"} <= set(source_types())


def test_a_static_source_syncs_with_quarantine(static_source, static_connector):
    finished = []
    with hooks.registered("run_finished", finished.append):
        run = run_sync(static_connector)

    assert run.status == SyncStatus.PARTIAL, run.error_message  # two records quarantined
    assert (run.records_processed, run.records_created, run.records_failed, run.pages_fetched) == (7, 5, 2, 4)
    stored = SyncedRecord.objects.filter(connector_id=static_connector.pk).order_by("external_id")
    assert [(r.external_id, r.data["name"]) for r in stored] == [
        ("1", "Ada"),
        ("2", "Grace"),
        ("3", "Edsger"),
        ("4", "Barbara"),
        ("5", "Donald"),
    ]
    errors = SyncRecordError.objects.filter(sync_log=run).order_by("page")
    assert [(e.page, e.error) for e in errors] == [
        (2, "The record has no primary key 'id'."),
        (3, "The record is not a JSON object (got string)."),
    ]
    static_connector.refresh_from_db()
    assert static_connector.records_count == 5
    assert static_connector.last_sync_status == SyncStatus.PARTIAL
    # The record without a primary key holds the cursor where the run started (none: the next sync
    # reads every page again); the one that is not an object would not.
    assert static_connector.incremental_cursor is None
    assert any("the incremental cursor is left unset (instead of moving to 5)" in w for w in run.warnings)


def test_a_failed_static_sync_resumes_from_its_checkpoint(static_source, static_connector):
    static_source.fail_at = 2  # the third page
    failed = run_sync(static_connector)
    assert failed.status == SyncStatus.FAILED
    assert failed.error_message == "The static store is unavailable at page 3."
    assert failed.checkpoint["next"] == 2 and failed.pages_fetched == 2
    assert SyncedRecord.objects.filter(connector_id=static_connector.pk).count() == 3

    resumed = run_sync(static_connector, run=failed)

    assert resumed.pk == failed.pk
    assert resumed.status == SyncStatus.PARTIAL
    assert static_source.reads == [0, 1, 2, 3]  # pages 1-2 were not read again
    assert resumed.pages_fetched == 4 and resumed.records_processed == 7
    assert SyncedRecord.objects.filter(connector_id=static_connector.pk).count() == 5
    assert SyncRecordError.objects.filter(sync_log=resumed).count() == 2
    messages = list(resumed.events.values_list("message", flat=True))
    assert "Resuming after page 2 (4 records committed)." in messages


def test_a_checkpoint_the_source_refuses_is_not_resumed(static_source, static_connector):
    run = SyncLog.objects.create(
        tenant_id=static_connector.tenant_id,
        connector=static_connector,
        status=SyncStatus.FAILED,
        checkpoint={"version": 1, "cursor": "elsewhere"},
    )
    result = run_sync(static_connector, run=run)
    assert result.status == SyncStatus.FAILED
    assert result.error_message == "not a static checkpoint"
    assert static_source.reads == []
