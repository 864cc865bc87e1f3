"""``Tenant.session_generation``: every token carries the generation of its tenant when it was minted
(``tgen``), and deactivating a tenant (or activating it again) moves it on, so the sign-ins made
before a deactivation stay ended once the tenant is active again. Every tenant starts at 0, the
generation a token minted before the claim existed is taken to be of. The database keeps the default
too (``db_default``): rows written through an earlier state of the models (a data migration) get 0.

On SQLite Django would add a column that is not null by rebuilding the table, which the audit
trail's triggers on ``tenancy_tenant`` forbid within a ``migrate`` that created them (a new
database): there the column is added in place (``ALTER TABLE … ADD COLUMN … DEFAULT 0``, which
SQLite allows for a constant default), as PostgreSQL adds it."""

from django.db import migrations, models


def _field(model):
    field = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    field.set_attributes_from_name("session_generation")
    field.model = model
    return field


def add_column(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        tenant = apps.get_model("tenancy", "Tenant")
        schema_editor.add_field(tenant, _field(tenant))
        return
    schema_editor.execute(
        'ALTER TABLE "tenancy_tenant" ADD COLUMN "session_generation" integer unsigned NOT NULL '
        'DEFAULT 0 CHECK ("session_generation" >= 0)'
    )


def drop_column(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        tenant = apps.get_model("tenancy", "Tenant")
        schema_editor.remove_field(tenant, _field(tenant))
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
                    field=models.PositiveIntegerField(default=0, db_default=0, editable=False),
                ),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
    ]
