"""The platform's hooks, turned into webhook events (subscribed in ``WebhooksConfig.ready()``).

Both handlers run after the run's or load's end has committed (``core.hooks``); they only create
pending deliveries and queue them, so a slow or failing receiver never holds up or fails a sync.
"""

from webhooks.services import deliveries, payloads

#: A sync run's final status -> its event.
SYNC_EVENTS = {
    "SUCCESS": "sync.succeeded",
    "PARTIAL": "sync.partial",
    "FAILED": "sync.failed",
    "CANCELLED": "sync.cancelled",
}
LOAD_FINISHED = "load.finished"
#: Sent besides ``load.finished`` for a load that ended FAILED: what to subscribe to for alerts
#: (``sync.failed``'s counterpart), without receiving every successful load.
LOAD_FAILED = "load.failed"


def run_finished(run) -> None:
    """``run_finished(run)``: a ``sync.*`` event for the run's tenant."""
    event = SYNC_EVENTS.get(run.status)
    if event is None:
        return
    deliveries.create_deliveries(run.tenant_id, event, lambda: payloads.sync_data(run))


def load_finished(load) -> None:
    """``load_finished(load)``: a ``load.finished`` event (the status is in the payload), and a
    ``load.failed`` event with the same data when the load failed."""
    deliveries.create_deliveries(load.tenant_id, LOAD_FINISHED, lambda: payloads.load_data(load))
    if load.status == "FAILED":
        deliveries.create_deliveries(load.tenant_id, LOAD_FAILED, lambda: payloads.load_data(load))
