"""Exceptions shared by the sync engine, its sources and the background runs (a module below all)."""


class SyncAlreadyRunning(Exception):
    """The connector already has a pending or running sync; ``active_log_id`` names it."""

    def __init__(self, active_log_id: int | None):
        super().__init__(f"A sync of this connector is already in progress (sync log {active_log_id}).")
        self.active_log_id = active_log_id


class SyncOwnershipLost(Exception):
    """Another run of the same sync log took over (this one was reaped as stale): stop writing."""


class CheckpointMismatch(Exception):
    """A run's checkpoint was made for another endpoint origin or pagination than the connector's
    current ones: resuming it would send the credentials elsewhere or mix configurations."""


class SyncProblem(Exception):
    """A configuration, upstream or data problem that ends a run FAILED with this (safe) message.

    Sources raise it (or a subclass) for anything a user can fix; the engine never lets it escape.
    """


class RepeatedPage(SyncProblem):
    """A page holds the same records as an earlier page of the run. Either of the two may be the
    wrong one (an upstream that served page 3's records as page 2, then page 3 again), so the run's
    checkpoint, which follows the earlier one, is not resumed: a new sync reads every page again."""


class Cancelled(Exception):
    """A cancel was requested: the run stops at this page boundary and ends CANCELLED."""


class Interrupted(Exception):
    """The process running the sync is stopping (``core.shutdown``): the run stops at this page
    boundary, keeps its committed pages and ends resumable. ``reason`` says why, for its log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
