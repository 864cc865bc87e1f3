"""The active tenant outside a request: shell sessions, tasks, commands and tests.

API requests never rely on this: the base viewset scopes by ``request.tenant``. It exists so that
``CustomDataConnector.objects.create(...)`` works in a shell or a task once a tenant is chosen::

    from tenancy.context import activate_tenant
    activate_tenant("demo")            # by slug, or pass a Tenant

or, for a block of code::

    with tenant_context(tenant):
        ...
"""

import contextlib
import contextvars

_current_tenant: contextvars.ContextVar = contextvars.ContextVar("migrateiq_tenant", default=None)


class NoActiveTenant(RuntimeError):
    """A tenant-owned object was created with no tenant given and none active."""


def _resolve(tenant_or_slug):
    from tenancy.models import Tenant

    if isinstance(tenant_or_slug, Tenant):
        return tenant_or_slug
    return Tenant.objects.get(slug=tenant_or_slug)


def get_current_tenant():
    return _current_tenant.get()


def require_current_tenant():
    tenant = _current_tenant.get()
    if tenant is None:
        raise NoActiveTenant(
            "No tenant is active. Pass tenant=... or choose one first: "
            "`from tenancy.context import activate_tenant; activate_tenant('<slug>')`."
        )
    return tenant


def activate_tenant(tenant_or_slug):
    """Make a tenant active for the rest of this thread / shell session; returns it."""
    tenant = _resolve(tenant_or_slug)
    _current_tenant.set(tenant)
    return tenant


def deactivate_tenant() -> None:
    _current_tenant.set(None)


@contextlib.contextmanager
def tenant_context(tenant_or_slug):
    tenant = _resolve(tenant_or_slug)
    token = _current_tenant.set(tenant)
    try:
        yield tenant
    finally:
        _current_tenant.reset(token)
