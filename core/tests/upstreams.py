"""Real local upstreams for the outbound-client tests: a canary that must never be reached, and a raw
TCP server whose connections are scripted (stalls, drips, truncated bodies, bombs). Both listen on
127.0.0.1 only."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Callable


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class TCPUpstream:
    """A TCP server on 127.0.0.1; ``handle(sock, server)`` scripts each accepted connection.

    ``connections`` counts accepted connections. ``stopping`` is set on close so stalled handlers
    can exit.
    """

    def __init__(self, handle: Callable[[socket.socket, TCPUpstream], None]):
        self.connections = 0
        self.requests: list[bytes] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        upstream = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                with upstream._lock:
                    upstream.connections += 1
                try:
                    handle(self.request, upstream)
                except OSError:
                    pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def read_request_head(self, sock: socket.socket) -> bytes:
        """Read one request head (up to the blank line) and remember it."""
        data = b""
        sock.settimeout(5)
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        with self._lock:
            self.requests.append(data)
        return data

    def close(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()


def _answer_canary(sock: socket.socket, upstream: TCPUpstream) -> None:
    upstream.read_request_head(sock)
    body = b'{"canary": "reached"}'
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))


class CanaryServer(TCPUpstream):
    """Counts every TCP connection; it answers 200 so a leak would look like success to the client."""

    def __init__(self):
        super().__init__(_answer_canary)


def http_response(status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    """A complete HTTP/1.1 response as one byte string (one write: no Nagle/delayed-ACK stalls)."""
    lines = [f"HTTP/1.1 {status} X"]
    headers = dict(headers or {})
    headers.setdefault("Content-Length", str(len(body)))
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
