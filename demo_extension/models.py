"""The connectors extension's data: connectors, their sync runs, the synced records, quarantine."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length

from core.encryption import EncryptedTextField
from tenancy.models import Tenant, TenantOwnedMixin, TenantOwnedModel


class SyncFrequency(models.TextChoices):
    MANUAL = "MANUAL", "Manual"
    HOURLY = "HOURLY", "Hourly"
    DAILY = "DAILY", "Daily"
    WEEKLY = "WEEKLY", "Weekly"


class AuthType(models.TextChoices):
    BEARER = "bearer", "Authorization: Bearer <api_key>"
    HEADER = "header", "<auth_header_name>: <api_key>"
    QUERY = "query", "?<auth_param_name>=<api_key>"
    BASIC = "basic", "HTTP Basic (auth_username, api_key as password)"
    BASIC_KEY = "basic_key", "HTTP Basic with api_key as user name (auth_password, often empty)"
    OAUTH2 = "oauth2", "OAuth2 client credentials (Bearer token from oauth_token_url)"
    NONE = "none", "No authentication"


class OAuthClientAuth(models.TextChoices):
    BASIC = "client_secret_basic", "Client id and secret in an HTTP Basic header"
    POST = "client_secret_post", "Client id and secret in the form body"


class SyncStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    RUNNING = "RUNNING", "Running"
    SUCCESS = "SUCCESS", "Success"
    PARTIAL = "PARTIAL", "Partial (some records quarantined)"
    FAILED = "FAILED", "Failed"
    CANCELLED = "CANCELLED", "Cancelled"


ACTIVE_SYNC_STATUSES = (SyncStatus.PENDING, SyncStatus.RUNNING)
FINISHED_SYNC_STATUSES = (SyncStatus.SUCCESS, SyncStatus.PARTIAL, SyncStatus.FAILED, SyncStatus.CANCELLED)


class TriggeredBy(models.TextChoices):
    MANUAL = "manual", "Manual (command line)"
    SCHEDULE = "schedule", "Schedule"
    API = "api", "API"
    UI = "ui", "Web UI"


def default_pagination():
    return {"type": "auto"}


#: How a connector calls its API and maps its records: the fields the API, the admin and the UI edit
#: beside name, endpoint, key and schedule.
CONNECTOR_REQUEST_FIELDS = (
    "auth_type",
    "auth_header_name",
    "auth_param_name",
    "oauth_token_url",
    "oauth_client_id",
    "oauth_scopes",
    "oauth_audience",
    "oauth_client_auth",
    "request_headers",
    "query_params",
    "records_path",
    "primary_key",
    "pagination",
    "incremental",
    "transformation_rules",
    "max_pages",
    "error_detection",
    "max_sync_seconds",
    "max_requests_per_second",
    "max_concurrent_requests",
    "max_requests_per_sync",
)

#: The connector's secrets besides ``api_key``: encrypted at rest, write-only in the API, never shown
#: by the admin (which offers "set a new value" / "remove" instead). Key rotation finds them by type.
CONNECTOR_SECRET_FIELDS = ("auth_username", "auth_password", "oauth_client_secret")

#: Bounds of a connector's request budget (core.budget), shared by the model, the API and the admin.
MIN_REQUESTS_PER_SECOND = 0.01
MAX_REQUESTS_PER_SECOND = 1000.0
DEFAULT_CONCURRENT_REQUESTS = 4
MAX_CONCURRENT_REQUESTS = 16


class CustomDataConnector(TenantOwnedModel):
    """An external REST API registered by a tenant, with how to call it and how to map its records."""

    name = models.CharField(max_length=255)
    api_endpoint = models.URLField(max_length=2048)
    api_key = EncryptedTextField(blank=True, default="")
    # Kept apart from the ciphertext so lists never decrypt; shown as "…abcd".
    api_key_last4 = models.CharField(max_length=4, blank=True, default="", editable=False)
    sync_frequency = models.CharField(
        max_length=8, choices=SyncFrequency.choices, default=SyncFrequency.DAILY
    )
    is_active = models.BooleanField(default=True)

    # Request configuration
    auth_type = models.CharField(max_length=16, choices=AuthType.choices, default=AuthType.BEARER)
    auth_header_name = models.CharField(max_length=128, default="X-API-Key")
    auth_param_name = models.CharField(max_length=128, default="api_key")
    # Basic user names are often keys themselves (account SIDs, keys pasted there): encrypted too.
    auth_username = EncryptedTextField(blank=True, default="")
    auth_password = EncryptedTextField(blank=True, default="")
    # OAuth2 client credentials (auth_type "oauth2"); the token is cached, never stored in a column.
    oauth_token_url = models.URLField(max_length=2048, blank=True, default="")
    oauth_client_id = models.CharField(max_length=512, blank=True, default="")
    oauth_client_secret = EncryptedTextField(blank=True, default="")
    oauth_scopes = models.CharField(max_length=1024, blank=True, default="")
    oauth_audience = models.CharField(max_length=1024, blank=True, default="")
    oauth_client_auth = models.CharField(
        max_length=24, choices=OAuthClientAuth.choices, default=OAuthClientAuth.BASIC
    )
    request_headers = models.JSONField(default=dict, blank=True)
    query_params = models.JSONField(default=dict, blank=True)
    # None: detect common envelopes (data, items, results, ...); "": the response itself is the list.
    records_path = models.CharField(max_length=255, null=True, blank=True, default=None)
    primary_key = models.CharField(max_length=255, default="id", blank=True)
    pagination = models.JSONField(default=default_pagination, blank=True)
    incremental = models.JSONField(default=dict, blank=True)
    transformation_rules = models.JSONField(default=dict, blank=True)
    max_pages = models.PositiveIntegerField(null=True, blank=True)
    # How an error answered with HTTP 200 is recognised (extract.check_upstream_error); {}: built-in rules.
    error_detection = models.JSONField(default=dict, blank=True)
    # A run's time budget for this connector; it can only lower MIGRATEIQ_SYNC_MAX_SECONDS.
    max_sync_seconds = models.PositiveIntegerField(null=True, blank=True)

    # Request budget (core.budget), shared by every worker syncing or testing this connector.
    max_requests_per_second = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(MIN_REQUESTS_PER_SECOND), MaxValueValidator(MAX_REQUESTS_PER_SECOND)],
        help_text="Requests per second at most (fractional allowed, e.g. 0.5); empty: no rate limit.",
    )
    max_concurrent_requests = models.PositiveSmallIntegerField(
        default=DEFAULT_CONCURRENT_REQUESTS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CONCURRENT_REQUESTS)],
        help_text=f"Requests in flight at once at most (1 to {MAX_CONCURRENT_REQUESTS}).",
    )
    max_requests_per_sync = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Requests one sync run may send; the run then fails and can be resumed. Empty: no limit.",
    )

    # Sync state
    incremental_cursor = models.JSONField(null=True, blank=True)
    records_count = models.PositiveBigIntegerField(default=0, editable=False)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_sync_status = models.CharField(max_length=16, choices=SyncStatus.choices, blank=True, default="")
    next_sync_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="unique_connector_name_per_tenant")
        ]
        indexes = [
            models.Index(fields=["tenant", "is_active"], name="connector_tenant_active"),
            models.Index(fields=["is_active", "next_sync_at"], name="connector_due"),
        ]

    def __str__(self):
        return self.name


class SyncLog(TenantOwnedModel):
    """One sync run: a row with a status state machine, counters, checkpoint and heartbeat."""

    connector = models.ForeignKey(CustomDataConnector, on_delete=models.CASCADE, related_name="sync_logs")
    status = models.CharField(max_length=16, choices=SyncStatus.choices, default=SyncStatus.PENDING)
    triggered_by = models.CharField(max_length=16, choices=TriggeredBy.choices, default=TriggeredBy.API)
    full_refresh = models.BooleanField(default=False)

    records_processed = models.PositiveIntegerField(default=0)
    records_created = models.PositiveIntegerField(default=0)
    records_updated = models.PositiveIntegerField(default=0)
    records_unchanged = models.PositiveIntegerField(default=0)
    records_failed = models.PositiveIntegerField(default=0)
    pages_fetched = models.PositiveIntegerField(default=0)
    duration_seconds = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(blank=True, default="")

    # Engine state: the pagination state after the last committed page, the detected pagination
    # style, the incremental high-water mark of this run.
    checkpoint = models.JSONField(null=True, blank=True)
    detected_pagination = models.CharField(max_length=16, blank=True, default="")
    cursor_value = models.JSONField(null=True, blank=True)

    # Background execution
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    triggered_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connector"],
                condition=Q(status__in=["PENDING", "RUNNING"]),
                name="one_active_sync_per_connector",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="synclog_tenant_created"),
            models.Index(fields=["connector", "-created_at"], name="synclog_connector_created"),
            models.Index(fields=["tenant", "status", "created_at"], name="synclog_tenant_status"),
            models.Index(fields=["status", "heartbeat_at"], name="synclog_status_heartbeat"),
        ]

    def __str__(self):
        return f"sync {self.pk} of {self.connector_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_SYNC_STATUSES


class SyncLogEvent(models.Model):
    """A log line of a sync run (start, pages, retries, errors), shown in the API."""

    class Level(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"

    sync_log = models.ForeignKey(SyncLog, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.INFO)
    message = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"[{self.level}] {self.message[:60]}"


class RecordDataField(models.JSONField):
    """The stored record: a JSONField without SQLite's ``CHECK (JSON_VALID(data))``.

    Every value written is valid JSON already (the sync stores the canonical text it encoded, the
    ORM ``json.dumps``), and the check parses each row's JSON once more on every insert: about 1 µs
    a record, a seventh of a first load's write on SQLite. PostgreSQL's ``jsonb`` has no such check.
    """

    def db_check(self, connection):
        return None


class SyncedRecord(TenantOwnedMixin):
    """A record synced from a connector, after transformation; upserted by (connector, external_id)."""

    # The unique (connector, external_id) index serves connector lookups; no separate FK indexes.
    # tenant (the connector's) and last_sync_log (informational) are kept by the ORM's cascade /
    # SET_NULL rather than by database constraints: each constraint is a per-row check on every
    # bulk insert, and dropping these two cut PostgreSQL's server time of a first load by ~25%.
    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        related_name="+",
        editable=False,
        db_index=False,
        db_constraint=False,
    )
    connector = models.ForeignKey(
        CustomDataConnector, on_delete=models.CASCADE, related_name="records", db_index=False
    )
    external_id = models.CharField(max_length=255)
    data = RecordDataField()
    checksum = models.CharField(max_length=64)
    # A keyed hash of the raw upstream record and the rules that transformed it (see
    # services/upsert.py): a re-sync that receives the same raw record skips it before transforming.
    source_checksum = models.CharField(max_length=32, blank=True, default="", db_default="")
    first_synced_at = models.DateTimeField()
    last_synced_at = models.DateTimeField()
    last_sync_log = models.ForeignKey(
        SyncLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    # The change feed: the connector's change counter when the record was last created, updated or
    # deleted (see services/changes.py). Unchanged records keep theirs.
    change_seq = models.BigIntegerField(default=0, db_default=0)
    # The last full-refresh run that saw the record upstream (no FK: informational, like last_sync_log).
    seen_in_sync_log_id = models.BigIntegerField(null=True, blank=True)
    # Set by a complete full refresh that no longer saw the record upstream (a tombstone).
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["external_id"]
        constraints = [
            models.UniqueConstraint(fields=["connector", "external_id"], name="unique_record_per_connector")
        ]
        indexes = [
            # The records list's default order: numeric-aware ("2" before "10"), because shorter
            # digit strings are smaller numbers; text ids still sort by length, then text.
            models.Index(
                F("connector"), Length("external_id"), F("external_id"), name="record_natural_order"
            ),
            # The change feed, the export and destination loads read a connector's records in this order.
            models.Index(fields=["connector", "change_seq", "id"], name="record_connector_change_seq"),
        ]

    def __str__(self):
        return f"{self.connector_id}:{self.external_id}"


class SyncRecordError(TenantOwnedMixin):
    """Quarantine: a record that failed transformation or validation, kept with its raw payload."""

    sync_log = models.ForeignKey(SyncLog, on_delete=models.CASCADE, related_name="record_errors")
    connector = models.ForeignKey(CustomDataConnector, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=255, blank=True, default="")
    raw_payload = models.JSONField()
    error = models.TextField()
    page = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"error in sync {self.sync_log_id}: {self.error[:60]}"


class RecordChangeCounter(models.Model):
    """The last change sequence handed out for a connector's records.

    Incremented inside each page's transaction (``services/changes.py``): the row lock it takes is
    held until that transaction commits, so a connector's sequences become visible in order.
    """

    connector = models.OneToOneField(
        CustomDataConnector, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_seq = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.connector_id}: {self.last_seq}"


class ConnectorSchema(models.Model):
    """The fields seen in a connector's stored records, merged page by page (``services/schema.py``)."""

    connector = models.OneToOneField(
        CustomDataConnector, on_delete=models.CASCADE, primary_key=True, related_name="inferred_schema"
    )
    fields = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"schema of {self.connector_id}"
