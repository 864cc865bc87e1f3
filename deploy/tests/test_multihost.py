"""Scale-out across hosts: a web process and two Celery workers on two separate (virtual) hosts,
the workers reaching PostgreSQL and Redis only over the virtual network. One host is lost mid-sync
(`kill -9` of all its processes); every sync finishes on the other host, with data equal to a clean
run and no page fetched twice before the checkpoint (counted at the upstream).

Uses its own throwaway PostgreSQL database (created and dropped here) whatever database the rest
of the suite runs on, a Redis queue and key prefix of its own, and real processes throughout.
"""

import os
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from cryptography.fernet import Fernet

from core.tests.upstreams import free_port
from demo_extension.sample_upstream import SampleUpstream
from deploy.tests.virtual_hosts import create_network

pytestmark = [pytest.mark.multihost, pytest.mark.xdist_group("celery"), pytest.mark.timeout(240)]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RECORDS, PAGE_SIZE = 120, 10
EMAIL, PASSWORD = "ops@multihost.example", "multihost-Password-9"


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")


@pytest.fixture
def database():
    """A throwaway PostgreSQL database: (url for the root namespace, name)."""
    base = urlsplit(POSTGRES_URL)
    name = f"miq_multihost_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"The multi-host test needs PostgreSQL at {POSTGRES_URL} (TEST_POSTGRES_URL): {exc}")
    admin.execute(f'CREATE DATABASE "{name}"')
    yield base._replace(path=f"/{name}").geturl(), name
    admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        [name],
    )
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


@pytest.fixture
def network():
    net = create_network(2)
    yield net
    net.teardown()


class Processes:
    def __init__(self, directory: Path):
        self.directory = directory
        self.started: list[tuple[subprocess.Popen, Path]] = []

    def start(self, name: str, argv: list[str], env: dict, ready: str | None = None) -> subprocess.Popen:
        log_path = self.directory / f"{name}.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                argv, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.started.append((process, log_path))
        if ready:
            wait_until(
                lambda: ready in log_path.read_text(errors="replace") or process.poll() is not None,
                60,
                f"{name} to be ready",
            )
            assert process.poll() is None, f"{name} exited:\n{log_path.read_text(errors='replace')[-3000:]}"
        return process

    def stop_all(self) -> None:
        for process, _ in self.started:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, 9)
                except ProcessLookupError:
                    pass
                process.wait(timeout=10)


@pytest.fixture
def processes(tmp_path):
    group = Processes(tmp_path)
    yield group
    group.stop_all()


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_syncs_finish_on_the_surviving_host_when_the_other_host_is_lost_mid_sync(
    database, network, processes, tmp_path
):
    db_url, db_name = database
    gateway = network.gateway
    host_a, host_b = network.hosts
    pg = urlsplit(POSTGRES_URL)
    redis = urlsplit(REDIS_URL)
    pg_port = network.forward((pg.hostname or "127.0.0.1", pg.port or 5432))
    redis_port = network.forward((redis.hostname or "127.0.0.1", redis.port or 6379))
    upstreams = [
        SampleUpstream(records=RECORDS, page_size=PAGE_SIZE, style="page", host=gateway, slow_ms=250).start()
        for _ in range(4)
    ]
    try:
        run(db_url, db_name, gateway, host_a, host_b, pg_port, redis_port, upstreams, processes, tmp_path)
    finally:
        for upstream in upstreams:
            upstream.stop()


