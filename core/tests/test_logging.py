"""Structured logs: JSON / text formats, request context on every line, redaction, Celery workers."""

import io
import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.test import Client

from core.logging import JsonFormatter, RequestContextFilter, TextFormatter
from core.redaction import REDACTED, register_secret
from core.request_context import bind_log_context

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Lines of the tests' own logger; other threads (servers of earlier tests) may log meanwhile.
TEST_LOGGER = "migrateiq.tests.logging"
log = logging.getLogger(TEST_LOGGER)


class Captured:
    def __init__(self, stream: io.StringIO):
        self.stream = stream

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stream.getvalue().splitlines() if line.strip()]

    @property
    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.lines]

    @property
    def own_records(self) -> list[dict]:
        return [r for r in self.records if r["logger"] == TEST_LOGGER]

    @property
    def own_lines(self) -> list[str]:
        return [line for line in self.lines if f" {TEST_LOGGER}: " in line]


@pytest.fixture
def capture_logs():
    """Attach a handler configured like production's (filter + formatter) to the root logger."""
    handlers = []

    def _capture(formatter=None) -> Captured:
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter or JsonFormatter())
        handler.addFilter(RequestContextFilter())
        handler.setLevel(logging.DEBUG)
        logging.getLogger().addHandler(handler)
        handlers.append(handler)
        return Captured(stream)

    yield _capture
    for handler in handlers:
        logging.getLogger().removeHandler(handler)


def test_json_lines_carry_the_bound_context(capture_logs):
    captured = capture_logs()
    with bind_log_context(request_id="req-0001-abcd", tenant="acme", user=7, connector=12, sync=99):
        log.warning("page %d fetched", 3)

    (record,) = captured.own_records
    assert record["message"] == "page 3 fetched"
    assert record["level"] == "WARNING"
    assert record["logger"] == TEST_LOGGER
    assert record["ts"].endswith("+00:00")
    assert {k: record[k] for k in ("request_id", "tenant", "user", "connector", "sync")} == {
        "request_id": "req-0001-abcd",
        "tenant": "acme",
        "user": 7,
        "connector": 12,
        "sync": 99,
    }


def test_json_lines_leave_out_unknown_context_and_include_extra_fields(capture_logs):
    captured = capture_logs()
    log.info("done", extra={"records": 40, "sync": 5})

    (record,) = captured.own_records
    assert record["records"] == 40
    assert record["sync"] == 5
    assert "tenant" not in record and "request_id" not in record


def test_a_registered_secret_is_redacted_from_message_extras_and_tracebacks(capture_logs):
    canary = "canary-secret-7Hq2Zp9"
    register_secret(canary)
    captured = capture_logs()
    log.error("upstream refused key %s", canary, extra={"detail": f"sent {canary}"})
    try:
        raise RuntimeError(f"request with {canary} failed")
    except RuntimeError:
        log.exception("sync failed")

    output = captured.stream.getvalue()
    assert canary not in output
    first, second = captured.own_records
    assert first["message"] == f"upstream refused key {REDACTED}"
    assert first["detail"] == f"sent {REDACTED}"
    assert REDACTED in second["exc"]


def test_an_authorization_header_in_a_log_line_is_redacted(capture_logs):
    captured = capture_logs()
    log.info("headers: Authorization: Bearer eyJhbGciOi.canary.sig, Accept: json")

    (record,) = captured.own_records
    assert "eyJhbGciOi.canary.sig" not in record["message"]
    assert REDACTED in record["message"]


def test_text_lines_are_readable_and_redacted(capture_logs):
    captured = capture_logs(TextFormatter())
    with bind_log_context(request_id="req-0002-abcd", tenant="acme"):
        log.info("calling with api_key=canary-text-secret")

    (line,) = captured.own_lines
    assert f"INFO    {TEST_LOGGER}: calling with api_key=[REDACTED]" in line
    assert line.endswith("[request_id=req-0002-abcd tenant=acme]")
    assert "canary-text-secret" not in line


def test_a_request_id_header_round_trips_and_marks_the_lines_of_that_request(capture_logs, db):
    captured = capture_logs()
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="client-chosen-id-0042")

    assert response["X-Request-ID"] == "client-chosen-id-0042"
    access = [r for r in captured.records if r["logger"] == "migrateiq.request"]
    assert len(access) == 1
    assert access[0]["request_id"] == "client-chosen-id-0042"
    assert access[0]["route"] == "/healthz"
    assert access[0]["status"] == 200
    assert access[0]["http_method"] == "GET"


@pytest.mark.parametrize(
    "unsafe",
    [
        "bad id\nwith newline",
        "trailing-newline-0001\n",  # a pattern ending in $ takes it (and the response was a 500)
        "trailing-crlf-0001\r\n",
        "x" * 129,
        "short",
        "unicode-digits-١٢٣٤",
        "spaces are not in it",
        "a,b-two-ids-joined",
        "",
    ],
)
def test_an_unsafe_request_id_header_is_replaced(capture_logs, db, unsafe):
    captured = capture_logs()
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=unsafe)

    assert response.status_code == 200
    generated = response["X-Request-ID"]
    assert generated != unsafe
    assert len(generated) == 32
    assert [r["request_id"] for r in captured.records if r["logger"] == "migrateiq.request"] == [generated]


