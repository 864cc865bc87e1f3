"""The seed's sync service: ``DataSyncService(connector)``, a thin facade over the sync engine.

::

    DataSyncService(connector).test_connection()   # True / False (check_connection(): the details)
    DataSyncService(connector).sync_data()         # a finished SyncLog

The engine (``sync_engine.engine.run_sync``) does the sync; the connector's API is read by the
REST source (:mod:`.rest_source`). Every caller (API action, Celery task, ``manage.py
sync_connector``) goes through here or the background runs (``sync_engine.queue``).
"""

from __future__ import annotations

from collections.abc import Callable

from core.http import safe_url
from demo_extension.services.incremental import validate_incremental_config
from demo_extension.services.pagination import validate_pagination_config
from demo_extension.services.rest_source import ConnectionResult
from sync_engine.engine import checkpoint_refusal, run_page_cap, run_sync, run_time_budget
from sync_engine.models import SyncLog
from sync_engine.sources import source_for

__all__ = [
    "ConnectionResult",
    "DataSyncService",
    "checkpoint_refusal",
    "run_page_cap",
    "run_time_budget",
    "validate_incremental_config",
    "validate_pagination_config",
]


class DataSyncService:
    """Test and sync one connector (see the module docstring)."""

    def __init__(self, connector):
        self.connector = connector

    def check_connection(self) -> ConnectionResult:
        """Fetch the first page as a sync would and say whether records could be read from it.

        Another module's source may answer any object with ``connected`` and ``message``
        (docs/extensions.md, "A new kind of source"): the fields it leaves out are empty, the
        endpoint is the connector's (without credentials)."""
        result = source_for(self.connector).check()
        if isinstance(result, ConnectionResult):
            return result
        return ConnectionResult(
            connected=bool(result.connected),
            response_time_ms=getattr(result, "response_time_ms", None),
            message=str(result.message),
            endpoint=getattr(result, "endpoint", "") or safe_url(self.connector.api_endpoint),
            status_code=getattr(result, "status_code", None),
            tested=bool(getattr(result, "tested", True)),
            retry_after=getattr(result, "retry_after", None),
        )

    def test_connection(self) -> bool:
        return self.check_connection().connected

    def sync_data(
        self,
        *,
        sync_log: SyncLog | None = None,
        triggered_by: str = "manual",
        full_refresh: bool = False,
        allow_empty: bool = False,
        progress: Callable[[SyncLog], None] | None = None,
        tenant_cap: int = 0,
    ) -> SyncLog:
        """Run a sync and return its log (finished: SUCCESS, PARTIAL, FAILED or CANCELLED).

        Without ``sync_log`` a new RUNNING log is created; raises ``SyncAlreadyRunning`` when the
        connector already has an active one. With a PENDING log it runs it; with a FAILED (or stale
        RUNNING) log it resumes from its checkpoint. ``allow_empty`` (with ``full_refresh`` only): a
        refresh that reads every page and gets no record marks every stored record deleted instead
        of failing. See ``sync_engine.engine.run_sync``.
        """
        return run_sync(
            self.connector,
            run=sync_log,
            triggered_by=triggered_by,
            full_refresh=full_refresh,
            allow_empty=allow_empty,
            progress=progress,
            tenant_cap=tenant_cap,
        )
