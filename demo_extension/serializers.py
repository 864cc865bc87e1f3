"""Input and output shapes of the connectors API.

Every check that a client can fail is a validation error naming the field and the problem (a 400),
never a 500: JSON settings are checked for shape and size, the endpoint by the egress guard, the
transformation rules by the transformation service.
"""

import json
import math
import re
from urllib.parse import parse_qsl, urlsplit

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from core.background_health import STOPPED, background_status
from core.choices import QueryParamsSerializer, trigger_field
from core.http_fields import is_header_name
from core.save_warnings import SaveWarningsMixin, checked_url
from core.secret_fields import is_secret_set, names_a_credential, secret_input
from core.strict_input import StrictTypesMixin
from core.url_fields import EXPLAINED_URL_FIELDS
from demo_extension import models
from demo_extension.selectors import last_finished_run, recent_run_statuses
from demo_extension.services import pagination, path_secrets
from demo_extension.services.auth import credential_carriers
from demo_extension.services.budget import connector_paused_for
from demo_extension.services.connectors import UNRESOLVED_HOST_NEXT_STEP, duplicate_name_message, name_taken
from demo_extension.services.credentials import (
    SECRET_PARAM_PLACES,
    api_key_fields,
    destination_changes,
    secret_params_fields,
    secret_params_of,
    stored_secrets,
)
from demo_extension.services.extract import validate_error_detection
from demo_extension.services.incremental import (
    INCREMENTAL_KEY_HELP,
    INCREMENTAL_REQUIRED,
    MAX_LOOKBACK,
    dropped_cursor_warning,
    validate_incremental_config,
)
from demo_extension.services.pagination import (
    PAGINATION_TYPES,
    check_search_after_request,
    validate_pagination_config,
)
from demo_extension.services.request_settings import (
    RESERVED_HEADERS,
    RUN_LIMITS,
    has_control_characters,
    run_limit_maximum,
    validate_flat_strings,
    validate_key_for_auth_type,
    validate_run_limit,
)
from demo_extension.services.schedule import ANCHOR_FREQUENCIES, anchor_errors
from demo_extension.services.sync import run_page_cap
from sync_engine.paths import validate_path
from sync_engine.profile import DEFAULT_SAMPLE as DEFAULT_PROFILE_SAMPLE
from sync_engine.profile import MAX_SAMPLE as MAX_PROFILE_SAMPLE
from sync_engine.queue import cannot_resume_reason, refused_as_empty, sync_log_can_resume
from sync_engine.runs import ALLOW_EMPTY_RULE, active_run_id
from sync_engine.transform import (
    RULE_KEY_HELP,
    SUPPORTED_TYPES,
    DataTransformationService,
    TransformationError,
)
from tenancy.permissions import require_admin_to_move_secrets

MAX_API_KEY_LENGTH = 4096
MAX_REQUEST_BODY_BYTES = 16 * 1024


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


@extend_schema_field({"type": "object", "additionalProperties": True})
class JSONObjectField(serializers.JSONField):
    """A JSON object (the schema says so; the field's own validator checks its contents)."""

    def to_internal_value(self, data):
        if data is not None and not isinstance(data, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return super().to_internal_value(data)


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
class StringMapField(JSONObjectField):
    """An object of names to string values (``validate_flat_strings`` checks its contents)."""


class AnchorTimeField(serializers.TimeField):
    """A schedule's ``sync_time``: exactly "HH:MM" (00:00 to 23:59), answered the same way."""

    default_error_messages = {
        "invalid": 'Use "HH:MM" in UTC, from 00:00 to 23:59 (e.g. "02:00"); seconds are not accepted.'
    }

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M"], **kwargs)

    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            self.fail("invalid")
        return super().to_internal_value(value)


def _secret_field(what: str, max_length: int = MAX_API_KEY_LENGTH) -> serializers.CharField:
    return secret_input(what, max_length)


def _check_url_field(value: str, what: str, warnings: list[str]) -> str:
    """``value`` if the egress guard allows it; a host name that does not resolve from here is
    accepted with a warning in ``warnings`` instead of refused (``core.save_warnings.checked_url``)."""
    parts = urlsplit(value)
    if parts.username is not None or any(
        names_a_credential(name) for name, _ in parse_qsl(parts.query, keep_blank_values=True)
    ):
        raise serializers.ValidationError(
            f"Put credentials in their own fields, not in {what}: the URL is shown in responses and logs."
        )
    return checked_url(value, warnings, then=UNRESOLVED_HOST_NEXT_STEP)


def _checked_path(value, what: str):
    """A path in the connector's path syntax; empty / null keep their meaning (no key, detect)."""
    if value:
        try:
            validate_path(value, what=what)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None
    return value


def _pagination_key_field(key: str) -> serializers.Field:
    help_text = pagination.PAGINATION_KEY_HELP[key]
    if key in pagination.INTEGER_KEYS:
        return serializers.IntegerField(required=False, min_value=0, help_text=help_text)
    if key in pagination.BOOLEAN_KEYS:
        return serializers.BooleanField(required=False, help_text=help_text)
    if key == "cursor_from":
        return serializers.ChoiceField(choices=pagination.CURSOR_SOURCES, required=False, help_text=help_text)
    return serializers.CharField(required=False, help_text=help_text)


def _pagination_variant(kind: str) -> type[serializers.Serializer]:
    """The schema of one pagination type: ``type`` and the keys it accepts (documentation only; the
    values are checked by ``validate_pagination_config``, which refuses other keys and JSON types, as
    ``StrictTypesMixin`` makes the schema say)."""
    fields = {"type": serializers.ChoiceField(choices=[kind])}
    fields.update({key: _pagination_key_field(key) for key in sorted(pagination.PAGINATION_KEYS[kind])})
    name = "Pagination" + "".join(part.title() for part in kind.split("_"))
    return type(name, (StrictTypesMixin, serializers.Serializer), fields)


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="Pagination",
        serializers={kind: _pagination_variant(kind) for kind in pagination.PAGINATION_TYPES},
        resource_type_field_name="type",
    )
)
class PaginationField(JSONObjectField):
    """``pagination``: a JSON object whose keys depend on its ``type`` (a discriminated union in the
    API schema)."""


def _incremental_schema() -> type[serializers.Serializer]:
    """The schema of ``incremental`` from the keys its validator checks (``{}`` disables it)."""
    fields: dict[str, serializers.Field] = {}
    for key, help_text in INCREMENTAL_KEY_HELP.items():
        if key in INCREMENTAL_REQUIRED:
            fields[key] = serializers.CharField(required=False, help_text=help_text)
        elif key == "lookback":
            fields[key] = serializers.FloatField(
                required=False, allow_null=True, min_value=0, max_value=MAX_LOOKBACK, help_text=help_text
            )
        else:
            fields[key] = serializers.JSONField(required=False, allow_null=True, help_text=help_text)
    # StrictTypesMixin: the schema says what the validator does, other keys and JSON types refused.
    return type("IncrementalConfig", (StrictTypesMixin, serializers.Serializer), fields)


