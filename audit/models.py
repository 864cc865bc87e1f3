"""The audit trail: one append-only row per thing that happened in a tenant.

Rows are written only by :func:`audit.services.store_activity`, the ``activity`` hook's handler
(``core.activity``), and removed only by the retention job (:func:`audit.services.expire_events`).
Changing or deleting them any other way through the ORM raises :class:`AppendOnly`: the manager's
``update()`` / ``delete()``, an instance's ``save()`` of an existing row and ``delete()``.
"""

from django.db import models

from tenancy.models import TenantOwnedMixin, TenantQuerySet


class AppendOnly(Exception):
    """Audit events are never changed or deleted (the retention job aside)."""

    def __init__(self, what: str = "changed or deleted"):
        super().__init__(f"Audit events are append-only: they cannot be {what}.")


class AuditEventQuerySet(TenantQuerySet):
    def update(self, **kwargs):
        raise AppendOnly("updated")

    def delete(self):
        raise AppendOnly("deleted")

    def _expire(self) -> int:
        """Delete these rows: the retention job's one way to remove events."""
        deleted, _ = models.QuerySet.delete(self)
        return deleted


class AuditEvent(TenantOwnedMixin, models.Model):
    """Who did what, when, to which object. The actor is a snapshot (id and email at the time): the
    event outlives the account and never changes when it does."""

    at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    #: Names of the fields set or changed, never their values.
    fields = models.JSONField(default=list, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=128, blank=True)

    objects = AuditEventQuerySet.as_manager()  # type: ignore[misc]  # a narrower queryset than the mixin's

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-at"], name="audit_tenant_at"),
            models.Index(fields=["tenant", "action", "-at"], name="audit_tenant_action_at"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_email or 'system'} {self.action}"

    # The one exception to "no save() overrides" besides TenantOwnedMixin's: append-only is a
    # property of the row, so it is enforced where every caller passes.
    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("deleted")
