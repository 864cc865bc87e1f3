from django.db import migrations

from core.secret_fields import MIN_LENGTH_FOR_HINT


def drop_hints_of_short_secrets(apps, schema_editor):
    """Hints are shown only for secrets of MIN_LENGTH_FOR_HINT characters or more (it was 8)."""
    Endpoint = apps.get_model("webhooks", "WebhookEndpoint")
    for webhook in Endpoint.objects.exclude(secret_last4="").only("pk", "secret"):
        if len(webhook.secret or "") < MIN_LENGTH_FOR_HINT:
            Endpoint.objects.filter(pk=webhook.pk).update(secret_last4="")


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
    ]

    operations = [migrations.RunPython(drop_hints_of_short_secrets, migrations.RunPython.noop)]
