"""Input and output shapes of the connectors API.

Every check that a client can fail is a validation error naming the field and the problem (a 400),
never a 500: JSON settings are checked for shape and size, the endpoint by the egress guard, the
transformation rules by the transformation service.
"""

import math
import re
from urllib.parse import urlsplit

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.egress import check_url
from core.http_errors import OutboundError
from demo_extension import models
from demo_extension.services.credentials import api_key_fields
from demo_extension.services.incremental import validate_incremental_config
from demo_extension.services.pagination import validate_pagination_config
from demo_extension.services.transform import DataTransformationService, TransformationError

MAX_FLAT_ENTRIES = 50
MAX_FLAT_KEY_LENGTH = 256
MAX_FLAT_VALUE_LENGTH = 4096
MAX_API_KEY_LENGTH = 4096
# RFC 9110 token characters: what a header name may contain.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# Headers the HTTP client owns; a connector may not set them.
RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "upgrade", "te"})


def _has_control_characters(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


MAX_JSON_DEPTH = 20


def check_storable_json(value, *, what: str) -> None:
    """Refuse JSON that a database would reject: NUL characters (PostgreSQL), non-finite numbers,
    and nesting deeper than MAX_JSON_DEPTH."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise serializers.ValidationError(f"{what} is nested more than {MAX_JSON_DEPTH} levels deep.")
        if isinstance(item, str):
            if "\x00" in item:
                raise serializers.ValidationError(f"{what} may not contain NUL characters.")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise serializers.ValidationError(f"{what} may only contain finite numbers.")
        elif isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    raise serializers.ValidationError(f"{what} may not contain NUL characters.")
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def validate_flat_strings(value, *, what: str, header_names: bool = False) -> dict:
    """A small flat object of string keys to string values (numbers are accepted and stringified)."""
    if not isinstance(value, dict):
        raise serializers.ValidationError(f"{what} must be an object of names to string values.")
    if len(value) > MAX_FLAT_ENTRIES:
        raise serializers.ValidationError(f"{what} may have at most {MAX_FLAT_ENTRIES} entries.")
    cleaned = {}
    for key, item in value.items():
        if not key or len(key) > MAX_FLAT_KEY_LENGTH:
            raise serializers.ValidationError(
                f"{what}: names must have 1 to {MAX_FLAT_KEY_LENGTH} characters."
            )
        if header_names:
            if not _HEADER_NAME.match(key):
                raise serializers.ValidationError(f"{what}: {key!r} is not a valid header name.")
            if key.lower() in RESERVED_HEADERS:
                raise serializers.ValidationError(f"{what}: the {key} header is set by MigrateIQ itself.")
        elif _has_control_characters(key):
            raise serializers.ValidationError(f"{what}: {key!r} contains control characters.")
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise serializers.ValidationError(f"{what}: the value of {key!r} must be a string.")
        item = str(item)
        if len(item) > MAX_FLAT_VALUE_LENGTH:
            raise serializers.ValidationError(
                f"{what}: the value of {key!r} is longer than {MAX_FLAT_VALUE_LENGTH} characters."
            )
        if _has_control_characters(item):
            raise serializers.ValidationError(f"{what}: the value of {key!r} contains control characters.")
        cleaned[key] = item
    return cleaned


class ConnectorSerializer(serializers.ModelSerializer):
    api_key = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=MAX_API_KEY_LENGTH,
        style={"input_type": "password"},
        help_text="Write-only. Omit to keep the current key; send an empty string to remove it.",
    )
    has_api_key = serializers.SerializerMethodField()
    api_key_last4 = serializers.CharField(
        read_only=True, help_text="The key's last four characters (empty for short keys)."
    )
    created_by = serializers.EmailField(
        source="created_by.email", read_only=True, allow_null=True, help_text="Who created the connector."
    )
    records_path = serializers.CharField(
        max_length=255,
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=True,
        help_text=(
            "Dotted path to the record list in a response; empty: the response itself is the list; "
            "null: detect common envelopes (data, items, results, ...)."
        ),
    )
    primary_key = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        help_text="Field of the transformed record that identifies it (dotted path allowed); "
        "empty: a content hash.",
    )
    request_headers = serializers.JSONField(
        required=False, help_text="Extra request headers: an object of header names to string values."
    )
    query_params = serializers.JSONField(
        required=False, help_text="Extra query parameters: an object of names to string values."
    )
    pagination = serializers.JSONField(
        required=False,
        help_text='{"type": "auto" | "none" | "page" | "offset" | "cursor" | "next_url" | "link_header", '
        "...} with the parameter names and page size of the style.",
    )
    incremental = serializers.JSONField(
        required=False, help_text='{"cursor_field": ..., "param": ..., "initial_value": ...} or {}.'
    )
    transformation_rules = serializers.JSONField(
        required=False,
        help_text="field_mappings (source path -> target field), type_conversions, defaults, required, "
        "include_unmapped.",
    )
    max_pages = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=1_000_000, help_text="Pages per run, at most."
    )

    class Meta:
        model = models.CustomDataConnector
        fields = [
            "id",
            "name",
            "api_endpoint",
            "api_key",
            "has_api_key",
            "api_key_last4",
            "sync_frequency",
            "is_active",
            *models.CONNECTOR_REQUEST_FIELDS,
            "records_count",
            "last_sync_at",
            "last_sync_status",
            "next_sync_at",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "records_count",
            "last_sync_at",
            "last_sync_status",
            "next_sync_at",
            "created_at",
            "updated_at",
        ]

    def get_has_api_key(self, obj) -> bool:
        if "api_key" in obj.get_deferred_fields():  # lists annotate instead of decrypting
            return bool(getattr(obj, "has_api_key", False))
        return bool(obj.api_key)

    # --- field checks ---

    def validate_name(self, value):
        value = value.strip()
        if not value:
            raise serializers.ValidationError("The name may not be blank.")
        tenant = getattr(self.context.get("request"), "tenant", None)
        if tenant is not None:
            clash = models.CustomDataConnector.objects.filter(tenant=tenant, name=value)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError(
                    f"A connector named {value!r} already exists in this tenant."
                )
        return value

    def validate_api_endpoint(self, value):
        if urlsplit(value).username is not None:
            raise serializers.ValidationError(
                "Put credentials in api_key (and auth_username), not in the endpoint URL: "
                "the URL is shown in responses and logs."
            )
        try:
            check_url(value)
        except OutboundError as exc:
            raise serializers.ValidationError(str(exc)) from None
        return value

    def validate_auth_header_name(self, value):
        if not _HEADER_NAME.match(value):
            raise serializers.ValidationError(f"{value!r} is not a valid header name.")
        return value

    def validate_auth_param_name(self, value):
        value = value.strip()
        if not value or _has_control_characters(value):
            raise serializers.ValidationError("The query parameter name must be a non-empty plain string.")
        return value

    def validate_request_headers(self, value):
        return validate_flat_strings(value, what="request_headers", header_names=True)

    def validate_query_params(self, value):
        return validate_flat_strings(value, what="query_params")

    def validate_transformation_rules(self, value):
        if value is None:
            return {}
        check_storable_json(value, what="transformation_rules")
        try:
            return DataTransformationService.validate_rules(value)
        except (TransformationError, ValueError) as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_pagination(self, value):
        check_storable_json(value, what="pagination")
        try:
            return validate_pagination_config(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_incremental(self, value):
        check_storable_json(value, what="incremental")
        try:
            return validate_incremental_config(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate(self, attrs):
        if "api_key" in attrs:
            attrs.update(api_key_fields(attrs.pop("api_key")))
        return attrs


class SyncLogSerializer(serializers.ModelSerializer):
    connector_name = serializers.CharField(source="connector.name", read_only=True)

    class Meta:
        model = models.SyncLog
        fields = [
            "id",
            "connector",
            "connector_name",
            "status",
            "triggered_by",
            "records_processed",
            "records_created",
            "records_updated",
            "records_unchanged",
            "records_failed",
            "pages_fetched",
            "duration_seconds",
            "started_at",
            "finished_at",
            "error_message",
            "detected_pagination",
            "full_refresh",
            "attempts",
            "created_at",
        ]
        read_only_fields = fields


class SyncLogEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.SyncLogEvent
        fields = ["id", "at", "level", "message"]
        read_only_fields = fields


DETAIL_EVENT_LIMIT = 200


class SyncLogDetailSerializer(SyncLogSerializer):
    events = serializers.SerializerMethodField(
        help_text=f"The run's latest {DETAIL_EVENT_LIMIT} log lines, oldest first; "
        "GET /sync-logs/{id}/events/ pages through all of them."
    )

    class Meta(SyncLogSerializer.Meta):
        fields = [*SyncLogSerializer.Meta.fields, "events"]
        read_only_fields = fields

    @extend_schema_field(SyncLogEventSerializer(many=True))
    def get_events(self, obj):
        latest = list(obj.events.order_by("-at", "-id")[:DETAIL_EVENT_LIMIT])
        latest.reverse()
        return SyncLogEventSerializer(latest, many=True).data


class SyncedRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.SyncedRecord
        fields = [
            "id",
            "external_id",
            "data",
            "checksum",
            "first_synced_at",
            "last_synced_at",
            "last_sync_log",
            "change_seq",
            "deleted_at",
        ]
        read_only_fields = fields


class SyncRecordErrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.SyncRecordError
        fields = ["id", "sync_log", "connector", "external_id", "raw_payload", "error", "page", "created_at"]
        read_only_fields = fields


class ConnectionResultSerializer(serializers.Serializer):
    connected = serializers.BooleanField()
    response_time_ms = serializers.FloatField(allow_null=True)
    message = serializers.CharField()
    endpoint = serializers.CharField()
    status_code = serializers.IntegerField(allow_null=True)


class ConnectorStatsSerializer(serializers.Serializer):
    total_connectors = serializers.IntegerField()
    active_connectors = serializers.IntegerField()
    total_records_synced = serializers.IntegerField()
    last_24h_syncs = serializers.IntegerField()
    success_rate = serializers.FloatField(
        help_text="Percent of completed runs that succeeded (SUCCESS or PARTIAL; cancelled runs left out)."
    )
    avg_sync_duration = serializers.FloatField(help_text="Mean duration of finished runs, in seconds.")


class SyncTriggerQuerySerializer(serializers.Serializer):
    full_refresh = serializers.BooleanField(
        required=False, default=False, help_text="Ignore the incremental cursor and fetch everything."
    )
    wait = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=60,
        help_text="Seconds to wait for the run to finish before answering 202 (0 to 60; default: "
        "the server's MIGRATEIQ_SYNC_WAIT_SECONDS).",
    )

    def validate_wait(self, value):
        if not math.isfinite(value):
            raise serializers.ValidationError("wait must be a number of seconds from 0 to 60.")
        return value


# -- data out: export, change feed, inferred schema -------------------------------------------------

MAX_CHANGE_SEQ = 2**63 - 1


class ExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(
        choices=["ndjson", "csv"], required=False, default="ndjson", help_text="ndjson (default) or csv."
    )
    since = serializers.IntegerField(
        required=False,
        default=0,
        min_value=0,
        max_value=MAX_CHANGE_SEQ,
        help_text="Only records changed after this change sequence (a `next_after` of the change feed).",
    )
    fields = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Comma-separated dotted paths to export, e.g. `id,address.city` (default: every field "
        "of the inferred schema).",
    )
    include_deleted = serializers.BooleanField(
        required=False, default=False, help_text="Also export records a full refresh marked deleted."
    )


class ChangesQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(
        required=False,
        default=0,
        min_value=0,
        max_value=MAX_CHANGE_SEQ,
        help_text="The change sequence to continue after (0: from the start).",
    )
    limit = serializers.IntegerField(
        required=False, default=500, min_value=1, max_value=500, help_text="Changes a response (1-500)."
    )


class ChangeSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="The record's change sequence.")
    op = serializers.ChoiceField(choices=["upsert", "delete"])
    id = serializers.IntegerField(help_text="The stored record's id.")
    external_id = serializers.CharField()
    data = serializers.JSONField(allow_null=True, help_text="The record; null for a delete.")
    last_synced_at = serializers.DateTimeField()
    deleted_at = serializers.DateTimeField(allow_null=True)


class ChangeFeedSerializer(serializers.Serializer):
    changes = ChangeSerializer(many=True)
    next_after = serializers.IntegerField(help_text="Pass as `after` to continue.")
    has_more = serializers.BooleanField()


class SchemaFieldSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="Dotted path, e.g. address.city (the CSV column name).")
    parts = serializers.ListField(child=serializers.CharField())
    types = serializers.ListField(
        child=serializers.CharField(),
        help_text="JSON types seen: string, integer, big_integer, number, boolean, object, array, null.",
    )
    formats = serializers.ListField(
        child=serializers.CharField(),
        help_text="For strings: the formats every value parsed as (timestamp, date, integer, decimal).",
    )
    column = serializers.BooleanField(help_text="Whether the field is a column of the CSV export.")


class ConnectorSchemaSerializer(serializers.Serializer):
    connector = serializers.IntegerField()
    fields = SchemaFieldSerializer(many=True)
    truncated = serializers.BooleanField(
        help_text="Whether fields beyond the limits (1000 fields, 8 levels) were left out."
    )
    updated_at = serializers.DateTimeField(allow_null=True)
