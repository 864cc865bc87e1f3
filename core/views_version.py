"""``GET /api/version/``: the running MigrateIQ version, for operators and the web UI.

Public like the health probes: it carries no tenant data, and an operator checking a rollout
should not need a token for it.
"""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from migrateiq.version import __version__


@extend_schema(
    summary="MigrateIQ version",
    responses=inline_serializer("Version", {"version": serializers.CharField()}),
    auth=[],
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def version(request):
    return Response({"version": __version__})
