"""URL fields whose refusal says why.

Django's ``URLValidator`` answers every refusal with "Enter a valid URL.": a user who pasted a
documentation example (``https://api.notion.com/v1/databases/<database id>/query``), a URL with a
space or an ``ftp://`` address learns nothing from it. :class:`ExplainedURLField` keeps the same
check (and the schema's ``format: uri``) and names the first problem :func:`url_problem` finds.
"""

from urllib.parse import urlsplit

from django.db import models
from rest_framework import serializers

_PLACEHOLDER_MARKS = "<>{}[]"


def url_problem(value: str) -> str | None:
    """What makes ``value`` no http(s) URL, said for a person, or None when nothing obvious does."""
    text = value.strip()
    if any(ch.isspace() for ch in text):
        return "it holds a space or a line break (write a space as %20)"
    marks = sorted({ch for ch in text if ch in _PLACEHOLDER_MARKS})
    if "<" in marks or ">" in marks:
        return "it holds < or >, a placeholder's marks (replace the placeholder with the real value)"
    if "://" not in text:
        return "it has no scheme (start it with https:// or http://)"
    try:
        parts = urlsplit(text)
    except ValueError:
        return "its host part cannot be read (a bracketed IPv6 address that is not one?)"
    if parts.scheme.lower() not in ("http", "https"):
        return f"its scheme is {parts.scheme!r}: only http and https are fetched"
    if not parts.hostname:
        return "it names no host"
    if marks:
        return f"it holds {' '.join(marks)} (a placeholder? percent-encode them if the API wants them)"
    return None


class ExplainedURLField(serializers.URLField):
    """``URLField`` whose "Enter a valid URL." names the problem (see :func:`url_problem`)."""

    def run_validators(self, value):
        try:
            super().run_validators(value)
        except serializers.ValidationError:
            problem = url_problem(value) if isinstance(value, str) else None
            if problem is None:
                raise
            raise serializers.ValidationError(f"Enter a valid URL: {problem}.") from None
        if isinstance(value, str) and ("<" in value or ">" in value):
            # Django's check lets ``/databases/<database_id>/query`` through; no URL holds < or >
            # unencoded (RFC 3986), and a documentation example's placeholder would be fetched as is
            raise serializers.ValidationError(f"Enter a valid URL: {url_problem(value)}.")


#: A ``ModelSerializer``'s ``serializer_field_mapping`` whose model ``URLField`` become
#: :class:`ExplainedURLField`: ``serializer_field_mapping = EXPLAINED_URL_FIELDS`` on the class.
EXPLAINED_URL_FIELDS = {
    **serializers.ModelSerializer.serializer_field_mapping,
    models.URLField: ExplainedURLField,
}
