"""Errors of the outbound HTTP client. Every message is safe to show to a tenant: no credentials,
and nothing that tells an internal port open from closed."""


class OutboundError(Exception):
    """Base of every outbound-request failure."""

    def __init__(
        self,
        message: str,
        *,
        url: str = "",
        status_code: int | None = None,
        attempts: int = 0,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.url = url
        self.status_code = status_code
        self.attempts = attempts
        # Seconds the upstream asked to wait before the next request (Retry-After, a rate limit's
        # reset): a person told "try again" can be told when. None when it named no wait.
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message


class EgressDenied(OutboundError):
    """The destination is not allowed (private, loopback, metadata, scheme, port...), or its name
    does not resolve. ``reason``: why, as the end of a sentence ("it is a cloud-metadata address...")."""

    reason = ""


class UpstreamError(OutboundError):
    """The upstream failed: connection error, timeout, non-2xx status after retries."""


class ResponseTooLarge(UpstreamError):
    """The decoded response body exceeded the configured cap."""
