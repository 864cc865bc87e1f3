from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import AuditEvent


class ActorSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    email = serializers.CharField()


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

    @extend_schema_field(ActorSerializer(allow_null=True))
    def get_actor(self, obj):
        if obj.actor_id is None:
            return None  # the system: a schedule, the engine, an operator command
        return {"id": obj.actor_id, "email": obj.actor_email}
