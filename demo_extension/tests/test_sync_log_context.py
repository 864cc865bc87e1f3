"""Log lines written during a sync carry its connector and sync ids; the context ends with it."""

import pytest

from core.request_context import get_log_context
from demo_extension.services import DataSyncService

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
