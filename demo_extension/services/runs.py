"""PLACEHOLDER: starting, waiting for, cancelling and resuming background sync runs."""


class SyncAlreadyRunning(Exception):
    def __init__(self, active_log_id: int):
        super().__init__(f"A sync of this connector is already in progress (sync log {active_log_id}).")
        self.active_log_id = active_log_id


def start_sync(connector, *, triggered_by="api", user=None, full_refresh=False):
    raise NotImplementedError


def wait_for(sync_log, seconds: float):
    raise NotImplementedError


def cancel_sync(sync_log):
    raise NotImplementedError


def resume_sync(sync_log, *, user=None):
    raise NotImplementedError
