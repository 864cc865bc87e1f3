"""``GET /api/audit/events/``: the tenant's audit trail, for its admins."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.permissions import IsAuthenticated

from audit.filters import AuditEventFilter
from audit.models import AuditEvent
from audit.serializers import AuditEventSerializer
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
