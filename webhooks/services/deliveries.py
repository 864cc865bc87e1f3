"""Deliveries: create them, send one (signed, through the outbound client), retry with backoff.

A delivery is a :class:`~webhooks.models.WebhookDelivery` row: ``pending`` until an attempt
succeeds (``success``) or the last allowed attempt fails (``failed``). Sending never happens inside
the caller's transaction and never raises into it: the sync or load that caused an event is over
before its webhooks are sent, and a receiver that is down changes nothing but its delivery log.

How a delivery is sent (``settings.MIGRATEIQ_SYNC_RUNNER``, like the engine's runs):

* ``"celery"``: the task ``webhooks.tasks.send_delivery`` is published when the transaction commits;
* ``"inline"`` (or ``CELERY_TASK_ALWAYS_EAGER``): sent in the ``on_commit`` callback, in-process.

Each attempt first *claims* the delivery (one ``UPDATE`` that counts the attempt and pushes
``next_attempt_at`` a lease ahead), so the task, the beat and a second worker never send it twice at
once, and a worker that died mid-attempt is retried when the lease ends. A failed attempt schedules
the next after ``backoff(attempts)``; the beat entry ``webhooks-send-due-deliveries`` (every minute)
sends the due ones.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from django.db.models import F
from django.utils import timezone

from core import background
from core.http import OutboundClient
from core.http_errors import EgressDenied, OutboundError, ResponseTooLarge, UpstreamError
from core.redaction import redact
from tenancy.models import Tenant
from webhooks.models import PING, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from webhooks.services import payloads, signing

logger = logging.getLogger(__name__)

SEND_TASK = "webhooks.tasks.send_delivery"
#: Attempts of an event's delivery: the first and five retries (1, 2, 4, 8, 16 minutes later).
MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600
# A URL in an error message: its origin (kept) and its path and query (hidden, see _safe_error).
_URL_PATH = re.compile(r"(https?://[^/\s'\"()]+)/[^\s'\"()]*")
# The outbound client's count of its requests, which ends its message (one here: max_attempts=1),
# unless a Retry-After too long to wait follows it.
_CLIENT_ATTEMPTS = re.compile(r" after 1 attempt(?=$|\. Try again once that wait is over)")
#: How long one attempt holds its claim: longer than the request can take.
CLAIM_LEASE_SECONDS = 120
#: One attempt's request: a receiver should answer fast (and queue its own work).
TIMEOUT_SECONDS = 10.0
#: The receiver's answer is not used; it is read up to this size and dropped.
MAX_RESPONSE_BYTES = 64 * 1024
DUE_BATCH = 500


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4, ... minutes, at most an hour."""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


def create_deliveries(tenant_id: int, event: str, data: Callable[[], dict]) -> list[WebhookDelivery]:
    """A pending delivery of ``event`` for each active endpoint of the tenant that subscribes to it,
    sent once the current transaction commits. ``data()`` builds the event's data (only called
    when some endpoint wants it: most tenants have none)."""
    endpoints = [
        e for e in WebhookEndpoint.objects.filter(tenant_id=tenant_id, is_active=True) if e.wants(event)
    ]
    if not endpoints:
        return []
    tenant = Tenant.objects.get(pk=tenant_id)
    now = timezone.now()
    event_data = data()
    created = []
    for endpoint in endpoints:
        delivery_id = uuid.uuid4()
        created.append(
            WebhookDelivery.objects.create(
                tenant=tenant,
                endpoint=endpoint,
                delivery_id=delivery_id,
                event=event,
                payload=payloads.envelope(delivery_id, event, tenant, now, event_data),
                max_attempts=MAX_ATTEMPTS,
                next_attempt_at=now,
            )
        )
    for delivery in created:
        enqueue(delivery.pk)
    return created


def send_ping(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a signed ``ping`` to ``endpoint`` now (one attempt, no retry) and return its delivery."""
    now = timezone.now()
    delivery_id = uuid.uuid4()
    delivery = WebhookDelivery.objects.create(
        tenant_id=endpoint.tenant_id,
        endpoint=endpoint,
        delivery_id=delivery_id,
        event=PING,
        payload=payloads.envelope(delivery_id, PING, endpoint.tenant, now, {}),
        max_attempts=1,
        next_attempt_at=now,
    )
    return send_delivery(delivery.pk) or delivery


def enqueue(delivery_id: int) -> None:
    """Send the delivery when the current transaction commits (at once outside one). When the broker
    cannot take it, it stays pending and due: the beat sends it within a minute."""
    background.run_after_commit(SEND_TASK, delivery_id, run_here=send_delivery)


def send_due_deliveries(*, now=None) -> int:
    """Queue every pending delivery whose attempt is due (the beat, every minute); returns how many."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.unscoped("the beat sends the due deliveries of every tenant")
        .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:DUE_BATCH]
    )
    for delivery_id in due:
        background.dispatch(SEND_TASK, delivery_id, run_here=send_delivery)
    return len(due)


