from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import AuditEvent
from audit.selectors import activity_models, existing_objects, object_references


class ActorSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="The user's id; null for an anonymous request.")
    email = serializers.CharField(help_text="The user's email at the time; empty for an anonymous request.")
    anonymous = serializers.BooleanField(
        help_text="A request nobody had signed in to (a refused sign-in: the email it tried is the "
        "event's detail.email, which names no proven person)."
    )


class ObjectReferenceSerializer(serializers.Serializer):
    where = serializers.CharField(
        help_text='Where the event names it: "target" (target_type / target_id) or a key of detail '
        '(e.g. "connector_id").'
    )
    type = serializers.CharField(help_text="The kind of object (a target_type value).")
    id = serializers.CharField()
    exists = serializers.BooleanField(help_text="False once the object has been deleted.")
    name = serializers.CharField(
        allow_null=True,
        help_text="The object's name now (a connector's, a destination's, a webhook's); null for a "
        "deleted object and for a kind of object without a name.",
    )


class AuditEventListSerializer(serializers.ListSerializer):
    """A page of events, with whether the objects they name exist asked once for the whole page."""

    def to_representation(self, data):
        events = list(data.all() if hasattr(data, "all") else data)
        if events:
            self.context["existing_objects"] = existing_objects(events, events[0].tenant_id)
        return super().to_representation(events)


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    objects = serializers.SerializerMethodField()
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
            "objects",
        ]
        read_only_fields = fields
        list_serializer_class = AuditEventListSerializer

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

    @extend_schema_field(
        ObjectReferenceSerializer(
            many=True,
            help_text="The objects the event names (its target, and detail's <type>_id values) and "
            "whether each still exists, for a link to it (by its name) or a word that it was deleted.",
        )
    )
    def get_objects(self, obj):
        existing = self.context.get("existing_objects")
        if existing is None:
            existing = existing_objects([obj], obj.tenant_id)
        return [
            {
                "where": where,
                "type": noun,
                "id": pk,
                "exists": (noun, pk) in existing,
                "name": existing.get((noun, pk)),
            }
            for where, noun, pk in object_references(obj, activity_models())
        ]


class AuditValuesSerializer(serializers.Serializer):
    actions = serializers.ListField(
        child=serializers.CharField(), help_text="The actions recorded in the tenant's trail, sorted."
    )
    target_types = serializers.ListField(
        child=serializers.CharField(), help_text="The kinds of object acted on in the tenant's trail, sorted."
    )
