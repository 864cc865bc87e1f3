"""Filters every list shares.

Date-time filters (:class:`UtcDateTimeFilter`): the value is read in UTC, so an offset the database
cannot store (``+21:04``: PostgreSQL's end at ±15:59) or a date with no UTC equivalent is a 400
naming the filter, not a database error (a 500).

A filter's value outside its choices (``?status=BOGUS``) is a 400 naming the valid values and the
one meant (``core.choices``), not Django's "Select a valid choice. BOGUS is not one of the
available choices." (:class:`ExplainedFilterBackend`, :func:`filter_errors`).

The ordering filter of every list: DRF's, but an ordering it cannot apply is a 400, not ignored.

The search filter of every list: DRF's, but a search of more than ``MAX_SEARCH_TERMS`` words is a
400 (:class:`BoundedSearchFilter`).

DRF's ``OrderingFilter`` drops the terms of ``?ordering=`` that name no field of the view's
``ordering_fields`` and orders by what is left, or by the default: ``?ordering=last_run`` (for
``last_sync_at``) answered in the default order as if the ordering had been applied. Here such a term
is a 400 naming it and the fields the list orders by, and the API schema publishes them (a pattern
of the parameter), so generated clients and the contract tests know them.
"""

from __future__ import annotations

import re
from datetime import UTC

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.filters import OrderingFilter, SearchFilter

from core.choices import invalid_choice_message


def in_utc(value):
    """``value`` (an aware date-time, or None) in UTC; a form error when it has no UTC equivalent."""
    if value is None:
        return None
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise forms.ValidationError("Enter a date-time between years 1 and 9999 in UTC.") from None


class UtcDateTimeField(forms.DateTimeField):
    """An ISO 8601 date-time (or a date: its midnight), read in UTC."""

    def to_python(self, value):
        return in_utc(super().to_python(value))


class UtcDateTimeFilter(django_filters.DateTimeFilter):
    field_class = UtcDateTimeField


def filter_errors(filterset) -> ValidationError:
    """The 400 of an invalid filterset: django-filter's, with each value outside a choice filter's
    choices answered by :func:`core.choices.invalid_choice_message`."""
    details = {}
    for name, errors in filterset.form.errors.as_data().items():
        field = filterset.form.fields.get(name)
        choices = [str(value) for value, _label in getattr(field, "choices", ()) if str(value) != ""]
        details[name] = [
            ErrorDetail(
                invalid_choice_message(error.params["value"], choices)
                if error.code == "invalid_choice" and choices and "value" in (error.params or {})
                else error.message % (error.params or ()),
                code=error.code,
            )
            for error in errors
        ]
    return ValidationError(details)


class ExplainedFilterBackend(DjangoFilterBackend):
    """django-filter's backend of every list, whose errors name a choice filter's choices."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid() and self.raise_exception:
            raise filter_errors(filterset)
        return filterset.qs


class StrictOrderingFilter(OrderingFilter):
    def get_ordering(self, request, queryset, view):
        value = request.query_params.get(self.ordering_param)
        if value:
            valid = list(
                dict.fromkeys(item[0] for item in self.get_valid_fields(queryset, view, {"request": request}))
            )
            wrong = [term.strip() for term in value.split(",") if term.strip().removeprefix("-") not in valid]
            if wrong:
                named = ", ".join(repr(term) for term in wrong)
                message = (
                    f"Unknown ordering {named}; this list orders by: {', '.join(valid)} "
                    "(a leading - reverses, commas combine)."
                )
                raise ValidationError({self.ordering_param: [message]})
        return super().get_ordering(request, queryset, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        fields = getattr(view, "ordering_fields", None)
        if isinstance(fields, list | tuple) and fields:
            term = f"-?(?:{'|'.join(re.escape(name) for name in fields)})"
            for parameter in parameters:
                parameter["schema"] = {"type": "string", "pattern": f"^(?:{term}(?:,{term})*)?$"}
                parameter["description"] = (
                    f"Order by {', '.join(fields)}: a leading - reverses, commas combine "
                    "(another field is a 400)."
                )
        return parameters


#: The most words one ``?search=`` takes. DRF's search makes each word (spaces and commas separate
#: them) a ``LIKE`` over every search field, all of them ANDed: a search of 1,100 words
#: (``?search=a+a+…``, within the 4 KB request line) went past SQLite's expression depth of 1,000 and
#: was a 500 on every searchable list, for any member; on PostgreSQL each word is one more pattern
#: matched against every row. Nobody types 20 words into a list's search box.
MAX_SEARCH_TERMS = 20


class BoundedSearchFilter(SearchFilter):
    search_description = (
        f"Words that each result holds in one of the list's search fields (case-insensitive); spaces "
        f"and commas separate them, quotes keep a phrase together. At most {MAX_SEARCH_TERMS} words."
    )

    def get_search_terms(self, request):
        terms = super().get_search_terms(request)
        if len(terms) > MAX_SEARCH_TERMS:
            message = (
                f"A search takes at most {MAX_SEARCH_TERMS} words (spaces and commas separate them); "
                f"this one has {len(terms)}."
            )
            raise ValidationError({self.search_param: [message]})
        return terms
