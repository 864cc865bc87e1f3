"""Graceful shutdown, with real processes: web (gunicorn), worker and beat exit within 10 s of SIGTERM
when idle, a SIGHUP stops a worker instead of restarting it, and `make run`'s Ctrl-C stops every
process it started: the web server within 2.5 s with a browser's connections open and no SIGKILL,
everything within 10 s, a running sync at a page boundary, resumable. (A worker in the middle of a
sync on SIGTERM: demo_extension/tests/test_worker_shutdown.py.)

Processes start in the embedded mode (SQLite, filesystem broker, under a temporary directory),
each in a session of its own so that a failure never leaves one behind.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.tests.upstreams import free_port
from deploy.tests.tools import PROJECT_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

GRACE_SECONDS = 10  # what the brief of an orchestrator promises: idle processes exit within it
VENV_BIN = Path(sys.executable).parent


def embedded_env(home: Path) -> dict[str, str]:
    return {
        "PATH": f"{VENV_BIN}:/usr/bin:/bin:/usr/sbin:/sbin",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MIGRATEIQ_VAR_DIR": str(home / "var"),
        "LOG_FORMAT": "text",
        "HOME": str(home),
    }


@pytest.fixture(scope="session")
def migrated_var_dir(tmp_path_factory) -> Path:
    """An embedded install's var directory (its SQLite database migrated, its secrets made), made
    once per test process: each test starts from a copy of it (a migration takes seconds)."""
    home = tmp_path_factory.mktemp("embedded-template")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=PROJECT_ROOT,
        env=embedded_env(home),
        check=True,
        timeout=120,
    )
    return home / "var"


@pytest.fixture
def environment(tmp_path, migrated_var_dir):
    env = embedded_env(tmp_path)
    shutil.copytree(migrated_var_dir, env["MIGRATEIQ_VAR_DIR"])  # modes kept: 0700 folders, 0600 files
    return env


class Started:
    def __init__(self, argv, env, log_path: Path):
        self.log_path = log_path
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                argv, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            assert self.process.poll() is None, f"exited early:\n{self.log()[-3000:]}"
            assert time.monotonic() < deadline, f"no {text!r} after {timeout}s:\n{self.log()[-3000:]}"
            time.sleep(0.1)

    def seconds_to_exit_after(self, signum: int, target_group: bool = False) -> float:
        started = time.monotonic()
        if target_group:
            os.killpg(self.process.pid, signum)
        else:
            os.kill(self.process.pid, signum)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running 60 s after signal {signum}:\n{self.log()[-3000:]}")
        return time.monotonic() - started

    def group_alive(self) -> bool:
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        # Zombies (exited, not yet reaped by init) do not count.
        result = subprocess.run(
            ["ps", "-o", "stat=", "-g", str(self.process.pid)], capture_output=True, text=True
        )
        return any(not state.startswith("Z") for state in result.stdout.split())

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def start(tmp_path):
    started: list[Started] = []

    def _start(name, argv, env) -> Started:
        process = Started(argv, env, tmp_path / f"{name}.log")
        started.append(process)
        return process

    yield _start
    for process in started:
        process.kill()


def two_free_ports() -> tuple[int, int]:
    """Two ports nothing listens on (fixed ones met another test worker's on a busy run)."""
    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


def get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_the_web_process_started_by_the_entrypoint_answers_its_healthcheck_and_exits_promptly_on_sigterm(
    start, environment
):
    port = free_port()  # fixed ports met another test worker's on a busy run
    env = {**environment, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"}
    web = start("web", ["docker/entrypoint.sh", "web"], env)
    web.wait_for("Booting worker")
    deadline = time.monotonic() + 30
    while True:
        try:
            if get(port, "/healthz") == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, web.log()[-3000:]
        time.sleep(0.2)
    healthcheck = subprocess.run(
        [sys.executable, "docker/healthcheck.py"], cwd=PROJECT_ROOT, env=env, capture_output=True, timeout=30
    )
    assert healthcheck.returncode == 0, healthcheck.stderr

    seconds = web.seconds_to_exit_after(signal.SIGTERM)

    assert seconds < GRACE_SECONDS, f"gunicorn took {seconds:.1f}s"
    assert web.process.returncode == 0
    assert not web.group_alive()


def test_the_healthcheck_fails_when_no_web_process_answers(environment):
    env = {**environment, "GUNICORN_BIND": f"127.0.0.1:{free_port()}"}
    result = subprocess.run([sys.executable, "docker/healthcheck.py"], cwd=PROJECT_ROOT, env=env, timeout=30)
    assert result.returncode == 1


def test_the_beat_exits_within_the_grace_period_of_sigterm(start, environment, tmp_path):
    env = {**environment, "CELERY_BEAT_SCHEDULE": str(tmp_path / "celerybeat-schedule")}
    beat = start("beat", ["docker/entrypoint.sh", "beat"], env)
    beat.wait_for("beat: Starting")
    time.sleep(1)

    seconds = beat.seconds_to_exit_after(signal.SIGTERM)

    assert seconds < GRACE_SECONDS, f"beat took {seconds:.1f}s"
    assert not beat.group_alive()


def test_an_idle_embedded_worker_with_its_scheduler_exits_within_the_grace_period_of_sigterm(
    start, environment
):
    worker = start("worker", ["scripts/worker.sh"], environment)
    worker.wait_for("ready.")
    time.sleep(1)

    seconds = worker.seconds_to_exit_after(signal.SIGTERM)

    assert seconds < GRACE_SECONDS, f"the worker took {seconds:.1f}s:\n{worker.log()[-2000:]}"
    assert not worker.group_alive()


def test_a_hangup_stops_the_worker_instead_of_restarting_it(start, environment):
    worker = start("worker", ["scripts/worker.sh"], environment)
    worker.wait_for("ready.")
    time.sleep(1)

    seconds = worker.seconds_to_exit_after(signal.SIGHUP)

    assert seconds < GRACE_SECONDS, f"the worker took {seconds:.1f}s"
    assert "Restarting celery worker" not in worker.log()
    assert not worker.group_alive()


def start_make_run(start, environment, port: int, demo_port: int, argv=("scripts/run.sh",)) -> Started:
    env = {
        **environment,
        "MIGRATEIQ_PORT": str(port),
        "DEMO_API_PORT": str(demo_port),
        "MIGRATEIQ_SKIP_UI_BUILD": "1",
    }
    run = start("run", list(argv), env)
    run.wait_for("Web UI / API", timeout=90)
    deadline = time.monotonic() + 30
    while True:
        try:
            if get(port, "/healthz") == 200 and get(demo_port, "/users?page=1") in (200, 401):
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, run.log()[-3000:]
        time.sleep(0.2)
    time.sleep(2)  # the worker is up too
    return run


def call(connection, method: str, path: str, token: str = "", body=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    response = connection.getresponse()
    return response.status, json.loads(response.read() or b"null")


def test_ctrl_c_in_make_run_stops_every_process_it_started(start, environment):
    checkout_logs = PROJECT_ROOT / "var" / "log"
    before = {path.name: path.stat().st_mtime_ns for path in checkout_logs.glob("*.log")}
    port, demo_port = two_free_ports()
    run = start_make_run(start, environment, port, demo_port)

    # A terminal's Ctrl-C: SIGINT to the whole foreground process group.
    started = time.monotonic()
    os.killpg(run.process.pid, signal.SIGINT)
    while run.group_alive():
        assert time.monotonic() - started < 15, "processes of `make run` still running 15 s after Ctrl-C"
        time.sleep(0.1)
    for probe in (port, demo_port):
        with pytest.raises(OSError):
            get(probe, "/healthz")
    assert run.log().count("MigrateIQ stopped: web server, worker and demo API") == 1  # said once

    # Its processes' logs live under MIGRATEIQ_VAR_DIR, private like everything else there.
    logs = Path(environment["MIGRATEIQ_VAR_DIR"]) / "log"
    assert f"Logs: {logs}/" in run.log()
    assert stat.S_IMODE(logs.stat().st_mode) == 0o700
    assert sorted(path.name for path in logs.iterdir()) == ["demo_api.log", "worker.log"]
    for path in logs.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert (logs / "worker.log").stat().st_size > 0
    after = {path.name: path.stat().st_mtime_ns for path in checkout_logs.glob("*.log")}
    assert after == before  # nothing written to the checkout's var/log


# Sourced by every bash that `make run` starts (BASH_ENV): each signal run.sh sends with `kill` or
# `pkill` is written to $SIGNAL_LOG with the target's parent and state at that moment ("gone": no
# such process). A target that is gone is a PID the script no longer owns: the number may be a
# stranger's by then.
RECORD_SIGNALS = r"""
__record_signal() {
  local target="${@: -1}" state=gone
  if [ -r "/proc/$target/stat" ]; then state="$(sed 's/.*) //' "/proc/$target/stat" | cut -d' ' -f1-2)"; fi
  printf '%s|%s|%s\n' "$BASHPID" "$*" "$state" >>"$SIGNAL_LOG"
}
kill() { __record_signal kill "$@"; builtin kill "$@"; }
pkill() { __record_signal pkill "$@"; command pkill "$@"; }
"""


def test_make_run_s_cleanup_signals_only_processes_it_still_owns(start, environment, tmp_path):
    # The cleanup signalled the worker's supervisor (and its children, `pkill -P`) after it had ended:
    # after a Ctrl-C it waited for the supervisor to go (reaped by then), then sent SIGQUIT to its
    # number all the same; a process that reused the number got it.
    signal_log = tmp_path / "signals.log"
    record = tmp_path / "record_signals.sh"
    record.write_text(RECORD_SIGNALS)
    environment = {**environment, "BASH_ENV": str(record), "SIGNAL_LOG": str(signal_log)}
    port, demo_port = two_free_ports()
    run = start_make_run(start, environment, port, demo_port)

    started = time.monotonic()
    os.killpg(run.process.pid, signal.SIGINT)  # a terminal's Ctrl-C
    while run.group_alive():
        assert time.monotonic() - started < 15, "processes of `make run` still running 15 s after Ctrl-C"
        time.sleep(0.1)

    assert run.log().count("MigrateIQ stopped: web server, worker and demo API") == 1
    sent = [line.split("|") for line in signal_log.read_text().splitlines()]
    by_the_script = [(command, state) for pid, command, state in sent if pid == str(run.process.pid)]
    signals = [(command, state) for command, state in by_the_script if " -0 " not in f"{command} "]
    assert any(" -0 " in f"{command} " for _, command, _ in sent), sent  # the recording works
    strays = [
        (command, state)
        for command, state in signals
        if state == "gone" or state.split()[-1] != str(run.process.pid)
    ]
    assert strays == [], f"signals to processes the script no longer owned: {strays}"


def assert_make_run_stops(run: Started, seconds: float, after: str) -> None:
    """Every process of ``make run`` ends within ``seconds``, the worker not started again, the end
    said once."""
    started = time.monotonic()
    while run.group_alive():
        assert time.monotonic() - started < seconds, (
            f"processes of `make run` still running {seconds} s after {after}:\n{run.log()[-3000:]}"
        )
        time.sleep(0.1)
    assert "starting it again" not in run.log()
    assert run.log().count("MigrateIQ stopped: web server, worker and demo API") == 1


def test_sigint_stops_make_run_started_in_the_background_of_a_script(start, environment):
    # `make run &` in a script: bash starts it with SIGINT and SIGQUIT ignored, and a shell cannot trap
    # a signal ignored on entry. The group's SIGINT stopped the web server, while run.sh started the
    # worker again and again and never ended.
    port, demo_port = two_free_ports()
    run = start_make_run(start, environment, port, demo_port, argv=("bash", "-c", "scripts/run.sh & wait"))

    os.killpg(run.process.pid, signal.SIGINT)
    assert_make_run_stops(run, 15, "SIGINT")


def test_sigterm_of_make_run_s_script_stops_everything(start, environment):
    # bash runs a trap only once its foreground command has ended: a SIGTERM of run.sh alone waited for
    # the web server, which nothing stopped.
    port, demo_port = two_free_ports()
    run = start_make_run(start, environment, port, demo_port)

    os.kill(run.process.pid, signal.SIGTERM)
    assert_make_run_stops(run, 20, "SIGTERM")


def test_ctrl_c_in_make_run_while_its_worker_is_still_starting_stops_everything(start, environment):
    # Commands a script starts with & ignore SIGINT (bash does so without job control): a worker
    # still starting when Ctrl-C came used to miss it, run on and keep `make run` waiting for it.
    port, demo_port = two_free_ports()
    env = {
        **environment,
        "MIGRATEIQ_PORT": str(port),
        "DEMO_API_PORT": str(demo_port),
        "MIGRATEIQ_SKIP_UI_BUILD": "1",
    }
    run = start("run", ["scripts/run.sh"], env)
    worker_log = Path(environment["MIGRATEIQ_VAR_DIR"]) / "log" / "worker.log"
    deadline = time.monotonic() + 90
    while not _worker_pids(run):
        assert run.process.poll() is None, run.log()[-3000:]
        assert time.monotonic() < deadline, f"no worker started:\n{run.log()[-3000:]}"
        time.sleep(0.02)
    assert "ready." not in worker_log.read_text(errors="replace")  # Celery's own handlers not in place yet

    os.killpg(run.process.pid, signal.SIGINT)  # a terminal's Ctrl-C
    assert_make_run_stops(run, 15, "Ctrl-C")


def _worker_pids(run: Started) -> list[int]:
    """The Celery worker processes (main and pool) of ``make run``'s session."""
    listing = subprocess.run(
        ["ps", "-ww", "-o", "pid=,args=", "--sid", str(run.process.pid)], capture_output=True, text=True
    )
    return [
        int(line.split()[0]) for line in listing.stdout.splitlines() if "celery -A migrateiq worker" in line
    ]


def test_make_run_starts_its_worker_again_when_it_dies_and_queued_syncs_still_run(start, environment):
    # before: a worker that stopped (kombu's filesystem broker read a message being written and
    # raised) left every sync PENDING while the web server and its health checks answered
    port, demo_port = two_free_ports()
    run = start_make_run(start, environment, port, demo_port)
    deadline = time.monotonic() + 30
    while not (first := _worker_pids(run)):
        assert time.monotonic() < deadline, subprocess.run(
            ["ps", "-ef", "-ww"], capture_output=True, text=True
        ).stdout
        time.sleep(0.2)

    for pid in first:
        os.kill(pid, signal.SIGKILL)
    run.wait_for("MigrateIQ: the background worker stopped (exit 137", timeout=15)
    run.wait_for("starting it again in 2 s", timeout=5)

    api = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    password = re.search(r"Password:\s+(\S+)", run.log()).group(1)
    credentials = {"email": "admin@demo.local", "password": password, "tenant": "demo"}
    token = call(api, "POST", "/api/auth/token/", body=credentials)[1]["access"]
    connectors = "/api/demo-extension/connectors/"
    demo = call(api, "GET", connectors, token)[1]["results"][0]["id"]
    status, sync = call(api, "POST", f"{connectors}{demo}/sync_data/?wait=0", token)
    assert status == 202, sync
    deadline = time.monotonic() + 60
    while (log := call(api, "GET", f"/api/demo-extension/sync-logs/{sync['id']}/", token)[1])[
        "status"
    ] != "SUCCESS":
        assert log["status"] in ("PENDING", "RUNNING"), log
        assert time.monotonic() < deadline, run.log()[-3000:]
        time.sleep(0.3)
    assert set(_worker_pids(run)).isdisjoint(first)

    # Ctrl-C still stops everything, the worker started again included
    started = time.monotonic()
    os.killpg(run.process.pid, signal.SIGINT)
    while run.group_alive():
        assert time.monotonic() - started < 15, "processes of `make run` still running 15 s after Ctrl-C"
        time.sleep(0.1)
    assert run.log().count("the background worker stopped") == 1, run.log()[-3000:]


def test_ctrl_c_in_make_run_with_a_browser_connected_and_a_sync_running_stops_soon_and_leaves_it_resumable(
    start, environment
):
    port, demo_port = two_free_ports()
    run = start_make_run(start, environment, port, demo_port)
    api = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    password = re.search(r"Password:\s+(\S+)", run.log()).group(1)
    _, tokens = call(
        api,
        "POST",
        "/api/auth/token/",
        body={"email": "admin@demo.local", "password": password, "tenant": "demo"},
    )
    token = tokens["access"]
    connectors = "/api/demo-extension/connectors/"
    demo = call(api, "GET", connectors, token)[1]["results"][0]["id"]
    # 10 pages at one request a second, as the README suggests for watching a sync.
    call(api, "PATCH", f"{connectors}{demo}/", token, {"max_requests_per_second": 1})
    _, sync = call(api, "POST", f"{connectors}{demo}/sync_data/?wait=0", token)
    second = call(
        api,
        "POST",
        connectors,
        token,
        {"name": "second", "api_endpoint": f"http://127.0.0.1:{demo_port}/users", "api_key": "demo-key"},
    )[1]["id"]
    deadline = time.monotonic() + 30
    while call(api, "GET", f"/api/demo-extension/sync-logs/{sync['id']}/", token)[1]["pages_fetched"] < 2:
        assert time.monotonic() < deadline, run.log()[-3000:]
        time.sleep(0.3)
    # What a browser holds: kept-alive connections, a request waiting for a run (?wait=) and spare
    # connections that have sent nothing yet (more than the server's three other threads).
    call(api, "GET", "/api/auth/me/", token)
    long_poll: dict = {}

    def wait_for_a_run():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            long_poll["status"] = call(connection, "POST", f"{connectors}{second}/sync_data/?wait=5", token)[
                0
            ]
        except OSError as exc:
            long_poll["error"] = exc

    waiter = threading.Thread(target=wait_for_a_run)
    waiter.start()
    time.sleep(0.5)
    spare = [socket.create_connection(("127.0.0.1", port)) for _ in range(6)]
    time.sleep(0.3)

    started = time.monotonic()
    os.killpg(run.process.pid, signal.SIGINT)  # a terminal's Ctrl-C
    while True:
        try:
            get(port, "/healthz")
        except OSError:
            break
        time.sleep(0.05)
    web_seconds = time.monotonic() - started
    while run.group_alive():
        assert time.monotonic() - started < 15, "processes of `make run` still running 15 s after Ctrl-C"
        time.sleep(0.1)
    seconds = time.monotonic() - started
    waiter.join(timeout=10)
    for connection in spare:
        connection.close()

    print(f"Ctrl-C: web server {web_seconds:.1f} s, every process {seconds:.1f} s")
    assert web_seconds < 2.5, f"the web server took {web_seconds:.1f}s"
    assert seconds < 10, f"`make run` took {seconds:.1f}s"
    assert "SIGKILL" not in run.log() and "ERROR" not in run.log(), run.log()[-3000:]
    assert long_poll == {"status": 202}  # answered with the run as it was, not cut off
    var = environment["MIGRATEIQ_VAR_DIR"]
    assert f"MigrateIQ stopped: web server, worker and demo API (data kept in {var}/)." in run.log()
    database = sqlite3.connect(f"{var}/migrateiq.sqlite3")
    status, pages, checkpoint, records = database.execute(
        "SELECT status, pages_fetched, checkpoint, records_processed FROM demo_extension_synclog WHERE id=?",
        (sync["id"],),
    ).fetchone()
    lines = [
        row[0]
        for row in database.execute(
            "SELECT message FROM demo_extension_synclogevent WHERE sync_log_id = ? ORDER BY id", (sync["id"],)
        )
    ]
    stored = database.execute(
        "SELECT COUNT(*) FROM demo_extension_syncedrecord WHERE connector_id = ?", (demo,)
    ).fetchone()[0]
    assert status == "CANCELLED" and 2 <= pages < 10 and checkpoint, (status, pages, lines)
    assert stored == records == pages * 50  # every committed page kept, nothing half-stored
    assert any(
        line.startswith("Stopped at a page boundary: the worker is stopping (Ctrl-C).")
        and line.endswith(f"resume this sync to continue after page {pages}.")
        for line in lines
    ), lines
