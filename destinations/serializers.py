"""Input and output shapes of the destinations API. Secrets (password, DSN) are write-only."""

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.choices import QueryParamsSerializer, trigger_field
from core.egress import saved_unresolved_warning
from core.save_warnings import SaveWarningsMixin
from core.strict_input import StrictTypesMixin
from destinations import models
from destinations.services import naming
from destinations.services.base import DestinationError
from destinations.services.credentials import password_moves
from destinations.services.postgres import checked_addresses, connection_params, connection_problems
from tenancy.permissions import require_admin_to_move_secrets

MAX_NAME_BYTES = 63
MAX_PASSWORD_LENGTH = 4096
#: A DSN holds the password and the rest of the connection settings.
MAX_DSN_LENGTH = 8192
CONNECTION_FIELDS = ("dsn", "host", "port", "database", "username", "password", "sslmode")
#: How the user of a destination saved with a host name the web server could not resolve finds out
#: whether the workers, which run the loads, reach it (``core.egress.saved_unresolved_warning``).
UNRESOLVED_HOST_NEXT_STEP = "its next load shows whether they reach it"
#: How to remove a stored password instead of giving it again.
REMOVAL = {"password": "or an empty string to remove it", "dsn": "or one without a password to remove it"}


def _identifier_text(value: str, what: str, kind: str) -> str:
    problem = naming.given_name_problem(value, what, kind)
    if problem:
        raise serializers.ValidationError(problem)
    return value


class LastLoadSerializer(serializers.ModelSerializer):
    """How the latest load of an attached connector ended, or that it runs (the attachment's
    ``last_load_at`` is its ``finished_at`` when it succeeded)."""

    class Meta:
        model = models.DestinationLoad
        fields = ["id", "status", "started_at", "finished_at", "error_message", "created_at"]
        read_only_fields = fields


class ColumnSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field's path in the records, keys joined by '.'.")
    column = serializers.CharField(help_text="Its column in the destination table.")


class AttachmentSerializer(serializers.ModelSerializer):
    last_load_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the destination was last brought up to date: the end of the latest "
        "successful load (rows or not; then last_load.finished_at), or a batch of rows committed "
        "since (a load that is running or failed later). Null before any.",
    )
    last_load = serializers.SerializerMethodField(
        help_text="The latest load of the connector into this destination, whatever its status "
        "(a failed one included), or null before the first."
    )
    reload_pending = serializers.BooleanField(
        read_only=True,
        help_text="A load started over from the beginning (a full reload, a table or column dropped "
        "outside MigrateIQ) and has not finished: the next load goes on with it and, at its end, "
        "removes the rows of records the connector no longer has.",
    )
    columns = serializers.SerializerMethodField(
        help_text="Which field went to which column, in the order the names were given (at the "
        "loads that met the fields); empty before the first load. Names are kept once given."
    )

    class Meta:
        model = models.DestinationAttachment
        fields = [
            "id",
            "connector",
            "table_name",
            "column_names",
            "high_water",
            "last_load_at",
            "last_load",
            "reload_pending",
            "columns",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ColumnSerializer(many=True))
    def get_columns(self, obj) -> list[dict]:
        return [
            {"field": ".".join(key.split(naming.FIELD_SEPARATOR)), "column": column}
            for key, column in (obj.columns or {}).items()
        ]

    @extend_schema_field(LastLoadSerializer(allow_null=True))
    def get_last_load(self, obj) -> dict | None:
        # One indexed query (destination, -created_at) per attachment: a tenant has few of them.
        load = (
            models.DestinationLoad.objects.filter(
                tenant_id=obj.tenant_id, destination_id=obj.destination_id, connector_id=obj.connector_id
            )
            .order_by("-created_at", "-id")
            .first()
        )
        return LastLoadSerializer(load).data if load is not None else None


class DestinationSerializer(StrictTypesMixin, SaveWarningsMixin, serializers.ModelSerializer):
    # Bounded like a connector's credentials: a value as large as a request body (2.5 MB) was
    # stored, and decrypted and sent at every connection. Spaces are part of a password.
    password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=MAX_PASSWORD_LENGTH,
        style={"input_type": "password"},
        help_text="Stored encrypted; never returned.",
    )
    dsn = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=MAX_DSN_LENGTH,
        help_text="postgresql://user:password@host:port/db?sslmode=… instead of the separate fields; "
        "stored encrypted, never returned.",
    )
    has_password = serializers.SerializerMethodField()
    has_dsn = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = models.Destination
        fields = [
            "id",
            "name",
            "type",
            "dsn",
            "host",
            "port",
            "database",
            "username",
            "password",
            "has_password",
            "has_dsn",
            "sslmode",
            "target_schema",
            "deleted_rows",
            "is_active",
            "attachments",
            "warnings",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "attachments", "created_at", "updated_at"]
        extra_kwargs = {"port": {"min_value": 1, "max_value": 65535}}

    def get_has_password(self, obj) -> bool:
        return bool(obj.password)

    def get_has_dsn(self, obj) -> bool:
        return bool(obj.dsn)

    def validate_target_schema(self, value):
        if self.instance is not None and value == self.instance.target_schema:
            return value  # named before names were checked: it still loads (quoted), and may be kept
        value = _identifier_text(value, "target_schema", "schema")
        if len(value.encode()) > MAX_NAME_BYTES:
            raise serializers.ValidationError(f"target_schema is limited to {MAX_NAME_BYTES} bytes.")
        return value

    def validate_name(self, value):
        tenant = self.context["request"].tenant
        others = models.Destination.objects.filter(tenant=tenant, name=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(f"A destination named {value!r} already exists in this tenant.")
        return value

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            # The connection's own problems (a missing database, a refused host) are named in the
            # same answer as the fields' ones, not in the next one after those are fixed.
            if not isinstance(exc.detail, dict) or not isinstance(data, dict):
                raise
            valid = {}
            for name in CONNECTION_FIELDS:
                if name in data and name not in exc.detail:
                    try:
                        valid[name] = self.fields[name].run_validation(data[name])
                    except serializers.ValidationError:
                        continue
            more = self._connection_errors(valid)
            more = {key: value for key, value in more.items() if key not in exc.detail}
            raise serializers.ValidationError({**exc.detail, **more}) from None

    def validate(self, attrs):
        errors = self._connection_errors(attrs)
        if errors:
            raise serializers.ValidationError(errors)
        if self.instance is not None:
            self._check_password_target(attrs)
        return attrs

    def _merged(self, attrs) -> models.Destination:
        """The destination's connection settings once ``attrs`` are applied to the stored ones."""
        current = (
            {field: getattr(self.instance, field) for field in CONNECTION_FIELDS} if self.instance else {}
        )
        return models.Destination(**{**current, **{f: attrs[f] for f in CONNECTION_FIELDS if f in attrs}})

    def _check_password_target(self, attrs) -> None:
        """The stored password is bound to the server it goes to: see ``services.credentials``."""
        moved, carrier = password_moves(self.instance, self._merged(attrs), set(attrs))
        require_admin_to_move_secrets(
            self.context.get("request"),
            moved,
            {carrier: REMOVAL[carrier]} if carrier else {},
            set(attrs),
            what="a destination with a stored password",
            secrets="the password",
            where="another server",
        )

    def _connection_errors(self, attrs) -> dict[str, list[str]]:
        """What is wrong with the connection ``attrs`` make (over the stored destination's), by field."""
        merged = self._merged(attrs)
        problems = connection_problems(merged)
        if problems:
            return problems
        if self.instance is None or any(field in attrs for field in CONNECTION_FIELDS):
            # a private, loopback or metadata host is refused now, as a connector's URL is; a name
            # that does not resolve here is saved with a warning, as a connector's
            params = connection_params(merged)
            try:
                resolved = checked_addresses(params, unresolved_ok=True)
            except DestinationError as exc:
                return {"dsn" if merged.dsn else "host": [str(exc)]}
            if not resolved:
                unresolved = f"The host name {params['host']} could not be resolved"
                self.save_warnings.append(
                    saved_unresolved_warning(unresolved, then=UNRESOLVED_HOST_NEXT_STEP)
                )
        return {}


COLUMN_NAMES_HELP = (
    "How the table's columns are named from the records' field paths: snake_case "
    "(company.catchPhrase → company__catch_phrase, to query without quotes) or as_is "
    "(company.catchPhrase → company__catchPhrase, to quote). Names are given once, at the first "
    "load: the convention cannot change after that."
)


class AttachInputSerializer(StrictTypesMixin, serializers.Serializer):
    connector = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    table_name = serializers.CharField(
        required=False, max_length=255, help_text="Default: the connector's name as a lower-case identifier."
    )
    column_names = serializers.ChoiceField(
        choices=models.ColumnNames.choices,
        default=models.ColumnNames.SNAKE_CASE,
        help_text=COLUMN_NAMES_HELP + " Default: snake_case.",
    )

    def validate_table_name(self, value):
        return _identifier_text(value, "table_name", "table")


class AttachmentChangeSerializer(StrictTypesMixin, serializers.Serializer):
    connector = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    column_names = serializers.ChoiceField(
        choices=models.ColumnNames.choices,
        help_text=COLUMN_NAMES_HELP + " Refused (400) once a load named the columns.",
    )


class ConnectorInputSerializer(StrictTypesMixin, serializers.Serializer):
    connector = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class LoadInputSerializer(StrictTypesMixin, serializers.Serializer):
    connector = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Default: every attached connector."
    )
    full_reload = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Reset the checkpoint and load every record again from the start (upserts; "
        "deleted records delete or soft-delete their rows, and rows of records the connector no "
        "longer has are removed at the end), instead of the changes since the checkpoint.",
    )


