"""SyncedRecord.source_checksum: a keyed hash of the raw record and the rules that transformed it.

Added with a plain ``ALTER TABLE … ADD COLUMN … DEFAULT ''`` on every database: SQLite would
otherwise copy the whole records table, PostgreSQL adds the column without rewriting it. Existing
records get ``''`` (no match), so the first re-sync after the upgrade transforms every record once
and stores its source checksum.
"""

from django.db import migrations, models

TABLE = '"demo_extension_syncedrecord"'


class Migration(migrations.Migration):
    dependencies = [
        ("demo_extension", "0002_records_without_redundant_fk_checks"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="syncedrecord",
                    name="source_checksum",
                    field=models.CharField(blank=True, db_default="", default="", max_length=32),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=f"ALTER TABLE {TABLE} ADD COLUMN \"source_checksum\" varchar(32) DEFAULT '' NOT NULL",
                    reverse_sql=f'ALTER TABLE {TABLE} DROP COLUMN "source_checksum"',
                ),
            ],
        ),
    ]
