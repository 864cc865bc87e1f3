"""The connectors API: thin viewsets on the tenancy base classes (scoping and roles live there).

Each action parses its input, calls one service and serializes the result.
"""

from dataclasses import asdict

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from core.activity import changed_fields
from core.exceptions import Conflict
from core.filters import filter_errors
from core.interactive import bounded_upstream_call, holds_read_slot, interactive_slot
from core.secret_fields import with_secret_flags
from core.throttling import ThrottledActionsMixin
from demo_extension import filters, models
from demo_extension import serializers as api
from demo_extension.selectors import (
    cached_sync_activity,
    cached_tenant_stats,
    change_feed,
    recent_run_statuses,
    schema_profile_view,
    schema_view,
    with_last_run_warnings,
    with_running_sync_id,
)
from demo_extension.services.connectors import (
    ConnectorBusy,
    connector_saved,
    delete_connector,
    record_export,
    save_with_unique_name,
)
from demo_extension.services.credentials import SECRET_FIELDS
from demo_extension.services.preview import preview_connector, unsaved_connector, with_overrides
from demo_extension.services.sync import DataSyncService
from sync_engine import export
from sync_engine import queue as runs
from sync_engine.schema import unknown_top_level_field
from sync_engine.search import search_records
from tenancy.models import Role
from tenancy.serializers import ErrorSerializer
from tenancy.viewsets import TenantScopedModelViewSet, TenantScopedReadOnlyViewSet

_ERR = OpenApiResponse(ErrorSerializer)
_READ_ERRORS = {401: _ERR, 403: _ERR}
# Lists: a bad filter value is a 400, a page past the end a 404.
_LIST_ERRORS = {400: _ERR, 401: _ERR, 403: _ERR, 404: _ERR}
_OBJECT_ERRORS = {401: _ERR, 403: _ERR, 404: _ERR}
_WRITE_ERRORS = {400: _ERR, 401: _ERR, 403: _ERR, 404: _ERR}

_FULL_REFRESH = OpenApiParameter(
    "full_refresh",
    OpenApiTypes.BOOL,
    description="Ignore the incremental cursor and fetch every record again.",
)
_ALLOW_EMPTY = OpenApiParameter(
    "allow_empty",
    OpenApiTypes.BOOL,
    description="With full_refresh=true only (else 400): when the refresh reads every page and gets no "
    "record while records are stored, mark every stored record deleted and succeed. Without it such a "
    "run deletes nothing and fails, since an empty answer is more often an error answered as a "
    "success than an emptied source.",
)
_WAIT = OpenApiParameter(
    "wait",
    OpenApiTypes.FLOAT,
    description="Seconds (0 to 60) to wait for the run to finish: 200 with the finished log, else 202 "
    "with the pending or running log. Default: the server's MIGRATEIQ_SYNC_WAIT_SECONDS (5). The wait "
    "is cut to the server's MIGRATEIQ_SYNC_MAX_WAIT_SECONDS (5) to keep web threads free; poll the "
    "sync log for longer runs. A wait holds a web thread, so it takes one of the interactive slots "
    "(one per user, MIGRATEIQ_TENANT_INTERACTIVE_SLOTS per tenant, shared with connection tests and "
    "previews): when none is free the run is started all the same and answered at once, without "
    "waiting (202 with the pending or running log, as after a wait that ran out).",
)
_TRIGGER = OpenApiParameter(
    "trigger",
    OpenApiTypes.STR,
    enum=list(api.SYNC_TRIGGERS),
    description="Recorded as the run's triggered_by: api (default) or ui (started from the web UI).",
)
_SYNC_RESPONSES = {
    200: OpenApiResponse(api.SyncLogSerializer, description="The run finished within `wait` seconds."),
    202: OpenApiResponse(
        api.SyncLogSerializer,
        description="The run is still pending or running (after the wait, or at once when no "
        "interactive slot was free for the wait).",
    ),
    400: _ERR,
    401: _ERR,
    403: _ERR,
    404: _ERR,
    409: OpenApiResponse(
        ErrorSerializer, description="A run of this connector is in progress; `sync_log_id` names it."
    ),
    429: _ERR,
}


