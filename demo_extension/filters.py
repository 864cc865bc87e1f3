"""Query-string filters of the connectors API.

Related objects are filtered by id with number filters, never with model-choice filters: a choice
filter would validate the id against every tenant's rows and so tell one tenant's ids from another's.
"""

import json

import django_filters
from django import forms
from django.db.models import F, FloatField, Func, IntegerField, TextField
from django.db.models.functions import Length, Lower
from drf_spectacular.utils import extend_schema_field

from core.filters import UtcDateTimeFilter
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
    created_after = UtcDateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        help_text="Runs created at or after this ISO 8601 date-time (or date: from its midnight).",
    )
    created_before = UtcDateTimeFilter(
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


#: The prefix of an ordering by a top-level field of the stored record: ``data.<field>``.
DATA_ORDERING_PREFIX = "data."


def order_records(records, ordering: str):
    """Records in ``ordering``; ``external_id`` is numeric-aware (index ``record_natural_order``).

    ``data.<field>`` (``-data.<field>``) sorts by a top-level field of the stored record, the same on
    SQLite and PostgreSQL: numbers first (as numbers), then strings (case-insensitive, then as
    stored), then booleans (false before true), then lists and objects; records without the field
    (or with null) come last in both directions. Ties are broken by id, so pages do not overlap.
    No index serves it: the database reads all the connector's records to sort them.
    """
    descending = ordering.startswith("-")
    name = ordering.lstrip("-")
    if name.startswith(DATA_ORDERING_PREFIX):
        key = name[len(DATA_ORDERING_PREFIX) :]
        keys = [
            DataFieldSortKey(key, "number"),
            Lower(DataFieldSortKey(key, "text")),
            DataFieldSortKey(key, "text"),
            F("id"),
        ]
        rank = DataFieldSortKey(key, "rank").asc()
        return records.order_by(rank, *[k.desc() if descending else k.asc() for k in keys])
    if name == "external_id":
        keys = [Length("external_id"), F("external_id"), F("id")]
    else:
        keys = [F("last_synced_at"), F("id")]
    return records.order_by(*[key.desc() if descending else key.asc() for key in keys])


class DataFieldSortKey(Func):
    """One sort key of a top-level field of ``data``, written per database so that both sort alike.

    ``rank``: the kind of value (0 number, 1 string, 2 boolean, 3 list or object, 4 null or missing);
    ``number``: a number's value (booleans 0 and 1), else null; ``text``: a string's value, else null.
    The key is a query parameter, never SQL; it holds no double quote or backslash (the API checks),
    so SQLite's quoted path label ``$."key"`` reads it as written.
    """

    KINDS = {"rank": IntegerField(), "number": FloatField(), "text": TextField()}

    def __init__(self, key: str, kind: str):
        if '"' in key or "\\" in key:
            raise ValueError("a sort field holds no double quote or backslash")
        super().__init__(F("data"), output_field=self.KINDS[kind])
        self.key = key
        self.kind = kind

    def as_sqlite(self, compiler, connection, **extra_context):
        data, params = compiler.compile(self.source_expressions[0])
        # SQLite matches a path's label against the key as it is written in the stored text: a
        # synced record has it in UTF-8 (orjson), one the ORM wrote as \\u escapes (json.dumps).
        paths = [f'$."{self.key}"']
        if not self.key.isascii():
            paths.append(f"$.{json.dumps(self.key)}")

        def read(function: str) -> tuple[str, list]:
            calls = [f"{function}({data}, %s)" for _ in paths]
            sql = calls[0] if len(calls) == 1 else f"COALESCE({', '.join(calls)})"
            return sql, [value for path in paths for value in (*params, path)]

        kind, kind_params = read("json_type")
        value, value_params = read("json_extract")
        if self.kind == "rank":
            sql = (
                f"CASE {kind} WHEN 'integer' THEN 0 WHEN 'real' THEN 0 WHEN 'text' THEN 1 WHEN 'true' THEN 2 "
                "WHEN 'false' THEN 2 WHEN 'object' THEN 3 WHEN 'array' THEN 3 ELSE 4 END"
            )
            return sql, kind_params
        if self.kind == "number":
            sql = (
                f"CASE {kind} WHEN 'integer' THEN {value} WHEN 'real' THEN {value} "
                "WHEN 'true' THEN 1 WHEN 'false' THEN 0 END"
            )
            return sql, [*kind_params, *value_params, *value_params]
        return f"CASE WHEN {kind} = 'text' THEN {value} END", [*kind_params, *value_params]

    def as_postgresql(self, compiler, connection, **extra_context):
        data, params = compiler.compile(self.source_expressions[0])
        kind = f"jsonb_typeof({data} -> %s)"
        if self.kind == "rank":
            sql = (
                f"CASE {kind} WHEN 'number' THEN 0 WHEN 'string' THEN 1 WHEN 'boolean' THEN 2 "
                "WHEN 'object' THEN 3 WHEN 'array' THEN 3 ELSE 4 END"
            )
            return sql, (*params, self.key)
        if self.kind == "number":
            sql = (
                f"CASE {kind} WHEN 'number' THEN ({data} ->> %s)::numeric "
                f"WHEN 'boolean' THEN CASE WHEN {data} -> %s = 'true'::jsonb THEN 1 ELSE 0 END END"
            )
            return sql, (*params, self.key, *params, self.key, *params, self.key)
        return f"CASE WHEN {kind} = 'string' THEN {data} ->> %s END", (*params, self.key, *params, self.key)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotImplementedError(f"sorting by a record field on {connection.vendor}")
