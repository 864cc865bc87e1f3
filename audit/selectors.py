"""Reading the audit trail."""

from django.apps import apps
from django.db.models import QuerySet

from audit.models import AuditEvent


def recorded_values(events: QuerySet[AuditEvent]) -> dict[str, list[str]]:
    """The actions and object types ``events`` (a tenant's trail) hold, each once, sorted: the values
    its ``action`` and ``target_type`` filters can match.

    Read from the events rather than from a list in the code: modules name their own actions
    (``core.activity``), and the platform does not import them."""

    def distinct(field: str) -> list[str]:
        return list(events.exclude(**{field: ""}).order_by(field).values_list(field, flat=True).distinct())

    return {"actions": distinct("action"), "target_types": distinct("target_type")}


def activity_models() -> dict[str, type]:
    """The tenant-owned models the trail can name, by their ``activity_noun`` (a class attribute
    each declares): found in the app registry, so the audit module imports no other module."""
    return {
        model.activity_noun: model
        for model in apps.get_models()
        if isinstance(getattr(model, "activity_noun", None), str) and hasattr(model, "tenant_id")
    }


def object_references(event: AuditEvent, nouns) -> list[tuple[str, str, str]]:
    """The objects ``event`` names, as ``(where, noun, id)``: its target (``where`` "target") and
    each ``<noun>_id`` of its detail (``where`` that key), for the nouns in ``nouns``."""
    found = []
    if event.target_type in nouns and event.target_id.isdigit():
        found.append(("target", event.target_type, event.target_id))
    for key, value in (event.detail or {}).items():
        noun = key.removesuffix("_id")
        if key.endswith("_id") and noun in nouns and type(value) is int:
            found.append((key, noun, str(value)))
    return found


def existing_objects(events, tenant_id: int) -> dict[tuple[str, str], str | None]:
    """Which of the objects ``events`` (one page of a tenant's trail) name still exist, as ``(noun,
    id)`` pairs mapped to each one's name now (``None`` for a kind of object without a ``name``
    field): one query per kind of object named, whatever the number of events. Only the tenant's
    own objects are found: another tenant's id is absent, as a deleted object is."""
    models = activity_models()
    wanted: dict[str, set[int]] = {}
    for event in events:
        for _, noun, pk in object_references(event, models):
            wanted.setdefault(noun, set()).add(int(pk))
    existing: dict[tuple[str, str], str | None] = {}
    for noun, pks in wanted.items():
        model = models[noun]
        found = model.objects.filter(tenant_id=tenant_id, pk__in=pks)
        if _has_name(model):
            for pk, name in found.values_list("pk", "name"):
                existing[(noun, str(pk))] = name
        else:
            for pk in found.values_list("pk", flat=True):
                existing[(noun, str(pk))] = None
    return existing


def _has_name(model) -> bool:
    """Whether ``model`` has a ``name`` field: what the trail shows an object by (a connector's, a
    destination's, a webhook's name), rather than its kind and id alone."""
    return any(field.name == "name" and field.concrete for field in model._meta.get_fields())
