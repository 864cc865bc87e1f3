"""Query-string filters of the connectors API.

Related objects are filtered by id with number filters, never with model-choice filters: a choice
filter would validate the id against every tenant's rows and so tell one tenant's ids from another's.
"""

import django_filters
from django import forms
from django.db.models import F, TextField
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Length
from drf_spectacular.utils import extend_schema_field

from demo_extension import models

MAX_ID = 2**63 - 1  # the largest id the databases store; a larger one would be a database error


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """An object id: a whole number from 1 to MAX_ID (anything else is a 400 naming the filter)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.Field):
    """``true`` or ``false`` only (``null``, ``1``, ``yes`` are a 400: the schema says boolean)."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in ("true", "True"):
            return True
        if value in ("false", "False"):
            return False
        raise forms.ValidationError("Use true or false.")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class ConnectorFilter(django_filters.FilterSet):
    is_active = StrictBooleanFilter(help_text="Only active (true) or inactive (false) connectors.")
    sync_frequency = django_filters.ChoiceFilter(choices=models.SyncFrequency.choices)

    class Meta:
        model = models.CustomDataConnector
        fields = ["is_active", "sync_frequency"]


class SyncLogFilter(django_filters.FilterSet):
    connector = IdFilter(field_name="connector_id", help_text="Connector id.")
    status = django_filters.MultipleChoiceFilter(
        choices=models.SyncStatus.choices, help_text="One status, or several: ?status=FAILED&status=PARTIAL."
    )
    triggered_by = django_filters.ChoiceFilter(choices=models.TriggeredBy.choices)
    created_after = django_filters.DateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        help_text="Runs created at or after this ISO 8601 date-time (or date: from its midnight).",
    )
    created_before = django_filters.DateTimeFilter(
        field_name="created_at",
        lookup_expr="lt",
        help_text="Runs created before this ISO 8601 date-time (or date: before its midnight).",
    )

    class Meta:
        model = models.SyncLog
        fields = ["connector", "status", "triggered_by", "created_after", "created_before"]


class SyncedRecordFilter(django_filters.FilterSet):
    external_id = django_filters.CharFilter(help_text="The record's primary key value upstream.")
    sync = IdFilter(field_name="last_sync_log_id", help_text="Records last written by this sync log.")
    include_deleted = django_filters.BooleanFilter(
        method="filter_deleted", help_text="Also list records a full refresh marked deleted."
    )

    class Meta:
        model = models.SyncedRecord
        fields = ["external_id", "sync", "include_deleted"]

    @property
    def qs(self):
        queryset = super().qs
        if not self.form.cleaned_data.get("include_deleted"):
            queryset = queryset.filter(deleted_at__isnull=True)
        return queryset

    def filter_deleted(self, queryset, name, value):
        return queryset  # applied in qs, so that the default (absent) excludes deleted records


def search_records(records, field: str | None, value: str | None):
    """Records whose ``field`` (a dotted path into the stored data) contains ``value``, any case.

    Key transforms, not ``data__<path>`` lookups: a field named like a lookup ("contains", "in")
    must still be read as a key. The cast makes numbers comparable as text on SQLite too.
    """
    if not field or value is None:
        return records
    *parents, last = field.split(".")
    # Built key by key (not from a "data__a__b" string): a key may itself contain "__".
    target = "data"
    for part in parents:
        target = KeyTransform(part, target)
    text = Cast(KeyTextTransform(last, target), TextField())
    return records.annotate(searched_value=text).filter(searched_value__icontains=value)


def order_records(records, ordering: str):
    """Records in ``ordering``; ``external_id`` is numeric-aware (index ``record_natural_order``)."""
    descending = ordering.startswith("-")
    if ordering.lstrip("-") == "external_id":
        keys = [Length("external_id"), F("external_id"), F("id")]
    else:
        keys = [F("last_synced_at"), F("id")]
    return records.order_by(*[key.desc() if descending else key.asc() for key in keys])
