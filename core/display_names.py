"""What a name people read may contain: a connector's, a destination's, a webhook endpoint's, a
tenant's, a person's.

Names are shown in lists, the audit trail, webhook messages and logs. A control character (C0,
DEL, C1: ``\\x1b[31m`` colours a terminal, a newline splits a line) or a line or paragraph
separator has no place in one, and a bidirectional embedding, override or isolate (U+202A-U+202E,
U+2066-U+2069) reorders the text after it, so that ``\\u202eevil`` shows as another name. Every such
name field carries :func:`validate_display_name` (as a model field validator: the API's serializers
and the admin's forms run it; services that build objects otherwise call it). Other invisible
characters stay allowed: zero-width joiners build emoji and several scripts, and the left-to-right
and right-to-left marks belong to mixed-direction text.
"""

import unicodedata

from django.core.exceptions import ValidationError

_BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_LINE_SEPARATORS = frozenset("\u2028\u2029")


def _refused(ch: str) -> str | None:
    if unicodedata.category(ch) == "Cc":  # C0, DEL and C1
        return "a control character"
    if ch in _BIDI_CONTROLS:
        return "a bidirectional override, embedding or isolate, which reorders the text shown after it"
    if ch in _LINE_SEPARATORS:
        return "a line or paragraph separator"
    return None


def validate_display_name(value: str) -> None:
    """Refuse a name with a control character, a line separator or a bidirectional control, naming
    the first one by its code point."""
    for ch in value or "":
        what = _refused(ch)
        if what is not None:
            raise ValidationError(
                f"A name may not contain U+{ord(ch):04X} ({what}).", code="invalid_character"
            )
