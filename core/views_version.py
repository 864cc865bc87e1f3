"""``GET /api/version/``: the running MigrateIQ version, for operators and the web UI.

Public like the health probes: it carries no tenant data, and an operator checking a rollout
should not need a token for it.
"""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.query_params import RefusesMalformedQueryParamsMixin
from migrateiq.version import __version__


class VersionView(RefusesMalformedQueryParamsMixin, APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
    query_params_accepted = ()

    @extend_schema(
        summary="MigrateIQ version",
        responses=inline_serializer("Version", {"version": serializers.CharField()}),
        auth=[],
    )
    def get(self, request):
        return Response({"version": __version__})
