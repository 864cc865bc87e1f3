"""The audit trail: one append-only row per thing that happened in a tenant.

Rows are written only by :func:`audit.services.store_activity`, the ``activity`` hook's handler
(``core.activity``), and removed only by the retention job (:func:`audit.services.expire_events`).
Changing or deleting them any other way through the ORM raises :class:`AppendOnly`: the manager's
``update()`` / ``delete()``, an instance's ``save()`` of an existing row and ``delete()``.

The database refuses the same on its own (migration ``0002``, triggers on SQLite and PostgreSQL), so
raw SQL, a bulk path that skips the queryset or a bug elsewhere cannot change the trail either: an
UPDATE always fails, a DELETE fails unless it runs under :func:`purge_permitted` and deletes only
events older than the bound it states, or the events' tenant is being deleted (the database deletes
them with it: ``tenant`` is ``DO_NOTHING`` here because the ORM's cascade would run first).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction

from tenancy.models import Tenant, TenantOwnedMixin, TenantQuerySet


@contextmanager
def purge_permitted(expires_before: datetime | None, *, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """A transaction in which the database lets events older than ``expires_before`` (every event:
    ``None``) be deleted: the one permission its triggers accept (``audit_purge``). The row that
    grants it is written first and deleted last, so no other transaction ever sees it; an error
    inside rolls both back."""
    connection = connections[using]
    bound: str | datetime | None
    if expires_before is None:  # a bound above every event; PostgreSQL's allows TRUNCATE too
        bound = "infinity" if connection.vendor == "postgresql" else "9999-12-31 23:59:59.999999"
    else:
        bound = connection.ops.adapt_datetimefield_value(expires_before)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute('INSERT INTO "audit_purge" ("expires_before") VALUES (%s)', [bound])
        yield
        cursor.execute('DELETE FROM "audit_purge"')


class AppendOnly(Exception):
    """Audit events are never changed or deleted (the retention job aside)."""

    def __init__(self, what: str = "changed or deleted"):
        super().__init__(f"Audit events are append-only: they cannot be {what}.")


class AuditEventQuerySet(TenantQuerySet):
    def update(self, **kwargs):
        raise AppendOnly("updated")

    def delete(self):
        raise AppendOnly("deleted")

    def _expire(self, *, expires_before: datetime) -> int:
        """Delete these rows, all older than ``expires_before``: the retention job's one way to
        remove events (the database refuses to delete a newer one)."""
        with purge_permitted(expires_before, using=self.db):
            deleted, _ = models.QuerySet.delete(self)
        return deleted


class AuditEvent(TenantOwnedMixin, models.Model):
    """Who did what, when, to which object. The actor is a snapshot (id and email at the time): the
    event outlives the account and never changes when it does."""

    # DO_NOTHING: the database deletes a tenant's events after the tenant row (migration 0002); the
    # ORM's cascade would delete them first, which the append-only trigger refuses.
    tenant = models.ForeignKey(Tenant, on_delete=models.DO_NOTHING, related_name="+", editable=False)
    at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_email = models.CharField(max_length=254, blank=True)
    #: No actor because nobody signed in (a refused sign-in), not because the system acted.
    actor_anonymous = models.BooleanField(default=False)
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
        actor = self.actor_email or ("anonymous" if self.actor_anonymous else "system")
        return f"{self.at:%Y-%m-%d %H:%M:%S} {actor} {self.action}"

    # The one exception to "no save() overrides" besides TenantOwnedMixin's: append-only is a
    # property of the row, so it is enforced where every caller passes.
    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("deleted")
