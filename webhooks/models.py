"""Webhook endpoints of a tenant and the log of what was sent to them."""

import uuid

from django.db import models

from core.display_names import validate_display_name
from core.encryption import EncryptedTextField
from tenancy.models import TenantOwnedModel

#: The events an endpoint can subscribe to ("*": all of them). "ping" is the test action's event,
#: sent whatever the filter says.
EVENTS = ("sync.succeeded", "sync.partial", "sync.failed", "sync.cancelled", "load.finished", "load.failed")
ALL_EVENTS = "*"
#: Every event of one kind: every end of a sync (succeeded, partial, failed, cancelled), every load's.
FAMILY_EVENTS = ("sync.*", "load.*")
PING = "ping"


class PayloadFormat(models.TextChoices):
    JSON = "json", "JSON envelope"
    SLACK = "slack", 'Slack-compatible ({"text": ...})'


class WebhookEndpoint(TenantOwnedModel):
    #: The name the audit trail gives this kind of object (``core.activity``'s ``target_type``).
    activity_noun = "webhook"

    name = models.CharField(max_length=200, validators=[validate_display_name])
    url = models.URLField(
        max_length=2000, help_text="Where deliveries are POSTed (checked by the egress guard)."
    )
    secret = EncryptedTextField(help_text="The signing secret (HMAC-SHA256), encrypted at rest.")
    secret_last4 = models.CharField(max_length=4, blank=True, default="", editable=False)
    events = models.JSONField(default=list, help_text='Event names, or ["*"] for every event.')
    payload_format = models.CharField(max_length=8, choices=PayloadFormat.choices, default=PayloadFormat.JSON)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="webhook_endpoint_unique_name"),
        ]

    def __str__(self):
        return self.name

    def wants(self, event: str) -> bool:
        family = f"{event.partition('.')[0]}.*"
        return event == PING or ALL_EVENTS in self.events or event in self.events or family in self.events


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCESS = "success", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(TenantOwnedModel):
    """One event for one endpoint: the payload, each attempt's outcome, and when to try again."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(max_length=32)
    payload = models.JSONField()
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    #: 1 for the test action's ping (no retry); the module's maximum for events.
    max_attempts = models.PositiveSmallIntegerField(default=1)
    response_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["tenant", "-created_at"], name="webhook_delivery_tenant"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint"),
        ]

    def __str__(self):
        return f"{self.event} → {self.endpoint_id} ({self.status})"
