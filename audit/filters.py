"""Query-string filters of the audit trail (strict like every list: see ``core.query_params``)."""

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

from audit.models import AuditEvent
from core.filters import in_utc

MAX_ID = 2**63 - 1


#: The actor filter's values besides a user id: events nobody had signed in to, and the system's.
ANONYMOUS = "anonymous"
SYSTEM = "system"
ACTOR_HELP = (
    "Who acted: a user's id; anonymous for requests nobody had signed in to (a refused sign-in: the "
    "email it tried is the event's detail.email); system for the system (a schedule, the engine, an "
    "operator command). Anything else is a 400."
)
ACTOR_MESSAGE = (
    "Enter a user's id (a whole number from 1), anonymous (requests nobody had signed in to, such as "
    "refused sign-ins) or system (schedules, the engine, operator commands)."
)


class ActorField(forms.Field):
    """A user id, or ``anonymous`` / ``system``; anything else is refused with the values it takes."""

    def to_python(self, value):
        text = (value or "").strip()
        if not text:
            return None
        if text in (ANONYMOUS, SYSTEM):
            return text
        if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_ID:
            return int(text)
        raise forms.ValidationError(ACTOR_MESSAGE, code="invalid")


# With a schema of its own, a filter's description is the schema's (drf-spectacular ignores help_text).
@extend_schema_field(
    {
        "description": ACTOR_HELP,
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            {"type": "string", "enum": [ANONYMOUS, SYSTEM]},
        ],
    }
)
class ActorFilter(django_filters.Filter):
    """``actor``: one user's events (an id), anonymous requests' (``anonymous``: a refused sign-in,
    whose actor has no id) or the system's (``system``: no actor at all)."""

    field_class = ActorField

    def filter(self, qs, value):
        if value is None:
            return qs
        if value == ANONYMOUS:
            return qs.filter(actor_anonymous=True)
        if value == SYSTEM:
            return qs.filter(actor_id__isnull=True, actor_anonymous=False)
        return qs.filter(actor_id=value)


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, read in UTC (``core.filters.in_utc``)."""

    def to_python(self, value):
        return in_utc(super().to_python(value))


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(help_text="One action, e.g. connector.changed.")
    actor = ActorFilter(help_text=ACTOR_HELP)
    target_type = django_filters.CharFilter(help_text="The kind of object acted on, e.g. connector.")
    target_id = django_filters.CharFilter(help_text="The id of the object acted on.")
    since = UtcDateTimeFilter(
        field_name="at", lookup_expr="gte", help_text="Events at or after this ISO 8601 date-time."
    )
    until = UtcDateTimeFilter(
        field_name="at", lookup_expr="lt", help_text="Events before this ISO 8601 date-time."
    )

    class Meta:
        model = AuditEvent
        fields = ["action", "actor", "target_type", "target_id", "since", "until"]
