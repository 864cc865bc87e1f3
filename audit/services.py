"""Writing and expiring the audit trail."""

import logging
from datetime import timedelta

from django.utils import timezone

from audit.conf import retention_days
from audit.models import AuditEvent
from core.activity import Activity

logger = logging.getLogger(__name__)

EXPIRE_BATCH = 1000


def _cut(text: str, field: str) -> str:
    return (text or "")[: AuditEvent._meta.get_field(field).max_length]


def store_activity(event: Activity) -> AuditEvent:
    """The ``activity`` hook's handler: one audit event for ``event``."""
    return AuditEvent.objects.create(
        tenant_id=event.tenant_id,
        at=event.at,
        actor_id=event.actor_id,
        actor_email=_cut(event.actor_email, "actor_email"),
        actor_anonymous=event.anonymous,
        action=_cut(event.action, "action"),
        target_type=_cut(event.target_type, "target_type"),
        target_id=_cut(event.target_id, "target_id"),
        fields=list(event.fields),
        detail=dict(event.detail),
        ip=_cut(event.ip, "ip"),
        request_id=_cut(event.request_id, "request_id"),
    )


def expire_events(*, days: int | None = None, batch_size: int = EXPIRE_BATCH, now=None) -> int:
    """Delete the events older than ``days`` (the retention setting by default; 0 or less keeps
    them all) in batches of ``batch_size`` rows, each its own short transaction; returns how many.

    Each batch states ``cutoff`` to the database (``audit.models.purge_permitted``), whose triggers
    refuse to delete any newer event."""
    days = retention_days() if days is None else days
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    total = 0
    expired = AuditEvent.objects.unscoped("retention applies to every tenant's events").filter(at__lt=cutoff)
    while True:
        batch = list(expired.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not batch:
            break
        total += AuditEvent.objects.filter(pk__in=batch)._expire(expires_before=cutoff)
    if total:
        logger.info("Deleted %d audit events older than %d days", total, days)
    return total