#: How each rule key's value is shaped; the keys themselves are the engine's ``RULE_KEYS``.
_RULE_FIELDS = {
    "field_mappings": lambda **kw: serializers.DictField(child=serializers.CharField(), **kw),
    "type_conversions": lambda **kw: serializers.DictField(
        child=serializers.ChoiceField(choices=SUPPORTED_TYPES), **kw
    ),
    "defaults": lambda **kw: serializers.DictField(child=serializers.JSONField(), **kw),
    "required": lambda **kw: serializers.ListField(child=serializers.CharField(), **kw),
    "include_unmapped": lambda **kw: serializers.BooleanField(**kw),
}


def _rules_schema() -> type[serializers.Serializer]:
    """The schema of ``transformation_rules``: the engine's rule keys (``transform.RULE_KEY_HELP``)."""
    # null is accepted (and read as empty) for every key but include_unmapped, as the validator does.
    fields = {
        key: _RULE_FIELDS[key](required=False, allow_null=key != "include_unmapped", help_text=text)
        for key, text in RULE_KEY_HELP.items()
    }
    # StrictTypesMixin: the schema says what the validator does, other keys and JSON types refused.
    return type("TransformationRules", (StrictTypesMixin, serializers.Serializer), fields)


@extend_schema_field(_incremental_schema())
class IncrementalField(JSONObjectField):
    """``incremental``: checked by ``validate_incremental_config``; its schema from the same keys."""


@extend_schema_field(_rules_schema())
class TransformationRulesField(JSONObjectField):
    """``transformation_rules``: checked by ``DataTransformationService.validate_rules``; its schema
    from the same rule keys and conversion types."""


