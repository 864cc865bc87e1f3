"""An index on Simple JWT's ``OutstandingToken.expires_at`` (its model has none): the hourly purge of
expired refresh tokens (``tenancy.services.purge_expired_refresh_tokens``) selects by it, and the
table gains a row for every sign-in and every refresh, so without it each purge reads the whole
table. The model is a third party's, so the index is made here, by name, on either database."""

from django.db import migrations

INDEX = "tenancy_outstandingtoken_expires_at"


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0004_ended_session_signed_out"),
        ("token_blacklist", "0013_alter_blacklistedtoken_options_and_more"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON token_blacklist_outstandingtoken (expires_at)",
            reverse_sql=f"DROP INDEX IF EXISTS {INDEX}",
        )
    ]
