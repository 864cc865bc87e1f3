"""Refresh tokens stored whole in Simple JWT's ``OutstandingToken.token`` (every rotation's, and a
sign-out's) are replaced by their digest (``sha256:<hex>``, as ``tenancy.services.SessionRefreshToken``
now stores them): a copy of the database no longer holds live sessions. The blacklist reads only the
``jti``, so every token keeps working, and a spent one stays refused. Not reversible to the tokens;
reversing leaves the digests."""

import hashlib

from django.db import migrations

PREFIX = "sha256:"
BATCH = 1000


def keep_digests(apps, schema_editor):
    OutstandingToken = apps.get_model("token_blacklist", "OutstandingToken")
    rows = OutstandingToken.objects.exclude(token__startswith=PREFIX).only("id", "token")
    while True:
        batch = list(rows.order_by("id")[:BATCH])
        if not batch:
            return
        for row in batch:
            row.token = PREFIX + hashlib.sha256(row.token.encode()).hexdigest()
        OutstandingToken.objects.bulk_update(batch, ["token"])


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0006_names_refuse_control_characters"),
        ("token_blacklist", "0013_alter_blacklistedtoken_options_and_more"),
    ]

    operations = [migrations.RunPython(keep_digests, migrations.RunPython.noop, elidable=True)]
