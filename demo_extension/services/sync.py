"""PLACEHOLDER: DataSyncService is being implemented (see the sync-engine brief)."""

from dataclasses import dataclass


@dataclass
class ConnectionResult:
    connected: bool
    response_time_ms: float | None
    message: str
    endpoint: str
    status_code: int | None


class DataSyncService:
    def __init__(self, connector):
        self.connector = connector

    def check_connection(self) -> ConnectionResult:
        raise NotImplementedError

    def test_connection(self) -> bool:
        return self.check_connection().connected

    def sync_data(self, *, sync_log=None, triggered_by="manual", full_refresh=False, progress=None):
        raise NotImplementedError
