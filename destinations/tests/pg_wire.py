"""A listener on 127.0.0.1 that speaks the start of PostgreSQL's wire protocol, for tests of what
libpq sends a tenant's server (a password, a client certificate) before any query."""

import contextlib
import hashlib
import socket
import struct
import threading

from destinations.models import Destination

SSL_REQUEST = 80877103
GSS_REQUEST = 80877104


class PostgresWireServer:
    """Accepts connections one at a time and hands each to ``answer`` (a subclass's), which reads
    the client's start-up packets with ``next_packet``. Set a subclass's own state before calling
    this ``__init__``: it starts serving at once."""

    def __init__(self):
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self._listener.accept()
                with conn:
                    conn.settimeout(5)
                    with contextlib.suppress(OSError, struct.error):
                        self.answer(conn)

    @staticmethod
    def next_packet(conn) -> tuple[int, bytes]:
        """The next start-up packet: its request code (protocol version, SSL or GSS request) and body."""
        (length,) = struct.unpack("!I", conn.recv(4))
        body = conn.recv(length - 4)
        return struct.unpack("!I", body[:4])[0], body

    def answer(self, conn) -> None:
        raise NotImplementedError

    def close(self):
        self._listener.close()


#: PostgreSQL's authentication requests (the ``R`` message's code) and what follows the code.
CLEARTEXT_PASSWORD = 3
MD5_PASSWORD = 5
SASL = 10
AUTH_REQUESTS = {
    "password": (CLEARTEXT_PASSWORD, b""),
    "md5": (MD5_PASSWORD, b"salt"),
    "scram-sha-256": (SASL, b"SCRAM-SHA-256\0\0"),
}


class PasswordAskingServer(PostgresWireServer):
    """A PostgreSQL server that declines encryption, asks for the password the way ``method`` says
    (``password``: in cleartext, ``md5``, ``scram-sha-256``), writes down every connection and the
    client's answer (the body of its ``p`` message), then fails the sign-in."""

    def __init__(self, method: str = "password"):
        self.method = method
        self.connections = 0
        self.answers: list[bytes] = []
        super().__init__()

    def answer(self, conn):
        self.connections += 1
        while self.next_packet(conn)[0] in (SSL_REQUEST, GSS_REQUEST):
            conn.sendall(b"N")  # no encryption: a password would come in the clear
        code, data = AUTH_REQUESTS[self.method]
        conn.sendall(b"R" + struct.pack("!II", 8 + len(data), code) + data)
        reply = conn.recv(65536)
        if reply[:1] == b"p":
            self.answers.append(reply[5:])
            error = b"SFATAL\0C28P01\0Mpassword authentication failed\0\0"
            conn.sendall(b"E" + struct.pack("!I", len(error) + 4) + error)

    def received(self, password: str, user: str = "postgres") -> bool:
        """Whether an answer holds ``password``: as it is, or as the MD5 answer made from it."""
        inner = hashlib.md5((password + user).encode()).hexdigest()  # noqa: S324 - PostgreSQL's MD5
        md5_answer = "md5" + hashlib.md5(inner.encode() + AUTH_REQUESTS["md5"][1]).hexdigest()  # noqa: S324
        return any(password.encode() in answer or md5_answer.encode() in answer for answer in self.answers)


class RefusingServer(PostgresWireServer):
    """A PostgreSQL server that declines encryption and answers the start-up with a FATAL error
    whose message is ``message`` (what a real server says for a database that does not exist)."""

    def __init__(self, message: str, code: str = "3D000"):
        self.message = message
        self.code = code
        super().__init__()

    def answer(self, conn):
        while self.next_packet(conn)[0] in (SSL_REQUEST, GSS_REQUEST):
            conn.sendall(b"N")
        error = b"SFATAL\0C" + self.code.encode() + b"\0M" + self.message.encode() + b"\0\0"
        conn.sendall(b"E" + struct.pack("!I", len(error) + 4) + error)


def _message(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!I", len(body) + 4) + body


class SilentServer(PostgresWireServer):
    """A PostgreSQL server that lets the client in without a password (``AuthenticationOk``), says
    it is ``version`` at start-up as every server does, and then answers no query: it only reads
    what the client sends until the client goes (``queries`` holds the query messages' bodies)."""

    def __init__(self, version: str = "16.4", hold_seconds: float = 10):
        self.version = version
        self.hold_seconds = hold_seconds
        self.queries: list[bytes] = []
        super().__init__()

    def answer(self, conn):
        while self.next_packet(conn)[0] in (SSL_REQUEST, GSS_REQUEST):
            conn.sendall(b"N")
        conn.sendall(
            _message(b"R", struct.pack("!I", 0))
            + _message(b"S", b"server_version\0" + self.version.encode() + b"\0")
            + _message(b"K", struct.pack("!II", 4242, 1))
            + _message(b"Z", b"I")
        )
        conn.settimeout(self.hold_seconds)
        while data := conn.recv(65536):
            if data[:1] == b"Q":
                self.queries.append(data[5:])


def destination_on(server: PostgresWireServer, tenant, settings, **fields):
    """A destination of ``tenant`` at ``server`` (no password, no TLS), whose port the egress guard
    allows for the test."""
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [f"127.0.0.1:{server.port}"]
    values = {"name": "Wire", "database": "warehouse", "username": "loader", "sslmode": "disable", **fields}
    return Destination.objects.create(tenant=tenant, host="127.0.0.1", port=server.port, **values)
