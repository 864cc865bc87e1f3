"""Query-string filters of the audit trail (strict like every list: see ``core.query_params``)."""

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

from audit.models import AuditEvent
from core.filters import in_utc

MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class UserIdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, read in UTC (``core.filters.in_utc``)."""

    def to_python(self, value):
        return in_utc(super().to_python(value))


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


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