class ConnectorSerializer(StrictTypesMixin, SaveWarningsMixin, serializers.ModelSerializer):
    serializer_field_mapping = EXPLAINED_URL_FIELDS
    source_type = serializers.CharField(
        read_only=True,
        help_text='Which registered source reads the connector: "rest" (its API, configured by the '
        "fields below) or the kind another module registered (configured through that module).",
    )
    api_key = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=MAX_API_KEY_LENGTH,
        style={"input_type": "password"},
        help_text="Write-only. Omit to keep the current key; send an empty string to remove it.",
    )
    has_api_key = serializers.SerializerMethodField()
    auth_username = _secret_field("HTTP Basic user name (auth_type basic)", 255)
    has_auth_username = serializers.SerializerMethodField()
    auth_password = _secret_field("HTTP Basic password (auth_type basic_key; often empty)")
    has_auth_password = serializers.SerializerMethodField()
    oauth_client_secret = _secret_field("OAuth2 client secret (auth_type oauth2)")
    has_oauth_client_secret = serializers.SerializerMethodField()
    oauth_scopes = serializers.CharField(
        max_length=1024, required=False, allow_blank=True, help_text="OAuth2 scopes, space-separated."
    )
    secret_params = JSONObjectField(
        write_only=True,
        required=False,
        help_text='Write-only credentials besides the one of auth_type, encrypted at rest: {"headers": '
        '{"DD-APPLICATION-KEY": "..."}, "query": {"token": "..."}, "path": {"token": "..."}}, sent with '
        "every request to the endpoint's origin (never to another one); a path value replaces the "
        "{secret:NAME} placeholder of api_endpoint's path (https://api.telegram.org/bot{secret:token}/"
        "getUpdates). Omit to keep them; a new object replaces them all (a name whose value is null "
        "keeps its stored value, unless the endpoint's origin changes); {} removes them. Their names "
        "are in secret_param_names.",
    )
    secret_param_names = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        read_only=True,
        help_text='The names of the stored secret_params, by place: {"headers": [...], "query": [...], '
        '"path": [...]}.',
    )
    recent_statuses = serializers.SerializerMethodField(
        help_text="The statuses of the latest 10 runs, newest first ([] for a connector never synced)."
    )
    warnings = serializers.SerializerMethodField(
        help_text="What a create or update noticed without refusing it (an endpoint or token URL "
        "whose host name did not resolve from the web server: saved, every request checks the "
        "addresses it connects to), then the warnings of the connector's latest finished run, each "
        "as 'The last sync (#<id>, <status>) warned: <warning>' (on reads too, until a run without "
        "warnings ends). last_sync_warnings holds the latter alone."
    )
    last_sync_log_id = serializers.SerializerMethodField(
        help_text="The id of the connector's latest finished run (SUCCESS, PARTIAL, FAILED or "
        "CANCELLED), null for a connector never synced."
    )
    last_sync_warnings = serializers.SerializerMethodField(
        help_text="The warnings of that run (its sync log's warnings): [] when it had none. A primary "
        "key no record has, a field mapping that matched nothing, ... end SUCCESS with warnings."
    )
    last_sync_error = serializers.SerializerMethodField(
        help_text="The error message of that run (its sync log's error_message): why a FAILED run "
        "stopped, what a PARTIAL one did not get; empty when it has none."
    )
    running_sync_id = serializers.SerializerMethodField(
        help_text="The id of the connector's PENDING or RUNNING sync log (its progress: "
        "/api/demo-extension/sync-logs/{id}/), null when none is."
    )
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
            "Path to the record list in a response (dots, 'a\\.b' for a key with a dot, or a JSON "
            "Pointer '/a.b'); empty: the response itself is the list; "
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
    request_headers = StringMapField(
        required=False,
        help_text="Extra request headers: an object of header names to string values (a number is a 400: "
        'send "5", not 5). '
        "Not for credentials (Authorization, Cookie, X-API-Key, ...: a 400): they are stored in "
        "clear, shown to every member; use auth_type.",
    )
    query_params = StringMapField(
        required=False,
        help_text="Extra query parameters: an object of names to string values (a number is a 400). Not for "
        "credentials (api_key, access_token, ...: a 400); use auth_type.",
    )
    request_body = JSONObjectField(
        required=False,
        help_text="With request_method POST: the JSON object sent with every page request (a search's "
        "filters and sorts); the pagination parameters (page, offset, size, cursor) are added to it. "
        f"At most {MAX_REQUEST_BODY_BYTES // 1024} KiB. Must be empty with GET.",
    )
    pagination = PaginationField(
        required=False,
        help_text='{"type": "auto" | "none" | "page" | "offset" | "cursor" | "next_url" | "link_header", '
        "...} with the keys of the type (see the README's pagination table); paths use the connector's "
        "path syntax (dots, 'a\\.b' for a key with a dot, '/json/pointer', negative list indexes).",
    )
    incremental = IncrementalField(
        required=False, help_text='{"cursor_field": ..., "param": ..., "initial_value": ...} or {}.'
    )
    transformation_rules = TransformationRulesField(
        required=False,
        help_text="field_mappings (source path -> target field), type_conversions, defaults, required, "
        "include_unmapped.",
    )
    error_detection = JSONObjectField(
        required=False,
        help_text="How an error answered with HTTP 200 is recognised: {} (built-in rules: ok: false, "
        'errors or error with no records), or {"error_path": ..., "success_path": ..., '
        '"success_value": ..., "auto": true|false}.',
    )
    max_pages = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Pages per run, at most: 1 to the server's MIGRATEIQ_SYNC_MAX_PAGES (10,000 unless the "
        "operator changed it; the maximum here is this server's), null for that limit. A larger value "
        "is a 400 naming the limit.",
    )
    max_sync_seconds = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="A run's time budget in seconds: 1 to the server's MIGRATEIQ_SYNC_MAX_SECONDS (3,600 "
        "unless the operator changed it; the maximum here is this server's), null for that limit. A "
        "larger value is a 400 naming the limit. A run over budget stops at a page boundary, FAILED "
        "with its checkpoint: resume it to go on.",
    )
    sync_time = AnchorTimeField(
        required=False,
        allow_null=True,
        help_text='The schedule\'s time of day in UTC, "HH:MM": DAILY syncs at this time, WEEKLY ones at '
        'this time on sync_weekday, HOURLY ones at its minutes past every hour ("00:15": at :15). '
        "The next sync is the next such time strictly after now; a sync missed while no worker ran "
        "runs once, then the schedule goes on. Null (default): one interval after the last save or "
        "run. Not accepted with MANUAL (a 400); a stored value the new sync_frequency does not use is "
        "cleared, with a warning, and so is one whose meaning would change (to or from HOURLY) unless "
        "sent with it.",
    )
    sync_weekday = serializers.ChoiceField(
        choices=models.Weekday.choices,
        required=False,
        allow_null=True,
        help_text="The day of a WEEKLY schedule, 0 (Monday) to 6 (Sunday), with sync_time (both or "
        "neither). WEEKLY only: a 400 with another sync_frequency; a stored value is cleared, with a "
        "warning, when sync_frequency changes.",
    )
    last_sync_status = serializers.ChoiceField(
        choices=models.SyncStatus.choices,
        allow_blank=True,
        read_only=True,
        help_text='The status of the latest run; "" (empty) for a connector never synced.',
    )
    max_requests_per_second = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=models.MIN_REQUESTS_PER_SECOND,
        max_value=models.MAX_REQUESTS_PER_SECOND,
        help_text="Requests per second to this API at most, from 0.01 to 1000 (fractional allowed, e.g. "
        "0.5 is one request every two seconds), across every worker sharing the cache (Redis; the "
        "embedded default's local-memory cache counts per process); null: no rate limit.",
    )
    max_concurrent_requests = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=models.MAX_CONCURRENT_REQUESTS,
        help_text=f"Requests in flight at once at most, 1 to {models.MAX_CONCURRENT_REQUESTS}, across every "
        f"worker sharing the cache (default {models.DEFAULT_CONCURRENT_REQUESTS}).",
    )
    max_requests_per_sync = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=100_000_000,
        help_text="Requests one sync run may send (retries included); the run then ends FAILED with "
        "its pages kept and can be resumed. Null: no limit.",
    )

    class Meta:
        model = models.CustomDataConnector
        fields = [
            "id",
            "name",
            "source_type",
            "api_endpoint",
            "api_key",
            "has_api_key",
            "api_key_last4",
            *models.CONNECTOR_SCHEDULE_FIELDS,
            "is_active",
            *models.CONNECTOR_REQUEST_FIELDS,
            "auth_username",
            "has_auth_username",
            "auth_password",
            "has_auth_password",
            "oauth_client_secret",
            "has_oauth_client_secret",
            "secret_params",
            "secret_param_names",
            "records_count",
            "last_sync_at",
            "last_sync_status",
            "next_sync_at",
            "recent_statuses",
            "running_sync_id",
            "warnings",
            "last_sync_log_id",
            "last_sync_warnings",
            "last_sync_error",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "source_type",
            "secret_param_names",
            "records_count",
            "last_sync_at",
            "last_sync_status",
            "next_sync_at",
            "created_at",
            "updated_at",
        ]
        # Both are stored (with their defaults) whatever auth_type is, and answered as stored, so
        # that an answer sent back as a PUT stays valid and switching auth_type back restores them.
        extra_kwargs = {
            "schema_policy": {
                "help_text": "What a sync does with a page that would change the connector's inferred "
                "schema: evolve (default) stores new fields and types and reports them (the run's "
                "schema_changes; a field that took another type is a warning); freeze fails the run "
                "before storing the first page with a new field, a field that took another type (other "
                "than null) or a string that lost a format, naming them: its checkpoint is kept, so "
                "after a review set evolve and resume it. A connector's first sync learns the schema "
                "either way."
            },
            "auth_header_name": {
                "help_text": "The header that carries api_key with auth_type header (default X-API-Key). "
                "Stored and answered for every connector, but sent only with auth_type header: with "
                "another auth_type it means nothing."
            },
            "auth_param_name": {
                "help_text": "The query parameter that carries api_key with auth_type query (default "
                "api_key). Stored and answered for every connector, but sent only with auth_type query."
            },
        }

    def _has(self, obj, name: str) -> bool:
        return is_secret_set(obj, name)  # lists annotate instead of decrypting

    def get_recent_statuses(self, obj) -> list[str]:
        statuses = self.context.get("recent_statuses")
        if statuses is None:  # one connector (detail, create, update): one query; a list reads its page's
            statuses = recent_run_statuses([obj.pk]) if obj.pk else {}
        return statuses.get(obj.pk, [])

    def _last_run(self, obj) -> tuple[int | None, list[str], str]:
        if hasattr(obj, "last_sync_warnings"):  # lists and details annotate it (with_last_run_warnings)
            return obj.last_sync_log_id, list(obj.last_sync_warnings or []), obj.last_sync_error or ""
        cached = getattr(obj, "_last_finished_run", None)
        if cached is None:  # a created or updated connector: one query
            cached = obj._last_finished_run = last_finished_run(obj.pk) if obj.pk else (None, [], "")
        return cached

    def get_last_sync_log_id(self, obj) -> int | None:
        return self._last_run(obj)[0]

    def get_last_sync_warnings(self, obj) -> list[str]:
        return self._last_run(obj)[1]

    def get_last_sync_error(self, obj) -> str:
        return self._last_run(obj)[2]

    def get_warnings(self, obj) -> list[str]:
        run_id, warnings, _ = self._last_run(obj)
        status = obj.last_sync_status or "finished"
        return [
            *self.save_warnings,
            *(f"The last sync (#{run_id}, {status}) warned: {warning}" for warning in warnings),
        ]

    def get_running_sync_id(self, obj) -> int | None:
        if hasattr(obj, "running_sync_id"):
            return obj.running_sync_id  # lists and details annotate it (selectors.with_running_sync_id)
        return active_run_id(obj.pk) if obj.pk else None  # a created or updated connector: one query

    def get_has_api_key(self, obj) -> bool:
        return self._has(obj, "api_key")

    def get_has_auth_username(self, obj) -> bool:
        return self._has(obj, "auth_username")

    def get_has_auth_password(self, obj) -> bool:
        return self._has(obj, "auth_password")

    def get_has_oauth_client_secret(self, obj) -> bool:
        return self._has(obj, "oauth_client_secret")

    def get_fields(self):
        fields = super().get_fields()
        # The published maxima are this server's limits, settings (validate_max_pages and
        # validate_max_sync_seconds check them).
        for field in RUN_LIMITS:
            fields[field].max_value = run_limit_maximum(field)
        return fields

    # --- field checks ---

    def validate_max_pages(self, value):
        return validate_run_limit("max_pages", value, getattr(self.instance, "max_pages", None))

    def validate_max_sync_seconds(self, value):
        return validate_run_limit("max_sync_seconds", value, getattr(self.instance, "max_sync_seconds", None))

    def validate_name(self, value):
        value = value.strip()
        if not value:
            raise serializers.ValidationError("The name may not be blank.")
        tenant = getattr(self.context.get("request"), "tenant", None)
        if tenant is not None and name_taken(
            tenant.pk, value, exclude_pk=self.instance.pk if self.instance is not None else None
        ):
            raise serializers.ValidationError(duplicate_name_message(value))
        return value

    def validate_api_endpoint(self, value):
        return _check_url_field(value, "the endpoint URL", self.save_warnings)

    def validate_oauth_token_url(self, value):
        return _check_url_field(value, "the token URL", self.save_warnings) if value else value

    def validate_auth_header_name(self, value):
        if not is_header_name(value):
            raise serializers.ValidationError(f"{value!r} is not a valid header name.")
        if value.lower() in RESERVED_HEADERS:
            raise serializers.ValidationError(
                f"The {value} header is set by MigrateIQ itself; choose another header for the key."
            )
        return value

    def validate_auth_username(self, value):
        if has_control_characters(value) or ":" in value:
            raise serializers.ValidationError("A Basic user name may not contain ':' or control characters.")
        return value

    def validate_auth_param_name(self, value):
        value = value.strip()
        if not value or has_control_characters(value):
            raise serializers.ValidationError("The query parameter name must be a non-empty plain string.")
        return value

    def validate_request_headers(self, value):
        return validate_flat_strings(value, what="request_headers", header_names=True)

    def validate_request_body(self, value):
        if value is None:
            return {}
        check_storable_json(value, what="request_body")
        try:
            size = len(json.dumps(value))
        except (TypeError, ValueError, RecursionError):
            raise serializers.ValidationError("Must be a JSON object.") from None
        if size > MAX_REQUEST_BODY_BYTES:
            raise serializers.ValidationError(f"At most {MAX_REQUEST_BODY_BYTES // 1024} KiB of JSON.")
        return value

    def validate_query_params(self, value):
        return validate_flat_strings(value, what="query_params")

    def validate_secret_params(self, value):
        if value is None:
            return {}
        unknown = sorted(set(value) - set(SECRET_PARAM_PLACES))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown key(s) {', '.join(map(repr, unknown))}: secret_params holds headers, query "
                "and path."
            )
        value = self._with_kept_secret_params(value)
        in_path = validate_flat_strings(value.get("path") or {}, what="secret_params.path", secrets=True)
        for name, item in in_path.items():
            if not path_secrets.NAME.match(name):
                raise serializers.ValidationError(
                    f"secret_params.path: {name!r} cannot be a placeholder's name: use letters, digits, "
                    "'_', '.' and '-' (at most 64)."
                )
            if not item:
                raise serializers.ValidationError(f"secret_params.path: the value of {name!r} is empty.")
        return {
            "headers": validate_flat_strings(
                value.get("headers") or {}, what="secret_params.headers", header_names=True, secrets=True
            ),
            "query": validate_flat_strings(
                value.get("query") or {}, what="secret_params.query", secrets=True
            ),
            "path": in_path,
        }

    def _with_kept_secret_params(self, value: dict) -> dict:
        """``value`` with each name sent as null given its stored value (a form replacing the further
        credentials keeps the ones it cannot show); a null without a stored value is a 400."""
        stored = secret_params_of(self.instance) if self.instance is not None else {}
        out: dict = {}
        self._kept_secret_params = False
        for place, items in value.items():
            if not isinstance(items, dict):
                out[place] = items
                continue
            out[place] = {}
            for name, item in items.items():
                if item is None:
                    if name not in stored.get(place, {}):
                        raise serializers.ValidationError(
                            f"secret_params.{place}: {name!r} is null (keep the stored value), but none is "
                            "stored under that name: send its value."
                        )
                    item = stored[place][name]
                    self._kept_secret_params = True
                out[place][name] = item
        return out

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
        # The API schema's union is discriminated by "type": an object without one is refused here
        # as the schema says (the engine still reads a stored {} as auto).
        if isinstance(value, dict) and "type" not in value:
            raise serializers.ValidationError('pagination needs a "type", e.g. {"type": "auto"}.')
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

    def validate_primary_key(self, value):
        return _checked_path(value, "primary_key")

    def validate_records_path(self, value):
        return _checked_path(value, "records_path")

    def validate_error_detection(self, value):
        check_storable_json(value, what="error_detection")
        try:
            return validate_error_detection(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate(self, attrs):
        if self.instance is not None:
            self._check_destination(self.instance, attrs)
        auth_type = attrs.get("auth_type", getattr(self.instance, "auth_type", models.AuthType.BEARER))
        if auth_type == models.AuthType.OAUTH2:
            missing = [
                name
                for name in ("oauth_token_url", "oauth_client_id")
                if not attrs.get(name, getattr(self.instance, name, ""))
            ]
            if missing:
                raise serializers.ValidationError(
                    {name: ["Required with auth_type oauth2."] for name in missing}
                )
        method = attrs.get(
            "request_method", getattr(self.instance, "request_method", models.RequestMethod.GET)
        )
        body = attrs.get("request_body", getattr(self.instance, "request_body", {}))
        incremental = attrs.get("incremental", getattr(self.instance, "incremental", {})) or {}
        if method != models.RequestMethod.POST and incremental.get("body_filter"):
            raise serializers.ValidationError(
                {"incremental": ["body_filter is sent with request_method POST only: use param with GET."]}
            )
        if method != models.RequestMethod.POST and body:
            raise serializers.ValidationError(
                {
                    "request_body": [
                        "A request body is sent with request_method POST only: set it, or empty the body."
                    ]
                }
            )
        if {"pagination", "request_method", "request_body"} & set(attrs):
            self._check_search_after(attrs, method, body)
        if self.instance is not None and "incremental" in attrs:
            dropped = dropped_cursor_warning(
                self.instance.incremental, attrs["incremental"], self.instance.incremental_cursor
            )
            if dropped:
                attrs["incremental_cursor"] = None
                self.save_warnings.append(dropped)
        self._check_schedule_anchor(attrs)
        self._check_secret_param_names(attrs)
        self._check_path_placeholders(attrs)
        if attrs.get("api_key"):
            header_name = attrs.get("auth_header_name", getattr(self.instance, "auth_header_name", ""))
            try:
                validate_key_for_auth_type(attrs["api_key"], auth_type, header_name)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"api_key": exc.messages}) from None
        if "api_key" in attrs:
            attrs.update(api_key_fields(attrs.pop("api_key")))
        if "secret_params" in attrs:
            attrs.update(secret_params_fields(attrs.pop("secret_params")))
        return attrs

    def _check_search_after(self, attrs, method, body) -> None:
        """A ``search_after`` pagination pages a sorted POSTed search: refused here, not at its run."""
        try:
            config = validate_pagination_config(
                attrs.get("pagination", getattr(self.instance, "pagination", None))
            )
        except ValueError:
            return  # a stored pagination that no longer validates: its run says so
        try:
            check_search_after_request(config, method, body)
        except ValueError as exc:
            raise serializers.ValidationError({"pagination": [str(exc)]}) from None

    def _check_schedule_anchor(self, attrs) -> None:
        """Anchor fields sent with a frequency that does not use them are a 400; stored ones the
        new frequency does not use are cleared, with a save warning."""
        frequency = attrs.get(
            "sync_frequency", getattr(self.instance, "sync_frequency", models.SyncFrequency.DAILY)
        )
        values = {}
        for name, frequencies in ANCHOR_FREQUENCIES.items():
            if name in attrs:
                values[name] = attrs[name]
                continue
            stored = getattr(self.instance, name, None)
            if stored is not None and frequency not in frequencies:
                attrs[name] = None
                shown = stored.strftime("%H:%M") if name == "sync_time" else models.Weekday(stored).label
                applies = ", ".join(str(f) for f in frequencies)
                self.save_warnings.append(
                    f"{name} ({shown}) was cleared: it applies to sync_frequency {applies} only."
                )
                stored = None
            elif stored is not None and name == "sync_time" and self._hourly_changed(frequency):
                # An hourly anchor's 00:15 is the minute past every hour; kept for a daily schedule it
                # would quietly become 00:15 UTC (and a daily 02:30 an hourly :30).
                attrs[name] = None
                shown = stored.strftime("%H:%M")
                meant = (
                    f"minute :{stored.strftime('%M')} of every hour"
                    if frequency != models.SyncFrequency.HOURLY
                    else "a time of day"
                )
                self.save_warnings.append(
                    f"sync_time ({shown}) was cleared: it meant {meant}, not what it would mean for "
                    f"sync_frequency {frequency}. Send sync_time with it."
                )
                stored = None
            values[name] = stored
        errors = anchor_errors(frequency, values["sync_time"], values["sync_weekday"])
        if errors:
            raise serializers.ValidationError({name: [message] for name, message in errors.items()})

    def _hourly_changed(self, frequency) -> bool:
        """Whether a stored connector moves to or from an hourly schedule (a time's meaning changes)."""
        before = getattr(self.instance, "sync_frequency", None)
        hourly = models.SyncFrequency.HOURLY
        return before is not None and before != frequency and hourly in (before, frequency)

    def _check_secret_param_names(self, attrs) -> None:
        """A secret header or parameter may not share its name with a plain one or the auth style's:
        one of the two would be dropped from every request."""

        def current(name, default=None):
            return attrs.get(name, getattr(self.instance, name, default))

        if "secret_params" in attrs:
            secret = attrs["secret_params"]
        elif self.instance is not None:
            secret = {
                place: dict.fromkeys(names)
                for place, names in (self.instance.secret_param_names or {}).items()
            }
        else:
            return
        auth_headers, auth_params = credential_carriers(
            current("auth_type", models.AuthType.BEARER),
            current("auth_header_name", "X-API-Key"),
            current("auth_param_name", "api_key"),
        )
        taken = {
            "headers": {name.lower() for name in current("request_headers", {}) or {}} | auth_headers,
            "query": set(current("query_params", {}) or {}) | auth_params,
            "path": set(),
        }
        clashes = sorted(
            name
            for place in SECRET_PARAM_PLACES
            for name in (secret.get(place) or {})
            if (name.lower() if place == "headers" else name) in taken[place]
        )
        if clashes:
            raise serializers.ValidationError(
                {
                    "secret_params": [
                        f"{', '.join(map(repr, clashes))} is also set by request_headers, query_params or "
                        "the authentication: give each name one place."
                    ]
                }
            )

    def _check_path_placeholders(self, attrs) -> None:
        """Every ``{secret:NAME}`` of the endpoint's path names a secret of ``secret_params.path``
        (``services.path_secrets``): a missing one would send the placeholder itself."""
        if "api_endpoint" not in attrs and "secret_params" not in attrs:
            return
        endpoint = attrs.get("api_endpoint", getattr(self.instance, "api_endpoint", "")) or ""
        problem = path_secrets.misplaced(endpoint)
        if problem:
            raise serializers.ValidationError({"api_endpoint": [f"In the endpoint URL, {problem}"]})
        if "secret_params" in attrs:
            held = set(attrs["secret_params"].get("path") or {})
        else:
            held = set((getattr(self.instance, "secret_param_names", None) or {}).get("path") or [])
        missing = [name for name in dict.fromkeys(path_secrets.names_in(endpoint)) if name not in held]
        if missing:
            raise serializers.ValidationError(
                {
                    "api_endpoint": [
                        f"The endpoint URL's path names {', '.join('{secret:' + n + '}' for n in missing)}, "
                        'but secret_params has no such value: send {"path": {"'
                        + missing[0]
                        + '": "..."}} in secret_params (with the connector\'s other secret_params).'
                    ]
                }
            )

    def _check_destination(self, connector, attrs) -> None:
        """Credentials are bound to where they go: see ``services.credentials``."""
        # The secrets that would travel: those the new auth style sends (a changed style counts
        # as a change, so a secret unused today cannot be carried elsewhere silently tomorrow).
        stored = stored_secrets(connector, attrs.get("auth_type", connector.auth_type))
        resent = set(attrs)
        if getattr(self, "_kept_secret_params", False):
            resent.discard("secret_params")  # names sent as null keep their stored values
        require_admin_to_move_secrets(
            self.context.get("request"),
            destination_changes(connector, attrs),
            {
                name: "or {} to remove them" if name == "secret_params" else "or an empty string to remove it"
                for name in stored
            },
            resent,
            what="a connector with stored credentials",
            secrets="the credentials",
            where="a new destination",
        )


class SchemaChangeSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="The field's path, nested keys joined by dots (address.city).")
    change = serializers.ChoiceField(
        choices=["added", "removed", "types", "formats"],
        help_text="added: a new field (a new object's own fields are not listed); removed: no live record "
        "has it any more (a full refresh); types: it took a type it never had; formats: a string "
        "field lost a format every value had (a value that is not a timestamp, say).",
    )
    before = serializers.ListField(
        child=serializers.CharField(), help_text="Its JSON types (formats for a formats change) before."
    )
    after = serializers.ListField(
        child=serializers.CharField(), help_text="Its JSON types (formats for a formats change) after."
    )


class SyncLogSerializer(serializers.ModelSerializer):
    connector_name = serializers.CharField(source="connector.name", read_only=True)
    # in the list too: a runs page shows a run that waits for the API as waiting, not as stuck
    requests_paused_for = serializers.SerializerMethodField(
        help_text="While the run is pending or running: the seconds left of the pause that an HTTP 429 "
        "or Retry-After from the API put on every request of its connector, 0 when its requests are "
        "not paused (a number, so a client can always compare it). Null once the run has ended (a "
        "pause then concerns the next run), and when the pause cannot be read (the request-budget "
        "store, Redis, did not answer): unknown, not 0."
    )

    can_resume = serializers.SerializerMethodField(
        help_text="Whether POST /sync-logs/{id}/resume/ would accept this run (failed or cancelled, "
        "with a checkpoint, and no newer run of its connector); otherwise start a new sync."
    )

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
            "records_deleted",
            "pages_fetched",
            "records_total",
            "duration_seconds",
            "started_at",
            "resumed_at",
            "finished_at",
            "error_message",
            "detected_pagination",
            "full_refresh",
            "allow_empty",
            "attempts",
            "created_at",
            "can_resume",
            "refused_as_empty",
            "warnings",
            "warnings_count",
            "retries",
            "rate_limit_wait_seconds",
            "page_cap",
            "schema_changes",
            "requests_paused_for",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "warnings": {
                "help_text": "What the run warned about, oldest first: its warning-level log lines (a "
                "primary key no record has, a field mapping that matched nothing, credentials an API "
                "echoed back, ...), not the line it ended with nor its retried requests (retries "
                "counts those). A SUCCESS with warnings stored what it fetched, but not necessarily as "
                "configured: read them. Empty until the run ends."
            },
            "retries": {
                "help_text": "How many requests the run retried (a resumed run's attempts added up). Not "
                "warnings: a FAILED run's retries are how it got to its error, a SUCCESS's how it got "
                "past a flaky API. Its log shows their lines (the first 20 of each attempt). Counted as "
                "the run goes, with each line."
            },
            "rate_limit_wait_seconds": {
                "help_text": "Seconds the run's requests waited for the API's rate limit (it answered 429, "
                "asked to wait with Retry-After or reported a limit in a body); overlapping waits count "
                "once, a resumed run's attempts add up. A slow run whose wait is most of its duration "
                "went at the API's pace. 0 until the run ends."
            },
            "records_deleted": {
                "help_text": "Records a complete full refresh marked deleted because the upstream no "
                "longer returned them (0 for other runs). A full refresh that got no records at all while "
                "records are stored deletes none and fails instead, unless it was started with "
                "allow_empty."
            },
            "allow_empty": {
                "help_text": "The full refresh was started with allow_empty: when it reads every page and "
                "gets no record, it marks every stored record deleted instead of failing."
            },
            "duration_seconds": {
                "help_text": "Seconds the run spent running; a run resumed from its checkpoint adds up its "
                "attempts (so finished_at - started_at is longer by the time it was stopped). Null until "
                "it ends."
            },
            "started_at": {
                "help_text": "When the run first started (a resume keeps it); null while pending."
            },
            "resumed_at": {
                "help_text": "When its latest attempt began going on from the checkpoint (a resume, or a "
                "worker taking over a stalled run); null for a run that ran in one go."
            },
        }

    warnings_count = serializers.SerializerMethodField(
        help_text="How many warnings the run has (the length of warnings): shown beside its status."
    )
    schema_changes = SchemaChangeSerializer(
        many=True,
        read_only=True,
        help_text="How the pages it committed changed the connector's inferred schema, in path order "
        "(at most 50); empty for a connector's first sync, which learns the schema. A field that took "
        "another type or lost a format is also one of the run's warnings. Empty until the run ends.",
    )

    refused_as_empty = serializers.SerializerMethodField(
        help_text="The run is a full refresh that read every page, got no record while records are "
        "stored, and failed instead of marking them all deleted. If the source really is empty, start a "
        "full refresh with allow_empty."
    )

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_requests_paused_for(self, obj) -> float | None:
        if obj.status not in (models.SyncStatus.PENDING, models.SyncStatus.RUNNING):
            return None
        seconds = connector_paused_for(obj.connector)
        return None if seconds is None else round(seconds, 1)

    def get_can_resume(self, obj) -> bool:
        return sync_log_can_resume(obj)

    def get_refused_as_empty(self, obj) -> bool:
        return refused_as_empty(obj)

    def get_warnings_count(self, obj) -> int:
        return len(obj.warnings or [])

    page_cap = serializers.SerializerMethodField(
        help_text="Pages a run of this connector fetches at most, as its settings stand (its max_pages "
        "within the server's MIGRATEIQ_SYNC_MAX_PAGES): a run that reaches it ends PARTIAL while the API "
        "has more, so it may get far fewer records than records_total announces."
    )

    def get_page_cap(self, obj) -> int:
        return run_page_cap(obj.connector)


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

    cannot_resume_reason = serializers.SerializerMethodField(
        help_text="Why POST /sync-logs/{id}/resume/ would refuse this run (e.g. no checkpoint, a newer "
        "run exists, or the connector's endpoint or pagination changed since the checkpoint); an "
        "empty string when it can resume, and while it is pending or running."
    )
    background_stopped = serializers.SerializerMethodField(
        help_text="While the run is pending: why no worker takes it when the installation's background "
        "work has stopped (the message of GET /api/status/: no worker has run the beat's tick for "
        "MIGRATEIQ_BACKGROUND_STALE_SECONDS); null while it runs, and for a run that is not pending."
    )

    class Meta(SyncLogSerializer.Meta):
        fields = [
            *SyncLogSerializer.Meta.fields,
            "cannot_resume_reason",
            "background_stopped",
            "events",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_background_stopped(self, obj) -> str | None:
        if obj.status != models.SyncStatus.PENDING:
            return None
        status = background_status()
        return status["message"] if status["state"] == STOPPED else None

    def get_cannot_resume_reason(self, obj) -> str:
        return cannot_resume_reason(obj)

    @extend_schema_field(SyncLogEventSerializer(many=True))
    def get_events(self, obj):
        shown = obj.events.exclude(level=models.SyncLogEvent.Level.DEBUG)
        latest = list(shown.order_by("-at", "-id")[:DETAIL_EVENT_LIMIT])
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
        extra_kwargs = {
            "last_synced_at": {
                "help_text": "When a sync last wrote this record (created it or changed its data). A sync "
                "that finds the record unchanged does not rewrite it, so this and last_sync_log stay "
                "as they were; the sync's records_unchanged counts it."
            },
            "last_sync_log": {"help_text": "The sync that last wrote this record (see last_synced_at)."},
        }


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
    tested = serializers.BooleanField(
        help_text="False when nothing was sent because the connector's requests are paused (the API "
        "answered 429 or Retry-After); connected is then false and message says for how long."
    )
    retry_after = serializers.FloatField(
        allow_null=True,
        help_text="Seconds until the connector's requests are sent again, when the API asked to slow "
        "down (this test's 429 or Retry-After, or an earlier one): when to test again. Null when its "
        "requests are not paused.",
    )


class ConnectorStatsSerializer(serializers.Serializer):
    total_connectors = serializers.IntegerField()
    active_connectors = serializers.IntegerField()
    total_records_synced = serializers.IntegerField()
    last_24h_syncs = serializers.IntegerField()
    success_rate = serializers.FloatField(
        help_text="Percent of completed runs (SUCCESS, PARTIAL, FAILED; cancelled runs left out) that ended "
        "SUCCESS. A PARTIAL run did not get everything and is no success: see partial_rate."
    )
    avg_sync_duration = serializers.FloatField(
        help_text="Mean duration of the runs that ended SUCCESS, in seconds rounded to milliseconds (failed, "
        "partial and cancelled runs left out: they say nothing about how long a whole sync takes)."
    )
    partial_rate = serializers.FloatField(
        help_text="Percent of completed runs that ended PARTIAL: what they fetched is stored, but they "
        "stopped before the last page or quarantined records."
    )
    completed_syncs = serializers.IntegerField(
        help_text="Completed runs (SUCCESS, PARTIAL, FAILED) the rates are of: with 0 there is no rate yet, "
        "and success_rate and partial_rate read 0.0 (runs under way and cancelled ones are not counted)."
    )
    total_loads = serializers.IntegerField(help_text="Loads of the connectors' data into destinations.")
    rows_loaded = serializers.IntegerField(help_text="Rows those loads upserted or deleted.")
    failed_loads = serializers.IntegerField(help_text="Loads that ended FAILED.")


SYNC_TRIGGERS = (models.TriggeredBy.API, models.TriggeredBy.UI)


class SyncLogEventsQuerySerializer(QueryParamsSerializer):
    debug = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also list the run's debug lines (how it was carried out, for operators).",
    )


