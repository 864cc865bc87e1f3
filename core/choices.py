"""What a value outside a fixed set of choices is told: the valid values, and the one meant.

``?format=jsonl`` answered ``"jsonl" is not a valid choice.``, and a filter's
``Select a valid choice. cron is not one of the available choices.``: neither said what is valid.
Every such error of the API (query parameters read by a serializer, list filters, request bodies)
names the choices and, when one is close (or a well-known other name of one), the one meant.
"""

from __future__ import annotations

import difflib
import re

from rest_framework import serializers

#: Other names users bring from other tools for a choice of ours: suggested when that choice is one.
KNOWN_ALIASES = {
    "jsonl": "ndjson",
    "jsonlines": "ndjson",
    "json-lines": "ndjson",
    "json_lines": "ndjson",
    "ldjson": "ndjson",
    # type names of JSON Schema, SQL and other tools for the transformation rules' conversions
    "integer": "int",
    "string": "str",
    "boolean": "bool",
    "double": "float",
    "timestamp": "datetime",
    # webhook events: every end of a sync is one family
    "sync.finished": "sync.*",
    "sync.completed": "sync.*",
    "sync.ended": "sync.*",
    "sync.done": "sync.*",
}

_DRF_INVALID_CHOICE = serializers.ChoiceField.default_error_messages["invalid_choice"]

#: Past this many choices the message names the close ones only.
MAX_LISTED = 20


def meant_choice(value: str, choices: list[str]) -> str | None:
    """The choice ``value`` most likely means: a known alias, the same word in another case, or a
    close spelling; ``None`` when none is close."""
    text = str(value).strip()
    alias = KNOWN_ALIASES.get(text.lower())
    if alias in choices:
        return alias
    by_case = {choice.lower(): choice for choice in choices}
    if text.lower() in by_case:
        return by_case[text.lower()]
    close = difflib.get_close_matches(text.lower(), list(by_case), n=1, cutoff=0.6)
    return by_case[close[0]] if close else None


def invalid_choice_message(value, choices) -> str:
    """``"jsonl" is not a valid choice; one of: ndjson, csv. Did you mean 'ndjson'?``"""
    choices = [str(choice) for choice in choices if str(choice) != ""]
    message = f'"{value}" is not a valid choice'
    if 0 < len(choices) <= MAX_LISTED:
        message += f"; one of: {', '.join(choices)}."
    else:
        message += "."
    meant = meant_choice(str(value), choices)
    return message + (f" Did you mean {meant!r}?" if meant else "")


def _choice_field(field):
    """The choice field that validates ``field``'s values (itself, or a list's child), or None."""
    if isinstance(field, serializers.ListField):
        field = field.child
    if isinstance(field, serializers.ChoiceField):
        return field
    return None


def explain_choice_errors(detail, fields, data):
    """``detail`` (a serializer's errors) with each "not a valid choice" of a choice field (or a
    list of them) rewritten by :func:`invalid_choice_message`; everything else as it is."""
    if not isinstance(detail, dict) or not hasattr(data, "get"):
        return detail
    out = dict(detail)
    for name, errors in detail.items():
        field = _choice_field(fields.get(name))
        if field is None or field.error_messages.get("invalid_choice") != _DRF_INVALID_CHOICE:
            continue  # not a choice, or a field that says it its own way
        choices = list(field.choice_strings_to_values)
        value = data.get(name)
        if isinstance(errors, list):
            out[name] = [_explained(error, value, choices) for error in errors]
        elif isinstance(errors, dict) and isinstance(value, list):  # a list's items, by index
            out[name] = {
                index: [
                    _explained(error, value[index], choices) if 0 <= index < len(value) else error
                    for error in item_errors
                ]
                for index, item_errors in errors.items()
            }
    return out


def _explained(error, value, choices):
    if getattr(error, "code", None) != "invalid_choice":
        return error
    return serializers.ErrorDetail(invalid_choice_message(value, choices), code="invalid_choice")


class ExplainedChoicesMixin:
    """A serializer whose choice errors name the valid values (:func:`explain_choice_errors`): the
    base of the serializers that read query parameters, and part of
    :class:`core.strict_input.StrictTypesMixin` for bodies."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)  # type: ignore[misc]
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(
                explain_choice_errors(exc.detail, self.fields, data)  # type: ignore[attr-defined]
            ) from None


#: An integer as a query parameter writes it: ASCII digits. Python's ``int()`` (DRF's
#: ``IntegerField``) also reads other scripts' digits (``٣``, full-width ``３``), which the pagination
#: (``core.pagination``) and body fields (JSON has no such numbers) never took.
_ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")


class QueryParamsSerializer(ExplainedChoicesMixin, serializers.Serializer):
    """The base of a serializer that reads a view's query parameters; an integer parameter is
    written in ASCII digits (``?after=٣`` is a 400, not 3)."""

    def to_internal_value(self, data):
        errors = {
            name: [serializers.IntegerField.default_error_messages["invalid"]]
            for name, field in self.fields.items()
            if isinstance(field, serializers.IntegerField)
            and isinstance(data.get(name), str)
            and not _ASCII_INTEGER.fullmatch(data.get(name).strip())
        }
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


def trigger_field(choices, allowed, default, *, what: str):
    """The ``trigger`` query parameter of an endpoint that starts work (a sync, a load): who starts
    it, recorded as its ``triggered_by``; ``allowed`` of the ``choices`` enum, ``default`` first."""
    return serializers.ChoiceField(
        choices=[(value, choices(value).label) for value in allowed],
        required=False,
        default=default,
        help_text=f"Who starts {what}, as {'their' if what.endswith('s') else 'its'} triggered_by: "
        "api (default) or ui (the web UI).",
    )
