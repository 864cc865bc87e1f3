from django.db import migrations

from core.secret_fields import refresh_hints


def refresh_api_key_last4(apps, schema_editor):
    """Hints of connector keys only for secrets long enough (core.secret_fields.MIN_LENGTH_FOR_HINT)."""
    refresh_hints(apps.get_model("demo_extension", "CustomDataConnector").objects.all(), "api_key", "api_key_last4")


class Migration(migrations.Migration):
    dependencies = [
        ("demo_extension", "0012_engine_models_move_to_sync_engine"),
    ]

    operations = [migrations.RunPython(refresh_api_key_last4, migrations.RunPython.noop)]
