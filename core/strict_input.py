"""Request bodies whose values have the JSON types the schema publishes.

DRF's fields coerce: a ``CharField`` takes ``5`` as ``"5"``, a ``BooleanField`` takes ``"yes"``
and ``1``, an ``IntegerField`` takes ``"12"``, a ``FloatField`` ``"5"`` and ``true``. A client
generated from the published schema never sends those, and accepting them hides client bugs
(``{"primary_key": 5}`` stored ``"5"``), so a value of the wrong JSON type is a 400 naming the
field. A key the serializer does not know is a 400 too, naming the closest field: a misspelt key
(``"api_keyy"``) silently ignored would store a connector without the value its client meant to
set. A value none of a choice field's choices is a 400 that names them and the one meant
(``core.choices``). These errors come in one
400 with the other fields' own (each field is validated whatever the others' problems). Read-only
fields may be sent back (a client that PUTs what it read); they are ignored. Serializers that parse
request bodies inherit :class:`StrictTypesMixin`.
"""

import difflib

from rest_framework import serializers
from rest_framework.settings import api_settings

from core.choices import explain_choice_errors

_EXPECTED = (
    # (field class, accepted Python types of the parsed JSON, what to say)
    (serializers.BooleanField, (bool,), "a boolean (true or false)"),
    (serializers.CharField, (str,), "a string"),
    (serializers.IntegerField, (int,), "an integer"),
    (serializers.FloatField, (int, float), "a number"),
)


def _expected_type(field):
    for field_class, types, words in _EXPECTED:
        if isinstance(field, field_class):
            return types, words
    return None


#: The unknown keys of a body a 400 names, each with the closest field. A body of 80,000 unknown keys
#: (1 MB, within the body limit) had each compared with every field (``difflib``) and named: 12 s of
#: a web thread for the sign-in, which anyone may call, 20 s for a connector's change, and a 2.2 MB
#: answer. Past this many, the 400 names these and says how many more there are.
MAX_UNKNOWN_KEYS_NAMED = 20


def _unknown_field_errors(data, known) -> dict:
    """``{key: [message]}`` for the first :data:`MAX_UNKNOWN_KEYS_NAMED` keys of ``data`` that are not
    fields of ``known``; one more entry, under the non-field key, counts the rest."""
    unknown = [name for name in data if name not in known]
    errors = {
        str(name): [_unknown_field_message(str(name), list(known))]
        for name in unknown[:MAX_UNKNOWN_KEYS_NAMED]
    }
    if len(unknown) > MAX_UNKNOWN_KEYS_NAMED:
        rest = len(unknown) - MAX_UNKNOWN_KEYS_NAMED
        errors[api_settings.NON_FIELD_ERRORS_KEY] = [
            f"{len(unknown):,} unknown fields: the first {MAX_UNKNOWN_KEYS_NAMED} are named, "
            f"{rest:,} more are not."
        ]
    return errors


def _unknown_field_message(name: str, known) -> str:
    if name in ("tenant", "tenant_id"):
        return "Unknown field: everything is created in the tenant of your token."
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    return "Unknown field." + (f" Did you mean {close[0]!r}?" if close else "")


def _without(data, names):
    """``data`` without the keys ``names`` (a ``QueryDict`` stays one: its fields read lists)."""
    if hasattr(data, "getlist"):
        kept = data.copy()
        for name in names:
            kept.pop(name, None)
        return kept
    return {key: value for key, value in data.items() if key not in names}


class StrictTypesMixin:
    def to_internal_value(self, data):
        if not isinstance(data, dict):
            return super().to_internal_value(data)  # type: ignore[misc]
        known = self.fields  # type: ignore[attr-defined]
        errors = _unknown_field_errors(data, known)
        for name, field in known.items():
            if field.read_only or field.source == "*" or name not in data or data[name] is None:
                continue
            expected = _expected_type(field)
            if expected is None:
                continue
            types, words = expected
            value = data[name]
            if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
                errors[name] = [f"Must be {words}."]
        # The other fields are validated all the same, so that one 400 names every field's problem
        # ({"name": 123, "api_endpoint": "nope"} named only the name, the URL one fix later).
        try:
            validated = super().to_internal_value(_without(data, errors))  # type: ignore[misc]
        except serializers.ValidationError as exc:
            detail = explain_choice_errors(exc.detail, known, data)
            if not errors:
                raise serializers.ValidationError(detail) from None
            by_field = _by_field(detail)
            merged = {**by_field, **errors}
            key = api_settings.NON_FIELD_ERRORS_KEY
            if key in errors and key in by_field:  # the serializer's own and the count of unknown keys
                merged[key] = [*by_field[key], *errors[key]]
            raise serializers.ValidationError(_in_field_order(merged, known)) from None
        if errors:
            raise serializers.ValidationError(_in_field_order(errors, known))
        return validated


def _by_field(detail) -> dict:
    if isinstance(detail, dict):
        return dict(detail)
    return {api_settings.NON_FIELD_ERRORS_KEY: detail}


def _in_field_order(errors: dict, fields) -> dict:
    """The errors in the order of the serializer's fields, unknown keys after them."""
    order = {name: index for index, name in enumerate(fields)}
    return dict(sorted(errors.items(), key=lambda item: order.get(item[0], len(order))))
