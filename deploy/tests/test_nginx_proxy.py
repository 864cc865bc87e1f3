"""The Compose reverse proxy (deploy/nginx/migrateiq.conf): its directives, and the real thing.

gunicorn's sync and threaded workers give a connection its worker (or thread) from the first byte,
so a client that sends its request headers slowly holds it ("slowloris"). The proxy reads each
request in full before gunicorn sees it. The real test runs Debian's nginx (scripts/services.sh
installs it) as a child process with this very file, in front of a real gunicorn of the project,
and shows slow clients stop that gunicorn when they reach it directly, but not through nginx.
"""

import http.client
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.test import RequestFactory
from rest_framework.throttling import BaseThrottle

from core.request_limits import RequestBodyLimitMiddleware
from core.tests.upstreams import free_port
from deploy.tests.tools import PROJECT_ROOT

CONFIG = PROJECT_ROOT / "deploy/nginx/migrateiq.conf"
NGINX = "/usr/sbin/nginx"
VENV_BIN = Path(sys.executable).parent
SLOW_CONNECTIONS = 4
DRIP_SECONDS = 2.0


def directive(name: str) -> str:
    """The value of a directive the server block sets once."""
    (value,) = re.findall(rf"^\s*{name}\s+([^;]+);", CONFIG.read_text(), re.MULTILINE)
    return value.strip()


def seconds(value: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(ms|s|m)?", value).groups()
    return int(number) * {"ms": 0.001, "s": 1, "m": 60, None: 1}[unit]


def size_in_bytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmMgG])?", value).groups()
    return int(number) * {None: 1, "k": 1024, "m": 1024**2, "g": 1024**3}[(unit or "").lower() or None]


# --- the configuration ---------------------------------------------------------------------------


def test_a_client_has_ten_seconds_at_most_for_its_headers_and_between_body_reads():
    assert seconds(directive("client_header_timeout")) <= 10
    assert seconds(directive("client_body_timeout")) <= 10


def test_requests_and_answers_are_buffered_so_gunicorn_never_waits_on_a_client():
    assert directive("proxy_request_buffering") == "on"
    assert directive("proxy_buffering") == "on"


def test_the_body_limit_is_djangos_and_the_refusal_is_the_apis_own_413():
    assert size_in_bytes(directive("client_max_body_size")) == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    too_large = RequestFactory().post("/api/", CONTENT_LENGTH=str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))
    djangos = RequestBodyLimitMiddleware(lambda request: None)(too_large)

    nginxs = re.search(r"return 413 '(\{[^']*\})", CONFIG.read_text()).group(1)

    assert djangos.status_code == 413
    assert json.loads(nginxs) == json.loads(djangos.content)


def test_a_wait_of_sixty_seconds_outlasts_no_proxy_timeout():
    gunicorn_timeout = 60  # gunicorn.conf.py's default GUNICORN_TIMEOUT; the API's longest ?wait=
    assert seconds(directive("proxy_read_timeout")) > gunicorn_timeout


def test_host_client_address_and_scheme_are_forwarded():
    text = CONFIG.read_text()
    assert re.search(r"proxy_set_header Host \$http_host;", text)
    assert re.search(r"proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;", text)
    assert re.search(r"proxy_set_header X-Forwarded-Proto \$migrateiq_forwarded_proto;", text)
    assert re.search(r"^\s*server web:8000;", text, re.MULTILINE), "the upstream is Compose's web service"


# --- a real nginx in front of a real gunicorn --------------------------------------------------


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert process.poll() is None, f"exited early:\n{log.read_text(errors='replace')[-3000:]}"
            assert time.monotonic() < deadline, f"no port {port} after {timeout}s"
            time.sleep(0.1)


