"""Checks of a connector's request settings, for every caller that saves them (the API's
serializers, the admin form): the names and values of headers and query parameters, and whether a
credential can travel in the header its auth style puts it in.

Each check raises ``django.core.exceptions.ValidationError`` (a 400 in the API, a field error in the
admin) naming the setting and the name, never the value: the value may be a credential.
"""

from django.conf import settings
from django.core.exceptions import ValidationError

from core.http_fields import HEADER_VALUE_RULE, is_header_name, is_header_value
from core.secret_fields import names_a_credential
from demo_extension.models import AuthType

MAX_FLAT_ENTRIES = 50
MAX_FLAT_KEY_LENGTH = 256
MAX_FLAT_VALUE_LENGTH = 4096
# Headers the HTTP client owns; a connector may not set them.
RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "upgrade", "te"})
#: The auth styles that send ``api_key`` in a header as it is (Basic styles base64-encode it).
KEY_IN_A_HEADER = (AuthType.BEARER, AuthType.HEADER)
#: The run limits a connector may set, each at most a server setting: field → (setting, what it counts).
RUN_LIMITS = {
    "max_pages": ("MIGRATEIQ_SYNC_MAX_PAGES", "pages per run"),
    "max_sync_seconds": ("MIGRATEIQ_SYNC_MAX_SECONDS", "seconds per run"),
}


def run_limit_maximum(field: str) -> int:
    """This server's limit of the connector setting ``field`` (a key of :data:`RUN_LIMITS`)."""
    return getattr(settings, RUN_LIMITS[field][0])


def validate_run_limit(field: str, value, stored=None):
    """``value`` of the run limit ``field`` when it is within the server's limit. A run never went
    past that limit: a larger value would be saved and silently capped. ``stored``, the value saved
    before the limit was checked (or lowered), may be sent back unchanged."""
    setting, what = RUN_LIMITS[field]
    limit = run_limit_maximum(field)
    if value is not None and value > limit and value != stored:
        raise ValidationError(
            f"At most {limit:,}: the server's limit of {what} ({setting}). Leave it empty to use that limit."
        )
    return value


def has_control_characters(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def validate_flat_strings(value, *, what: str, header_names: bool = False, secrets: bool = False) -> dict:
    """A small flat object of string keys to string values. A number is refused, as every typed
    input is (``core.strict_input``): stored as text it would read back as another type than sent.
    Names that carry a credential are refused unless ``secrets`` (the values are then encrypted).
    With ``header_names``, names and values must be ones an HTTP header can carry
    (``core.http_fields``)."""
    if not isinstance(value, dict):
        raise ValidationError(f"{what} must be an object of names to string values.")
    if len(value) > MAX_FLAT_ENTRIES:
        raise ValidationError(f"{what} may have at most {MAX_FLAT_ENTRIES} entries.")
    cleaned = {}
    for key, item in value.items():
        if not key or len(key) > MAX_FLAT_KEY_LENGTH:
            raise ValidationError(f"{what}: names must have 1 to {MAX_FLAT_KEY_LENGTH} characters.")
        if header_names:
            if not is_header_name(key):
                raise ValidationError(f"{what}: {key!r} is not a valid header name.")
            if key.lower() in RESERVED_HEADERS:
                raise ValidationError(f"{what}: the {key} header is set by MigrateIQ itself.")
        elif has_control_characters(key):
            raise ValidationError(f"{what}: {key!r} contains control characters.")
        if not secrets and names_a_credential(key):
            raise ValidationError(
                f"{what}: {key!r} carries a credential; put it in the connector's authentication "
                "(auth_type with api_key, auth_header_name or auth_param_name) or, for a second one, "
                f'in secret_params ({{"headers": {{...}}, "query": {{...}}}}), which are encrypted and '
                f"never shown: {what} are stored in clear and shown to every member."
            )
        if isinstance(item, int | float) and not isinstance(item, bool):
            raise ValidationError(
                f'{what}: the value of {key!r} must be a string, not a number: send "{item}".'
            )
        if not isinstance(item, str):
            raise ValidationError(f"{what}: the value of {key!r} must be a string.")
        if len(item) > MAX_FLAT_VALUE_LENGTH:
            raise ValidationError(
                f"{what}: the value of {key!r} is longer than {MAX_FLAT_VALUE_LENGTH} characters."
            )
        if has_control_characters(item):
            raise ValidationError(f"{what}: the value of {key!r} contains control characters.")
        if header_names and not is_header_value(item):
            raise ValidationError(f"{what}: the value of {key!r} cannot be sent: {HEADER_VALUE_RULE}.")
        cleaned[key] = item
    return cleaned


def validate_key_for_auth_type(key: str, auth_type: str, header_name: str = "") -> None:
    """Refuse an API key its auth style cannot send: ``bearer`` and ``header`` put it in a header as
    it is. Query parameters are percent-encoded and Basic credentials base64-encoded (as UTF-8), so
    any text travels there."""
    if not key or auth_type not in KEY_IN_A_HEADER:
        return
    if not is_header_value(key):
        header = "Authorization" if auth_type == AuthType.BEARER else header_name or "X-API-Key"
        raise ValidationError(
            f"With auth_type {auth_type} the key is sent in the {header} header, and it cannot be: "
            f"{HEADER_VALUE_RULE}."
        )