_PREVIEW_DESCRIPTION = (
    "Fetch at most 2 pages as a sync would (same auth and egress rules, one attempt) and show the "
    "detected pagination and records path, primary-key and incremental-cursor candidates, the fields "
    "with types and sample values, up to 20 records raw and transformed, and warnings. Nothing is "
    "stored. An upstream failure is `ok: false` with the error."
)
_PREVIEW_EXAMPLES = [
    OpenApiExample(
        "Preview of a paged users API",
        response_only=True,
        value={
            "ok": True,
            "error": None,
            "status_code": 200,
            "response_time_ms": 41.7,
            "pages_fetched": 2,
            "records_path": "data",
            "records_path_detected": True,
            "pagination": {
                "type": "page",
                "config": {"type": "page", "page_param": "page", "start_page": 1},
                "detected": True,
                "description": "page (parameter 'page')",
                "reason": "The body reports page numbers or a page count.",
                "has_more": True,
            },
            "records_in_pages": 50,
            "primary_key": "id",
            "primary_key_candidates": [{"path": "id", "unique_in_sample": True, "present_in": 20}],
            "cursor_candidates": [
                {
                    "path": "updated_at",
                    "kind": "timestamp",
                    "min": "2024-01-01T00:00:00Z",
                    "max": "2024-01-20T00:00:00Z",
                    "increasing": True,
                }
            ],
            "fields": [
                {"path": "id", "types": ["integer"], "present_in": 20, "samples": [1, 2, 3]},
                {"path": "address.city", "types": ["string"], "present_in": 20, "samples": ["Lyon"]},
            ],
            "records": [
                {
                    "raw": {"id": 1, "address": {"city": "Lyon"}},
                    "transformed": {"id": 1, "city": "Lyon"},
                    "error": None,
                }
            ],
            "warnings": ["field_mappings: the source field 'full_name' appears in no sample record."],
        },
    )
]


def _parse_sync_options(request) -> tuple[dict, float]:
    """The run's options (``triggered_by``, ``full_refresh``, ``allow_empty``) and the wait, from the
    query string. A body that says anything is refused, not ignored: ``{"full_refresh": true}`` sent
    as the body would otherwise start an ordinary sync without a word."""
    body = request.data
    if body not in (None, "", [], {}) and not (hasattr(body, "keys") and not list(body.keys())):
        named = ", ".join(sorted(str(key) for key in body.keys())) if hasattr(body, "keys") else ""
        raise serializers.ValidationError(
            {
                "body": [
                    "This action takes its options in the query string, not in the body, e.g. "
                    "?full_refresh=true&wait=30; send no body (or {})."
                    + (f" The body named: {named[:200]}." if named else "")
                ]
            }
        )
    options = api.SyncTriggerQuerySerializer(data=request.query_params)
    options.is_valid(raise_exception=True)
    wait = options.validated_data.get("wait")
    if wait is None:
        wait = settings.MIGRATEIQ_SYNC_WAIT_SECONDS
    run = {
        "triggered_by": options.validated_data["trigger"],
        "full_refresh": options.validated_data["full_refresh"],
        "allow_empty": options.validated_data["allow_empty"],
    }
    return run, min(wait, settings.MIGRATEIQ_SYNC_MAX_WAIT_SECONDS)


def _run_response(request, sync_log, wait: float) -> Response:
    """The run after waiting up to ``wait`` s for it, in an interactive slot (``core.interactive``):
    without a free one (the user's or the tenant's), the run is answered at once (no wait), started
    all the same."""
    if wait <= 0:
        return _run_status(runs.wait_for(sync_log, 0))
    with interactive_slot(request, wait) as refused:
        return _run_status(runs.wait_for(sync_log, 0 if refused else wait))


def _run_status(sync_log) -> Response:
    code = status.HTTP_200_OK if sync_log.is_finished else status.HTTP_202_ACCEPTED
    return Response(api.SyncLogSerializer(sync_log).data, status=code)


def _already_running(exc: runs.SyncAlreadyRunning) -> Conflict:
    return Conflict(str(exc), sync_log_id=exc.active_log_id)


