"""What the platform's route-walk tests need to know about the audit module.

Declared by ``AuditConfig.platform_test_fixtures`` and read by ``tenancy/tests/seed.py``, which
documents each name.
"""

from django.db.models import Q

from audit.models import AuditEvent
from audit.services import store_activity
from core.activity import Activity
from tenancy.models import Role

EVENTS = "api/audit/events/"


def _event(tenant, now, *, action: str, actor=None, marker: str = "") -> AuditEvent:
    return store_activity(
        Activity(
            action=action,
            tenant_id=tenant.pk,
            at=now,
            actor_id=getattr(actor, "pk", None),
            actor_email=getattr(actor, "email", ""),
            target_type="connector",
            target_id="1",
            fields=("name",),
            detail={"name": f"{marker} connector"},
            request_id=f"{marker}-request",
        )
    )


def seed(tenant, marker: str, now) -> dict:
    """One audit event in ``tenant``, ``marker`` in its texts."""
    return {"audit_event": _event(tenant, now, action="connector.changed", marker=marker)}


TENANT_ROWS = {AuditEvent: lambda t: Q(tenant=t)}

MINIMUM_ROLE = {
    (EVENTS, "GET"): Role.ADMIN,
    (EVENTS + "{pk}/", "GET"): Role.ADMIN,
    (EVENTS + "values/", "GET"): Role.ADMIN,
}

EXPECTED_ROUTES = {EVENTS, EVENTS + "{pk}/", EVENTS + "values/"}


def isolation_queries(graph, marker: str) -> dict:
    return {
        "actor": graph.admin.pk,
        "target_id": str(graph.audit_event.target_id),
        "action": graph.audit_event.action,
    }


def many_rows(tenant, graph, n: int) -> None:
    """More than ``n`` audit events in ``tenant`` (bulk: the seed of a page-size test)."""
    at = graph.audit_event.at
    AuditEvent.objects.bulk_create(
        AuditEvent(tenant=tenant, at=at, action="connector.changed", detail={}, fields=[]) for _ in range(n)
    )