def run(db_url, db_name, gateway, host_a, host_b, pg_port, redis_port, upstreams, processes, tmp_path):
    prefix = f"migrateiq-multihost-{uuid.uuid4().hex[:8]}:"
    queue = f"multihost-{uuid.uuid4().hex[:8]}"
    web_port = free_port()  # a fixed one met another test worker's on a busy run
    redis_db = urlsplit(REDIS_URL).path or "/15"
    base_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "migrateiq.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
        "MIGRATEIQ_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "MIGRATEIQ_HTTPS": "0",
        "LOG_FORMAT": "text",
        "MIGRATEIQ_VAR_DIR": str(tmp_path / "var"),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_BROKER_KEY_PREFIX": prefix,
        "MIGRATEIQ_EGRESS_ALLOWLIST": ",".join(upstream.netloc for upstream in upstreams),
        "MIGRATEIQ_SYNC_HEARTBEAT_SECONDS": "1",
        # Several connectors of one tenant sync at once on both hosts: this test is about scale-out,
        # not the per-tenant fairness cap (tested in demo_extension/tests/test_tenant_fairness.py).
        "MIGRATEIQ_TENANT_MAX_CONCURRENT_SYNCS": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    # The root namespace (web, commands) reaches the services on loopback; the worker hosts only
    # through the forwarders at the gateway address.
    root_env = {**base_env, "DATABASE_URL": db_url, "CELERY_BROKER_URL": REDIS_URL}

    def host_env(host):
        url = urlsplit(db_url)._replace(
            netloc=f"{urlsplit(db_url).username or 'postgres'}@{gateway}:{pg_port}"
        )
        return {
            **base_env,
            "DATABASE_URL": url.geturl(),
            "CELERY_BROKER_URL": f"redis://{gateway}:{redis_port}{redis_db}",
        }

    manage(root_env, "migrate", "--noinput", "-v0")
    manage(root_env, "createtenant", "acme", "--name", "Acme")
    manage(
        root_env,
        "createuser",
        "--tenant",
        "acme",
        "--email",
        EMAIL,
        "--password",
        PASSWORD,
        "--role",
        "editor",
    )

    processes.start(
        "web",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "migrateiq.wsgi",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{web_port}",
            "--workers",
            "1",
            "--threads",
            "4",
        ],
        root_env,
        ready="Booting worker",
    )
    worker_argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "migrateiq",
        "worker",
        "--loglevel=INFO",
        "--concurrency=1",
        "--pool=prefork",
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
    ]
    for host in (host_a, host_b):
        processes.start(
            f"worker-{host.name}",
            host.command([*worker_argv, f"--hostname=worker@{host.name}"]),
            host_env(host),
            ready="ready.",
        )
        assert host.pids(), f"no process runs on {host.name}"

    web = httpx.Client(base_url=f"http://127.0.0.1:{web_port}", timeout=30)
    wait_until(lambda: web.get("/healthz").status_code == 200, 30, "the web process")
    token = web.post("/api/auth/token/", json={"email": EMAIL, "password": PASSWORD}).json()["access"]
    web.headers["Authorization"] = f"Bearer {token}"

    def create_connector(upstream, name):
        response = web.post(
            "/api/demo-extension/connectors/",
            # one request at a time: a run lasts its 12 pages' 3 s, so both hosts are mid-sync at once
            # even when one worker takes its first message a second or two after the other (a busy
            # machine); with pages fetched four at a time a run took 0.6 s and one host could finish
            # before the other began
            json={
                "name": name,
                "api_endpoint": upstream.url,
                "auth_type": "none",
                "sync_frequency": "DAILY",
                "max_concurrent_requests": 1,
            },
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    connectors = [create_connector(upstream, f"Source {n}") for n, upstream in enumerate(upstreams[:3])]
    logs = {}
    for connector in connectors:
        response = web.post(f"/api/demo-extension/connectors/{connector}/sync_data/?wait=0")
        assert response.status_code == 202, response.text
        logs[connector] = response.json()["id"]

    db = psycopg.connect(db_url, autocommit=True)

    def rows(sql, *params):
        return db.execute(sql, params).fetchall()

    def pages(log_id):
        return rows("SELECT status, pages_fetched FROM demo_extension_synclog WHERE id = %s", log_id)[0]

    # Both hosts are mid-sync: two runs with committed pages (one worker process per host).
    wait_until(
        lambda: sum(1 for log in logs.values() if pages(log)[0] == "RUNNING" and pages(log)[1] >= 2) == 2,
        60,
        "a sync with committed pages on each host",
    )
    killed = host_a.kill_all()
    assert killed
    checkpoint = {connector: pages(log)[1] for connector, log in logs.items()}
    seen = {
        connector: len(upstream.requests) for connector, upstream in zip(connectors, upstreams, strict=False)
    }

    def host_a_is_gone():
        for process, _ in processes.started:
            process.poll()  # reap the killed worker (our child), or it lingers as a zombie
        return not host_a.pids()

    wait_until(host_a_is_gone, 10, f"no process left on {host_a.name}")

    # Host A's run has no live worker now: its heartbeat goes stale and the reaper hands it to host B.
    reaper_env = {**root_env, "MIGRATEIQ_SYNC_STALE_AFTER_SECONDS": "3"}

    def all_finished():
        statuses = [pages(log)[0] for log in logs.values()]
        if "RUNNING" in statuses or "PENDING" in statuses:
            manage(reaper_env, "shell", "-c", "from sync_engine import queue; queue.reap_stale_syncs()")
            return False
        return statuses

    statuses = wait_until(all_finished, 150, "every sync to finish on host B")
    assert statuses == ["SUCCESS"] * 3, statuses

    # No page before a checkpoint was fetched twice; each page was fetched at least once.
    for connector, upstream in zip(connectors, upstreams, strict=False):
        requested = [int(request["query"].get("page", 1)) for request in upstream.requests]
        after_kill = requested[seen[connector] :]
        assert all(page > checkpoint[connector] for page in after_kill), (
            connector,
            checkpoint[connector],
            after_kill,
        )
        assert all(requested.count(page) == 1 for page in range(1, checkpoint[connector] + 1)), requested
        assert set(range(1, RECORDS // PAGE_SIZE + 1)) <= set(requested)

    # A clean run of the same data, on host B alone, gives exactly the same records.
    clean = create_connector(upstreams[3], "Clean run")
    response = web.post(f"/api/demo-extension/connectors/{clean}/sync_data/?wait=0")
    clean_log = response.json()["id"]
    wait_until(lambda: pages(clean_log)[0] == "SUCCESS", 60, "the clean run")

    def records(connector):
        return rows(
            "SELECT external_id, data::text, checksum FROM demo_extension_syncedrecord "
            "WHERE connector_id = %s ORDER BY external_id",
            connector,
        )

    expected = records(clean)
    assert len(expected) == RECORDS
    for connector in connectors:
        assert records(connector) == expected, connector
    # The lost host's run was resumed, not restarted: it took a second attempt.
    attempts = [
        rows("SELECT attempts FROM demo_extension_synclog WHERE id = %s", log)[0][0] for log in logs.values()
    ]
    assert max(attempts) >= 2, attempts
    db.close()