class FormatParameterIsTheFileFormat(DefaultContentNegotiation):
    """The export's ``?format=ndjson|csv`` names the file it streams, not one of DRF's renderers (DRF
    would answer 404 to a format it cannot render): its JSON errors use the first renderer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema_view(
    list=extend_schema(
        tags=["connectors"], responses={200: api.ConnectorSerializer(many=True), **_LIST_ERRORS}
    ),
    retrieve=extend_schema(tags=["connectors"], responses={200: api.ConnectorSerializer, **_OBJECT_ERRORS}),
    create=extend_schema(
        tags=["connectors"],
        responses={201: api.ConnectorSerializer, 400: _ERR, 401: _ERR, 403: _ERR, 409: _ERR},
        examples=[
            OpenApiExample(
                "The seed's connector",
                request_only=True,
                value={
                    "name": "Customer Database API",
                    "api_endpoint": "https://jsonplaceholder.typicode.com/users",
                    "api_key": "demo-key",
                    "sync_frequency": "DAILY",
                },
            )
        ],
    ),
    update=extend_schema(tags=["connectors"], responses={200: api.ConnectorSerializer, **_WRITE_ERRORS}),
    partial_update=extend_schema(
        tags=["connectors"], responses={200: api.ConnectorSerializer, **_WRITE_ERRORS}
    ),
    destroy=extend_schema(
        tags=["connectors"],
        responses={204: None, **_OBJECT_ERRORS, 409: _ERR},
        description="Delete the connector with its runs, stored records and loads. Its active syncs are "
        "cancelled first; a sync that keeps writing while the delete runs makes it a 409 (nothing "
        "deleted): delete again in a few seconds.",
    ),
)
class CustomDataConnectorViewSet(ThrottledActionsMixin, TenantScopedModelViewSet):
    """The tenant's connectors: external REST APIs, how to call them and how to map their records."""

    tenant_quota = "MIGRATEIQ_TENANT_MAX_CONNECTORS"

    queryset = models.CustomDataConnector.objects.select_related("created_by")
    serializer_class = api.ConnectorSerializer
    filterset_class = filters.ConnectorFilter
    search_fields = ["name"]
    ordering_fields = ["name", "created_at", "updated_at", "last_sync_at", "next_sync_at", "records_count"]
    ordering = ["name"]
    required_roles = {
        "test_connection": Role.EDITOR,
        "preview": Role.EDITOR,
        "preview_saved": Role.EDITOR,
        "sync_data": Role.EDITOR,
        "sync_history": Role.VIEWER,
        "records": Role.VIEWER,
        "stats": Role.VIEWER,
        "stats_history": Role.VIEWER,
        "export": Role.VIEWER,
        "changes": Role.VIEWER,
        "inferred_schema": Role.VIEWER,
        "schema_profile": Role.VIEWER,
        "destroy": Role.ADMIN,
    }
    throttled_actions = {
        "test_connection": "test_connection",
        "preview": "test_connection",
        "preview_saved": "test_connection",
        "sync_data": "sync_data",
    }

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["recent_statuses"] = self._recent_statuses
        return context

    _recent_statuses: dict | None = None

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if self.action == "list" and page is not None:
            # The list's status dots: the page's connectors' latest runs in one query.
            self._recent_statuses = recent_run_statuses([connector.pk for connector in page])
        return page

    def scope_queryset(self, queryset):
        if self.action in ("list", "retrieve"):
            # Reading a connector never needs a decrypted secret, only whether there is one.
            queryset = with_running_sync_id(with_secret_flags(queryset, SECRET_FIELDS))
            queryset = with_last_run_warnings(queryset)
        return queryset

    def _save_unique(self, serializer, **extra):
        name = serializer.validated_data.get("name") or getattr(serializer.instance, "name", "")
        save_with_unique_name(lambda: serializer.save(**extra), name)

    def perform_create(self, serializer):
        self._save_unique(serializer, tenant=self.request.tenant, created_by=self.request.user)
        connector_saved(
            serializer.instance, created=True, fields=serializer.validated_data, actor=self.request.user
        )

    def perform_update(self, serializer):
        fields = changed_fields(serializer.instance, serializer.validated_data)
        self._save_unique(serializer)
        connector_saved(serializer.instance, fields=fields, actor=self.request.user)

    def perform_destroy(self, instance):
        try:
            delete_connector(instance, actor=self.request.user)
        except ConnectorBusy as exc:
            raise Conflict(str(exc)) from None

    @extend_schema(
        tags=["connectors"],
        request=None,
        responses={200: api.ConnectionResultSerializer, **_OBJECT_ERRORS, 429: _ERR},
        description="Call the connector's endpoint once (first page) and report whether it answered. "
        "The answer is a 200 whether or not it connected (the seed contract's shape): `connected` is "
        "the result, false when the API could not be reached or refused the request, with `message` "
        "saying why and `status_code` the API's answer, if any. A non-2xx means the test did not run "
        "(401, 403, 404, 429). `tested` is false when nothing was sent because the connector's "
        "requests are paused (an "
        "earlier 429 or Retry-After): `connected` is then false too, and `message` says for how long. "
        "`retry_after` is the seconds until the connector's requests go out again after the API asked "
        "to slow down (null when they are not paused). "
        "The call ends within the server's MIGRATEIQ_INTERACTIVE_DEADLINE_SECONDS (10 s); a user has "
        "one such call at a time and a tenant MIGRATEIQ_TENANT_INTERACTIVE_SLOTS (another one is a "
        "429 naming the limit).",
        examples=[
            OpenApiExample(
                "Connected",
                response_only=True,
                value={
                    "connected": True,
                    "response_time_ms": 245.67,
                    "message": "Connection successful",
                    "endpoint": "https://jsonplaceholder.typicode.com/users",
                    "status_code": 200,
                    "tested": True,
                    "retry_after": None,
                },
            ),
            OpenApiExample(
                "Not connected",
                response_only=True,
                value={
                    "connected": False,
                    "response_time_ms": 81.2,
                    "message": "HTTP 401 from https://api.example.com/customers after 1 attempt",
                    "endpoint": "https://api.example.com/customers",
                    "status_code": 401,
                    "tested": True,
                    "retry_after": None,
                },
            ),
            OpenApiExample(
                "Rate limited",
                response_only=True,
                value={
                    "connected": False,
                    "response_time_ms": 64.0,
                    "message": "HTTP 429 from https://api.example.com/customers after 1 attempt",
                    "endpoint": "https://api.example.com/customers",
                    "status_code": 429,
                    "tested": True,
                    "retry_after": 30.0,
                },
            ),
        ],
    )
    @bounded_upstream_call
    @action(detail=True, methods=["post"])
    def test_connection(self, request, pk=None):
        result = DataSyncService(self.get_object()).check_connection()
        return Response(api.ConnectionResultSerializer(asdict(result)).data)

    @extend_schema(
        tags=["connectors"],
        operation_id="demo_extension_connectors_preview_create",
        request=api.ConnectorPreviewInputSerializer,
        responses={200: api.PreviewSerializer, 400: _ERR, 401: _ERR, 403: _ERR, 429: _ERR},
        description=_PREVIEW_DESCRIPTION + " The body is an unsaved connector, validated as on create "
        "(the name is optional).",
        examples=_PREVIEW_EXAMPLES,
    )
    @bounded_upstream_call
    @action(detail=False, methods=["post"], url_path="preview", filter_backends=[], pagination_class=None)
    def preview(self, request):
        config = api.ConnectorPreviewInputSerializer(data=request.data, context=self.get_serializer_context())
        config.is_valid(raise_exception=True)
        result = preview_connector(unsaved_connector(request.tenant, config.validated_data))
        return Response(api.PreviewSerializer(asdict(result)).data)

    @extend_schema(
        tags=["connectors"],
        operation_id="demo_extension_connectors_preview_saved_create",
        request=api.ConnectorSerializer,
        responses={200: api.PreviewSerializer, **_WRITE_ERRORS, 429: _ERR},
        description=_PREVIEW_DESCRIPTION + " Of the saved connector; the optional body overrides fields "
        "for this preview only (validated as on PATCH: moving stored credentials elsewhere needs the "
        "admin role and the credentials again).",
    )
    @bounded_upstream_call
    @action(detail=True, methods=["post"], url_path="preview", url_name="preview-saved")
    def preview_saved(self, request, pk=None):
        connector = self.get_object()
        overrides = api.ConnectorSerializer(
            connector, data=request.data, partial=True, context=self.get_serializer_context()
        )
        overrides.is_valid(raise_exception=True)
        result = preview_connector(with_overrides(connector, overrides.validated_data))
        return Response(api.PreviewSerializer(asdict(result)).data)

    @extend_schema(
        tags=["connectors"],
        request=None,
        parameters=[_FULL_REFRESH, _ALLOW_EMPTY, _WAIT, _TRIGGER],
        responses=_SYNC_RESPONSES,
        description="Start a sync run in the background and wait up to `wait` seconds for it.",
    )
    @action(
        detail=True, methods=["post"], query_params_accepted=tuple(api.SyncTriggerQuerySerializer().fields)
    )
    def sync_data(self, request, pk=None):
        connector = self.get_object()
        options, wait = _parse_sync_options(request)
        try:
            sync_log = runs.start_sync(connector, user=request.user, **options)
        except runs.SyncAlreadyRunning as exc:
            raise _already_running(exc) from None
        return _run_response(request, sync_log, wait)

    @extend_schema(
        tags=["connectors"],
        responses={200: api.SyncLogSerializer(many=True), **_OBJECT_ERRORS},
        description="The connector's sync runs, newest first.",
    )
    @action(detail=True, methods=["get"], filter_backends=[], query_params_accepted=())
    def sync_history(self, request, pk=None):
        connector = self.get_object()
        logs = runs.with_resume_facts(
            models.SyncLog.objects.filter(tenant=request.tenant, connector=connector).select_related(
                "connector"
            )
        )
        page = self.paginate_queryset(logs.order_by("-created_at", "-id"))
        return self.get_paginated_response(api.SyncLogSerializer(page, many=True).data)

    @extend_schema(
        tags=["connectors"],
        parameters=[
            OpenApiParameter("external_id", OpenApiTypes.STR, description="The record's upstream id."),
            OpenApiParameter("sync", OpenApiTypes.INT, description="Records last written by this sync log."),
            OpenApiParameter(
                "ordering",
                OpenApiTypes.STR,
                pattern=api.RECORD_ORDERING_PATTERN,
                description="external_id (default) sorts numeric ids as numbers: 2 before 10; "
                "last_synced_at; data.<field> a top-level field of the record (numbers as numbers, "
                "then text in any case, then booleans, then lists and objects; records without the "
                "field last in both directions; ties by id). Prefix - for descending. A sort by a "
                "field reads all the connector's records (no index serves it).",
            ),
            OpenApiParameter(
                "field", OpenApiTypes.STR, description="Dotted field of the record to search in."
            ),
            OpenApiParameter("value", OpenApiTypes.STR, description="Text the field contains (any case)."),
        ],
        responses={200: api.SyncedRecordSerializer(many=True), **_WRITE_ERRORS},
        description="The connector's synced records (after transformation), by external id.",
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        query_params_accepted=(*filters.SyncedRecordFilter.base_filters, *api.RecordQuerySerializer().fields),
    )
    def records(self, request, pk=None):
        connector = self.get_object()
        records = models.SyncedRecord.objects.filter(tenant=request.tenant, connector=connector)
        filterset = filters.SyncedRecordFilter(request.query_params, queryset=records, request=request)
        if not filterset.is_valid():
            raise filter_errors(filterset)
        query = api.RecordQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        ordering = query.validated_data["ordering"].lstrip("-")
        if ordering.startswith(filters.DATA_ORDERING_PREFIX):
            field = ordering[len(filters.DATA_ORDERING_PREFIX) :]
            if unknown_top_level_field(connector.pk, field):
                raise serializers.ValidationError(
                    {
                        "ordering": [
                            f"No stored record has a top-level field {field!r} (the connector's schema "
                            "lists its fields: GET .../schema/); a sort by it would change nothing."
                        ]
                    }
                )
        records = search_records(filterset.qs, *(query.search() or (None, None)))
        self.page_bytes_field = "data"  # a page of large records is refused before it is read
        page = self.paginate_queryset(filters.order_records(records, query.validated_data["ordering"]))
        return self.get_paginated_response(api.SyncedRecordSerializer(page, many=True).data)

    @extend_schema(
        tags=["connectors"],
        parameters=[api.ExportQuerySerializer],
        responses={
            (200, "application/x-ndjson"): OpenApiResponse(
                OpenApiTypes.STR, description="One stored record (JSON) a line."
            ),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="RFC 4180 CSV, a header row of dotted field paths (the schema's fields, or "
                "`fields`; before anything is stored, the connector's primary_key, so an empty export is "
                "a header row); formula-like cells (after leading whitespace too, full-width signs included) "
                "prefixed with an apostrophe (not with `spreadsheet_safe=false`, which writes live formulas "
                "as stored).",
            ),
            **_WRITE_ERRORS,
            429: _ERR,
        },
        description="Download the connector's records, streamed (any size; `Content-Disposition: "
        "attachment`, named `<connector>-<id>-records.ndjson` or `.csv`, `-records-raw.csv` with "
        "`spreadsheet_safe=false`). Records a full refresh marked deleted are left out unless "
        "`include_deleted=true`; `field` and `value` export only the records the records list's "
        "search shows. One export or field profile per user at a time (a download holds a web thread "
        "until it ends): another is a 429 with `Retry-After`.",
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        content_negotiation_class=FormatParameterIsTheFileFormat,
        query_params_accepted=tuple(api.ExportQuerySerializer().fields),
    )
    @holds_read_slot
    def export(self, request, pk=None):
        connector = self.get_object()
        params = api.ExportQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        try:
            options = export.ExportOptions(
                format=params.validated_data["format"],
                since=params.validated_data["since"],
                fields=export.parse_fields(params.validated_data.get("fields")),
                include_deleted=params.validated_data["include_deleted"],
                spreadsheet_safe=params.validated_data["spreadsheet_safe"],
                search=params.search(),
                columns_without_schema=(connector.primary_key or "id",),
            )
        except export.ExportParameterError as exc:
            raise serializers.ValidationError({"fields": [str(exc)]}) from None
        problem = export.unknown_fields_problem(connector.pk, options.fields, options.include_deleted)
        if problem:
            raise serializers.ValidationError({"fields": [problem]})
        record_export(connector, options, actor=request.user)
        response = StreamingHttpResponse(
            export.stream_export(connector.pk, options), content_type=export.CONTENT_TYPES[options.format]
        )
        response["Content-Disposition"] = export.content_disposition(connector, options)
        response["Cache-Control"] = "no-store"
        # A proxy in front (Compose's nginx buffers answers, D1) passes the stream on as it comes
        # instead of holding an export of any size in its temporary files (a tmpfs: memory).
        response["X-Accel-Buffering"] = "no"
        return response

    @extend_schema(
        tags=["connectors"],
        parameters=[api.ChangesQuerySerializer],
        responses={200: api.ChangeFeedSerializer, **_WRITE_ERRORS},
        description="The records changed after `after`, in change-sequence order (a record appears once, "
        "with its latest state; `op: delete` is a tombstone). Continue with `after=next_after` while "
        "`has_more`: a page holds fewer than `limit` changes when their data would pass the server's "
        "MIGRATEIQ_API_MAX_PAGE_BYTES (16 MiB by default; one change at least).",
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        query_params_accepted=tuple(api.ChangesQuerySerializer().fields),
    )
    def changes(self, request, pk=None):
        connector = self.get_object()
        params = api.ChangesQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        options = params.validated_data
        return Response(change_feed(connector.pk, after=options["after"], limit=options["limit"]))

    @extend_schema(
        tags=["connectors"],
        responses={200: api.ConnectorSchemaSerializer, **_OBJECT_ERRORS},
        description="The fields seen in the connector's stored records, with their JSON types (updated "
        "by every sync): `updated_at` says when the schema last changed, `checked_at` when a sync last "
        "confirmed it.",
    )
    # "schema" is DRF's name for a view's OpenAPI generator: the action needs another name.
    @action(
        detail=True,
        methods=["get"],
        url_path="schema",
        filter_backends=[],
        pagination_class=None,
        query_params_accepted=(),
    )
    def inferred_schema(self, request, pk=None):
        connector = self.get_object()
        return Response(api.ConnectorSchemaSerializer(schema_view(connector.pk)).data)

    @extend_schema(
        tags=["connectors"],
        parameters=[api.SchemaProfileQuerySerializer],
        responses={200: api.ConnectorSchemaProfileSerializer, **_WRITE_ERRORS, 429: _ERR},
        description="For each field of the schema: how many of the connector's most recently changed "
        "live records (at most `sample`, default 10,000; `sampled` of `total`) have it, hold null, an "
        'empty string (""), and how many distinct values (exact up to `distinct_cap`). Computed on '
        "each request (a read of up to `sample` records).",
        examples=[
            OpenApiExample(
                "Two fields of 3 records",
                response_only=True,
                value={
                    "connector": 2,
                    "sample": 10000,
                    "sampled": 3,
                    "total": 3,
                    "distinct_cap": 1000,
                    "truncated": False,
                    "schema_updated_at": "2026-12-01T10:00:00Z",
                    "fields": [
                        {
                            "path": "address.city",
                            "parts": ["address", "city"],
                            "present": 2,
                            "present_share": 0.6667,
                            "null": 1,
                            "null_share": 0.3333,
                            "empty": 0,
                            "empty_share": 0.0,
                            "distinct": 1,
                            "distinct_over_cap": False,
                        }
                    ],
                },
            )
        ],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="schema/profile",
        url_name="schema-profile",
        filter_backends=[],
        pagination_class=None,
        query_params_accepted=tuple(api.SchemaProfileQuerySerializer().fields),
    )
    @holds_read_slot
    def schema_profile(self, request, pk=None):
        connector = self.get_object()
        query = api.SchemaProfileQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(
            api.ConnectorSchemaProfileSerializer(
                schema_profile_view(connector.pk, query.validated_data["sample"])
            ).data
        )

    @extend_schema(
        tags=["connectors"],
        responses={200: api.ConnectorStatsSerializer, **_READ_ERRORS},
        description="Statistics of the tenant's connectors and sync runs (cached until they change).",
    )
    @action(
        detail=False, methods=["get"], filter_backends=[], pagination_class=None, query_params_accepted=()
    )
    def stats(self, request):
        return Response(cached_tenant_stats(request.tenant))

    @extend_schema(
        tags=["connectors"],
        parameters=[api.SyncActivityQuerySerializer],
        responses={200: api.SyncActivitySerializer, 400: _ERR, 401: _ERR, 403: _ERR},
        description="The tenant's sync runs per UTC day (by status) and records processed, for the "
        "dashboard's charts (cached until they change).",
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="stats/history",
        url_name="stats-history",
        filter_backends=[],
        pagination_class=None,
        query_params_accepted=tuple(api.SyncActivityQuerySerializer().fields),
    )
    def stats_history(self, request):
        query = api.SyncActivityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        days = cached_sync_activity(request.tenant, query.validated_data["days"])
        return Response(api.SyncActivitySerializer({"days": days}).data)


