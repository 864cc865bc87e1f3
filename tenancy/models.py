from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from core.display_names import validate_display_name
from core.models import TimeStampedModel
from tenancy import scoping
from tenancy.context import require_current_tenant

slug_validator = RegexValidator(r"^[a-z0-9][a-z0-9-]{0,62}$", "Use lowercase letters, digits and hyphens.")


class Tenant(TimeStampedModel):
    """An organisation: it owns connectors and their data; users reach it through memberships."""

    name = models.CharField(max_length=200, validators=[validate_display_name])
    slug = models.SlugField(max_length=63, unique=True, validators=[slug_validator])
    is_active = models.BooleanField(default=True)
    # What every token of a sign-in to this tenant carries (``tenancy.authentication``'s
    # ``TENANT_GENERATION_CLAIM``): one more each time the tenant is deactivated or activated again
    # (``tenancy.services.set_tenant_active``), so the sign-ins made before a deactivation stay
    # ended once the tenant is active again. The database's default too: rows written through an
    # earlier state of the models (a data migration) get 0.
    session_generation = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.slug


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Admin"


ROLE_RANK: dict[str, int] = {Role.VIEWER: 1, Role.EDITOR: 2, Role.ADMIN: 3}


def role_at_least(role: str, required: str) -> bool:
    return ROLE_RANK.get(role, 0) >= ROLE_RANK[required]


class Membership(TimeStampedModel):
    """A user's role in one tenant. A user may belong to several tenants."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        ordering = ["tenant__slug", "user__email"]
        constraints = [models.UniqueConstraint(fields=["user", "tenant"], name="unique_membership")]

    def __str__(self):
        return f"{self.user} @ {self.tenant} ({self.role})"


class TenantQuerySet(models.QuerySet):
    """The queryset (and manager) of every tenant-owned model.

    Every query it evaluates is scoped to a tenant (``for_tenant(tenant)``, a tenant-owned relation
    or primary key: :mod:`tenancy.scoping`) or says why it spans tenants with ``unscoped(reason)``.
    With ``MIGRATEIQ_TENANT_SCOPE_CHECK = "raise"`` (the test suites) any other query raises
    :class:`~tenancy.scoping.UnscopedTenantQuery` when it reaches the database.
    """

    def for_tenant(self, tenant):
        return self.filter(tenant=tenant)

    def unscoped(self, reason: str):
        """This query deliberately spans tenants (a reaper, a metric, the admin): ``reason`` says why."""
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(
                "unscoped() needs the reason this query spans tenants, e.g. .unscoped('reaper')."
            )
        clone = self.all()
        setattr(clone.query, scoping.UNSCOPED_REASON, reason)
        return clone

    def _check_scope(self, operation: str) -> None:
        if scoping.scope_check_mode() != "off":
            scoping.refuse_unscoped(self.query, operation)

    # Every way a queryset reaches the database. get(), first(), last(), values(), in_bulk(),
    # contains(), iteration, len() and slicing go through _fetch_all(); bulk_update() through
    # update(); delete() through _fetch_all() (it collects the rows first) or _raw_delete() (a
    # fast delete). Model.save() writes through the model's base manager (a plain one), by
    # primary key.

    def _fetch_all(self):
        if self._result_cache is None:
            self._check_scope("fetch")
        super()._fetch_all()

    def iterator(self, chunk_size=None):
        self._check_scope("iterator")
        return super().iterator(chunk_size)

    def aiterator(self, chunk_size=2000):
        self._check_scope("aiterator")
        return super().aiterator(chunk_size)

    def count(self):
        if self._result_cache is None:
            self._check_scope("count")
        return super().count()

    def exists(self):
        if self._result_cache is None:
            self._check_scope("exists")
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._check_scope("aggregate")
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):
        self._check_scope("update")
        return super().update(**kwargs)

    update.alters_data = True  # type: ignore[attr-defined]

    def _raw_delete(self, using):
        self._check_scope("delete")
        return super()._raw_delete(using)

    _raw_delete.alters_data = True  # type: ignore[attr-defined]

    def explain(self, *, format=None, **options):
        self._check_scope("explain")
        return super().explain(format=format, **options)


class TenantOwnedMixin(models.Model):
    """Abstract base of every model that belongs to a tenant.

    The tenant is never taken from a client: the API assigns the request's tenant
    (``TenantScoped*ViewSet.perform_create``) and services pass the tenant they work for.

    ``save()`` is the one ``save()`` override of the platform, and deliberately so: an object saved
    without a tenant gets the *active* tenant of :mod:`tenancy.context` (a shell session or a script
    that chose one; the seed's ``CustomDataConnector.objects.create(name=...)`` relies on it), and
    with none active it is refused with :class:`~tenancy.context.NoActiveTenant`, never saved
    without a tenant. It only fills a missing tenant; it never changes one
    (``tenancy/tests/test_context.py``). Bulk writes (``bulk_create``) bypass ``save()`` and must
    set ``tenant`` themselves.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", editable=False)

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.tenant_id is None:
            self.tenant = require_current_tenant()
        super().save(*args, **kwargs)


class TenantOwnedModel(TenantOwnedMixin, TimeStampedModel):
    """A tenant-owned model with created_at / updated_at."""

    class Meta:
        abstract = True


class Invitation(TenantOwnedModel):
    """An offer of ``role`` in a tenant to whoever holds the token sent to ``email``.

    Membership needs the invitee's consent: the account (existing or new) is attached only when the
    token is accepted with that account's password. Only a SHA-256 of the token is stored; the token
    itself is shown once, to the admin who created the invitation.
    """

    #: The name the audit trail gives this kind of object (``core.activity``'s ``target_type``).
    activity_noun = "invitation"

    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"invitation of {self.email} to {self.tenant_id} ({self.role})"


class EndedSession(models.Model):
    """A sign-in session that was ended: none of its tokens is accepted any more.

    A session is what one sign-in (or accepted invitation) starts: its refresh tokens, each minted by
    rotating the one before, and the access tokens they minted all carry its id (the ``sid`` claim,
    the first refresh token's ``jti``). A session is ended when it signs out (logout), or when one of
    its spent refresh tokens is presented again (reuse detection: the token was copied, and the copy
    and the original cannot be told apart). A row matters for ``JWT_REFRESH_DAYS`` after
    ``ended_at``: by then every token of the session has expired anyway, and the hourly beat deletes
    it (``tenancy.services.purge_ended_sessions``).
    """

    class Reason(models.TextChoices):
        REFRESH_TOKEN_REUSED = "refresh_token_reused", "A spent refresh token was presented again"
        SIGNED_OUT = "signed_out", "Signed out"

    sid = models.CharField(max_length=255, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=32, choices=Reason.choices)
    ended_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-ended_at"]

    def __str__(self):
        return f"session {self.sid} of {self.user_id} ended ({self.reason})"
