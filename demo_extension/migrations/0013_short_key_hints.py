from django.db import migrations

from core.secret_fields import MIN_LENGTH_FOR_HINT


def drop_hints_of_short_keys(apps, schema_editor):
    """Hints are shown only for keys of MIN_LENGTH_FOR_HINT characters or more (it was 8)."""
    Connector = apps.get_model("demo_extension", "CustomDataConnector")
    for connector in Connector.objects.exclude(api_key_last4="").only("pk", "api_key"):
        if len(connector.api_key or "") < MIN_LENGTH_FOR_HINT:
            Connector.objects.filter(pk=connector.pk).update(api_key_last4="")


class Migration(migrations.Migration):
    dependencies = [
        ("demo_extension", "0012_engine_models_move_to_sync_engine"),
    ]

    operations = [migrations.RunPython(drop_hints_of_short_keys, migrations.RunPython.noop)]
