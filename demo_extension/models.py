"""The connectors extension's data: connectors (how to call an API and map its records).

Runs, stored records, quarantine, the change counter and the inferred schema belong to the sync
engine (``sync_engine.models``); they are importable from here too, as the seed documents them.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.display_names import validate_display_name
from core.encryption import EncryptedTextField
from sync_engine.models import (  # noqa: F401  (the seed's names, importable from the module)
    ACTIVE_SYNC_STATUSES,
    FINISHED_SYNC_STATUSES,
    ConnectorSchema,
    RecordChangeCounter,
    RecordDataField,
    SchemaPolicy,
    SyncedRecord,
    SyncLog,
    SyncLogEvent,
    SyncRecordError,
    SyncStatus,
    TriggeredBy,
)
from tenancy.models import TenantOwnedModel


class SyncFrequency(models.TextChoices):
    MANUAL = "MANUAL", "Manual"
    HOURLY = "HOURLY", "Hourly"
    DAILY = "DAILY", "Daily"
    WEEKLY = "WEEKLY", "Weekly"


class Weekday(models.IntegerChoices):
    """The day of a weekly schedule (``sync_weekday``), as Python counts them: Monday is 0."""

    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class RequestMethod(models.TextChoices):
    GET = "GET", "GET: the pagination parameters in the query string"
    POST = "POST", "POST: request_body as JSON, with the pagination parameters in it"


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


def default_pagination():
    return {"type": "auto"}


#: When a connector syncs: the frequency and its optional anchor (services.schedule), edited by the
#: API, the admin and the UI.
CONNECTOR_SCHEDULE_FIELDS = ("sync_frequency", "sync_time", "sync_weekday")

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
    "request_method",
    "request_body",
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
    "schema_policy",
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

    #: The name the audit trail gives this kind of object (``core.activity``'s ``target_type``).
    activity_noun = "connector"

    name = models.CharField(max_length=255, validators=[validate_display_name])
    # Which registered source reads this connector's data (sync_engine.sources); "rest": its API.
    source_type = models.CharField(max_length=32, default="rest", db_default="rest", editable=False)
    api_endpoint = models.URLField(max_length=2048)
    api_key = EncryptedTextField(blank=True, default="")
    # Kept apart from the ciphertext so lists never decrypt; shown as "…abcd".
    api_key_last4 = models.CharField(max_length=4, blank=True, default="", editable=False)
    sync_frequency = models.CharField(
        max_length=8, choices=SyncFrequency.choices, default=SyncFrequency.DAILY
    )
    # The schedule's anchor, in UTC (services.schedule): the time of day of HOURLY (its minutes),
    # DAILY and WEEKLY syncs, and the day of WEEKLY ones. Null: one interval from the last save/run.
    sync_time = models.TimeField(null=True, blank=True)
    sync_weekday = models.PositiveSmallIntegerField(null=True, blank=True, choices=Weekday.choices)
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
    # Credentials an API wants besides the one of auth_type (Datadog's DD-APPLICATION-KEY beside
    # DD-API-KEY, Trello's token beside its key): {"headers": {...}, "query": {...}} as JSON text,
    # encrypted; their names are kept apart in clear so that the API can show which are set.
    secret_params = EncryptedTextField(blank=True, default="")
    secret_param_names = models.JSONField(default=dict, blank=True, editable=False)
    request_headers = models.JSONField(default=dict, blank=True)
    query_params = models.JSONField(default=dict, blank=True)
    # Search and query endpoints (Notion database queries, HubSpot search) take POST with a JSON body;
    # the paginator's parameters then go into that body instead of the query string.
    request_method = models.CharField(max_length=4, choices=RequestMethod.choices, default=RequestMethod.GET)
    request_body = models.JSONField(default=dict, blank=True)
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
    # What a run does with a page that would change the inferred schema (the sync engine reads it).
    schema_policy = models.CharField(
        max_length=8,
        choices=SchemaPolicy.choices,
        default=SchemaPolicy.EVOLVE,
        db_default=SchemaPolicy.EVOLVE,
    )

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
