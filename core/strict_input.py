"""Request bodies whose values have the JSON types the schema publishes.

DRF's fields coerce: a ``CharField`` takes ``5`` as ``"5"``, a ``BooleanField`` takes ``"yes"``
and ``1``, an ``IntegerField`` takes ``"12"``, a ``FloatField`` ``"5"`` and ``true``. A client
generated from the published schema never sends those, and accepting them hides client bugs
(``{"primary_key": 5}`` stored ``"5"``), so a value of the wrong JSON type is a 400 naming the
field. A key the serializer does not know is a 400 too, naming the closest field: a misspelt key
(``"api_keyy"``) silently ignored would store a connector without the value its client meant to
set. A value none of a choice field's choices is a 400 that names them. Read-only fields may be
sent back (a client that PUTs what it read); they are ignored. Serializers that parse request
bodies inherit :class:`StrictTypesMixin`.
"""

import difflib

from rest_framework import serializers

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


def _unknown_field_message(name: str, known) -> str:
    if name in ("tenant", "tenant_id"):
        return "Unknown field: everything is created in the tenant of your token."
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    return "Unknown field." + (f" Did you mean {close[0]!r}?" if close else "")


_DRF_INVALID_CHOICE = serializers.ChoiceField.default_error_messages["invalid_choice"]


def _name_the_choices(field) -> None:
    """Make a choice field's "not a valid choice" name the choices (a short list of them)."""
    if not isinstance(field, serializers.ChoiceField) or isinstance(field, serializers.MultipleChoiceField):
        return
    choices = list(field.choice_strings_to_values)
    if field.error_messages.get("invalid_choice") != _DRF_INVALID_CHOICE or not 0 < len(choices) <= 20:
        return
    listed = ", ".join(choices).replace("{", "{{").replace("}", "}}")
    field.error_messages["invalid_choice"] = '"{input}" is not a valid choice; one of: ' + listed + "."


class StrictTypesMixin:
    def to_internal_value(self, data):
        if isinstance(data, dict):
            known = self.fields  # type: ignore[attr-defined]
            errors = {
                str(name): [_unknown_field_message(str(name), list(known))]
                for name in data
                if name not in known
            }
            for name, field in self.fields.items():  # type: ignore[attr-defined]
                if field.read_only or field.source == "*" or name not in data or data[name] is None:
                    continue
                expected = _expected_type(field)
                if expected is None:
                    continue
                types, words = expected
                value = data[name]
                if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
                    errors[name] = [f"Must be {words}."]
            if errors:
                raise serializers.ValidationError(errors)
            for field in self.fields.values():  # type: ignore[attr-defined]
                _name_the_choices(field)
        return super().to_internal_value(data)  # type: ignore[misc]
