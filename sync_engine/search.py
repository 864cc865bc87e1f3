"""Searching a connector's stored records by a field's text: the records list and the export share it,
so a download holds exactly the records the table shows."""

from django.db.models import TextField
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast


def search_records(records, field: str | None, value: str | None):
    """Records whose ``field`` (a dotted path into the stored data) contains ``value``, any case.

    Key transforms, not ``data__<path>`` lookups: a field named like a lookup ("contains", "in")
    must still be read as a key. The cast makes numbers comparable as text on SQLite too.
    """
    if not field or value is None:
        return records
    *parents, last = field.split(".")
    # Built key by key (not from a "data__a__b" string): a key may itself contain "__".
    target: str | KeyTransform = "data"
    for part in parents:
        target = KeyTransform(part, target)
    text = Cast(KeyTextTransform(last, target), TextField())
    return records.annotate(searched_value=text).filter(searched_value__icontains=value)
