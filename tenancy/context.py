"""The active tenant outside a request: shell sessions, tasks, commands and tests.

API requests never rely on this: the base viewset scopes by ``request.tenant``. It exists so that
``CustomDataConnector.objects.create(...)`` works in a shell or a task once a tenant is chosen::

    from tenancy.services import activate_tenant_by_slug
    activate_tenant_by_slug("demo")        # a shell session: look the tenant up by its slug

    from tenancy.context import activate_tenant, tenant_context
    activate_tenant(tenant)                # a Tenant you hold
    with tenant_context(tenant):           # or for a block of code
        ...

This module holds only the context variable: it takes a ``Tenant`` and imports no model (the slug
lookup is ``tenancy.services``), so ``tenancy.models`` can read it without an import circle.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tenancy.models import Tenant

_current_tenant: contextvars.ContextVar[Tenant | None] = contextvars.ContextVar(
    "migrateiq_tenant", default=None
)


class NoActiveTenant(RuntimeError):
    """Something needs the active tenant and none is active (no tenant was given either)."""


def _checked(tenant) -> Tenant:
    meta = getattr(tenant, "_meta", None)
    if meta is None or meta.label != "tenancy.Tenant":
        hint = " (a slug? use tenancy.services.activate_tenant_by_slug)" if isinstance(tenant, str) else ""
        raise TypeError(f"Expected a Tenant, got {tenant!r}{hint}.")
    return tenant


def get_current_tenant() -> Tenant | None:
    return _current_tenant.get()


def require_current_tenant() -> Tenant:
    tenant = _current_tenant.get()
    if tenant is None:
        raise NoActiveTenant(
            "No tenant is active. Pass tenant=... or choose one first: "
            "`from tenancy.services import activate_tenant_by_slug; activate_tenant_by_slug('<slug>')`."
        )
    return tenant


def activate_tenant(tenant: Tenant) -> Tenant:
    """Make ``tenant`` active for the rest of this thread / shell session; returns it."""
    _current_tenant.set(_checked(tenant))
    return tenant


def deactivate_tenant() -> None:
    _current_tenant.set(None)


@contextlib.contextmanager
def tenant_context(tenant: Tenant):
    """``tenant`` is the active one inside the ``with`` block (the previous one again after it)."""
    token = _current_tenant.set(_checked(tenant))
    try:
        yield tenant
    finally:
        _current_tenant.reset(token)
