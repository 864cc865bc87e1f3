"""The engine's Prometheus figures: finished runs by status, their duration and records."""

from core.metrics import observe_sync_finished


def observe_finished_run(run) -> None:
    """``run_finished`` handler: count the run in ``/metrics``."""
    observe_sync_finished(run.status, run.duration_seconds, run.records_processed, run.records_failed)
