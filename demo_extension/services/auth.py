"""How a connector authenticates to its upstream: headers, query parameters, HTTP Basic or OAuth2.

Built once per sync (or connection test, or preview) from the connector's ``auth_type``, extra
``request_headers`` / ``query_params`` and ``secret_params`` (headers, query parameters, and the
values of the endpoint path's ``{secret:NAME}`` placeholders, filled in as each request is sent).
Every decrypted credential is registered with :mod:`core.redaction` in each encoding it can travel
in (raw, percent- and form-encoded, a Basic header's base64), so that no message, event or log line
can contain it; and the outbound client is told the exact header and parameter names that carry it,
so a redirect to another origin strips them.

Styles (``AuthType``):

* ``bearer``: ``Authorization: Bearer <api_key>``;
* ``header``: ``<auth_header_name>: <api_key>``;
* ``query``: ``?<auth_param_name>=<api_key>``;
* ``basic``: HTTP Basic with ``auth_username`` and ``api_key`` as the password;
* ``basic_key``: HTTP Basic with ``api_key`` as the user name and ``auth_password`` (usually empty,
  Freshdesk wants ``X``): Stripe, Chargebee, Recurly, Freshdesk;
* ``oauth2``: the OAuth2 client-credentials grant: a token from ``oauth_token_url`` (client id and
  secret as Basic, or in the form body with ``client_secret_post``; ``oauth_scopes``,
  ``oauth_audience``), sent as ``Authorization: Bearer``. The token is cached (encrypted) until
  shortly before it expires, under a key of the connector and a keyed fingerprint of its OAuth2
  settings (changing any of them means a new token); a request answered 401 fetches a new token
  and is retried once.
* ``none``: nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math

from django.conf import settings
from django.core.cache import cache

from core.encryption import DecryptionError, decrypt, encrypt
from core.http import OutboundClient, UpstreamResponse
from core.http_errors import OutboundError, UpstreamError
from core.redaction import register_basic_credentials, register_secret, safe_url
from demo_extension.models import AuthType, OAuthClientAuth
from demo_extension.services.credentials import secret_params_of
from demo_extension.services.path_secrets import fill as fill_path_secrets
from demo_extension.services.path_secrets import hide as hide_path_secrets

#: Seconds a token is assumed to live when the token endpoint does not say (``expires_in``).
DEFAULT_TOKEN_LIFETIME = 600
#: A token is dropped from the cache this long before it expires (at most a tenth of its life).
TOKEN_EXPIRY_MARGIN = 30
MAX_TOKEN_LENGTH = 16 * 1024


class RequestAuth:
    """What every request of one sync carries. ``params`` holds only credentials (query auth).

    Send requests with :meth:`get` (or pass ``headers``, ``params``, ``basic`` and the credential
    names to ``OutboundClient`` yourself): with OAuth2 it fetches the token first and retries a 401
    once with a new one.
    """

    def __init__(
        self, headers=None, params=None, basic=None, credential_headers=(), oauth=None, path_secrets=None
    ):
        self.headers: dict[str, str] = dict(headers or {})
        self.params: dict[str, str] = dict(params or {})
        self.basic: tuple[str, str] | None = basic
        self.credential_headers = frozenset(credential_headers)
        self.oauth: OAuth2TokenSource | None = oauth
        #: ``{secret:NAME}`` values of the endpoint's path (``services.path_secrets``)
        self.path_secrets: dict[str, str] = dict(path_secrets or {})
        #: the connector's key, whichever place it goes (a Basic user name with ``basic_key``)
        self.stored_secrets: tuple[str, ...] = ()

    @property
    def credential_params(self) -> frozenset[str]:
        """Query parameter names that carry credentials (kept out of checkpoints and messages)."""
        return frozenset(self.params)

    @property
    def token_pending(self) -> bool:
        """OAuth2 without a token yet: the next request fetches one (send it before any other)."""
        return self.oauth is not None and "Authorization" not in self.headers

    def get(
        self, client: OutboundClient, url: str, *, params: dict | None = None, headers: dict | None = None
    ) -> UpstreamResponse:
        """GET ``url`` with the credentials; with OAuth2, one retry with a new token after a 401."""
        return self.request(client, "GET", url, params=params, headers=headers)

    def request(
        self,
        client: OutboundClient,
        method: str,
        url: str,
        *,
        params: dict | None = None,
        json=None,
        headers: dict | None = None,
    ) -> UpstreamResponse:
        """``method`` ``url`` with the credentials (and ``json`` as the body, if given); with OAuth2, one
        retry with a new token after a 401. ``headers`` (the pagination's, such as a Range cursor) go
        over the connector's own, never over its credentials."""
        if self.token_pending:
            self._use_token(self.oauth.token(client))
        try:
            return self._send(client, method, url, params, json, headers)
        except UpstreamError as exc:
            if self.oauth is None or exc.status_code != 401:
                raise
        self._use_token(self.oauth.token(client, renew=True))
        return self._send(client, method, url, params, json, headers)

    def _send(
        self, client: OutboundClient, method: str, url: str, params, json, extra_headers=None
    ) -> UpstreamResponse:
        headers = self.headers
        if extra_headers:
            credentials = {name.lower() for name in self.credential_headers}
            kept = {k: v for k, v in extra_headers.items() if k.lower() not in credentials}
            own = {k: v for k, v in self.headers.items() if k.lower() not in {n.lower() for n in kept}}
            headers = {**own, **kept}
        try:
            response = client.request(
                method,
                fill_path_secrets(url, self.path_secrets),
                json=json,
                params=params,
                headers=headers,
                auth=self.basic,
                credential_headers=self.credential_headers,
                credential_params=self.credential_params,
            )
        except OutboundError as exc:
            if self.path_secrets:  # its message names the URL: the placeholder, not the key
                exc.message = hide_path_secrets(exc.message, self.path_secrets)
                exc.url = hide_path_secrets(exc.url, self.path_secrets)
            raise
        if self.path_secrets:
            # links are resolved against it and it goes to checkpoints: the placeholder, not the key
            response.url = hide_path_secrets(response.url, self.path_secrets)
        return response

    def _use_token(self, token: str) -> None:
        self.headers["Authorization"] = f"Bearer {token}"

    def secret_values(self) -> list[str]:
        """Every credential the requests carry, as an upstream could echo it back: credential header
        values (and their part after a scheme such as ``Bearer``), credential parameters, the Basic
        password and its header's ``base64(user:password)``, path secrets, the OAuth2 client secret
        and its Basic form (the access token is a credential header once fetched). User names and
        client ids are not secrets."""
        values: list[str] = []
        for name in self.credential_headers:
            value = self.headers.get(name)
            if value:
                values.append(value)
                scheme, _, rest = value.partition(" ")
                if rest and scheme.isalpha():
                    values.append(rest.strip())
        values.extend(self.params.values())
        values.extend(self.path_secrets.values())
        pairs = [self.basic] if self.basic else []
        if self.oauth is not None:
            pairs.append((self.oauth.client_id, self.oauth.client_secret))
        for user, password in pairs:
            values.extend(filter(None, (password, base64.b64encode(f"{user}:{password}".encode()).decode())))
        values.extend(self.stored_secrets)
        return values


def _as_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def base_query_params(connector) -> dict[str, str]:
    """The connector's fixed ``query_params`` as strings (what every first-party request sends)."""
    return {str(name): _as_text(value) for name, value in (connector.query_params or {}).items()}


def credential_carriers(auth_type: str, header_name: str, param_name: str) -> tuple[set[str], set[str]]:
    """The header names (lower case) and query parameter names the auth style ``auth_type`` puts
    its credential under, as :func:`build_request_auth` does: a secret header or parameter of the
    same name would be overwritten or would overwrite it."""
    if auth_type == AuthType.HEADER:
        return {(header_name or "X-API-Key").lower()}, set()
    if auth_type == AuthType.QUERY:
        return set(), {param_name or "api_key"}
    if auth_type == AuthType.NONE:
        return set(), set()
    return {"authorization"}, set()  # bearer, both Basic styles and OAuth2


def build_request_auth(connector) -> RequestAuth:
    """Headers, credential parameters, Basic auth or an OAuth2 token source for ``connector``.

    ``request_headers`` come first so that a configured auth style wins over a stray header of the
    same name; with ``auth_type="none"`` (or no key) the request headers are sent as they are.
    """
    headers = {str(name): _as_text(value) for name, value in (connector.request_headers or {}).items()}
    params: dict[str, str] = {}
    basic = None
    credential_headers: set[str] = set()
    oauth = None
    key = connector.api_key or ""
    auth_type = connector.auth_type or AuthType.BEARER
    register_secret(key)
    if auth_type == AuthType.BASIC:
        # Basic auth makes sense with an empty password too (username-only tokens).
        basic = (connector.auth_username or "", key)
    elif auth_type == AuthType.BASIC_KEY:
        basic = (key, connector.auth_password or "")
    elif auth_type == AuthType.OAUTH2:
        oauth = OAuth2TokenSource(connector)
        headers.pop("Authorization", None)
        credential_headers.add("Authorization")
    elif key and auth_type == AuthType.BEARER:
        headers["Authorization"] = f"Bearer {key}"
        credential_headers.add("Authorization")
    elif key and auth_type == AuthType.HEADER:
        name = connector.auth_header_name or "X-API-Key"
        headers[name] = key
        credential_headers.add(name)
    elif key and auth_type == AuthType.QUERY:
        params[connector.auth_param_name or "api_key"] = key
    if basic is not None:
        register_basic_credentials(*basic)
        credential_headers.add("Authorization")
    extra = secret_params_of(connector)
    for name, value in extra["headers"].items():
        register_secret(value)
        headers[name] = value
        credential_headers.add(name)
    for name, value in extra["query"].items():
        register_secret(value)
        params[name] = value
    for value in extra["path"].values():
        register_secret(value)
    auth = RequestAuth(headers, params, basic, credential_headers, oauth, extra["path"])
    auth.stored_secrets = (key,) if key else ()
    return auth


class OAuth2TokenSource:
    """Access tokens of a connector's OAuth2 client-credentials grant, cached until they expire."""

    def __init__(self, connector):
        self.token_url = connector.oauth_token_url or ""
        self.client_id = connector.oauth_client_id or ""
        self.client_secret = connector.oauth_client_secret or ""
        self.scopes = " ".join((connector.oauth_scopes or "").split())
        self.audience = connector.oauth_audience or ""
        self.client_auth = connector.oauth_client_auth or OAuthClientAuth.BASIC
        register_basic_credentials(self.client_id, self.client_secret)
        self.cache_key = (
            f"migrateiq:oauth2:{connector.tenant_id}:{connector.pk or 'unsaved'}:{self.fingerprint()}"
        )

    def fingerprint(self) -> str:
        """A keyed hash of every setting that decides the token (none of them readable from it)."""
        material = json.dumps(
            [self.token_url, self.client_id, self.client_secret, self.scopes, self.audience, self.client_auth]
        ).encode()
        key = hashlib.sha256(settings.SECRET_KEY.encode()).digest()
        return hashlib.blake2b(material, key=key, digest_size=16).hexdigest()

    def token(self, client: OutboundClient, *, renew: bool = False) -> str:
        """A valid access token: the cached one, or (``renew``, or none cached) a new one."""
        if not renew:
            cached = cache.get(self.cache_key)
            if cached:
                try:
                    token = decrypt(cached)
                except DecryptionError:  # the encryption key was rotated away: fetch a new token
                    token = ""
                if token:
                    register_secret(token)
                    return token
        token, lifetime = self._fetch(client)
        margin = min(TOKEN_EXPIRY_MARGIN, lifetime / 10)
        if lifetime - margin >= 1:
            cache.set(self.cache_key, encrypt(token), timeout=int(lifetime - margin))
        else:
            cache.delete(self.cache_key)
        return token

    def _fetch(self, client: OutboundClient) -> tuple[str, float]:
        if not self.token_url:
            raise UpstreamError("OAuth2 needs oauth_token_url: the connector has none.")
        if not self.client_id or not self.client_secret:
            raise UpstreamError("OAuth2 needs oauth_client_id and oauth_client_secret.")
        form = {"grant_type": "client_credentials"}
        if self.scopes:
            form["scope"] = self.scopes
        if self.audience:
            form["audience"] = self.audience
        basic = None
        if self.client_auth == OAuthClientAuth.POST:
            form.update(client_id=self.client_id, client_secret=self.client_secret)
        else:
            basic = (self.client_id, self.client_secret)
        shown = safe_url(self.token_url)
        try:
            response = client.post(
                self.token_url,
                data=form,
                auth=basic,
                headers={"Accept": "application/json"},
                credential_headers=("Authorization",),
            )
        except OutboundError as exc:
            raise type(exc)(
                f"OAuth2 token request failed: {exc}",
                url=exc.url,
                status_code=exc.status_code,
                attempts=exc.attempts,
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            raise UpstreamError(
                f"The OAuth2 token endpoint {shown} answered HTTP {response.status_code} without an "
                "access_token.",
                url=shown,
                status_code=response.status_code,
            )
        register_secret(token)
        token_type = body.get("token_type")
        if isinstance(token_type, str) and token_type.lower() not in ("bearer", ""):
            raise UpstreamError(
                f"The OAuth2 token endpoint {shown} issued a {token_type[:20]!r} token; only Bearer "
                "tokens are supported.",
                url=shown,
            )
        return token, _lifetime(body.get("expires_in"))


def _lifetime(value) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return DEFAULT_TOKEN_LIFETIME
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return DEFAULT_TOKEN_LIFETIME
    return max(0.0, min(float(value), 366 * 86400.0))
