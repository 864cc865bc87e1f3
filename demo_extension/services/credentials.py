"""A connector's credentials: the stored secrets, the hints shown in their place, and what binds
them to where they are sent.

Secrets are encrypted at rest and never returned; responses and the admin show ``has_<field>``
(and ``api_key_last4`` for the key; the platform's ``core.secret_fields`` shows them). The hint is
kept only for keys long enough that four characters give little away.

A credential is bound to its destination: changing where or how it is sent (the endpoint's origin,
the auth style, the header or query parameter that carries the key, the OAuth2 token URL's origin)
needs the admin role and every stored secret again (or cleared) in the same request, so that an
editor cannot point a connector at a host they control and have the stored key sent there.
"""

import json
from urllib.parse import urlsplit

from core.secret_fields import last4_hint
from demo_extension.models import CONNECTOR_SECRET_FIELDS, AuthType

#: Every encrypted credential of a connector, the key first.
SECRET_FIELDS = ("api_key", *CONNECTOR_SECRET_FIELDS, "secret_params")


def api_key_last4(key: str) -> str:
    """The key's hint (``core.secret_fields.last4_hint``): its last four characters, or "" when the
    key is empty or too short to hint at."""
    return last4_hint(key)


def api_key_fields(key: str) -> dict:
    """The connector fields that setting ``key`` changes ("" clears the key)."""
    return {"api_key": key, "api_key_last4": api_key_last4(key)}


#: The secrets each auth style sends.
SECRETS_SENT_BY = {
    AuthType.BEARER: ("api_key", "secret_params"),
    AuthType.HEADER: ("api_key", "secret_params"),
    AuthType.QUERY: ("api_key", "secret_params"),
    AuthType.BASIC: ("auth_username", "api_key", "secret_params"),
    AuthType.BASIC_KEY: ("api_key", "auth_password", "secret_params"),
    AuthType.OAUTH2: ("oauth_client_secret", "secret_params"),
    AuthType.NONE: ("secret_params",),
}

#: Where a connector's further credentials go: request headers, query parameters, and the
#: endpoint URL's path (``{secret:NAME}`` placeholders, ``services.path_secrets``).
SECRET_PARAM_PLACES = ("headers", "query", "path")


def secret_params_of(connector) -> dict[str, dict[str, str]]:
    """The connector's further credentials: ``{"headers": {name: value}, "query": {name: value},
    "path": {name: value}}``."""
    text = getattr(connector, "secret_params", "") or ""
    stored = json.loads(text) if text else {}
    return {place: dict(stored.get(place) or {}) for place in SECRET_PARAM_PLACES}


def secret_params_fields(value: dict) -> dict:
    """The connector fields that setting further credentials to ``value`` changes (``{}`` or empty
    places clear them): the encrypted JSON and the names shown in clear."""
    kept = {place: dict(value.get(place) or {}) for place in SECRET_PARAM_PLACES}
    names = {place: sorted(kept[place]) for place in SECRET_PARAM_PLACES if kept[place]}
    text = json.dumps({place: items for place, items in kept.items() if items}, sort_keys=True)
    return {"secret_params": text if names else "", "secret_param_names": names}


def stored_secrets(connector, auth_type: str | None = None) -> list[str]:
    """Names of the secret fields that hold a value on ``connector`` and that ``auth_type`` (by
    default the connector's) sends."""
    sent = SECRETS_SENT_BY.get(auth_type or connector.auth_type, SECRET_FIELDS)
    return [name for name in sent if getattr(connector, name, "")]


def endpoint_origin(url: str) -> str:
    """``scheme://host:port`` of ``url`` (default ports spelled out), lower case; "" if unparseable."""
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        return ""
    scheme = (parts.scheme or "").lower()
    host = (parts.hostname or "").lower()
    return f"{scheme}://{host}:{port or (443 if scheme == 'https' else 80)}"


def destination_changes(connector, changes: dict) -> list[str]:
    """The fields in ``changes`` that would send ``connector``'s credentials somewhere else or in
    another way: ``api_endpoint`` / ``oauth_token_url`` to another origin, ``auth_type``,
    ``auth_header_name``, ``auth_param_name``."""
    changed = []
    for name in ("api_endpoint", "oauth_token_url"):
        if name in changes and endpoint_origin(changes[name]) != endpoint_origin(getattr(connector, name)):
            changed.append(name)
    auth_type = changes.get("auth_type", connector.auth_type)
    if auth_type != connector.auth_type:
        changed.append("auth_type")
    # A name matters only for the style that sends the key under it.
    for name, style in (("auth_header_name", AuthType.HEADER), ("auth_param_name", AuthType.QUERY)):
        if auth_type == style and name in changes and changes[name] != getattr(connector, name):
            changed.append(name)
    return changed