def _claim(delivery_id: int, now) -> bool:
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery_id,
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            attempts__lt=F("max_attempts"),
        ).update(attempts=F("attempts") + 1, next_attempt_at=now + timedelta(seconds=CLAIM_LEASE_SECONDS))
    )


def send_delivery(delivery_id: int) -> WebhookDelivery | None:
    """One attempt at ``delivery_id`` if it is pending and due (the task, the beat and the test
    action call this); returns the delivery as it is afterwards, or None when it is gone."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return WebhookDelivery.objects.filter(pk=delivery_id).first()
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active and delivery.event != PING:
        return _finish(delivery, ok=False, error="The endpoint is disabled.", final=True)
    body = payloads.body(delivery.payload, endpoint.payload_format)  # signed and sent as they are
    headers = {
        "Content-Type": "application/json",
        signing.SIGNATURE_HEADER: signing.signature_header(endpoint.secret, body, now=time.time()),
        signing.EVENT_HEADER: delivery.event,
        signing.DELIVERY_HEADER: str(delivery.delivery_id),
    }
    try:
        # A redirect is not followed: a 301/302 makes the POST a GET elsewhere, whose 200 would count
        # an event the receiver never got as delivered (GitHub's and Stripe's webhooks do the same).
        with OutboundClient(
            timeout=TIMEOUT_SECONDS,
            max_bytes=MAX_RESPONSE_BYTES,
            max_attempts=1,
            follow_redirects=False,
            peer="the receiver",
        ) as client:
            response = client.request("POST", endpoint.url, content=body, headers=headers)
    except ResponseTooLarge as exc:
        # A long answer to a request the receiver accepted (2xx) is still a delivery.
        ok = exc.status_code is not None and 200 <= exc.status_code < 300
        return _finish(
            delivery, ok=ok, error="" if ok else _safe_error(exc, endpoint), status_code=exc.status_code
        )
    except UpstreamError as exc:
        return _finish(delivery, ok=False, error=_safe_error(exc, endpoint), status_code=exc.status_code)
    except EgressDenied as exc:
        # The address is refused: retrying cannot help until the endpoint changes.
        return _finish(delivery, ok=False, error=_safe_error(exc, endpoint), final=True)
    except OutboundError as exc:
        return _finish(delivery, ok=False, error=_safe_error(exc, endpoint))
    except Exception as exc:  # a bug must not leave the delivery claimed without an outcome
        logger.exception("Webhook delivery %s crashed", delivery_id)
        return _finish(
            delivery, ok=False, error=f"Internal error ({type(exc).__name__}); see the server log."
        )
    return _finish(delivery, ok=True, status_code=response.status_code)


def _finish(delivery, *, ok: bool, error: str = "", status_code=None, final: bool = False):
    now = timezone.now()
    if error and delivery.max_attempts > 1:
        # Which of the delivery's attempts failed, as its ``attempts`` / ``max_attempts`` say it
        # (the deliveries table's "2 of 6"): the error is the latest attempt's.
        error = f"Attempt {delivery.attempts} of {delivery.max_attempts}: {error}"
    fields: dict = {"response_status_code": status_code, "error": error[:2000]}
    if ok:
        fields.update(status=DeliveryStatus.SUCCESS, delivered_at=now, next_attempt_at=None)
    elif final or delivery.attempts >= delivery.max_attempts:
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    else:
        fields.update(next_attempt_at=now + backoff(delivery.attempts))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    delivery.refresh_from_db()
    if not ok:
        logger.warning(
            "Webhook delivery %s (%s) to endpoint %s failed on attempt %s: %s",
            delivery.delivery_id,
            delivery.event,
            delivery.endpoint_id,
            delivery.attempts,
            delivery.error,
        )
    return delivery


def _safe_error(exc: Exception, endpoint: WebhookEndpoint) -> str:
    """The client's (already safe) message, with the path and query of every URL in it hidden, and
    the endpoint's path wherever else it appears: some receivers (Slack's incoming webhooks) carry
    their credential in the URL path. Every URL, because the message shows them normalised (a query
    re-encoded, a host in lower case), which no longer equals the endpoint's URL as it was typed."""
    # Each attempt of a delivery is one request: the client's own count ("after 1 attempt") would
    # contradict the delivery's, which _finish puts first.
    message = _CLIENT_ATTEMPTS.sub("", str(exc), count=1)
    message = _URL_PATH.sub(r"\1/…", message)
    path = urlsplit(endpoint.url).path
    if path and path != "/":
        message = message.replace(path, "/…")
    return redact(message)
