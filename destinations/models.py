"""Destinations: where a tenant's connector data is loaded (a PostgreSQL database first), which
connectors load into each, and the load runs.

The connector is the sync engine's connector model (declared by the module that holds connectors,
see ``sync_engine.models.connector_model_label``): the platform app never imports a module's code.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.display_names import validate_display_name
from core.encryption import EncryptedTextField
from destinations.services import naming
from sync_engine.models import connector_model_label
from tenancy.models import TenantOwnedModel

CONNECTOR_MODEL = connector_model_label()


class DestinationType(models.TextChoices):
    POSTGRESQL = "postgresql", "PostgreSQL"


class DeletedRows(models.TextChoices):
    DELETE = "delete", "Delete the row"
    SOFT = "soft", "Keep the row, set _deleted_at"


class ColumnNames(models.TextChoices):
    """How an attachment names its columns (see ``services/naming.py``)."""

    SNAKE_CASE = naming.SNAKE_CASE, "snake_case: company.catchPhrase → company__catch_phrase"
    AS_IS = naming.AS_IS, "As is: company.catchPhrase → company__catchPhrase (quote it in queries)"


class SslMode(models.TextChoices):
    DISABLE = "disable", "disable"
    PREFER = "prefer", "prefer"
    REQUIRE = "require", "require"
    VERIFY_CA = "verify-ca", "verify-ca"
    VERIFY_FULL = "verify-full", "verify-full"


class LoadStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    RUNNING = "RUNNING", "Running"
    SUCCESS = "SUCCESS", "Success"
    FAILED = "FAILED", "Failed"


ACTIVE_LOAD_STATUSES = (LoadStatus.PENDING, LoadStatus.RUNNING)


class Destination(TenantOwnedModel):
    """A database a tenant's connectors are loaded into."""

    #: The name the audit trail gives this kind of object (``core.activity``'s ``target_type``).
    activity_noun = "destination"

    name = models.CharField(max_length=255, validators=[validate_display_name])
    type = models.CharField(
        max_length=16, choices=DestinationType.choices, default=DestinationType.POSTGRESQL
    )
    # Either a DSN (encrypted: it may hold the password) or host / port / database / user / password.
    dsn = EncryptedTextField(blank=True, default="")
    host = models.CharField(max_length=255, blank=True, default="")
    port = models.PositiveIntegerField(default=5432)
    database = models.CharField(max_length=255, blank=True, default="")
    username = models.CharField(max_length=255, blank=True, default="")
    password = EncryptedTextField(blank=True, default="")
    sslmode = models.CharField(max_length=16, choices=SslMode.choices, default=SslMode.PREFER)
    target_schema = models.CharField(max_length=255, default="public")
    deleted_rows = models.CharField(max_length=8, choices=DeletedRows.choices, default=DeletedRows.DELETE)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="unique_destination_name_per_tenant")
        ]

    def __str__(self):
        return self.name


class DestinationAttachment(TenantOwnedModel):
    """A connector loaded into a destination: its table and the column names chosen for its fields."""

    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="attachments")
    connector = models.ForeignKey(CONNECTOR_MODEL, on_delete=models.CASCADE, related_name="+")
    table_name = models.CharField(max_length=255)
    # How column names are made from field paths. Attachments made before there was a choice are
    # as_is (migration 0003); it cannot change once names were given (columns not empty).
    column_names = models.CharField(
        max_length=16, choices=ColumnNames.choices, default=ColumnNames.SNAKE_CASE
    )
    # {field key: column name}; names are given once and kept (see services/naming.py)
    columns = models.JSONField(default=dict, blank=True)
    # The last change sequence loaded (a copy of the checkpoint that lives in the destination).
    high_water = models.BigIntegerField(default=0)
    # When rows last reached the destination or a load found it up to date: a batch's commit, and
    # the end of every successful load (its finished_at, rows or not).
    last_load_at = models.DateTimeField(null=True, blank=True)
    # A load started over from sequence 0 (a full reload, a table or column dropped outside) and has
    # not reached its end yet: the next load goes on with it, and removes the rows of records the
    # connector no longer has when it ends (a failed reload left them).
    reload_pending = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["destination", "connector"], name="unique_attachment"),
            models.UniqueConstraint(fields=["destination", "table_name"], name="unique_attachment_table"),
        ]

    def __str__(self):
        return f"{self.connector_id} → {self.destination_id}.{self.table_name}"


class DestinationLoad(TenantOwnedModel):
    """One load run: a connector's changes since the destination's high-water mark."""

    #: The name the audit trail gives this kind of object (``core.activity``'s ``target_type``).
    activity_noun = "destination_load"

    class Trigger(models.TextChoices):
        SYNC = "sync", "After a sync"
        API = "api", "API"
        UI = "ui", "Web UI"
        MANUAL = "manual", "Command line"

    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="loads")
    connector = models.ForeignKey(CONNECTOR_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=LoadStatus.choices, default=LoadStatus.PENDING)
    triggered_by = models.CharField(max_length=8, choices=Trigger.choices, default=Trigger.API)
    # Reload every record from the start of the change feed (the checkpoint reset), then remove the
    # rows of records MigrateIQ no longer has.
    full_reload = models.BooleanField(default=False)
    from_seq = models.BigIntegerField(null=True, blank=True)
    to_seq = models.BigIntegerField(null=True, blank=True)
    rows_upserted = models.PositiveBigIntegerField(default=0)
    rows_deleted = models.PositiveBigIntegerField(default=0)
    batches = models.PositiveIntegerField(default=0)
    columns_added = models.PositiveIntegerField(default=0)
    columns_widened = models.PositiveIntegerField(default=0)
    duration_seconds = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(blank=True, default="")
    events = models.JSONField(default=list, blank=True)  # [{"at", "level", "message"}], bounded

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["destination", "connector"],
                condition=Q(status__in=["PENDING", "RUNNING"]),
                name="one_active_load_per_destination_connector",
            )
        ]
        indexes = [models.Index(fields=["destination", "-created_at"], name="load_destination_created")]

    def __str__(self):
        into = f"destination {self.destination_id}"
        return f"load {self.pk} of connector {self.connector_id} into {into} ({self.status})"