class SyncTriggerQuerySerializer(QueryParamsSerializer):
    trigger = trigger_field(models.TriggeredBy, SYNC_TRIGGERS, models.TriggeredBy.API, what="the run")
    full_refresh = serializers.BooleanField(
        required=False, default=False, help_text="Ignore the incremental cursor and fetch everything."
    )
    allow_empty = serializers.BooleanField(
        required=False,
        default=False,
        help_text="With full_refresh=true only: when the refresh reads every page and gets no record, "
        "mark every stored record deleted (the source really is empty) instead of failing.",
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

    def validate(self, attrs):
        if attrs.get("allow_empty") and not attrs.get("full_refresh"):
            raise serializers.ValidationError({"allow_empty": ALLOW_EMPTY_RULE})
        return attrs


# --- Preview ---


class ConnectorPreviewInputSerializer(ConnectorSerializer):
    """An unsaved connector configuration: the create validation, with the name optional (a form
    can preview before it is named) and never checked for clashes."""

    name = serializers.CharField(max_length=255, required=False, allow_blank=True)

    def validate_name(self, value):
        return value.strip()


class PreviewPaginationSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=[kind for kind in PAGINATION_TYPES if kind != "auto"],
        help_text="The pagination a sync would use (auto resolved to what was detected).",
    )
    config = serializers.JSONField(
        help_text="The full pagination object a sync would use: paste it into the connector's "
        "`pagination` to pin it."
    )
    detected = serializers.BooleanField(help_text="True when the connector's pagination is auto.")
    description = serializers.CharField(help_text="One line, as the sync log writes it.")
    reason = serializers.CharField(help_text="Why this pagination (what in the response showed it).")
    has_more = serializers.BooleanField(help_text="Whether more pages follow the previewed ones.")


class PreviewFieldSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="Dotted path of the field in a raw record.")
    types = serializers.ListField(
        child=serializers.ChoiceField(
            choices=["string", "integer", "number", "boolean", "null", "array", "object"]
        )
    )
    present_in = serializers.IntegerField(help_text="How many sampled records have the field.")
    samples = serializers.ListField(
        child=serializers.JSONField(), help_text="Up to 3 distinct values (long ones cut)."
    )


class PreviewKeyCandidateSerializer(serializers.Serializer):
    path = serializers.CharField()
    unique_in_sample = serializers.BooleanField()
    present_in = serializers.IntegerField()


class PreviewCursorCandidateSerializer(serializers.Serializer):
    path = serializers.CharField()
    kind = serializers.ChoiceField(choices=["timestamp", "number"])
    min = serializers.JSONField()
    max = serializers.JSONField()
    increasing = serializers.BooleanField(help_text="Whether the values increase in record order.")


class PreviewRecordSerializer(serializers.Serializer):
    raw = serializers.JSONField(allow_null=True, help_text="The record as the upstream sent it.")
    transformed = serializers.JSONField(
        allow_null=True, help_text="After the transformation rules; null when it failed."
    )
    error = serializers.CharField(allow_null=True, help_text="Why the record would be quarantined.")
    change = serializers.ChoiceField(
        choices=["new", "changed", "unchanged", "restored"],
        allow_null=True,
        help_text="A saved connector's preview: what a sync would do with this record against the stored "
        "records (`new`: no record has its key; `changed`: the stored one differs; `unchanged`; `restored`: "
        "a full refresh marked the stored one deleted). Null for an unsaved connector, or a record a sync "
        "would quarantine.",
    )
    changed_fields = serializers.ListField(
        child=serializers.CharField(),
        help_text="For `changed`: the fields (dotted paths) whose stored value differs, at most 10.",
    )
    more_changed_fields = serializers.IntegerField(
        help_text="For `changed`: how many more fields differ than `changed_fields` names."
    )


