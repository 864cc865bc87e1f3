"""``GET /api/status/``: what a member needs to know about the installation as a whole, today
whether its background work runs (``core.background_health``).

Any signed-in member may read it: the web UI shows a banner from it on every page. It names no
host, worker or tenant data.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core import background_health
from core.openapi import ERROR_REF
from core.query_params import RefusesMalformedQueryParamsMixin


class BackgroundStatusSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=background_health.STATES,
        help_text="running: a worker ran the beat's tick within stale_after_seconds; starting: none "
        "has since this server started, less than stale_after_seconds ago; stopped: otherwise "
        "(queued and scheduled syncs, destination loads and webhook deliveries wait).",
    )
    last_tick_at = serializers.DateTimeField(
        allow_null=True, help_text="When a worker last ran the beat's tick; null if never."
    )
    seconds_since_last_tick = serializers.FloatField(allow_null=True)
    stale_after_seconds = serializers.FloatField(
        help_text="MIGRATEIQ_BACKGROUND_STALE_SECONDS: no tick for this long is stopped."
    )
    message = serializers.CharField(help_text="The state in a sentence, with what to do when stopped.")


class StatusSerializer(serializers.Serializer):
    background = BackgroundStatusSerializer()


class StatusView(RefusesMalformedQueryParamsMixin, APIView):
    permission_classes = [IsAuthenticated]
    query_params_accepted = ()

    @extend_schema(
        summary="Installation status: does the background work run",
        tags=["status"],
        responses={
            200: StatusSerializer,
            401: OpenApiResponse(response=ERROR_REF, description="Not signed in."),
        },
        examples=[
            OpenApiExample(
                "Stopped",
                value={
                    "background": {
                        "state": "stopped",
                        "last_tick_at": "2026-12-07T10:12:30Z",
                        "seconds_since_last_tick": 421.7,
                        "stale_after_seconds": 180.0,
                        "message": "Nothing has run in the background for 7 min (last at 10:12 UTC): "
                        f"{background_health.WAITING_WORK} until a Celery worker and the beat "
                        "scheduler run and reach the broker (README, Production).",
                    }
                },
            )
        ],
    )
    def get(self, request):
        return Response(StatusSerializer({"background": background_health.background_status()}).data)
