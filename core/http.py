"""The one outbound HTTP client for user-given URLs. PLACEHOLDER: being hardened (guard, retries,
size cap, redirects). The interface below is stable: code elsewhere depends on it."""

import time
from dataclasses import dataclass

import httpx
from django.conf import settings

from core.egress import check_url
from core.http_errors import UpstreamError
from core.redaction import safe_url


@dataclass
class UpstreamResponse:
    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str
    elapsed_ms: float

    def json(self):
        import json

        return json.loads(self.content)


class OutboundClient:
    def __init__(self, *, timeout=None, connect_timeout=None, max_bytes=None, max_attempts=None, on_retry=None):
        self.timeout = timeout or settings.MIGRATEIQ_HTTP_TIMEOUT
        self.connect_timeout = connect_timeout or settings.MIGRATEIQ_HTTP_CONNECT_TIMEOUT
        self.max_bytes = max_bytes or settings.MIGRATEIQ_HTTP_MAX_RESPONSE_BYTES
        self.max_attempts = max_attempts or settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS
        self.on_retry = on_retry
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout), trust_env=False
        )

    def request(self, method, url, *, params=None, headers=None, auth=None) -> UpstreamResponse:
        check_url(url)
        started = time.monotonic()
        try:
            response = self._client.request(method, url, params=params, headers=headers, auth=auth)
        except httpx.HTTPError as exc:
            raise UpstreamError(
                f"Could not reach {safe_url(url)}: {type(exc).__name__}", url=safe_url(url), attempts=1
            ) from None
        if not 200 <= response.status_code < 300:
            raise UpstreamError(
                f"HTTP {response.status_code} from {safe_url(url)} after 1 attempt(s)",
                url=safe_url(url),
                status_code=response.status_code,
                attempts=1,
            )
        return UpstreamResponse(
            response.status_code,
            response.headers,
            response.content,
            str(response.url),
            (time.monotonic() - started) * 1000,
        )

    def get(self, url, **kwargs) -> UpstreamResponse:
        return self.request("GET", url, **kwargs)

    def close(self):
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
