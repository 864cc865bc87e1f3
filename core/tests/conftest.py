"""Fixtures of the outbound-client and egress tests: local upstreams on 127.0.0.1, a canary, a
hermetic resolver (no test ever sends a DNS query) and a spy on the guarded connect."""

from __future__ import annotations

import socket
from collections import deque

import pytest
from pytest_httpserver import HTTPServer

import core.egress
from core.http import OutboundClient
from core.tests.upstreams import CanaryServer

_REAL_GETADDRINFO = socket.getaddrinfo


class FakeResolver:
    """Stands in for ``socket.getaddrinfo``: names come from ``answers`` / ``sequences``; anything
    else resolves only if it is a numeric address (AI_NUMERICHOST), so no DNS query leaves the box."""

    def __init__(self):
        self.answers: dict[str, list[str]] = {"localhost": ["127.0.0.1", "::1"]}
        self.sequences: dict[str, deque[list[str]]] = {}
        # name -> the getaddrinfo error its lookup fails with (socket.EAI_AGAIN: the resolver did not answer)
        self.failures: dict[str, int] = {}
        self.calls: list[str] = []

    def rotate(self, name: str, *answers: list[str]) -> None:
        """Successive lookups of ``name`` return successive answers (the last one repeats)."""
        self.sequences[name] = deque(answers)

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else str(host)
        self.calls.append(name)
        key = name.lower().rstrip(".")
        if key in self.failures:
            raise socket.gaierror(self.failures[key], "Temporary failure in name resolution")
        if key in self.sequences:
            queue = self.sequences[key]
            addresses = queue.popleft() if len(queue) > 1 else queue[0]
        elif key in self.answers:
            addresses = self.answers[key]
        else:
            return _REAL_GETADDRINFO(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        port_number = int(port or 0)
        infos = []
        for address in addresses:
            if ":" in address:
                infos.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port_number, 0, 0)))
            else:
                infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port_number)))
        return infos


@pytest.fixture
def resolver(monkeypatch) -> FakeResolver:
    fake = FakeResolver()
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


class ConnectSpy:
    """Records every socket address the guarded backend connects to. ``reroute`` maps a checked
    address to the local server that should really answer (so "public" answers never leave the box)."""

    def __init__(self):
        self.connected: list[tuple] = []
        self.reroute: dict[str, tuple[str, int]] = {}

    def __call__(self, family, socktype, proto, sockaddr, timeout):
        self.connected.append(sockaddr)
        if sockaddr[0] in self.reroute:
            sock = socket.create_connection(self.reroute[sockaddr[0]], timeout)
            return sock
        if sockaddr[0] != "127.0.0.1":
            raise AssertionError(f"test tried to connect to {sockaddr!r}; only 127.0.0.1 is allowed")
        return _REAL_CONNECT(family, socktype, proto, sockaddr, timeout)


_REAL_CONNECT = core.egress._connect_socket


@pytest.fixture
def connect_spy(monkeypatch) -> ConnectSpy:
    spy = ConnectSpy()
    monkeypatch.setattr(core.egress, "_connect_socket", spy)
    return spy


@pytest.fixture
def canary():
    server = CanaryServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def _upstream_server():
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture(scope="session")
def _second_upstream_server():
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def upstream(_upstream_server, settings):
    """A local upstream (pytest-httpserver) on 127.0.0.1, allowlisted by IP and port."""
    _upstream_server.clear()
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [f"127.0.0.1:{_upstream_server.port}"]
    yield _upstream_server
    _upstream_server.clear()


@pytest.fixture
def second_upstream(_second_upstream_server, upstream, settings):
    """Another allowlisted upstream: a different origin (other port) for cross-origin redirects."""
    _second_upstream_server.clear()
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [
        *settings.MIGRATEIQ_EGRESS_ALLOWLIST,
        f"127.0.0.1:{_second_upstream_server.port}",
    ]
    yield _second_upstream_server
    _second_upstream_server.clear()


class RecordingClient(OutboundClient):
    """An OutboundClient whose retry waits are recorded instead of slept."""

    def __init__(self, **kwargs):
        self.waits: list[float] = []
        self.retry_messages: list[str] = []
        kwargs.setdefault("on_retry", self.retry_messages.append)
        super().__init__(sleep=self.waits.append, **kwargs)


@pytest.fixture
def make_client():
    clients: list[OutboundClient] = []

    def make(**kwargs) -> RecordingClient:
        client = RecordingClient(**kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
