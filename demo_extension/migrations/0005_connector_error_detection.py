"""A connector's ``error_detection``: how an error answered with HTTP 200 is recognised."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("demo_extension", "0004_record_data_without_sqlite_json_check"),
    ]

    operations = [
        migrations.AddField(
            model_name="customdataconnector",
            name="error_detection",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
