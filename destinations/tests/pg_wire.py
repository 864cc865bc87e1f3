"""A listener on 127.0.0.1 that speaks the start of PostgreSQL's wire protocol, for tests of what
libpq sends a tenant's server (a password, a client certificate) before any query."""

import contextlib
import socket
import struct
import threading

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
