"""Query-string filters of the audit trail (strict like every list: see ``core.query_params``)."""

from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

from audit.models import AuditEvent

MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class UserIdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, read in UTC: an offset the database cannot store (``+19:12``) or a
    date that has no UTC equivalent (year 1 at ``+05:00``) is a 400, not a database error."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError("Enter a date-time between years 1 and 9999 in UTC.") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(help_text="One action, e.g. connector.changed.")
    actor = UserIdFilter(field_name="actor_id", help_text="The acting user's id.")
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
