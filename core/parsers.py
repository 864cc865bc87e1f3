"""The API's request-body parser: DRF's JSON parser with the nesting limit of ``core.json_limits``,
refusing text that is no Unicode.

DRF catches the parser's ``ValueError`` but not the ``RecursionError`` of a deeply nested body,
which became an HTTP 500; here both are a 400 in the project's error format. JSON's ``\\ud800``
escape (one half of a UTF-16 surrogate pair, without the other) parses to a Python string that
cannot be written as UTF-8: saved in a connector's setting it made every later answer that shows it
(the tenant's connector list) a 500 on SQLite, and the save itself one on PostgreSQL (``jsonb``
refuses it).
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from core.json_limits import JSONTooDeep, LoneSurrogate, check_depth, max_depth, refuse_lone_surrogates


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_depth()
        try:
            data = super().parse(stream, media_type, parser_context)
            check_depth(data, limit)
        except (RecursionError, JSONTooDeep):
            raise ParseError(f"JSON parse error - nested deeper than {limit} levels.") from None
        try:
            refuse_lone_surrogates(data)
        except LoneSurrogate as exc:
            raise ParseError(f"JSON parse error - the body holds {exc}.") from None
        return data
