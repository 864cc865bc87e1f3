from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """Page-number pagination for every list; clients may ask for up to ``max_page_size`` rows."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
