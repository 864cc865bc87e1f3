"""The change feed (a change sequence and a tombstone on every record, a counter per connector) and
the inferred schema of each connector.

Records stored before this migration get their row id as change sequence (increasing, unique per
connector) and each connector's counter starts at its highest one, so the feed starts with every
existing record and later changes come after them. Their schema fills in as syncs write records.
"""

import django.db.models.deletion
from django.db import migrations, models


def number_existing_records(apps, schema_editor):
    SyncedRecord = apps.get_model("demo_extension", "SyncedRecord")
    RecordChangeCounter = apps.get_model("demo_extension", "RecordChangeCounter")
    SyncedRecord.objects.update(change_seq=models.F("id"))
    highest = SyncedRecord.objects.values("connector_id").annotate(top=models.Max("id"))
    RecordChangeCounter.objects.bulk_create(
        RecordChangeCounter(connector_id=row["connector_id"], last_seq=row["top"]) for row in highest
    )


class Migration(migrations.Migration):

    dependencies = [
        ('demo_extension', '0010_connector_request_budget'),
    ]

    operations = [
        migrations.CreateModel(
            name='ConnectorSchema',
            fields=[
                ('connector', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='inferred_schema', serialize=False, to='demo_extension.customdataconnector')),
                ('fields', models.JSONField(default=dict)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name='RecordChangeCounter',
            fields=[
                ('connector', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='demo_extension.customdataconnector')),
                ('last_seq', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name='syncedrecord',
            name='change_seq',
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name='syncedrecord',
            name='seen_in_sync_log_id',
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='syncedrecord',
            name='deleted_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='syncedrecord',
            index=models.Index(fields=['connector', 'change_seq', 'id'], name='record_connector_change_seq'),
        ),
        migrations.RunPython(number_existing_records, migrations.RunPython.noop),
    ]