class PreviewChangesSerializer(serializers.Serializer):
    compared = serializers.IntegerField(
        help_text="Sampled records compared (new + changed + unchanged + restored)."
    )
    new = serializers.IntegerField()
    changed = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    restored = serializers.IntegerField()


class PreviewSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="False when the first page could not be fetched or read.")
    error = serializers.CharField(allow_null=True, help_text="What went wrong (credentials redacted).")
    status_code = serializers.IntegerField(allow_null=True, help_text="HTTP status of the last page.")
    retry_after = serializers.FloatField(
        allow_null=True,
        help_text="When ok is false because the API asked to slow down (a 429 or Retry-After, this "
        "preview's or an earlier one that paused the connector): seconds until a preview can be sent "
        "again. Null otherwise, and when the API named no wait.",
    )
    response_time_ms = serializers.FloatField(allow_null=True, help_text="Time of the fetched pages.")
    pages_fetched = serializers.IntegerField(help_text="At most 2.")
    records_path = serializers.CharField(
        allow_null=True, help_text='Where the records are ("" = the body is the list).'
    )
    records_path_detected = serializers.BooleanField(
        help_text="records_path was found by detection (the connector's is null); false when no page "
        "was read (records_path null)."
    )
    pagination = PreviewPaginationSerializer(allow_null=True)
    records_in_pages = serializers.IntegerField(help_text="Records in the fetched pages.")
    primary_key = serializers.CharField(allow_blank=True, help_text="The connector's primary_key.")
    primary_key_candidates = PreviewKeyCandidateSerializer(many=True)
    cursor_candidates = PreviewCursorCandidateSerializer(many=True)
    fields = PreviewFieldSerializer(many=True)
    records = PreviewRecordSerializer(many=True, help_text="Up to 20 sampled records.")
    warnings = serializers.ListField(child=serializers.CharField())
    changes = PreviewChangesSerializer(
        allow_null=True,
        help_text="A saved connector's preview: what a sync would do with the sampled records against "
        "the records stored now (with the body's overrides, e.g. new transformation rules, applied). "
        "Null for an unsaved connector.",
    )


