"""Secrets of a model (encrypted fields: API keys, passwords) in the API and the admin.

A secret is written, never read back: responses and admin pages show whether it is set
(``has_<field>``) and at most a short hint (:func:`last4_hint`). Lists learn "is it set" from the
database (:func:`with_secret_flags`) instead of decrypting every row.
"""

import re

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from rest_framework import serializers

#: Shorter secrets get no hint: four characters are at most a quarter of a secret shown.
MIN_LENGTH_FOR_HINT = 16

# Words of a header or query parameter name that say its value is a credential.
_CREDENTIAL_WORDS = frozenset(
    {
        "apikey",
        "authorization",
        "bearer",
        "cookie",
        "credential",
        "credentials",
        "jwt",
        "passphrase",
        "passwd",
        "password",
        "pwd",
        "session",
        "sessionid",
        "secret",
        "sig",
        "signature",
        "token",
    }
)
# Names ending in "key" that name no credential (Idempotency-Key, sort_key).
_PLAIN_KEY_WORDS = frozenset(
    {"cache", "dedup", "group", "idempotency", "order", "partition", "primary", "sort"}
)
# X-API-Key -> x, api, key; apiKey -> api, key; PRIVATE-TOKEN -> private, token
_NAME_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")


def names_a_credential(name: str) -> bool:
    """Whether a header or query parameter called ``name`` carries a credential (``Authorization``,
    ``Cookie``, ``X-API-Key``, ``api_key``, ``access_token``, ``client_secret``, ``sig``...): such a
    value belongs in an encrypted field, not in plain settings that are shown to every member."""
    words = [word.lower() for word in _NAME_WORDS.findall(name)]
    if _CREDENTIAL_WORDS.intersection(words):
        return True
    return bool(words) and words[-1] == "key" and not _PLAIN_KEY_WORDS.intersection(words[:-1])


def last4_hint(secret: str) -> str:
    """The last four characters of ``secret``, or "" when it is empty or too short to hint at."""
    return secret[-4:] if len(secret) >= MIN_LENGTH_FOR_HINT else ""


def refresh_hints(queryset, secret: str, hint: str) -> None:
    """Recompute the stored hints of ``queryset``'s rows (a data migration after the hint rule
    changed): the ``hint`` field of each row that has one becomes ``last4_hint`` of its ``secret``."""
    for pk, value, shown in queryset.exclude(**{hint: ""}).values_list("pk", secret, hint):
        if (new := last4_hint(value or "")) != shown:
            queryset.filter(pk=pk).update(**{hint: new})


def secret_input(what: str, max_length: int) -> serializers.CharField:
    """A write-only serializer field for a secret (blank removes it, omitted keeps it)."""
    return serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=max_length,
        style={"input_type": "password"},
        help_text=f"Write-only {what}, encrypted at rest. Omit to keep the current value; send an empty "
        "string to remove it.",
    )


def with_secret_flags(queryset: QuerySet, names) -> QuerySet:
    """``queryset`` with the secret columns ``names`` deferred (never decrypted) and a boolean
    ``has_<name>`` annotated for each."""
    return queryset.defer(*names).annotate(
        **{f"has_{name}": ExpressionWrapper(~Q(**{name: ""}), output_field=BooleanField()) for name in names}
    )


def is_secret_set(obj, name: str) -> bool:
    """Whether ``obj`` holds a value in the secret field ``name``: from the ``has_<name>`` flag when
    the field was deferred (:func:`with_secret_flags`), else from the value."""
    if name in obj.get_deferred_fields():
        return bool(getattr(obj, f"has_{name}", False))
    return bool(getattr(obj, name))
