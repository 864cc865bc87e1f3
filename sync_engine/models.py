"""The sync engine's data: runs (``SyncLog``) with their log lines, the stored records, quarantine,
the change counter and the inferred schema of each connector.

The engine is a platform app: it names no module. Its runs and records point to *the connector
model*, which the module that holds connectors declares once in its ``AppConfig``
(``sync_connector_model = "app_label.ModelName"``, see :func:`connector_model_label`). The tables
keep the names they were created with (``demo_extension_*``) so existing data stays where it is.
"""

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length

from tenancy.models import Tenant, TenantOwnedMixin, TenantOwnedModel


def connector_model_label() -> str:
    """The ``app_label.ModelName`` of the connector model, as its app declares it.

    Exactly one installed app declares ``sync_connector_model`` on its ``AppConfig``; the engine's
    runs and records point to that model. The model must provide what the engine reads and writes
    (``docs/internals.md``, "The connector contract").
    """
    labels = [
        label for config in apps.get_app_configs() if (label := getattr(config, "sync_connector_model", None))
    ]
    if len(labels) != 1:
        raise ImproperlyConfigured(
            "Exactly one installed app must declare sync_connector_model on its AppConfig "
            f"(the model the sync engine's runs belong to); found {labels or 'none'}."
        )
    return labels[0]


CONNECTOR_MODEL = connector_model_label()


class SchemaPolicy(models.TextChoices):
    """What a run does with a page that would change its connector's inferred schema (a setting a
    connector model may have: ``schema_policy``)."""

    EVOLVE = "evolve", "Evolve: store new fields and types, and report them"
    FREEZE = "freeze", "Freeze: fail the run before storing a page with a new field or type"


class SyncStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    RUNNING = "RUNNING", "Running"
    SUCCESS = "SUCCESS", "Success"
    PARTIAL = "PARTIAL", "Partial (incomplete fetch or quarantined records)"
    FAILED = "FAILED", "Failed"
    CANCELLED = "CANCELLED", "Cancelled"


ACTIVE_SYNC_STATUSES = (SyncStatus.PENDING, SyncStatus.RUNNING)
FINISHED_SYNC_STATUSES = (SyncStatus.SUCCESS, SyncStatus.PARTIAL, SyncStatus.FAILED, SyncStatus.CANCELLED)


class TriggeredBy(models.TextChoices):
    MANUAL = "manual", "Manual (command line)"
    SCHEDULE = "schedule", "Schedule"
    API = "api", "API"
    UI = "ui", "Web UI"


class SyncLog(TenantOwnedModel):
    """One sync run: a row with a status state machine, counters, checkpoint and heartbeat."""

    #: The name the audit trail gives this kind of object (``core.activity``'s ``target_type``).
    activity_noun = "sync_log"

    connector = models.ForeignKey(CONNECTOR_MODEL, on_delete=models.CASCADE, related_name="sync_logs")
    status = models.CharField(max_length=16, choices=SyncStatus.choices, default=SyncStatus.PENDING)
    triggered_by = models.CharField(max_length=16, choices=TriggeredBy.choices, default=TriggeredBy.API)
    full_refresh = models.BooleanField(default=False)
    # A full refresh asked to accept an empty answer: when it reads every page and gets no record,
    # it marks every stored record deleted instead of failing (the engine refuses that by default).
    allow_empty = models.BooleanField(default=False, db_default=False)

    records_processed = models.PositiveIntegerField(default=0)
    records_created = models.PositiveIntegerField(default=0)
    records_updated = models.PositiveIntegerField(default=0)
    records_unchanged = models.PositiveIntegerField(default=0)
    records_failed = models.PositiveIntegerField(default=0)
    # Records a complete full refresh marked deleted (the upstream no longer returned them).
    records_deleted = models.PositiveIntegerField(default=0, db_default=0)
    pages_fetched = models.PositiveIntegerField(default=0)
    # How many records the source announced for this run (an API's total), when it said: progress.
    records_total = models.PositiveBigIntegerField(null=True, blank=True)
    # Seconds spent running: a run resumed from its checkpoint adds each attempt's time.
    duration_seconds = models.FloatField(null=True, blank=True)
    # When the run first started (kept by a resume, which goes on from the checkpoint), and when the
    # latest attempt that went on from the checkpoint began (None: it ran in one go). Together they
    # are the claim of the process running it (``runs.owned``).
    started_at = models.DateTimeField(null=True, blank=True)
    resumed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(blank=True, default="")
    # What the run warned about (its warning-level log lines but its retry lines, and not the line
    # it ended with), written once by ``finish_run``: a SUCCESS with warnings is shown as such
    # everywhere a run's outcome is (the API, the connector, the UI, webhooks).
    warnings = models.JSONField(default=list, db_default=[], blank=True)
    # How many requests the run retried (every attempt of a resumed run added up; its log shows the
    # first ``engine.MAX_RETRY_EVENTS`` retry lines of each attempt): a retry is no warning. Of a
    # FAILED run they are how it got to its error, of a SUCCESS how it got past a flaky API.
    retries = models.PositiveIntegerField(default=0, db_default=0)
    # Seconds the run's requests waited for the API's rate limit (a 429, a Retry-After, a limit
    # reported in a body): a slow run that mostly waited is the API's pace, not MigrateIQ's.
    rate_limit_wait_seconds = models.FloatField(default=0, db_default=0)
    # How the pages it committed changed the connector's inferred schema (``schema.schema_changes``:
    # fields added or removed, types taken, formats lost), written once by ``finish_run``.
    schema_changes = models.JSONField(default=list, db_default=[], blank=True)

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
        db_table = "demo_extension_synclog"
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
        return f"sync {self.pk} of connector {self.connector_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_SYNC_STATUSES


class SyncLogEvent(models.Model):
    """A log line of a sync run (start, pages, retries, errors), shown in the API."""

    class Level(models.TextChoices):
        # How the run was carried out (where its pages are built, ...): for operators, left out of
        # the run's log as the API and the UI show it unless asked for (``?debug=true``).
        DEBUG = "debug", "Debug"
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"

    sync_log = models.ForeignKey(SyncLog, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.INFO)
    message = models.TextField()

    class Meta:
        db_table = "demo_extension_synclogevent"
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
        CONNECTOR_MODEL, on_delete=models.CASCADE, related_name="records", db_index=False
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
        db_table = "demo_extension_syncedrecord"
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
    connector = models.ForeignKey(CONNECTOR_MODEL, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=255, blank=True, default="")
    raw_payload = models.JSONField()
    error = models.TextField()
    page = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "demo_extension_syncrecorderror"
        ordering = ["id"]

    def __str__(self):
        return f"error in sync {self.sync_log_id}: {self.error[:60]}"


class RecordChangeCounter(models.Model):
    """The last change sequence handed out for a connector's records.

    Incremented inside each page's transaction (``services/changes.py``): the row lock it takes is
    held until that transaction commits, so a connector's sequences become visible in order.
    """

    connector = models.OneToOneField(
        CONNECTOR_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_seq = models.BigIntegerField(default=0)

    class Meta:
        db_table = "demo_extension_recordchangecounter"

    def __str__(self):
        return f"{self.connector_id}: {self.last_seq}"


class ConnectorSchema(models.Model):
    """The fields seen in a connector's stored records, merged page by page (``services/schema.py``)."""

    connector = models.OneToOneField(
        CONNECTOR_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="inferred_schema"
    )
    fields = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "demo_extension_connectorschema"

    def __str__(self):
        return f"schema of {self.connector_id}"
