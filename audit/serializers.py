from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import AuditEvent


class ActorSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="The user's id; null for an anonymous request.")
    email = serializers.CharField(help_text="The user's email at the time; empty for an anonymous request.")
    anonymous = serializers.BooleanField(
        help_text="A request nobody had signed in to (a refused sign-in: the email it tried is the "
        "event's detail.email, which names no proven person)."
    )


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    fields = serializers.ListField(
        child=serializers.CharField(), help_text="Names of the fields set or changed."
    )
    detail = serializers.DictField()

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "action",
            "target_type",
            "target_id",
            "fields",
            "detail",
            "ip",
            "request_id",
        ]
        read_only_fields = fields

    @extend_schema_field(
        ActorSerializer(
            allow_null=True,
            help_text="Who did it: a signed-in user, an anonymous request (anonymous: true), or null for "
            "the system (a schedule, the engine, an operator command).",
        )
    )
    def get_actor(self, obj):
        if obj.actor_anonymous:
            return {"id": None, "email": "", "anonymous": True}
        if obj.actor_id is None:
            return None  # the system: a schedule, the engine, an operator command
        return {"id": obj.actor_id, "email": obj.actor_email, "anonymous": False}


class AuditValuesSerializer(serializers.Serializer):
    actions = serializers.ListField(
        child=serializers.CharField(), help_text="The actions recorded in the tenant's trail, sorted."
    )
    target_types = serializers.ListField(
        child=serializers.CharField(), help_text="The kinds of object acted on in the tenant's trail, sorted."
    )
