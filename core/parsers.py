"""The API's request-body parser: DRF's JSON parser with the nesting limit of ``core.json_limits``.

DRF catches the parser's ``ValueError`` but not the ``RecursionError`` of a deeply nested body,
which became an HTTP 500; here both are a 400 in the project's error format.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from core.json_limits import JSONTooDeep, check_depth, max_depth


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_depth()
        try:
            data = super().parse(stream, media_type, parser_context)
            check_depth(data, limit)
        except (RecursionError, JSONTooDeep):
            raise ParseError(f"JSON parse error - nested deeper than {limit} levels.") from None
        return data
