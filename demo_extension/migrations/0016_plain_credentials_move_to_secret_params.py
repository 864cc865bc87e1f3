"""Credentials saved in plain settings before they were refused move into the encrypted secret_params.

Connectors saved before names that carry a credential were refused in ``request_headers``,
``query_params`` and the endpoint URL's query (``X-API-Key``, ``api_key``, ``access_token``...)
keep them in clear, shown to every member. Each such entry moves into ``secret_params`` (encrypted,
write-only), or is removed where the connector never sent it: the auth style's own header or
parameter, or a secret parameter of the same name, overrode it at send time. What a connector sends
does not change.
"""

import json
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.db import migrations

from core.secret_fields import names_a_credential

PLACES = ("headers", "query")


def _carriers(connector) -> tuple[set[str], set[str]]:
    """Header names (lower case) and parameter names the connector's auth style sends its key under
    (as ``services.auth.credential_carriers`` says at the time of this migration)."""
    auth_type = connector.auth_type or "bearer"
    if auth_type == "header":
        return {(connector.auth_header_name or "X-API-Key").lower()}, set()
    if auth_type == "query":
        return set(), {connector.auth_param_name or "api_key"}
    if auth_type == "none":
        return set(), set()
    return {"authorization"}, set()


def move_plain_credentials(apps, schema_editor):
    Connector = apps.get_model("demo_extension", "CustomDataConnector")
    for connector in Connector.objects.all().iterator():
        headers = dict(connector.request_headers or {})
        query = dict(connector.query_params or {})
        parts = urlsplit(connector.api_endpoint or "")
        url_pairs = parse_qsl(parts.query, keep_blank_values=True)
        if not (
            any(names_a_credential(str(name)) for name in headers)
            or any(names_a_credential(str(name)) for name in query)
            or any(names_a_credential(name) for name, _ in url_pairs)
        ):
            continue
        stored = json.loads(connector.secret_params) if connector.secret_params else {}
        secret = {place: dict(stored.get(place) or {}) for place in PLACES}
        header_carriers, param_carriers = _carriers(connector)

        for name in [name for name in headers if names_a_credential(str(name))]:
            value = headers.pop(name)
            sent = str(name).lower() not in header_carriers and not any(
                str(name).lower() == other.lower() for other in secret["headers"]
            )
            if sent:
                secret["headers"][str(name)] = str(value)
        # query_params win over the URL's own query (moved first, it is then in secret["query"]); the
        # auth style and secret parameters win over both
        for name in [name for name in query if names_a_credential(str(name))]:
            value = query.pop(name)
            if str(name) not in param_carriers and str(name) not in secret["query"]:
                secret["query"][str(name)] = str(value)
        kept_pairs = []
        for name, value in url_pairs:
            if not names_a_credential(name):
                kept_pairs.append((name, value))
            elif name not in param_carriers and name not in secret["query"]:
                secret["query"][name] = value
        if len(kept_pairs) != len(url_pairs):
            connector.api_endpoint = urlunsplit(parts._replace(query=urlencode(kept_pairs)))

        names = {place: sorted(secret[place]) for place in PLACES if secret[place]}
        connector.secret_params = (
            json.dumps({place: items for place, items in secret.items() if items}, sort_keys=True)
            if names
            else ""
        )
        connector.secret_param_names = names
        connector.request_headers = headers
        connector.query_params = query
        connector.save(
            update_fields=["secret_params", "secret_param_names", "request_headers", "query_params", "api_endpoint"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("demo_extension", "0015_secret_params"),
    ]

    operations = [migrations.RunPython(move_plain_credentials, migrations.RunPython.noop)]
