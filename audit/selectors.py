"""Reading the audit trail."""

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
