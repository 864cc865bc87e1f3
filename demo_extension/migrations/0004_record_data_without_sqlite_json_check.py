"""SyncedRecord.data without SQLite's per-row ``CHECK (JSON_VALID(data))`` (see RecordDataField).

SQLite cannot drop a constraint in place: Django rebuilds the records table (a one-time copy of the
rows). Nothing changes on PostgreSQL, whose ``jsonb`` column has no such check.
"""

import demo_extension.models
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('demo_extension', '0003_record_source_checksum'),
    ]

    operations = [
        migrations.AlterField(
            model_name='syncedrecord',
            name='data',
            field=demo_extension.models.RecordDataField(),
        ),
    ]
