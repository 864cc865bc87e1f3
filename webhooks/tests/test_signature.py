"""A delivery is signed so that a receiver can prove it came from MigrateIQ, unchanged and recent.

The check below is written from the documented scheme (webhooks/README.md), not with the module's
code: it is what a receiver runs.
"""

import hashlib
import hmac
import json
import time

import pytest

from webhooks.models import DeliveryStatus
from webhooks.services import deliveries, signing

pytestmark = pytest.mark.django_db


def receiver_accepts(secret: str, header: str, body: bytes, *, now: float | None = None) -> bool:
    """A receiver's verification: parse ``t=`` and ``v1=``, refuse a timestamp older than five
    minutes, compare the HMAC-SHA256 of ``"<t>.<body>"`` in constant time."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    if abs((time.time() if now is None else now) - timestamp) > 300:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_a_ping_arrives_signed_and_the_receiver_verifies_it(receiver, make_endpoint):
    endpoint = make_endpoint(url=receiver.url)

    delivery = deliveries.send_ping(endpoint)

    assert delivery.status == DeliveryStatus.SUCCESS and delivery.response_status_code == 200
    [request] = receiver.requests
    assert request.path == "/hooks/migrateiq"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["migrateiq-event"] == "ping"
    assert request.headers["migrateiq-delivery"] == str(delivery.delivery_id)
    assert receiver_accepts(endpoint.secret, request.headers["migrateiq-signature"], request.body)
    payload = json.loads(request.body)
    assert payload["id"] == str(delivery.delivery_id) and payload["event"] == "ping"
    assert payload["tenant"] == {"id": endpoint.tenant_id, "slug": "acme"}


def test_the_receiver_refuses_a_changed_body_another_secret_or_a_replay(receiver, make_endpoint):
    endpoint = make_endpoint(url=receiver.url)
    deliveries.send_ping(endpoint)
    [request] = receiver.requests
    header = request.headers["migrateiq-signature"]

    assert not receiver_accepts(endpoint.secret, header, request.body.replace(b"ping", b"pong"))
    assert not receiver_accepts("whsec_someone-else-entirely", header, request.body)
    # the same request replayed six minutes later: its signed timestamp gives it away
    assert not receiver_accepts(endpoint.secret, header, request.body, now=time.time() + 360)
    assert receiver_accepts(endpoint.secret, header, request.body, now=time.time() + 240)


def test_each_attempt_is_signed_with_its_own_timestamp():
    body = b'{"event":"ping"}'
    first = signing.signature_header("whsec_0123456789abcdef", body, now=1_700_000_000)
    later = signing.signature_header("whsec_0123456789abcdef", body, now=1_700_000_060)

    assert first.startswith("t=1700000000,v1=") and later.startswith("t=1700000060,v1=")
    assert first.split("v1=")[1] != later.split("v1=")[1]
    assert receiver_accepts("whsec_0123456789abcdef", later, body, now=1_700_000_100)


def test_a_generated_secret_is_long_and_prefixed():
    secret = signing.new_secret()
    assert secret.startswith("whsec_") and len(secret) >= 40
    assert secret != signing.new_secret()
