"""A connector's API key: the stored secret and the hint shown in its place.

The key is encrypted at rest and never returned; responses and the admin show ``has_api_key`` and
``api_key_last4``. The hint is kept only for keys long enough that four characters give little away.
"""

MIN_KEY_LENGTH_FOR_HINT = 8


def api_key_last4(key: str) -> str:
    """The last four characters of ``key``, or "" when the key is empty or too short to hint at."""
    return key[-4:] if len(key) >= MIN_KEY_LENGTH_FOR_HINT else ""


def api_key_fields(key: str) -> dict:
    """The connector fields that setting ``key`` changes ("" clears the key)."""
    return {"api_key": key, "api_key_last4": api_key_last4(key)}
