"""The sync engine's hooks (``core.hooks``): subscribe with ``core.hooks.register(name, handler)``.

* ``run_started(run)``: a run was created or queued again (resumed).
* ``run_finished(run)``: a run ended, by any path (the engine, a cancel while pending, attempts
  exhausted, the reaper); called after the transaction that ended it commits, with the finished
  ``SyncLog`` (status ``SUCCESS``, ``PARTIAL``, ``FAILED`` or ``CANCELLED``).
"""

from core.hooks import define, register, registered, run_after_commit, run_now, unregister  # noqa: F401

define("run_started", "run_started(run): a sync run (SyncLog) was created or queued again.")
define(
    "run_finished",
    "run_finished(run): a sync run (SyncLog) ended, by any path; after its end commits.",
)
