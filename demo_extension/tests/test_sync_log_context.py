"""Log lines written during a sync carry its connector and sync ids; the context ends with it."""

import pytest

from core.request_context import get_log_context
from demo_extension.services import DataSyncService
from sync_engine.committers import PageWriter

pytestmark = pytest.mark.django_db


def test_a_sync_binds_its_connector_and_sync_ids_for_log_lines_and_unbinds_them(
    sample_upstream, make_connector
):
    connector = make_connector(upstream=sample_upstream(records=20, page_size=10, style="page"))
    seen = []

    log = DataSyncService(connector).sync_data(progress=lambda running: seen.append(dict(get_log_context())))

    assert seen, "progress was never reported"
    assert all(ctx.get("connector") == connector.pk and ctx.get("sync") == log.pk for ctx in seen)
    assert "sync" not in get_log_context()


@pytest.mark.django_db(transaction=True)
def test_pages_committed_in_the_background_carry_the_same_log_context(
    sample_upstream, make_connector, monkeypatch
):
    import threading

    connector = make_connector(upstream=sample_upstream(records=30, page_size=10, style="page"))
    seen = []
    original = PageWriter.commit

    def spy(self, work):
        seen.append((threading.current_thread().name, dict(get_log_context())))
        return original(self, work)

    monkeypatch.setattr(PageWriter, "commit", spy)
    log = DataSyncService(connector).sync_data()

    assert log.status == "SUCCESS"
    assert seen and all(name.endswith("-commits") for name, _ in seen), (
        "pages were not committed in the background"
    )
    assert all(ctx.get("connector") == connector.pk and ctx.get("sync") == log.pk for _, ctx in seen)