@extend_schema_view(
    list=extend_schema(tags=["sync logs"], responses={200: api.SyncLogSerializer(many=True), **_LIST_ERRORS}),
    retrieve=extend_schema(
        tags=["sync logs"], responses={200: api.SyncLogDetailSerializer, **_OBJECT_ERRORS}
    ),
)
class SyncLogViewSet(ThrottledActionsMixin, TenantScopedReadOnlyViewSet):
    """The tenant's sync runs: status, counters, log lines and quarantined records."""

    queryset = models.SyncLog.objects.select_related("connector")
    serializer_class = api.SyncLogSerializer
    filterset_class = filters.SyncLogFilter
    search_fields = ["connector__name", "error_message"]
    ordering_fields = ["created_at", "started_at", "finished_at", "duration_seconds", "records_processed"]
    ordering = ["-created_at", "-id"]
    required_roles = {
        "errors": Role.VIEWER,
        "events": Role.VIEWER,
        "cancel": Role.EDITOR,
        "resume": Role.EDITOR,
    }
    throttled_actions = {"resume": "sync_data"}

    def scope_queryset(self, queryset):
        return runs.with_resume_facts(queryset)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return api.SyncLogDetailSerializer
        return super().get_serializer_class()

    @extend_schema(
        tags=["sync logs"],
        responses={200: api.SyncRecordErrorSerializer(many=True), **_OBJECT_ERRORS},
        description="Records of this run that failed transformation or validation (the quarantine).",
    )
    @action(detail=True, methods=["get"], filter_backends=[], query_params_accepted=())
    def errors(self, request, pk=None):
        sync_log = self.get_object()
        quarantined = models.SyncRecordError.objects.filter(tenant=request.tenant, sync_log=sync_log)
        self.page_bytes_field = "raw_payload"  # a page of large records is refused before it is read
        page = self.paginate_queryset(quarantined.order_by("id"))
        return self.get_paginated_response(api.SyncRecordErrorSerializer(page, many=True).data)

    @extend_schema(
        tags=["sync logs"],
        parameters=[
            OpenApiParameter(
                "debug",
                OpenApiTypes.BOOL,
                description="Also list the debug lines (how the run was carried out, such as where its "
                "pages were built): for operators; left out by default.",
            )
        ],
        responses={200: api.SyncLogEventSerializer(many=True), **_WRITE_ERRORS},
        description="The run's log lines, oldest first (debug lines only with ?debug=true).",
    )
    @action(detail=True, methods=["get"], filter_backends=[], query_params_accepted=("debug",))
    def events(self, request, pk=None):
        sync_log = self.get_object()
        options = api.SyncLogEventsQuerySerializer(data=request.query_params)
        options.is_valid(raise_exception=True)
        lines = sync_log.events.all()
        if not options.validated_data["debug"]:
            lines = lines.exclude(level=models.SyncLogEvent.Level.DEBUG)
        page = self.paginate_queryset(lines.order_by("at", "id"))
        return self.get_paginated_response(api.SyncLogEventSerializer(page, many=True).data)

    @extend_schema(
        tags=["sync logs"],
        request=None,
        responses={200: api.SyncLogSerializer, **_WRITE_ERRORS, 409: _ERR},
        description="Stop a running sync at its next page boundary (what was committed stays); "
        "a pending one is cancelled at once. A run that has already finished is a 409 saying how it "
        "ended (as a resume the run's state refuses).",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        sync_log = self.get_object()
        try:
            sync_log = runs.cancel_sync(sync_log, user=request.user)
        except ValueError as exc:
            raise Conflict(str(exc)) from None
        return Response(api.SyncLogSerializer(sync_log).data)

    @extend_schema(
        tags=["sync logs"],
        request=None,
        parameters=[_WAIT],
        responses=_SYNC_RESPONSES,
        description="Resume a failed or cancelled run from its last committed page. A run that cannot "
        "resume (not failed or cancelled, no checkpoint, a newer run, a change of what the connector asks "
        "its upstream for: endpoint, query_params, request_headers, records_path, pagination, method, "
        "body, incremental setting, primary_key) is a 409 whose `detail` says why and what changed (the "
        "detail's `cannot_resume_reason`); "
        "another run of the connector in progress is a 409 naming it in `sync_log_id`.",
    )
    @action(detail=True, methods=["post"], query_params_accepted=("wait",))
    def resume(self, request, pk=None):
        sync_log = self.get_object()
        _, wait = _parse_sync_options(request)
        try:
            sync_log = runs.resume_sync(sync_log, user=request.user)
        except runs.SyncAlreadyRunning as exc:
            raise _already_running(exc) from None
        except (runs.CheckpointMismatch, ValueError) as exc:
            # Every refusal of this run's state is one 409 with the reason (cannot_resume_reason).
            raise Conflict(str(exc)) from None
        return _run_response(request, sync_log, wait)
