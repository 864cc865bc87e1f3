from django.conf import settings
from django.core.paginator import EmptyPage
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import TextField
from django.db.models.functions import Cast, Length
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class _PaginatorNamingTheLastPage(DjangoPaginator):
    """Django's paginator, whose page past the end says which page is the last."""

    def validate_number(self, number):
        try:
            return super().validate_number(number)
        except EmptyPage:
            # ``page`` is a positive integer by then (StandardPagination checks it first)
            raise EmptyPage(f"Page {number} is past the last page, {self.num_pages}.") from None


class StandardPagination(PageNumberPagination):
    """Page-number pagination for every list; clients may ask for up to ``max_page_size`` rows.

    ``page`` and ``page_size`` are each one positive integer: anything else (``null``, a repeated
    parameter, text) is a 400 that names the parameter, instead of being silently replaced by a
    default (the published schema says integer). A ``page_size`` above the maximum is a 400 naming
    it (the schema publishes it as the parameter's ``maximum``): cutting it silently answered fewer
    rows than asked, which a client reading ``count`` could take for the end. A ``page`` past the end
    is a 404 naming the last page.

    A view whose rows hold JSON of any size names that field (``page_bytes_field``): a page whose
    rows hold more than ``MIGRATEIQ_API_MAX_PAGE_BYTES`` of it is a 400 naming the ``page_size`` that
    fits, decided by one query of the rows' sizes before any row is read (a page of large records
    would otherwise be built whole in the process' memory).
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    django_paginator_class = _PaginatorNamingTheLastPage
    invalid_page_message = "{message}"

    def paginate_queryset(self, queryset, request, view=None):
        for name in (self.page_query_param, self.page_size_query_param):
            _positive_integer_param(request, name)
        size = request.query_params.get(self.page_size_query_param)
        if size is not None and self.max_page_size and int(size) > self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"{self.page_size_query_param} may be at most {self.max_page_size} (was {size})."
                    ]
                }
            )
        field = getattr(view, "page_bytes_field", None)
        if not field:
            return super().paginate_queryset(queryset, request, view)
        # The page's keys and sizes first (one sorted query, the rows' JSON not read), then its rows
        # by key: a sort that reads every row (by a field of the records' data) runs once.
        keys: list[tuple[int, int | None]] | None = super().paginate_queryset(
            queryset.annotate(_page_bytes=Length(Cast(field, TextField()))).values_list("pk", "_page_bytes"),
            request,
            view,
        )
        if keys is None:
            return None
        self._refuse_a_page_too_large([size for _, size in keys])
        rows = {row.pk: row for row in queryset.filter(pk__in=[pk for pk, _ in keys])}
        return [rows[pk] for pk, _ in keys if pk in rows]

    def _refuse_a_page_too_large(self, sizes: list) -> None:
        limit = settings.MIGRATEIQ_API_MAX_PAGE_BYTES
        total = sum(value or 0 for value in sizes)
        if total <= limit:
            return
        fits, held = 0, 0
        for value in sizes:
            held += value or 0
            if held > limit:
                break
            fits += 1
        if fits == 0:
            advice = (
                f"its first row alone holds {(sizes[0] or 0) / 1_048_576:.1f} MB: read it through the "
                "export, which streams rows of any size"
            )
        else:
            advice = f"ask for page_size={fits} or fewer (rows of other pages may be larger still)"
        raise ValidationError(
            {
                self.page_size_query_param: [
                    f"This page of {len(sizes)} rows holds {total / 1_048_576:.1f} MB of JSON, more than a "
                    f"page may hold ({limit / 1_048_576:g} MB, MIGRATEIQ_API_MAX_PAGE_BYTES): {advice}."
                ]
            }
        )

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param and self.max_page_size:
                parameter["schema"]["maximum"] = self.max_page_size
                parameter["description"] = (
                    f"Number of results to return per page, 1 to {self.max_page_size} "
                    f"(default {self.page_size})."
                )
        return parameters


def _positive_integer_param(request, name: str) -> None:
    values = request.query_params.getlist(name)
    if not values:
        return
    if len(values) > 1:
        raise ValidationError({name: [f"Give {name} once."]})
    value = values[0]
    if not (value.isascii() and value.isdigit()) or len(value.lstrip("0")) == 0:
        raise ValidationError({name: [f"{name} must be a positive integer."]})