@pytest.fixture
def processes():
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def nginx(processes):
    """start(upstream_port) -> the port of an nginx running deploy/nginx/migrateiq.conf in front of it."""
    assert os.access(NGINX, os.X_OK), "nginx is not installed: scripts/services.sh installs it"
    prefix = Path(tempfile.mkdtemp(prefix="migrateiq-nginx-"))
    # As root (CI containers), nginx runs as nobody: an unprivileged process, as for anyone else.
    nobody = pwd.getpwnam("nobody") if os.geteuid() == 0 else None
    if nobody:
        os.chown(prefix, nobody.pw_uid, nobody.pw_gid)

    def start(upstream_port: int) -> int:
        port = free_port()
        site = CONFIG.read_text()
        site = re.sub(r"server web:8000;", f"server 127.0.0.1:{upstream_port};", site)
        site = re.sub(r"listen 8000 default_server;", f"listen 127.0.0.1:{port} default_server;", site)
        (prefix / "migrateiq.conf").write_text(site)
        temp_paths = "".join(
            f"    {name}_temp_path {prefix}/{name};\n"
            for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (prefix / "nginx.conf").write_text(
            f"worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log info;\n"
            f"events {{ worker_connections 256; }}\n"
            f"http {{\n    access_log {prefix}/access.log;\n{temp_paths}"
            f"    include {prefix}/migrateiq.conf;\n}}\n"
        )
        log = prefix / "stderr.log"
        with log.open("ab") as output:
            process = subprocess.Popen(
                [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                stdout=output,
                stderr=subprocess.STDOUT,
                user=nobody.pw_uid if nobody else None,
                group=nobody.pw_gid if nobody else None,
            )
        processes.append(process)
        wait_for_port(port, process, log)
        return port

    yield start
    shutil.rmtree(prefix, ignore_errors=True)


@pytest.fixture
def gunicorn(processes, tmp_path):
    """A gunicorn of the project (gunicorn.conf.py), one process of two threads, on a free port."""
    port = free_port()
    env = {
        "PATH": f"{VENV_BIN}:/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(PROJECT_ROOT),
        "MIGRATEIQ_VAR_DIR": str(tmp_path / "var"),
        "LOG_FORMAT": "text",
        "HOME": str(tmp_path),
        "NUM_PROXIES": "1",
    }
    log = tmp_path / "gunicorn.log"
    argv = [str(VENV_BIN / "gunicorn"), "migrateiq.wsgi", "-c", "gunicorn.conf.py"]
    argv += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"]
    with log.open("ab") as output:
        process = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    processes.append(process)
    wait_for_port(port, process, log, timeout=60)
    assert healthz_seconds(port, timeout=30) is not None, log.read_text(errors="replace")[-3000:]
    return port


def healthz_seconds(port: int, timeout: float = 1.0) -> float | None:
    """How long GET /healthz took to answer 200, or None if it did not within the timeout."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
        response = connection.getresponse()
        assert response.status == 200, response.read()
        return time.monotonic() - started
    except TimeoutError:
        return None
    finally:
        connection.close()


class SlowClients:
    """Connections that start a request and send one more header line every DRIP_SECONDS, never
    ending it: the attack of docs/security.md D1."""

    def __init__(self, port: int, count: int = SLOW_CONNECTIONS):
        self.sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
        for sock in self.sockets:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        self.opened = time.monotonic()
        self._stop = threading.Event()
        self._dripper = threading.Thread(target=self._drip, daemon=True)
        self._dripper.start()

    def _drip(self) -> None:
        while not self._stop.wait(DRIP_SECONDS):
            for sock in self.sockets:
                try:
                    sock.sendall(b"X-a: b\r\n")
                except OSError:
                    pass  # closed by the server

    def closed_by_the_server_before(self, deadline: float) -> bool:
        for sock in self.sockets:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                if sock.recv(1024) != b"":
                    return False
            except ConnectionResetError:
                pass
            except TimeoutError:
                return False
        return True

    def close(self) -> None:
        self._stop.set()
        self._dripper.join()
        for sock in self.sockets:
            sock.close()


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_slow_header_clients_stop_gunicorn_directly_but_not_through_the_proxy(gunicorn, nginx):
    proxy = nginx(gunicorn)
    assert healthz_seconds(proxy) is not None

    # The control: straight to gunicorn, four slow clients hold both of its threads.
    direct = SlowClients(gunicorn)
    try:
        time.sleep(0.5)
        assert healthz_seconds(gunicorn) is None, "gunicorn answered: the control shows nothing"
    finally:
        direct.close()
    assert healthz_seconds(gunicorn, timeout=5) is not None

    # Through nginx: the same clients cost gunicorn nothing.
    slow = SlowClients(proxy)
    try:
        answers = []
        while time.monotonic() - slow.opened < 3 * DRIP_SECONDS:
            answers.append(healthz_seconds(proxy))
            time.sleep(0.5)
        assert None not in answers and max(answers) < 1.0, answers
        # And nginx drops them once client_header_timeout (10 s) has passed.
        header_timeout = seconds(directive("client_header_timeout"))
        assert slow.closed_by_the_server_before(slow.opened + header_timeout + 3)
    finally:
        slow.close()


class RecordingUpstream(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        RecordingUpstream.seen.append(dict(self.headers))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, format, *args):
        pass


@pytest.fixture
def recording_upstream():
    RecordingUpstream.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordingUpstream)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def get(port: int, path: str, headers: dict) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_the_proxy_forwards_host_and_scheme_and_appends_the_real_client_address(
    nginx, recording_upstream, settings
):
    proxy = nginx(recording_upstream)

    status, _ = get(proxy, "/api/auth/me/", {"Host": "migrateiq.example.com:8000"})
    assert status == 200
    status, _ = get(proxy, "/healthz", {"Host": "localhost", "X-Forwarded-For": "203.0.113.9"})
    assert status == 200

    first, forged = RecordingUpstream.seen
    assert first["Host"] == "migrateiq.example.com:8000"  # port kept: Django's CSRF origin check
    assert first["X-Forwarded-For"] == "127.0.0.1"
    assert first["X-Forwarded-Proto"] == "http"
    # A client's own X-Forwarded-For comes first; with NUM_PROXIES=1 the app takes the last one.
    assert forged["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}  # compose.yaml's web
    seen_by_the_app = RequestFactory().get(
        "/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR=forged["X-Forwarded-For"]
    )
    assert BaseThrottle().get_ident(seen_by_the_app) == "127.0.0.1"  # the login throttle's key


def test_the_proxys_own_refusals_answer_in_the_apis_json_shape(nginx, recording_upstream):
    proxy = nginx(recording_upstream)
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    with socket.create_connection(("127.0.0.1", proxy), timeout=5) as sock:
        sock.sendall(
            f"POST /api/connectors/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {limit + 1}\r\n\r\n".encode()
        )
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
    assert response.status == 413
    assert response.getheader("Content-Type") == "application/json"
    assert json.loads(body) == {"detail": f"The request body is larger than {limit} bytes, the limit."}
    assert RecordingUpstream.seen == []  # nothing reached the web process


def test_the_proxy_answers_in_json_when_the_web_process_is_down(nginx):
    proxy = nginx(free_port())
    status, body = get(proxy, "/api/auth/me/", {"Host": "127.0.0.1"})
    assert status == 502
    assert "detail" in json.loads(body)
