"""How many objects of a kind one tenant may have.

A tenant-scoped viewset names the setting that bounds its model (``tenant_quota =
"MIGRATEIQ_TENANT_MAX_CONNECTORS"``); the base viewset checks it before every create, after
authentication and permissions, so a module's endpoint gets it by declaring it. The check counts
and refuses; it takes no lock, so requests creating at the same moment can pass a limit by the
number of them in flight (the API's rate limits bound that), which a quota meant against unbounded
growth can afford.
"""

from django.conf import settings

from core.exceptions import Conflict


def refuse_past_quota(model, tenant, setting_name: str) -> None:
    """Raise :class:`~core.exceptions.Conflict` (409) when ``tenant`` already has the most objects of
    ``model`` that ``settings.<setting_name>`` allows (0 or unset: no limit)."""
    limit = int(getattr(settings, setting_name, 0) or 0)
    if limit <= 0:
        return
    count = model._default_manager.filter(tenant=tenant).count()
    if count < limit:
        return
    noun = str(model._meta.verbose_name_plural)
    raise Conflict(
        f"This tenant has {count} {noun}, the most it may have ({setting_name}={limit}). Delete one "
        "first, or ask the operator to raise the limit.",
        code="tenant_quota",
        limit=limit,
        setting=setting_name,
    )
