"""docker/entrypoint.sh with real processes: it waits for the database (and gives up with a clear
message that never shows the password), migrates only when MIGRATEIQ_MIGRATE_ON_START=1, and execs
the command. PostgreSQL: a throwaway database of its own, created and dropped here."""

import os
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from cryptography.fernet import Fernet

from deploy.tests.tools import PROJECT_ROOT

pytestmark = pytest.mark.deploy

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def empty_database():
    name = f"miq_entrypoint_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"This test needs PostgreSQL at {POSTGRES_URL} (TEST_POSTGRES_URL): {exc}")
    admin.execute(f'CREATE DATABASE "{name}"')
    yield urlsplit(POSTGRES_URL)._replace(path=f"/{name}").geturl()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def production_env(tmp_path, database_url: str, **extra) -> dict:
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
        "MIGRATEIQ_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "MIGRATEIQ_HTTPS": "0",
        "MIGRATEIQ_VAR_DIR": str(tmp_path / "var"),
        **extra,
    }


def entrypoint(env, *command) -> subprocess.CompletedProcess:
    argv = ["docker/entrypoint.sh", *command]
    return subprocess.run(argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=180)


def applied_migrations(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        exists = conn.execute("SELECT to_regclass('django_migrations')").fetchone()[0]
        return conn.execute("SELECT count(*) FROM django_migrations").fetchone()[0] if exists else 0


def test_the_entrypoint_does_not_migrate_unless_asked(tmp_path, empty_database):
    result = entrypoint(production_env(tmp_path, empty_database), "python", "-c", "print('ran')")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ran"
    assert applied_migrations(empty_database) == 0


@pytest.mark.slow
def test_the_entrypoint_migrates_before_the_process_when_asked(tmp_path, empty_database):
    env = production_env(tmp_path, empty_database, MIGRATEIQ_MIGRATE_ON_START="1")
    result = entrypoint(env, "python", "manage.py", "showmigrations", "--plan")
    assert result.returncode == 0, result.stderr
    assert applied_migrations(empty_database) > 10
    assert "[ ]" not in result.stdout and "[X]" in result.stdout


@pytest.mark.slow
def test_the_migrate_command_of_the_image_migrates_once(tmp_path, empty_database):
    result = entrypoint(production_env(tmp_path, empty_database), "migrate")
    assert result.returncode == 0, result.stderr
    assert applied_migrations(empty_database) > 10


def test_an_unreachable_database_stops_the_start_with_a_clear_message_and_no_password(tmp_path):
    url = "postgres://migrateiq:very-secret-pw@127.0.0.1:1/migrateiq"
    env = production_env(tmp_path, url, MIGRATEIQ_DATABASE_WAIT_SECONDS="2")
    started = time.monotonic()
    result = entrypoint(env, "python", "-c", "print('must not run')")
    assert result.returncode != 0
    assert time.monotonic() - started < 30
    assert "127.0.0.1:1/migrateiq is not reachable" in result.stderr
    assert "very-secret-pw" not in result.stderr + result.stdout
    assert "must not run" not in result.stdout


def read_only_checkout(argv: list[str]) -> list[str]:
    """``argv`` in a mount namespace where the checkout (code, .venv, staticfiles) is read-only, as
    the image's root filesystem is under Kubernetes (readOnlyRootFilesystem) and Compose (read_only)."""
    if os.geteuid() != 0:
        pytest.fail(
            "This test mounts the checkout read-only in a mount namespace: it needs root.", pytrace=False
        )
    script = (
        f'mount --bind "{PROJECT_ROOT}" "{PROJECT_ROOT}" && mount -o remount,bind,ro "{PROJECT_ROOT}" '
        f'&& cd "{PROJECT_ROOT}" && exec "$@"'
    )
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *argv]


@pytest.mark.slow
def test_web_and_worker_run_with_a_read_only_code_filesystem(tmp_path, empty_database):
    import http.client

    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    port = 18563 + os.getpid() % 5
    env = production_env(
        tmp_path,
        empty_database,
        MIGRATEIQ_MIGRATE_ON_START="1",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        ALLOWED_HOSTS="127.0.0.1",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        CELERY_BROKER_URL=redis_url,
        CELERY_BROKER_KEY_PREFIX=f"migrateiq-test-ro-{uuid.uuid4().hex[:8]}:",
        CELERY_TASK_DEFAULT_QUEUE=f"ro-{uuid.uuid4().hex[:8]}",
    )
    logs = {name: tmp_path / f"{name}.log" for name in ("web", "worker")}
    processes = {}
    try:
        for name, command in (
            ("web", ["web"]),
            ("worker", ["worker", "--concurrency=1", "--without-mingle"]),
        ):
            with logs[name].open("wb") as log:
                processes[name] = subprocess.Popen(
                    read_only_checkout(["docker/entrypoint.sh", *command]),
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            if name == "web":
                deadline = time.monotonic() + 90
                status = None
                while status != 200:
                    assert processes[name].poll() is None, logs[name].read_text()[-3000:]
                    assert time.monotonic() < deadline, logs[name].read_text()[-3000:]
                    time.sleep(0.5)
                    try:
                        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                        connection.request("GET", "/readyz")
                        status = connection.getresponse().status
                        connection.close()
                    except OSError:
                        pass
        deadline = time.monotonic() + 60
        while "ready." not in logs["worker"].read_text(errors="replace"):
            assert processes["worker"].poll() is None, logs["worker"].read_text()[-3000:]
            assert time.monotonic() < deadline, logs["worker"].read_text()[-3000:]
            time.sleep(0.2)
        assert "Read-only file system" not in logs["web"].read_text() + logs["worker"].read_text()
    finally:
        for process in processes.values():
            try:
                os.killpg(process.pid, 9)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)
