"""``Tenant.session_generation``: every token carries the generation of its tenant when it was minted
(``tgen``), and deactivating a tenant (or activating it again) moves it on, so the sign-ins made
before a deactivation stay ended once the tenant is active again. Every tenant starts at 0, the
generation a token minted before the claim existed is taken to be of.

On SQLite Django would add a column that is not null by rebuilding the table, which the audit
trail's triggers on ``tenancy_tenant`` forbid within a ``migrate`` that created them (a new
database): there the column is added in place (``ALTER TABLE … ADD COLUMN … DEFAULT 0``, which
SQLite allows for a constant default), as PostgreSQL adds it."""

from django.db import migrations, models


def _field():
    field = models.PositiveIntegerField(default=0, editable=False)
    field.set_attributes_from_name("session_generation")
    return field


def add_column(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        schema_editor.add_field(apps.get_model("tenancy", "Tenant"), _field())
        return
    schema_editor.execute(
        'ALTER TABLE "tenancy_tenant" ADD COLUMN "session_generation" integer unsigned NOT NULL '
        'DEFAULT 0 CHECK ("session_generation" >= 0)'
    )


def drop_column(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        schema_editor.remove_field(apps.get_model("tenancy", "Tenant"), _field())
        return
    schema_editor.execute('ALTER TABLE "tenancy_tenant" DROP COLUMN "session_generation"')


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0007_refresh_token_rows_keep_a_digest"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="tenant",
                    name="session_generation",
                    field=models.PositiveIntegerField(default=0, editable=False),
                ),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
    ]
