from django.db import migrations

from core.secret_fields import refresh_hints


def refresh_secret_last4(apps, schema_editor):
    """Hints of webhook secrets only for secrets long enough (core.secret_fields.MIN_LENGTH_FOR_HINT)."""
    refresh_hints(apps.get_model("webhooks", "WebhookEndpoint").objects.all(), "secret", "secret_last4")


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
    ]

    operations = [migrations.RunPython(refresh_secret_last4, migrations.RunPython.noop)]
