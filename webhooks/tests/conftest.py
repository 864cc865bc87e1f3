"""Fixtures of the webhooks tests: a real HTTP receiver on 127.0.0.1, endpoints, inline sending.

def test_a_ping_reaches_the_receiver(receiver, make_endpoint):
    endpoint = make_endpoint(url=receiver.url)       # the receiver is allowlisted for the test
    ...
    receiver.requests[0].body, receiver.requests[0].headers
"""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webhooks.models import WebhookEndpoint
from webhooks.services import signing


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver: records every request; answers ``statuses`` in turn (the last repeats)."""

    server: ThreadingHTTPServer
    statuses: list = field(default_factory=lambda: [200])
    #: seconds to wait before answering (a slow receiver)
    delay: float = 0.0
    #: the ``Location`` of a 3xx answer (a receiver that redirects)
    location: str = ""
    requests: list = field(default_factory=list)

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"http://{self.netloc}/hooks/migrateiq"

    def next_status(self) -> int:
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


def _handler(receiver_box: list):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            receiver = receiver_box[0]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            receiver.requests.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            status = receiver.next_status()
            time.sleep(receiver.delay)
            answer = b'{"ok": true}' if status < 400 else b'{"error": "down"}'
            self.send_response(status)
            if receiver.location and 300 <= status < 400:
                self.send_header("Location", receiver.location)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_POST  # what a client that follows a redirected POST sends (recorded, body empty)

        def log_message(self, *args):  # quiet test output
            pass

    return Handler


@pytest.fixture
def make_receiver(settings):
    """Start another receiver (allowlisted); each is stopped at the end of the test."""
    servers: list = []

    def _make() -> Receiver:
        box: list = []
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(box))
        receiver = Receiver(server)
        box.append(receiver)
        servers.append(server)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        settings.MIGRATEIQ_EGRESS_ALLOWLIST = [
            *(getattr(settings, "MIGRATEIQ_EGRESS_ALLOWLIST", None) or []),
            receiver.netloc,
        ]
        return receiver

    yield _make
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver(make_receiver):
    return make_receiver()


@pytest.fixture
def inline_sending(settings):
    """Deliveries are sent in-process when the transaction commits (no Celery worker)."""
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"


@pytest.fixture
def make_endpoint(tenant_a):
    def _make(tenant=None, **fields) -> WebhookEndpoint:
        tenant = tenant or tenant_a
        secret = fields.pop("secret", signing.new_secret())
        count = WebhookEndpoint.objects.for_tenant(tenant).count()
        values = {"name": f"endpoint {count + 1}", "events": ["*"], **fields}
        return WebhookEndpoint.objects.create(
            tenant=tenant, secret=secret, secret_last4=secret[-4:], **values
        )

    return _make
