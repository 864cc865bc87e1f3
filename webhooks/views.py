"""The webhooks API: thin viewsets on the tenancy base classes (scoping and roles live there).

Every route is for the tenant's admins: a webhook sends the tenant's data out of MigrateIQ, and an
endpoint's URL can itself be a credential (Slack's incoming webhooks).
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.activity import changed_fields
from core.interactive import bounded_upstream_call
from core.secret_fields import with_secret_flags
from core.throttling import ThrottledActionsMixin
from tenancy.models import Role
from tenancy.serializers import ErrorSerializer
from tenancy.viewsets import TenantScopedModelViewSet, TenantScopedReadOnlyViewSet
from webhooks import models
from webhooks import serializers as api
from webhooks.filters import DeliveryFilter
from webhooks.services import deliveries
from webhooks.services.endpoints import endpoint_deleted, endpoint_saved

_ERR = OpenApiResponse(ErrorSerializer)
_OBJECT_ERRORS = {401: _ERR, 403: _ERR, 404: _ERR}
_WRITE_ERRORS = {400: _ERR, 401: _ERR, 403: _ERR, 404: _ERR}
_LIST_ERRORS = {400: _ERR, 401: _ERR, 403: _ERR, 404: _ERR}
_ADMIN: dict[str, str] = {
    action: Role.ADMIN
    for action in ("list", "retrieve", "create", "update", "partial_update", "destroy", "test")
}
TAGS = ["webhooks"]


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses={200: api.WebhookEndpointSerializer(many=True), **_LIST_ERRORS}),
    retrieve=extend_schema(tags=TAGS, responses={200: api.WebhookEndpointSerializer, **_OBJECT_ERRORS}),
    create=extend_schema(
        tags=TAGS,
        responses={201: api.EndpointCreatedSerializer, 400: _ERR, 401: _ERR, 403: _ERR, 409: _ERR},
        description="Add an endpoint. Its signing secret (given, or generated when omitted) is in this "
        "answer's `signing_secret`, and never again.",
    ),
    update=extend_schema(tags=TAGS, responses={200: api.WebhookEndpointSerializer, **_WRITE_ERRORS}),
    partial_update=extend_schema(tags=TAGS, responses={200: api.WebhookEndpointSerializer, **_WRITE_ERRORS}),
    destroy=extend_schema(tags=TAGS, responses={204: None, **_OBJECT_ERRORS}),
)
class WebhookEndpointViewSet(ThrottledActionsMixin, TenantScopedModelViewSet):
    """The tenant's webhook endpoints: where sync and load events are POSTed, signed."""

    tenant_quota = "MIGRATEIQ_TENANT_MAX_WEBHOOK_ENDPOINTS"

    queryset = models.WebhookEndpoint.objects.all()
    serializer_class = api.WebhookEndpointSerializer
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "id"]
    required_roles = _ADMIN
    # Shares the connection tests' per-user budget: both make a request to a URL the tenant chose.
    throttled_actions = {"test": "test_connection"}

    def scope_queryset(self, queryset):
        if self.action == "list":
            return with_secret_flags(queryset, ["secret"])
        return queryset

    def perform_create(self, serializer):
        serializer.save(tenant=self.request.tenant)
        fields = {*serializer.validated_data, "secret"}  # a secret was given or generated
        endpoint_saved(serializer.instance, created=True, fields=fields, actor=self.request.user)

    def perform_update(self, serializer):
        fields = changed_fields(serializer.instance, serializer.validated_data)
        serializer.save()
        endpoint_saved(serializer.instance, fields=fields, actor=self.request.user)

    def perform_destroy(self, instance):
        pk = instance.pk
        super().perform_destroy(instance)
        endpoint_deleted(instance, pk, actor=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        answer = api.EndpointCreatedSerializer(serializer.instance, context=self.get_serializer_context())
        answer.save_warnings.extend(serializer.save_warnings)
        return Response(answer.data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=TAGS,
        request=None,
        responses={200: api.WebhookDeliverySerializer, **_OBJECT_ERRORS},
        description="Send a signed `ping` event to the endpoint now (one attempt, no retry) and answer "
        "with its delivery, a 200 whether or not the receiver took it: `status` success or failed, the "
        "receiver's status code, the error (a non-2xx means no ping was sent). Bounded "
        "like a connection test: one at a time per user and MIGRATEIQ_TENANT_INTERACTIVE_SLOTS per "
        "tenant, within the interactive deadline.",
    )
    @bounded_upstream_call
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        delivery = deliveries.send_ping(self.get_object())
        return Response(api.WebhookDeliverySerializer(delivery).data)


@extend_schema_view(
    list=extend_schema(
        tags=TAGS,
        responses={200: api.WebhookDeliverySerializer(many=True), **_LIST_ERRORS},
        description="The delivery log, newest first; `?endpoint=<id>`, `?status=`, `?event=` narrow it.",
    ),
    retrieve=extend_schema(tags=TAGS, responses={200: api.WebhookDeliverySerializer, **_OBJECT_ERRORS}),
)
class WebhookDeliveryViewSet(TenantScopedReadOnlyViewSet):
    """What was sent to the tenant's endpoints, each attempt's outcome and the next retry."""

    queryset = models.WebhookDelivery.objects.select_related("endpoint")
    serializer_class = api.WebhookDeliverySerializer
    filterset_class = DeliveryFilter
    search_fields: list[str] = []
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
    required_roles = {"list": Role.ADMIN, "retrieve": Role.ADMIN}