def test_lines_of_an_authenticated_request_carry_tenant_and_user(capture_logs, admin_client, admin_user):
    captured = capture_logs()
    response = admin_client.get("/api/auth/me/", HTTP_X_REQUEST_ID="me-request-0001")

    assert response.status_code == 200
    (access,) = [r for r in captured.records if r["logger"] == "migrateiq.request"]
    assert access["request_id"] == "me-request-0001"
    assert access["tenant"] == "acme"
    assert access["user"] == admin_user.pk


def test_djangos_own_error_lines_keep_the_request_context(capture_logs, admin_client, admin_user):
    """``django.request`` logs 4xx responses after the middleware returned; the line still has the id."""
    captured = capture_logs()
    response = admin_client.get("/api/tenancy/members/999999/", HTTP_X_REQUEST_ID="missing-member-0001")

    assert response.status_code == 404
    (warning,) = [r for r in captured.records if r["logger"] == "django.request"]
    assert warning["request_id"] == "missing-member-0001"
    assert warning["tenant"] == "acme"
    assert warning["user"] == admin_user.pk
    assert "request" not in warning


def test_no_context_leaks_into_lines_logged_after_a_request(capture_logs, admin_client):
    admin_client.get("/api/auth/me/")
    captured = capture_logs()
    log.info("after the request")

    (record,) = captured.own_records
    assert "request_id" not in record and "tenant" not in record and "user" not in record


def _run_python(code: str, tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MIGRATEIQ_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "migrateiq.settings",
        "LOG_FORMAT": "json",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.mark.slow
def test_log_format_json_configures_json_lines_for_the_whole_process(tmp_path):
    result = _run_python(
        """
        import logging, django
        django.setup()
        from core.request_context import bind_log_context
        with bind_log_context(sync=3):
            logging.getLogger("some_module.sync").info("configured by settings")
        """,
        tmp_path,
    )
    (line,) = [line for line in result.stderr.splitlines() if "configured by settings" in line]
    record = json.loads(line)
    assert record["logger"] == "some_module.sync"
    assert record["sync"] == 3


@pytest.mark.slow
def test_celery_worker_and_task_lines_use_the_same_json_format(tmp_path):
    """What ``celery -A migrateiq worker`` does at start: import modules (Django set-up), set up logging."""
    result = _run_python(
        """
        import logging
        from celery.utils.log import get_task_logger
        from migrateiq.celery import app
        app.loader.init_worker()
        app.log.setup(loglevel="INFO", redirect_stdouts=False)
        from core.request_context import bind_log_context
        with bind_log_context(connector=8, sync=21):
            get_task_logger("some_module.tasks").info("task line")
        logging.getLogger("celery.worker").info("worker line")
        """,
        tmp_path,
    )
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    task = [r for r in lines if r["message"] == "task line"]
    worker = [r for r in lines if r["message"] == "worker line"]
    assert len(task) == 1 and len(worker) == 1
    assert task[0]["connector"] == 8 and task[0]["sync"] == 21
    # and no second, Celery-formatted copy of the task line
    assert [
        line for line in result.stderr.splitlines() if "task line" in line and not line.startswith("{")
    ] == []


@pytest.fixture
def logging_task():
    """A Celery task that logs one line, run eagerly (``task.apply``) with the worker's signals."""
    from migrateiq.celery import app

    @app.task(name="core.tests.log_a_line", shared=False)
    def log_a_line():
        log.info("inside the task")

    yield log_a_line
    app.tasks.pop("core.tests.log_a_line", None)


def test_task_lines_carry_the_task_id_and_the_queuing_requests_id(capture_logs, logging_task):
    from core.logging import REQUEST_ID_HEADER

    captured = capture_logs()
    result = logging_task.apply(task_id="task-0001", headers={REQUEST_ID_HEADER: "queued-by-request-01"})
    log.info("after the task")

    assert result.successful()
    inside, after = captured.own_records
    assert inside["task_id"] == "task-0001"
    assert inside["request_id"] == "queued-by-request-01"
    assert "task_id" not in after and "request_id" not in after


def test_publishing_a_task_sends_the_current_request_id_along():
    from celery.signals import before_task_publish

    from core.logging import REQUEST_ID_HEADER

    headers = {}
    with bind_log_context(request_id="api-request-0042"):
        before_task_publish.send(sender="some_module.tasks.run", headers=headers, body=())
    outside = {}
    before_task_publish.send(sender="some_module.tasks.run", headers=outside, body=())

    assert headers[REQUEST_ID_HEADER] == "api-request-0042"
    assert REQUEST_ID_HEADER not in outside
