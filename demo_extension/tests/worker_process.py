"""Real Celery worker subprocesses for the background-sync tests.

A worker runs ``celery -A migrateiq worker`` with the environment of a MigrateIQ process that
shares the test's database and secrets, on a queue (and Redis key prefix) unique to the test run,
so parallel test runs on one Redis never see each other's messages. The test process publishes
to the same broker through :func:`publishing_to`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection
from kombu import pools

from migrateiq.celery import app as celery_app

BASE_DIR = Path(__file__).resolve().parents[2]
READY_TIMEOUT_SECONDS = 30


def database_url() -> str:
    """A ``DATABASE_URL`` for the database the test process is using right now (the test database)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("A worker subprocess cannot share an in-memory SQLite database")
        return f"sqlite:///{Path(name).resolve()}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        user = db.get("USER") or ""
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        auth = f"{user}{password}@" if user else ""
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}{port}/{db['NAME']}"
    raise RuntimeError(f"Unsupported database engine for worker tests: {db['ENGINE']}")


def worker_environment(*, var_dir: Path, broker_url: str | None, queue: str, key_prefix: str = "", **extra):
    """The environment of a MigrateIQ worker sharing this process's database and secrets."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "MIGRATEIQ_", "PYTEST_"))
        and key not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="migrateiq.settings",
        PYTHONDONTWRITEBYTECODE="1",
        DATABASE_URL=database_url(),
        MIGRATEIQ_VAR_DIR=str(var_dir),
        SECRET_KEY=settings.SECRET_KEY,
        JWT_SIGNING_KEY=settings.JWT_SIGNING_KEY,
        MIGRATEIQ_FIELD_ENCRYPTION_KEYS=",".join(settings.MIGRATEIQ_FIELD_ENCRYPTION_KEYS),
        MIGRATEIQ_HTTPS="0",
        # the tenant scope check of the test run (tenancy.testing): the worker's tasks are checked too
        MIGRATEIQ_TENANT_SCOPE_CHECK=settings.MIGRATEIQ_TENANT_SCOPE_CHECK,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        CELERY_BROKER_KEY_PREFIX=key_prefix,
        LOG_FORMAT="text",
    )
    if broker_url:
        env["CELERY_BROKER_URL"] = broker_url
    env.update({key: str(value) for key, value in extra.items()})
    return env


class WorkerProcess:
    """``celery -A migrateiq worker`` in its own process group; ``kill()`` is a ``kill -9`` of all of it."""

    def __init__(
        self,
        env: dict,
        log_path: Path,
        *,
        include: tuple[str, ...] = (),
        concurrency: int = 1,
        command: list[str] | None = None,
        beat: bool = False,
    ):
        """``beat``: the worker runs the beat scheduler too (``-B``), as ``make run``'s does."""
        self.env = env
        self.beat = beat
        self.log_path = log_path
        self.include = include
        self.concurrency = concurrency
        self.command = command
        self.process: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        command = self.command or [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "migrateiq",
            "worker",
            "--loglevel=INFO",
            f"--concurrency={self.concurrency}",
            "--pool=prefork",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            f"--hostname=test-{uuid.uuid4().hex[:8]}@%h",
        ]
        if self.include and not self.command:
            command.append(f"--include={','.join(self.include)}")
        if self.beat and not self.command:
            command += ["-B", f"--schedule={self.log_path.with_suffix('.beat-schedule')}"]
        self._offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.wait_for_log("ready.", READY_TIMEOUT_SECONDS)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[self._offset :] if self.log_path.exists() else ""

    def wait_for_log(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"The worker exited ({self.process.returncode}):\n{self.log()[-4000:]}")
            time.sleep(0.1)
        raise TimeoutError(f"No {text!r} in the worker log after {timeout}s:\n{self.log()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes: what a lost machine looks like."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 10) -> None:
        """A warm shutdown, then SIGKILL if it takes longer than ``timeout``."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill()


def _reset_connections() -> None:
    # kombu keeps connection and producer pools in global registries keyed by broker URL.
    pools.reset()
    celery_app._pool = None
    # The routing tables (default queue) and the producer pool are cached on ``app.amqp``.
    celery_app.__dict__.pop("amqp", None)


@contextmanager
def publishing_to(*, broker_url: str, queue: str, transport_options: dict):
    """Make this (the web) process publish to the test's broker and queue, restoring it afterwards."""
    conf = celery_app.conf
    keys = ("broker_url", "broker_transport_options", "task_default_queue")
    saved = {key: conf[key] for key in keys}
    _reset_connections()
    conf.update(broker_url=broker_url, broker_transport_options=transport_options, task_default_queue=queue)
    try:
        yield
    finally:
        _reset_connections()
        conf.update(saved)
