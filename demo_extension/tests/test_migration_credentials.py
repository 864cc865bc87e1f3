"""Migration 0006 encrypts the Basic user names that earlier versions stored in plain text."""

import pytest
from django.db import connection

from core.encryption import decrypt

BEFORE = ("demo_extension", "0004_record_data_without_sqlite_json_check")
AFTER = ("demo_extension", "0006_connector_auth_credentials")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_plain_text_user_names_are_encrypted_in_place(migrate_to):
    old = migrate_to([BEFORE])
    tenant = old.get_model("tenancy", "Tenant").objects.create(slug="legacy", name="Legacy")
    connector = old.get_model("demo_extension", "CustomDataConnector").objects.create(
        tenant=tenant,
        name="Legacy basic",
        api_endpoint="https://api.example.com/x",
        auth_type="basic",
        auth_username="sk_live_plain_user_name",
    )

    migrate_to([AFTER])

    table = "demo_extension_customdataconnector"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT auth_username FROM {table} WHERE id = %s", [connector.pk])  # noqa: S608
        (stored,) = cursor.fetchone()
    assert stored.startswith("fernet:")
    assert decrypt(stored) == "sk_live_plain_user_name"
