"""The destinations API: thin viewsets on the tenancy base classes (scoping and roles live there)."""

from dataclasses import asdict

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
from rest_framework.response import Response

from core.activity import changed_fields
from core.exceptions import Conflict
from core.interactive import bounded_upstream_call
from destinations import models
from destinations import serializers as api
from destinations.services import attachments, loads
from destinations.services.destinations import destination_deleted, destination_saved
from destinations.services.registry import driver_for
from tenancy.models import Role
from tenancy.serializers import ErrorSerializer
from tenancy.viewsets import TenantScopedModelViewSet

_ERR = OpenApiResponse(ErrorSerializer)
_OBJECT_ERRORS = {401: _ERR, 403: _ERR, 404: _ERR}
_WRITE_ERRORS = {400: _ERR, 401: _ERR, 403: _ERR, 404: _ERR}
# Lists: a bad filter value is a 400, a page past the end a 404.
_LIST_ERRORS = {400: _ERR, 401: _ERR, 403: _ERR, 404: _ERR}


def _problem(exc: Exception) -> serializers.ValidationError:
    return serializers.ValidationError({getattr(exc, "field", "connector"): [str(exc)]})


@extend_schema_view(
    list=extend_schema(
        tags=["destinations"], responses={200: api.DestinationSerializer(many=True), **_LIST_ERRORS}
    ),
    retrieve=extend_schema(
        tags=["destinations"], responses={200: api.DestinationSerializer, **_OBJECT_ERRORS}
    ),
    create=extend_schema(
        tags=["destinations"],
        responses={201: api.DestinationSerializer, 400: _ERR, 401: _ERR, 403: _ERR, 409: _ERR},
    ),
    update=extend_schema(tags=["destinations"], responses={200: api.DestinationSerializer, **_WRITE_ERRORS}),
    partial_update=extend_schema(
        tags=["destinations"], responses={200: api.DestinationSerializer, **_WRITE_ERRORS}
    ),
    destroy=extend_schema(tags=["destinations"], responses={204: None, **_OBJECT_ERRORS}),
)
class DestinationViewSet(TenantScopedModelViewSet):
    """The tenant's destinations (PostgreSQL databases), the connectors loaded into each, their loads."""

    tenant_quota = "MIGRATEIQ_TENANT_MAX_DESTINATIONS"

    queryset = models.Destination.objects.prefetch_related("attachments")
    serializer_class = api.DestinationSerializer
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]
    required_roles = {
        "test_connection": Role.EDITOR,
        "attach": Role.EDITOR,
        "change_attachment": Role.EDITOR,
        "detach": Role.EDITOR,
        "load": Role.EDITOR,
        "loads": Role.VIEWER,
        "stats": Role.VIEWER,
        "destroy": Role.ADMIN,
    }

    def perform_create(self, serializer):
        serializer.save(tenant=self.request.tenant, created_by=self.request.user)
        destination_saved(
            serializer.instance, created=True, fields=serializer.validated_data, actor=self.request.user
        )

    def perform_update(self, serializer):
        fields = changed_fields(serializer.instance, serializer.validated_data)
        serializer.save()
        destination_saved(serializer.instance, fields=fields, actor=self.request.user)

    def perform_destroy(self, instance):
        pk = instance.pk
        super().perform_destroy(instance)
        loads.invalidate_load_stats(instance.tenant_id)  # its loads went with it
        destination_deleted(instance, pk, actor=self.request.user)

    @extend_schema(
        tags=["destinations"],
        request=None,
        responses={200: api.ConnectionCheckSerializer, **_OBJECT_ERRORS, 429: _ERR},
        examples=[
            OpenApiExample(
                "Connected",
                response_only=True,
                value={"connected": True, "message": "Connected (PostgreSQL 16.4)", "response_time_ms": 12.3},
            ),
            OpenApiExample(
                "Not connected",
                response_only=True,
                value={
                    "connected": False,
                    "message": 'password authentication failed for user "loader"',
                    "response_time_ms": 41.0,
                },
            ),
        ],
        description="Connect to the destination once (through the egress guard) and report the result: "
        "a 200 whether or not it connected, as a connector's test answers; `connected` is the result, "
        "false with `message` saying why (a refused address, a wrong password, a missing database). A "
        "non-2xx means the test did not run. A user has one call at a time that holds a web thread "
        "(this one, connector tests and "
        "previews, waits for a run) and a tenant MIGRATEIQ_TENANT_INTERACTIVE_SLOTS (2): another one "
        "is a 429 saying which limit it hit, with Retry-After.",
    )
    @bounded_upstream_call
    @action(detail=True, methods=["post"])
    def test_connection(self, request, pk=None):
        destination = self.get_object()
        result = driver_for(destination.type).check_connection(destination)
        return Response(api.ConnectionCheckSerializer(asdict(result)).data)

    @extend_schema(
        tags=["destinations"],
        request=api.AttachInputSerializer,
        responses={201: api.AttachmentSerializer, **_WRITE_ERRORS},
        description="Load a connector into this destination (table `table_name` in the target schema, "
        "columns named by `column_names`).",
    )
    @action(detail=True, methods=["post"])
    def attach(self, request, pk=None):
        destination = self.get_object()
        data = api.AttachInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            attachment = attachments.attach(
                destination,
                data.validated_data["connector"],
                data.validated_data.get("table_name"),
                data.validated_data["column_names"],
                actor=request.user,
            )
        except attachments.AttachmentProblem as exc:
            raise _problem(exc) from None
        return Response(api.AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=["destinations"],
        request=api.AttachmentChangeSerializer,
        responses={200: api.AttachmentSerializer, **_WRITE_ERRORS},
        description="Change how an attached connector's columns are named (`column_names`). Names "
        "are given once, at its first load, and kept: once they are, a change is refused (400).",
    )
    @action(detail=True, methods=["patch"], url_path="attachment")
    def change_attachment(self, request, pk=None):
        destination = self.get_object()
        data = api.AttachmentChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            attachment = attachments.attachment_of(destination, data.validated_data["connector"])
        except attachments.AttachmentProblem as exc:
            raise _problem(exc) from None
        try:
            attachment = attachments.set_column_names(attachment, data.validated_data["column_names"])
        except attachments.ColumnNamesFixed as exc:
            raise serializers.ValidationError({"column_names": [str(exc)]}) from None
        return Response(api.AttachmentSerializer(attachment).data)

    @extend_schema(
        tags=["destinations"],
        request=api.ConnectorInputSerializer,
        responses={204: None, **_WRITE_ERRORS},
        description="Stop loading a connector into this destination (its table is left as it is).",
    )
    @action(detail=True, methods=["post"])
    def detach(self, request, pk=None):
        destination = self.get_object()
        data = api.ConnectorInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            attachments.detach(destination, data.validated_data["connector"], actor=request.user)
        except attachments.AttachmentProblem as exc:
            raise _problem(exc) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=["destinations"],
        request=api.LoadInputSerializer,
        parameters=[
            OpenApiParameter(
                "trigger",
                OpenApiTypes.STR,
                enum=list(api.LOAD_TRIGGERS),
                description="Recorded as the loads' triggered_by: api (default) or ui (started from "
                "the web UI).",
            )
        ],
        responses={
            202: api.LoadsStartedSerializer,
            **_WRITE_ERRORS,
            409: OpenApiResponse(ErrorSerializer, description="A load of that connector is in progress."),
        },
        description="Load the changes since the destination's checkpoint, for one attached connector or "
        "all of them, in the background; `full_reload`: every record again, from the start. Follow "
        "the loads in `GET …/loads/`.",
    )
    @action(
        detail=True, methods=["post"], query_params_accepted=tuple(api.LoadTriggerQuerySerializer().fields)
    )
    def load(self, request, pk=None):
        destination = self.get_object()
        options = api.LoadTriggerQuerySerializer(data=request.query_params)
        options.is_valid(raise_exception=True)
        data = api.LoadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        connector_id = data.validated_data.get("connector")
        if connector_id is None:
            targets = list(destination.attachments.all())
            if not targets:
                raise serializers.ValidationError(
                    {"connector": ["No connector is attached to this destination."]}
                )
        else:
            try:
                targets = [attachments.attachment_of(destination, connector_id)]
            except attachments.AttachmentProblem as exc:
                raise _problem(exc) from None
        started = []
        for attachment in targets:
            try:
                started.append(
                    loads.start_load(
                        attachment,
                        triggered_by=options.validated_data["trigger"],
                        user=request.user,
                        full_reload=data.validated_data["full_reload"],
                    )
                )
            except loads.LoadAlreadyRunning as exc:
                if connector_id is not None:
                    raise Conflict(str(exc), load_id=exc.active_load_id) from None
        return Response(api.LoadsStartedSerializer({"loads": started}).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        tags=["destinations"],
        responses={200: api.LoadSerializer(many=True), **_LIST_ERRORS},
        description="The destination's loads, newest first, with their log lines.",
    )
    @action(detail=True, methods=["get"], filter_backends=[], query_params_accepted=())
    def loads(self, request, pk=None):
        destination = self.get_object()
        history = models.DestinationLoad.objects.filter(tenant=request.tenant, destination=destination)
        page = self.paginate_queryset(history.order_by("-created_at", "-id"))
        return self.get_paginated_response(api.LoadSerializer(page, many=True).data)

    @extend_schema(
        tags=["destinations"],
        responses={200: api.DestinationStatsSerializer, 401: _ERR, 403: _ERR},
        description="Counts of the tenant's destinations and loads.",
    )
    @action(
        detail=False, methods=["get"], filter_backends=[], pagination_class=None, query_params_accepted=()
    )
    def stats(self, request):
        return Response(attachments.destination_stats(request.tenant))
