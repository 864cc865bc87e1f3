"""Who did what: the platform's activity hook (``core.hooks``).

Platform and module services say what a person (or the system) did by calling :func:`record`
explicitly, next to the change itself (no model signals)::

    from core import activity

    activity.record(
        "connector.changed",
        tenant=connector.tenant,
        actor=request.user,
        target_type="connector",
        target_id=connector.pk,
        fields=["name", "api_key"],  # field NAMES only, never their values
    )

A change of an existing object goes through :func:`record_change`, which records nothing when no
field changed: a PUT or PATCH that sends the stored values again is a write, not an action, and the
trail would otherwise say "changed" about an object nobody changed.

Handlers of the ``activity`` hook (the ``audit`` module stores them) receive one frozen
:class:`Activity`, after the transaction that made the change commits (nothing is reported for a
change that was rolled back). ``fields`` and ``detail`` must never hold a secret or a value a user
typed into a secret field: name the field, not what it holds. Actions are ``<target>.<verb>``; the
ones the platform and the connectors module record are listed in ``docs/extensions.md`` ("Audit").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from django.utils import timezone

from core import hooks
from core.request_context import get_client_address, get_log_context

hooks.define(
    "activity",
    "activity(event): a core.activity.Activity (who did what to which object), after its change commits.",
)


@dataclass(frozen=True)
class Activity:
    """One thing that happened: ``actor_id`` / ``actor_email`` are ``None`` / "" for the system
    (schedules, the engine, operator commands) and for an anonymous request (``anonymous``: nobody
    signed in, e.g. a refused sign-in; what it claimed, such as the email tried, goes in ``detail``)."""

    action: str
    tenant_id: int
    at: datetime
    actor_id: int | None = None
    actor_email: str = ""
    anonymous: bool = False
    target_type: str = ""
    target_id: str = ""
    fields: tuple[str, ...] = ()
    detail: Mapping = field(default_factory=lambda: MappingProxyType({}))
    request_id: str = ""
    ip: str = ""


def record(
    action: str,
    *,
    tenant,
    actor=None,
    target_type: str = "",
    target_id=None,
    fields: Iterable[str] = (),
    detail: dict | None = None,
) -> Activity:
    """Report ``action`` in ``tenant`` (a ``Tenant`` or its id) by ``actor`` (a user; an anonymous
    user, ``request.user`` of a request nobody signed in to; or ``None``, the system) to the
    ``activity`` hook's handlers once the current transaction commits; returns the event.

    The request id and client address of the current request are attached when there is one.
    """
    anonymous = getattr(actor, "is_anonymous", False) is True
    actor = actor if getattr(actor, "is_authenticated", False) else None
    context = get_log_context()
    event = Activity(
        action=action,
        tenant_id=getattr(tenant, "pk", tenant),
        at=timezone.now(),
        actor_id=actor.pk if actor is not None else None,
        actor_email=getattr(actor, "email", "") if actor is not None else "",
        anonymous=anonymous,
        target_type=target_type,
        target_id="" if target_id is None else str(target_id),
        fields=tuple(sorted(set(fields))),
        detail=MappingProxyType(dict(detail or {})),
        request_id=str(context.get("request_id", "")),
        ip=get_client_address(),
    )
    hooks.run_after_commit("activity", event)
    return event


def record_saved(
    noun: str, obj, *, created: bool, fields: Iterable[str] = (), actor=None, detail: dict | None = None
) -> Activity | None:
    """``<noun>.created`` or ``<noun>.changed`` (through :func:`record_change`: a change of no field
    is not reported) for the tenant-owned ``obj``, named by ``fields``; ``noun`` is also the
    target's type."""
    report = record if created else record_change
    return report(
        f"{noun}.created" if created else f"{noun}.changed",
        tenant=obj.tenant_id,
        actor=actor,
        target_type=noun,
        target_id=obj.pk,
        fields=fields,
        detail=detail,
    )


def record_deleted(noun: str, obj, pk, *, actor=None, detail: dict | None = None) -> Activity:
    """``<noun>.deleted`` for the tenant-owned ``obj`` (``pk``: its id, which Django clears on delete)."""
    return record(
        f"{noun}.deleted", tenant=obj.tenant_id, actor=actor, target_type=noun, target_id=pk, detail=detail
    )


def changed_fields(obj, values: Mapping) -> list[str]:
    """The names of the fields ``values`` would change on ``obj`` (call it before saving): what a
    ``*.changed`` event may say about a change, secret fields included (their names, never values).
    A model field that is not editable is derived from another (a key's ``api_key_last4``): the
    field it follows names the change."""
    derived = {field.name for field in obj._meta.concrete_fields if not field.editable}
    return sorted(
        name for name, value in values.items() if name not in derived and getattr(obj, name, None) != value
    )


def record_change(
    action: str,
    *,
    tenant,
    fields: Iterable[str],
    actor=None,
    target_type: str = "",
    target_id=None,
    detail: dict | None = None,
) -> Activity | None:
    """:func:`record` for a change of an existing object, named by the ``fields`` it changed; a save
    that changed no field is not reported (``None``)."""
    fields = tuple(fields)
    if not fields:
        return None
    return record(
        action,
        tenant=tenant,
        actor=actor,
        target_type=target_type,
        target_id=target_id,
        fields=fields,
        detail=detail,
    )
