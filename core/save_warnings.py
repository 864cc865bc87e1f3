"""What a create or an update noticed without refusing it: the ``warnings`` of its answer.

A serializer with :class:`SaveWarningsMixin` collects them in ``save_warnings`` while it validates
and answers them in ``warnings`` (``[]`` on reads: a warning belongs to the save, not to the
object). :func:`checked_url` is the one such check today: a URL whose host name does not resolve
from the web server is saved with a warning, while everything else the egress guard refuses is a
400 (``core.egress.check_url_to_save``; docs/security.md).
"""

from rest_framework import serializers

from core.egress import check_url_to_save
from core.http_errors import OutboundError


class SaveWarningsMixin(serializers.Serializer):
    warnings = serializers.SerializerMethodField(
        help_text="What a create or update noticed without refusing it: a URL or host whose name did "
        "not resolve from the web server (saved: every connection checks the addresses it connects "
        "to). Empty on reads."
    )

    @property
    def save_warnings(self) -> list[str]:
        """What this save noticed without refusing it (answered in ``warnings``)."""
        if not hasattr(self, "_save_warnings"):
            self._save_warnings: list[str] = []
        return self._save_warnings

    def get_warnings(self, obj) -> list[str]:
        return list(self.save_warnings)


def checked_url(value: str, warnings: list[str], *, then: str) -> str:
    """``value`` if the egress guard allows it, with a warning in ``warnings`` when its host name does
    not resolve from here; a ``ValidationError`` with the guard's reason for anything it refuses.
    ``then``: how the user finds out whether the workers reach it (``saved_unresolved_warning``)."""
    try:
        warning = check_url_to_save(value, then=then)
    except OutboundError as exc:
        raise serializers.ValidationError(str(exc)) from None
    if warning:
        warnings.append(warning)
    return value
