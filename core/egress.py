"""Egress guard (SSRF protection) for the one outbound HTTP client. PLACEHOLDER: being hardened."""

from urllib.parse import urlsplit

from core.http_errors import EgressDenied


def check_url(url: str) -> None:
    """Raise EgressDenied when ``url`` may not be called (scheme, host, resolved addresses)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EgressDenied("Only http and https URLs with a host are allowed.", url=url)
