from django.db import migrations, models

BATCH = 500
# How the engine's retry lines read when this migration was written (sync_engine.events).
FURTHER = "Further retries are not logged."


def is_retry_line(line) -> bool:
    return isinstance(line, str) and (
        line == FURTHER or (line.startswith("Page ") and "); retrying in " in line)
    )


def move_retry_lines(apps, schema_editor):
    """Runs ended before the ``retries`` count listed their retry lines among their warnings: count
    them there, and keep the other warnings."""
    SyncLog = apps.get_model("sync_engine", "SyncLog")
    changed = []
    for run in (
        SyncLog.objects.exclude(warnings=[]).only("pk", "warnings", "retries").iterator(chunk_size=BATCH)
    ):
        lines = run.warnings or []
        retry_lines = [line for line in lines if is_retry_line(line)]
        if not retry_lines:
            continue
        run.warnings = [line for line in lines if line not in retry_lines]
        run.retries = sum(1 for line in retry_lines if line != FURTHER)
        changed.append(run)
        if len(changed) >= BATCH:
            SyncLog.objects.bulk_update(changed, ["warnings", "retries"])
            changed = []
    if changed:
        SyncLog.objects.bulk_update(changed, ["warnings", "retries"])


class Migration(migrations.Migration):
    dependencies = [
        ("sync_engine", "0009_synclog_allow_empty"),
    ]

    operations = [
        migrations.AddField(
            model_name="synclog",
            name="retries",
            field=models.PositiveIntegerField(db_default=0, default=0),
        ),
        migrations.RunPython(move_retry_lines, migrations.RunPython.noop),
    ]
