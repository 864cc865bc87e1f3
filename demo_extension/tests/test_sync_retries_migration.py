"""Migration sync_engine 0010: runs ended before ``SyncLog.retries`` listed their retry lines among
their warnings (a FAILED run showed "FAILED · 4 warnings" for the retries that led to its error); the
migration counts them as retries and keeps the other warnings."""

import importlib

import pytest

from sync_engine.events import FURTHER_RETRIES, is_retry_line, retry_line

BEFORE = [("sync_engine", "0009_synclog_allow_empty")]
AFTER = [("sync_engine", "0010_synclog_retries")]
migration = importlib.import_module("sync_engine.migrations.0010_synclog_retries")

RETRY = retry_line(3, "HTTP 503 from http://127.0.0.1:1/users (attempt 1 of 5); retrying in 0.1 s")
PAUSED = retry_line(4, "HTTP 429 from http://x/ (attempt 2 of 5); retrying in 2.0 s; requests paused for 2 s")
REAL = "No record of the first page has the primary key 'id': ..."


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_retry_lines_out_of_the_warnings_into_the_count(
    make_connector, tenant_a, migrate_to
):
    connector = make_connector()
    old = migrate_to(BEFORE)
    SyncLog = old.get_model("sync_engine", "SyncLog")

    def run(status, warnings):
        return SyncLog.objects.create(
            tenant_id=tenant_a.pk, connector_id=connector.pk, status=status, warnings=warnings
        )

    failed = run("FAILED", [RETRY, RETRY, PAUSED]).pk
    mixed = run("SUCCESS", [REAL, RETRY, FURTHER_RETRIES]).pk
    clean = run("SUCCESS", [REAL]).pk

    new = migrate_to(AFTER).get_model("sync_engine", "SyncLog")
    after = {log.pk: (log.warnings, log.retries) for log in new.objects.all()}
    assert after[failed] == ([], 3)
    assert after[mixed] == ([REAL], 1)
    assert after[clean] == ([REAL], 0)


def test_the_migration_reads_retry_lines_as_the_engine_writes_them():
    for line in (RETRY, PAUSED, FURTHER_RETRIES):
        assert is_retry_line(line) and migration.is_retry_line(line)
    for line in (
        REAL,
        "Page 2: a field took another type",
        "Fetching page 1 failed: HTTP 503 after 5 attempts",
    ):
        assert not is_retry_line(line) and not migration.is_retry_line(line)
