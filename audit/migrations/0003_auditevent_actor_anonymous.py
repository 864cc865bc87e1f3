"""Whether an event's missing actor was an anonymous request (a refused sign-in) or the system."""

from django.db import migrations, models

from audit.sqlite_triggers import drop_before_rebuild, restore_after_rebuild


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_in_the_database"),
    ]

    operations = [
        # SQLite adds this column by rebuilding the table, which its append-only triggers refuse.
        migrations.RunPython(drop_before_rebuild, migrations.RunPython.noop),
        migrations.AddField(
            model_name="auditevent",
            name="actor_anonymous",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(restore_after_rebuild, migrations.RunPython.noop),
    ]
