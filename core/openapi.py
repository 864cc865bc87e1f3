"""Schema post-processing: the error answers every operation can give, documented once.

Some errors come from the platform rather than from a view: the page-number paginator (404 for a
page past the end), query filters (400), the per-user throttle (429) and the request-body limit
(413). Views document their own errors; this hook adds these where they apply, so that the published
contract lists every status code a client can see (the contract fuzzing checks exactly that).

:class:`AutoSchema` (``DEFAULT_SCHEMA_CLASS``) marks the request bodies that refuse unknown keys,
and lists the 400 of every operation that refuses an unknown query parameter (``core.query_params``:
every method of every API view).
"""

from drf_spectacular.openapi import AutoSchema as _SpectacularAutoSchema
from drf_spectacular.plumbing import force_instance

from core.query_params import RefusesMalformedQueryParamsMixin
from core.strict_input import StrictTypesMixin

ERROR_REF = {"$ref": "#/components/schemas/Error"}

_PLATFORM_ERRORS = {
    "400": "Invalid query parameters (a filter, ordering or page size).",
    "400-unknown": "A query parameter this endpoint does not take, or one given twice.",
    "404": "The page does not exist (past the last page).",
    "413": "The request body is larger than the limit.",
    "429": "Too many requests; retry after the number of seconds in Retry-After.",
}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def add_platform_error_responses(result, generator, request, public):
    if "Error" not in result.get("components", {}).get("schemas", {}):
        return result
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            query = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
            wanted = []
            if "page" in query:
                wanted += ["400", "404"]
            if operation.get("requestBody"):
                wanted += ["400", "413"]
            if operation.get("security") and {} not in operation["security"]:
                wanted.append("429")
            for code in wanted:
                responses.setdefault(code, _error(_PLATFORM_ERRORS[code]))
    return result


class AutoSchema(_SpectacularAutoSchema):
    """drf-spectacular's schema, where a request body that refuses unknown keys says so.

    Serializers with :class:`core.strict_input.StrictTypesMixin` answer a key they do not know with a
    400; their request components declare ``additionalProperties: false``, so a client generated from
    the schema (and the schema fuzz test) knows an extra key is not accepted.
    """

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is not None and isinstance(self.view, RefusesMalformedQueryParamsMixin):
            operation["responses"].setdefault("400", _error(_PLATFORM_ERRORS["400-unknown"]))
        return operation

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and isinstance(force_instance(serializer), StrictTypesMixin):
            if schema.get("type") == "object" and "properties" in schema:
                schema["additionalProperties"] = False
        return schema
