"""``GET /api/audit/events/``: the tenant's audit trail, for its admins; ``GET
/api/audit/events/values/``: the actions and object types it holds (the filters' suggestions)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from audit.filters import AuditEventFilter
from audit.models import AuditEvent
from audit.selectors import recorded_values
from audit.serializers import AuditEventSerializer, AuditValuesSerializer
from tenancy.permissions import IsTenantAdmin
from tenancy.serializers import ErrorSerializer
from tenancy.viewsets import TenantScopedGenericViewSet, mixins

_ERR = OpenApiResponse(ErrorSerializer)


@extend_schema_view(
    list=extend_schema(
        tags=["audit"],
        responses={200: AuditEventSerializer(many=True), 400: _ERR, 401: _ERR, 403: _ERR, 404: _ERR},
        description="Who did what in this tenant, newest first (admins only).",
    ),
    retrieve=extend_schema(
        tags=["audit"], responses={200: AuditEventSerializer, 401: _ERR, 403: _ERR, 404: _ERR}
    ),
)
class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedGenericViewSet):
    """The tenant's audit events; read-only (they are written by the activity hook only)."""

    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    permission_classes = [IsAuthenticated, IsTenantAdmin]
    filterset_class = AuditEventFilter
    search_fields: list[str] = []
    ordering_fields = ["at"]

    @extend_schema(
        tags=["audit"],
        responses={200: AuditValuesSerializer, 400: _ERR, 401: _ERR, 403: _ERR},
        description="The actions and object types recorded in this tenant's trail, each once, sorted: "
        "the values the action and target_type filters can match (admins only).",
    )
    @action(detail=False, methods=["get"], url_path="values", filter_backends=[], pagination_class=None)
    def values(self, request):
        return Response(AuditValuesSerializer(recorded_values(self.get_queryset())).data)
