"""The signature every delivery carries, in the shape of Stripe's.

``MigrateIQ-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the
endpoint's secret>``. A receiver recomputes the HMAC over the raw body it received, compares in
constant time and refuses a timestamp older than :data:`TOLERANCE_SECONDS` (a replayed delivery
carries its old timestamp, which is signed too). ``webhooks/README.md`` has a receiver's check.
"""

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "MigrateIQ-Signature"
EVENT_HEADER = "MigrateIQ-Event"
DELIVERY_HEADER = "MigrateIQ-Delivery"
TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of generated secrets, not a secret


def new_secret() -> str:
    """A fresh signing secret (256 random bits)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"``."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, *, now: float | None = None) -> str:
    """The ``MigrateIQ-Signature`` value for ``body`` sent now."""
    timestamp = int(time.time() if now is None else now)
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"