RECORD_FIELD_PATH = re.compile(r"^[^.\x00-\x1f]{1,100}(\.[^.\x00-\x1f]{1,100}){0,9}$")
#: A records ordering: external_id, last_synced_at or ``data.<field>``, a top-level field of the stored
#: record taken as written (dots included), without control characters, quotes or backslashes; a
#: leading - for descending.
RECORD_ORDERING_PATTERN = r'^-?(external_id|last_synced_at|data\.[^"\\\x00-\x1f]{1,100})$'


def _is_negative_number(name: str) -> bool:
    try:
        return int(name) < 0
    except ValueError:
        return False


class RecordSearchQuerySerializer(QueryParamsSerializer):
    """The records search (``field`` contains ``value``), shared by the records list and the export."""

    field = serializers.CharField(
        required=False,
        max_length=1000,
        help_text="A field of the stored record (dotted path for nested fields) to search in; needs value.",
    )
    value = serializers.CharField(
        required=False,
        max_length=1000,
        trim_whitespace=False,
        help_text="Records whose field contains this text (case-insensitive); needs field.",
    )

    def validate_field(self, value):
        if not RECORD_FIELD_PATH.match(value):
            raise serializers.ValidationError(
                "A field is a dotted path of 1 to 10 names without control characters, e.g. address.city."
            )
        # A name that is a whole number is a position in a list (tags.0), as Django reads it (int():
        # spaces, "_" and other scripts' digits too). The databases read a negative one differently
        # (SQLite refuses the JSON path "$[-1]", PostgreSQL counts from the end).
        if any(_is_negative_number(name) for name in value.split(".")):
            raise serializers.ValidationError(
                "A name of the field's path that is a number is a position in a list, counted from 0: "
                "it cannot be negative."
            )
        return value

    def validate(self, attrs):
        if ("field" in attrs) != ("value" in attrs):
            raise serializers.ValidationError("Searching by a field value needs both field and value.")
        return attrs

    def search(self) -> tuple[str, str] | None:
        """(field, value) of a valid search, or None without one."""
        data = self.validated_data
        return (data["field"], data["value"]) if "field" in data else None


class RecordQuerySerializer(RecordSearchQuerySerializer):
    ordering = serializers.RegexField(
        RECORD_ORDERING_PATTERN,
        required=False,
        default="external_id",
        max_length=106,
        error_messages={
            "invalid": "Sort by external_id, last_synced_at or data.<field> (a top-level field of the "
            "record, without quotes, backslashes or control characters); prefix - for descending."
        },
        help_text="external_id sorts numeric ids as numbers (2 before 10); data.<field> sorts by a "
        "top-level field of the record (numbers, then text, then booleans, then lists and objects; "
        "records without it last); prefix - for descending.",
    )


class SyncActivityQuerySerializer(QueryParamsSerializer):
    days = serializers.IntegerField(
        required=False, default=30, min_value=1, max_value=90, help_text="Days back from today (1 to 90)."
    )


class SyncActivityDaySerializer(serializers.Serializer):
    date = serializers.DateField(help_text="A UTC day.")
    syncs = serializers.DictField(
        child=serializers.IntegerField(), help_text="Runs created that day, by status (every status listed)."
    )
    records_processed = serializers.IntegerField(help_text="Records processed by the runs created that day.")


class SyncActivitySerializer(serializers.Serializer):
    days = SyncActivityDaySerializer(many=True)


# -- data out: export, change feed, inferred schema -------------------------------------------------

MAX_CHANGE_SEQ = 2**63 - 1


class ExportQuerySerializer(RecordSearchQuerySerializer):
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
    spreadsheet_safe = serializers.BooleanField(
        required=False,
        default=True,
        help_text="CSV: a text cell a spreadsheet would run as a formula gets a leading apostrophe: one "
        "starting with a tab or a carriage return, or whose first character after any leading whitespace "
        "is `=`, `+`, `-`, `@` or their full-width forms (plain numbers excepted). `false` writes every "
        "cell as stored, formulas included, for a database loader: open such a file in no spreadsheet. "
        "Every member who can read the records (viewers too) may ask for either.",
    )


class ChangesQuerySerializer(QueryParamsSerializer):
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
    position = serializers.IntegerField(
        help_text="The order in which the records first showed the field (1 first), the upstream's own "
        "field order: the stored records' keys are sorted. A schema learnt before this was kept counts "
        "its fields in path order."
    )


class ConnectorSchemaSerializer(serializers.Serializer):
    connector = serializers.IntegerField()
    fields = SchemaFieldSerializer(many=True)
    truncated = serializers.BooleanField(
        help_text="Whether fields beyond the limits (1000 fields, 8 levels) were left out."
    )
    updated_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the schema last changed (a sync learnt a field, a type or a format, or a complete "
        "full refresh rebuilt it); null: not inferred yet. A sync that learns nothing leaves it.",
    )
    checked_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the schema was last confirmed: the end of the latest sync that read the records to "
        "the end (success or partial), or updated_at if later. It moves with every such sync, also one "
        "that changed nothing; null: not inferred yet.",
    )


class SchemaProfileQuerySerializer(QueryParamsSerializer):
    sample = serializers.IntegerField(
        required=False,
        default=DEFAULT_PROFILE_SAMPLE,
        min_value=1,
        max_value=MAX_PROFILE_SAMPLE,
        help_text=f"Profile the connector's most recently changed live records, at most this many "
        f"(1 to {MAX_PROFILE_SAMPLE:,}; default {DEFAULT_PROFILE_SAMPLE:,}).",
    )


class FieldProfileSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="Dotted path, as in the schema.")
    parts = serializers.ListField(child=serializers.CharField())
    present = serializers.IntegerField(
        help_text="Sampled records that have the field (a nested one: its parent is an object with the key)."
    )
    present_share = serializers.FloatField(help_text="present / sampled (0 to 1, 4 decimals; 0 when none).")
    null = serializers.IntegerField(help_text="Sampled records whose field is null.")
    null_share = serializers.FloatField(help_text="null / sampled.")
    empty = serializers.IntegerField(
        allow_null=True, help_text='Sampled records whose field is "" (null: the field never held a string).'
    )
    empty_share = serializers.FloatField(allow_null=True, help_text="empty / sampled.")
    distinct = serializers.IntegerField(
        allow_null=True,
        help_text="Distinct non-null values (strings, numbers, booleans) in the sample, exact up to "
        "distinct_cap; null for a field that held objects or arrays.",
    )
    distinct_over_cap = serializers.BooleanField(
        help_text="More than distinct_cap distinct values (distinct is then distinct_cap)."
    )


class ConnectorSchemaProfileSerializer(serializers.Serializer):
    connector = serializers.IntegerField()
    sample = serializers.IntegerField(help_text="The most records asked for (the sample parameter).")
    sampled = serializers.IntegerField(
        help_text="Records profiled: the most recently changed live ones, at most sample."
    )
    total = serializers.IntegerField(help_text="The connector's live (not deleted) stored records.")
    distinct_cap = serializers.IntegerField(help_text="Distinct values are counted exactly up to this many.")
    truncated = serializers.BooleanField(help_text="Whether the schema left fields out (its limits).")
    schema_updated_at = serializers.DateTimeField(allow_null=True)
    fields = FieldProfileSerializer(many=True, help_text="The schema's fields, in its order.")
