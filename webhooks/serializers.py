"""Input and output shapes of the webhooks API. The signing secret is write-only: it appears once,
in the answer to the creation that generated it (``EndpointCreatedSerializer``)."""

from urllib.parse import urlsplit

from rest_framework import serializers

from core.save_warnings import SaveWarningsMixin, checked_url
from core.secret_fields import is_secret_set, last4_hint
from core.strict_input import StrictTypesMixin
from core.url_fields import EXPLAINED_URL_FIELDS
from webhooks import models
from webhooks.services import signing

MAX_EVENTS = 20
#: How an admin who saved a URL whose host name the web server could not resolve finds out whether
#: the workers, which send the deliveries, reach it (``core.egress.saved_unresolved_warning``).
UNRESOLVED_HOST_NEXT_STEP = "the delivery log shows whether they reach it"


class WebhookEndpointSerializer(StrictTypesMixin, SaveWarningsMixin, serializers.ModelSerializer):
    serializer_field_mapping = EXPLAINED_URL_FIELDS
    secret = serializers.CharField(
        write_only=True,
        required=False,
        min_length=16,
        max_length=200,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Write-only signing secret (HMAC-SHA256), encrypted at rest. Omit it on creation to have "
        "one generated (returned once, in the creation's answer); omit it on a change to keep it.",
    )
    has_secret = serializers.SerializerMethodField()
    secret_hint = serializers.CharField(
        source="secret_last4", read_only=True, help_text="Its last four characters."
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=[*models.EVENTS, *models.FAMILY_EVENTS, models.ALL_EVENTS]),
        allow_empty=False,
        min_length=1,
        max_length=MAX_EVENTS,
        help_text=f'The events delivered: {", ".join(models.EVENTS)}; "sync.*" for every end of a sync, '
        '"load.*" for every load\'s, or "*" for all of them.',
    )

    class Meta:
        model = models.WebhookEndpoint
        fields = [
            "id",
            "name",
            "url",
            "secret",
            "has_secret",
            "secret_hint",
            "events",
            "payload_format",
            "is_active",
            "warnings",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def get_has_secret(self, obj) -> bool:
        return is_secret_set(obj, "secret")

    def validate_url(self, value: str) -> str:
        if urlsplit(value).username is not None:
            raise serializers.ValidationError("A webhook URL may not hold a user name or password.")
        # a host name that does not resolve here is saved with a warning, as a connector's
        return checked_url(value, self.save_warnings, then=UNRESOLVED_HOST_NEXT_STEP)

    def validate_name(self, value: str) -> str:
        tenant = self.context["request"].tenant
        taken = models.WebhookEndpoint.objects.filter(tenant=tenant, name=value)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError("This tenant has a webhook endpoint with that name already.")
        return value

    def validate_events(self, value: list[str]) -> list[str]:
        return sorted(set(value))

    def create(self, validated_data):
        validated_data.setdefault("secret", signing.new_secret())
        validated_data["secret_last4"] = last4_hint(validated_data["secret"])
        return super().create(validated_data)

    def update(self, instance, validated_data):
        if "secret" in validated_data:
            validated_data["secret_last4"] = last4_hint(validated_data["secret"])
        return super().update(instance, validated_data)


class EndpointCreatedSerializer(WebhookEndpointSerializer):
    """The creation's answer: the endpoint and, this once, its signing secret."""

    signing_secret = serializers.SerializerMethodField(
        help_text="The signing secret, shown this once: store it where the receiver verifies signatures."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "signing_secret"]

    def get_signing_secret(self, obj) -> str:
        return obj.secret


class WebhookDeliverySerializer(serializers.ModelSerializer):
    endpoint_name = serializers.CharField(source="endpoint.name", read_only=True)

    class Meta:
        model = models.WebhookDelivery
        fields = [
            "id",
            "delivery_id",
            "endpoint",
            "endpoint_name",
            "event",
            "payload",
            "status",
            "attempts",
            "max_attempts",
            "response_status_code",
            "error",
            "next_attempt_at",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields
