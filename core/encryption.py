"""Encryption of secrets at rest (MultiFernet with ``MIGRATEIQ_FIELD_ENCRYPTION_KEYS``).

The first key encrypts; every key decrypts, so keys can be rotated: put the new key first, run
``python manage.py rotate_encryption_keys``, then drop the old key.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

_PREFIX = "fernet:"


class DecryptionError(Exception):
    """A stored secret cannot be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("MIGRATEIQ_FIELD_ENCRYPTION_KEYS is empty: secrets cannot be stored.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "MIGRATEIQ_FIELD_ENCRYPTION_KEYS must be comma-separated Fernet keys "
            "(generate one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.MIGRATEIQ_FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return _PREFIX + fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token.startswith(_PREFIX):
        raise DecryptionError("Stored secret is not in the encrypted format.")
    try:
        return fernet().decrypt(token[len(_PREFIX) :].encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "A stored secret cannot be decrypted with MIGRATEIQ_FIELD_ENCRYPTION_KEYS (was a key removed?)."
        ) from None


def rotate(token: str) -> str:
    """Re-encrypt ``token`` with the first (newest) key."""
    if not token.startswith(_PREFIX):
        raise DecryptionError("Stored secret is not in the encrypted format.")
    try:
        return _PREFIX + fernet().rotate(token[len(_PREFIX) :].encode()).decode()
    except InvalidToken:
        raise DecryptionError("A stored secret cannot be decrypted with any configured key.") from None


class EncryptedTextField(models.TextField):
    """A text field stored encrypted; Python code sees the plain value.

    Lookups other than ``isnull`` and exact-empty make no sense on ciphertext, so don't filter on it.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def to_python(self, value):
        return value


def encrypted_fields():
    """Every (model, field) pair that stores an encrypted secret; used by key rotation."""
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field
