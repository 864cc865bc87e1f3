"""How a connector authenticates to its upstream: headers, query parameters or HTTP Basic credentials.

Built once per sync from the connector's ``auth_type`` and extra ``request_headers`` /
``query_params``; the decrypted key is registered with :mod:`core.redaction` so that no message a
sync writes can contain it.
"""

from dataclasses import dataclass, field

from core.redaction import register_secret
from demo_extension.models import AuthType


@dataclass(frozen=True)
class RequestAuth:
    """What every request of one sync carries. ``params`` holds only credentials (query auth)."""

    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    basic: tuple[str, str] | None = None

    @property
    def credential_params(self) -> frozenset[str]:
        """Query parameter names that carry credentials (kept out of checkpoints and messages)."""
        return frozenset(self.params)


def _as_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def base_query_params(connector) -> dict[str, str]:
    """The connector's fixed ``query_params`` as strings (what every first-party request sends)."""
    return {str(name): _as_text(value) for name, value in (connector.query_params or {}).items()}


def build_request_auth(connector) -> RequestAuth:
    """Headers, credential parameters and Basic auth for ``connector`` (``bearer`` by default).

    ``request_headers`` come first so that a configured auth style wins over a stray header of the
    same name; with ``auth_type="none"`` (or no key) the request headers are sent as they are.
    """
    headers = {str(name): _as_text(value) for name, value in (connector.request_headers or {}).items()}
    params: dict[str, str] = {}
    basic = None
    key = connector.api_key or ""
    auth_type = connector.auth_type or AuthType.BEARER
    register_secret(key)
    if auth_type == AuthType.BASIC:
        # Basic auth makes sense with an empty password too (username-only tokens).
        basic = (connector.auth_username or "", key)
    elif key and auth_type == AuthType.BEARER:
        headers["Authorization"] = f"Bearer {key}"
    elif key and auth_type == AuthType.HEADER:
        headers[connector.auth_header_name or "X-API-Key"] = key
    elif key and auth_type == AuthType.QUERY:
        params[connector.auth_param_name or "api_key"] = key
    return RequestAuth(headers=headers, params=params, basic=basic)