#: What a caller of the load endpoint may record as the load's ``triggered_by``.
LOAD_TRIGGERS = (models.DestinationLoad.Trigger.API, models.DestinationLoad.Trigger.UI)


class LoadTriggerQuerySerializer(QueryParamsSerializer):
    trigger = trigger_field(
        models.DestinationLoad.Trigger, LOAD_TRIGGERS, models.DestinationLoad.Trigger.API, what="the loads"
    )


class StoredDateTimeField(serializers.DateTimeField):
    """A date-time kept as ISO text in a JSON column, answered like every other date-time of the API
    (UTC, ``...Z``): DRF hands a string back unchanged, whatever its offset."""

    def to_representation(self, value):
        if isinstance(value, str):
            value = parse_datetime(value) or value
        return super().to_representation(value)


class LoadEventSerializer(serializers.Serializer):
    at = StoredDateTimeField()
    level = serializers.CharField()
    message = serializers.CharField()


class LoadSerializer(serializers.ModelSerializer):
    events = LoadEventSerializer(many=True, read_only=True)

    class Meta:
        model = models.DestinationLoad
        fields = [
            "id",
            "destination",
            "connector",
            "status",
            "triggered_by",
            "full_reload",
            "from_seq",
            "to_seq",
            "rows_upserted",
            "rows_deleted",
            "batches",
            "columns_added",
            "columns_widened",
            "duration_seconds",
            "started_at",
            "finished_at",
            "error_message",
            "events",
            "created_at",
        ]
        read_only_fields = fields


class LoadsStartedSerializer(serializers.Serializer):
    loads = LoadSerializer(many=True)


class ConnectionCheckSerializer(serializers.Serializer):
    connected = serializers.BooleanField()
    message = serializers.CharField()
    response_time_ms = serializers.FloatField()


class DestinationStatsSerializer(serializers.Serializer):
    destinations = serializers.IntegerField()
    attachments = serializers.IntegerField()
    total_loads = serializers.IntegerField()
    successful_loads = serializers.IntegerField()
    failed_loads = serializers.IntegerField()
    running_loads = serializers.IntegerField()
    loads_last_24h = serializers.IntegerField()
    rows_loaded = serializers.IntegerField()
