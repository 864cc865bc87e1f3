from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """Page-number pagination for every list; clients may ask for up to ``max_page_size`` rows.

    ``page`` and ``page_size`` are each one positive integer: anything else (``null``, a repeated
    parameter, text) is a 400 that names the parameter, instead of being silently replaced by a
    default (the published schema says integer). A ``page_size`` above the maximum is cut to it.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        for name in (self.page_query_param, self.page_size_query_param):
            _positive_integer_param(request, name)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
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
