"""How many objects of a kind one tenant may have.

A tenant-scoped viewset names the setting that bounds its model (``tenant_quota =
"MIGRATEIQ_TENANT_MAX_CONNECTORS"``); the base viewset checks it before every create, after
authentication and permissions, so a module's endpoint gets it by declaring it. What counts is what
the endpoint lists (its tenant-scoped queryset, narrowed by ``scope_queryset``: the invitations
endpoint counts pending invitations only); a viewset with another limit to check overrides
``check_tenant_quotas``. The check counts and refuses; it takes no lock, so requests creating at the
same moment can pass a limit by the number of them in flight (the API's rate limits bound that),
which a quota meant against unbounded growth can afford.
"""

from django.conf import settings

from core.exceptions import Conflict


def refuse_past_quota(setting_name: str, *querysets, noun: str | None = None) -> None:
    """Raise :class:`~core.exceptions.Conflict` (409) when the objects of ``querysets`` (one
    tenant's, counted together) already number the most that ``settings.<setting_name>`` allows
    (0 or unset: no limit, and nothing is counted). ``noun`` names them in the message (default:
    the first queryset's model's plural)."""
    limit = int(getattr(settings, setting_name, 0) or 0)
    if limit <= 0:
        return
    count = sum(queryset.count() for queryset in querysets)
    if count < limit:
        return
    noun = noun or str(querysets[0].model._meta.verbose_name_plural)
    raise Conflict(
        f"This tenant has {count} {noun}, the most it may have ({setting_name}={limit}). Delete one "
        "first, or ask the operator to raise the limit.",
        code="tenant_quota",
        limit=limit,
        setting=setting_name,
    )
