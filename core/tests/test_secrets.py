"""Secrets of the platform: encryption at rest and key rotation of its own encrypted fields, the keys
production refuses to start without, and redaction of registered secrets in every encoding.

The connectors module's secrets (a canary API key hunted everywhere it could leak) are tested with
it: ``demo_extension/tests/test_secrets.py``.
"""

import subprocess
import sys
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from core.tests.test_security_config import BASE_DIR, production_env
from destinations.models import Destination

K1 = Fernet.generate_key().decode()
K2 = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def raw_column(model, column, pk):
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def rotate(*args) -> str:
    out = StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out)
    return out.getvalue()


# --- encryption at rest and key rotation (of a platform model) -----------------------------------


def test_a_platform_secret_is_stored_encrypted_and_rotated_to_the_new_key(tenant_a, settings):
    settings.MIGRATEIQ_FIELD_ENCRYPTION_KEYS = [K1]
    destination = Destination.objects.create(
        tenant=tenant_a, name="warehouse", host="127.0.0.1", database="db", password="db-password-value"
    )
    before = raw_column(Destination, "password", destination.pk)
    assert before.startswith("fernet:") and "password-value" not in before

    settings.MIGRATEIQ_FIELD_ENCRYPTION_KEYS = [K2, K1]
    output = rotate()

    assert "destinations.Destination.password: 1 re-encrypted, 0 already current, 0 unreadable" in output
    settings.MIGRATEIQ_FIELD_ENCRYPTION_KEYS = [K2]
    after = raw_column(Destination, "password", destination.pk)
    assert after != before and after.startswith("fernet:")
    assert Destination.objects.get(pk=destination.pk).password == "db-password-value"
    assert "0 re-encrypted, 1 already current, 0 unreadable" in rotate()


@pytest.mark.parametrize(
    "keys",
    [None, "", " , ", "not-a-fernet-key", f"{K1},short"],
    ids=["unset", "empty", "only-commas", "not-a-key", "second-key-malformed"],
)
def test_production_refuses_to_start_without_valid_field_encryption_keys(tmp_path, keys):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=production_env(tmp_path, MIGRATEIQ_FIELD_ENCRYPTION_KEYS=keys),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "MIGRATEIQ_FIELD_ENCRYPTION_KEYS" in result.stderr
    assert not (tmp_path / "var" / "secrets").exists()


def test_field_encryption_keys_are_not_secret_key_or_the_jwt_key():
    keys = settings.MIGRATEIQ_FIELD_ENCRYPTION_KEYS
    assert settings.SECRET_KEY not in keys
    assert settings.SIMPLE_JWT["SIGNING_KEY"] not in keys


# --- redaction ------------------------------------------------------------------------------------


def test_a_registered_secret_is_redacted_in_every_encoding():
    import base64
    from urllib.parse import quote, quote_plus

    from core.redaction import REDACTED, redact, register_basic_credentials, register_secret

    secret = "k3y/with+odd=chars &more"
    register_secret(secret)
    for form in (secret, quote(secret, safe=""), quote_plus(secret), quote(secret, safe="").lower()):
        assert redact(f"GET /x?appid={form}&page=2") == f"GET /x?appid={REDACTED}&page=2"

    register_basic_credentials("basic-user", "basic-pass")
    token = base64.b64encode(b"basic-user:basic-pass").decode()
    assert token not in redact(f"sent {token} upstream")


def test_an_excerpt_is_redacted_before_it_is_cut_so_no_piece_of_a_secret_shows():
    from core.redaction import REDACTED, redacted_excerpt, register_secret

    secret = "excerpt-secret-0123456789abcdef"
    register_secret(secret)
    for start in range(150, 201):  # the cut at 200 characters falls before, inside and after it
        text = "m" * start + secret + " and more" * 50
        shown = redacted_excerpt(text, 200)
        assert len(shown) <= 200
        assert not any(secret[i : i + 6] in shown for i in range(len(secret) - 5)), (start, shown)
    assert REDACTED in redacted_excerpt("m" * 150 + secret, 200)
    # a text that is the start of a longer one may end inside a secret: that end is not shown
    shown = redacted_excerpt("m" * 50 + " " + secret[:20], 200, truncated=True)
    assert secret[:6] not in shown and shown.startswith("m" * 10) and shown.endswith("…")
    register_secret("L0ng-t0ken-" * 400)  # a long token registered by another connector changes nothing
    shown = redacted_excerpt("m" * 50 + " " + secret[:20], 200, truncated=True)
    assert shown == "m" * 50 + "…"
    # a window of a huge text still ends in whole, redacted secrets
    shown = redacted_excerpt(f"{secret} " * 100_000, 200)
    assert secret[:6] not in shown and shown.startswith(REDACTED)


def test_safe_url_masks_the_named_credential_parameters():
    from core.redaction import safe_url

    shown = safe_url("https://api.example.com/v1?appid=abc123&page=2", secret_params={"appid"})

    assert "abc123" not in shown and "page=2" in shown


def test_a_placeholder_naming_a_path_secret_is_shown_as_it_is_and_a_value_after_secret_is_not():
    from core.redaction import REDACTED, redact, safe_url

    # A path secret of fewer than 8 characters is not masked inside ``botk3y9Zq``; the URL shown has
    # its placeholder back, which the ``secret: value`` pattern masked with the rest of the path.
    assert safe_url("https://api.telegram.org/bot{secret:token}/getUpdates?offset=5") == (
        "https://api.telegram.org/bot{secret:token}/getUpdates?offset=5"
    )
    assert redact("secret: k3y9Zq, {secret: k3y9Zq}") == f"secret: {REDACTED}, {{secret: {REDACTED}"
    assert redact("{secret:a b} token=abc") == f"{{secret:{REDACTED} b}} token={REDACTED}"


def test_a_short_registered_secret_is_redacted_as_a_whole_value_never_inside_words():
    from core.redaction import REDACTED, redact_secrets, register_secret

    register_secret("ab12")  # 4 to 7 characters: registered, masked where it stands as a value

    shown = redact_secrets("key ab12 refused; ?api_key=ab12&x=1")
    assert shown == f"key {REDACTED} refused; ?api_key={REDACTED}&x=1"
    assert redact_secrets("key%3Dab12%26page") == f"key%3D{REDACTED}%26page"  # after a percent escape
    assert redact_secrets("tab123 xab12 ab12c") == "tab123 xab12 ab12c"  # inside longer runs: not it


def test_a_long_registered_secret_is_redacted_wherever_it_appears():
    from core.redaction import REDACTED, redact_secrets, register_secret

    register_secret("k3y-0123456789")

    assert redact_secrets("prefixk3y-0123456789suffix") == f"prefix{REDACTED}suffix"
