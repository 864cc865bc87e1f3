"""What an HTTP header can carry, as the outbound client (:mod:`core.http`) sends it.

RFC 9110 (section 5): a field name is a token; a field value is visible characters (``VCHAR``,
0x21-0x7E) with spaces or tabs between them, nothing before the first or after the last. It also
allows ``obs-text`` (0x80-0xFF) but deprecates it, and httpx encodes a ``str`` header value as
ASCII (``httpx._models._normalize_header_value``): a value with any character beyond ASCII (``é``,
U+2028, an emoji) cannot be sent at all, and h11 refuses a value with whitespace at either end.

Settings that end up in a header (a connector's headers, a key sent in one) are checked with
:func:`is_header_value` when they are saved; the client checks every header again before it sends
(a row saved before the check, a token an upstream issued), and says which header, never what it
holds: the value is often a credential.
"""

import re

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(r"(?:[\x21-\x7e]+(?:[ \t]+[\x21-\x7e]+)*)?")

#: How to say what :func:`is_header_value` accepts, for messages.
HEADER_VALUE_RULE = (
    "an HTTP header carries only visible ASCII characters with spaces between them "
    "(no accented letters, other scripts, emoji or line separators, no space at either end)"
)


def is_header_name(text: str) -> bool:
    """Whether ``text`` is an RFC 9110 field name (a token)."""
    return isinstance(text, str) and _TOKEN.fullmatch(text) is not None


def is_header_value(text: str) -> bool:
    """Whether ``text`` can be sent as a header value: an RFC 9110 field value of ASCII characters."""
    return isinstance(text, str) and _FIELD_VALUE.fullmatch(text) is not None
