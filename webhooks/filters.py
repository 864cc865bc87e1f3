"""Query-string filters of the webhooks API. The endpoint is filtered by id with a number filter,
never a model-choice filter (which would validate the id against every tenant's rows)."""

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

from webhooks import models

MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class DeliveryFilter(django_filters.FilterSet):
    endpoint = IdFilter(field_name="endpoint_id", help_text="Webhook endpoint id.")
    status = django_filters.ChoiceFilter(choices=models.DeliveryStatus.choices)
    event = django_filters.ChoiceFilter(
        choices=[(e, e) for e in (*models.EVENTS, models.PING)], help_text="One event name."
    )

    class Meta:
        model = models.WebhookDelivery
        fields = ["endpoint", "status", "event"]
