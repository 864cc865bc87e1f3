"""The destinations app's hooks (``core.hooks``): subscribe with ``core.hooks.register(name, handler)``.

* ``load_finished(load)``: a load into a destination ended (``SUCCESS`` or ``FAILED``, by any path:
  the load itself, a queue that could not take it, a load found stale); called after the
  transaction that ended it commits, with the finished ``DestinationLoad``.
"""

from core.hooks import define, register, registered, run_after_commit, run_now, unregister  # noqa: F401

define(
    "load_finished",
    "load_finished(load): a destination load (DestinationLoad) ended, by any path; after its end commits.",
)
