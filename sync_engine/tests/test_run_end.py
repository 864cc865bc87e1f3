"""A run ends in exactly one function, ``finish_run``, whichever path ends it, and every path sets
the same fields and fires ``run_finished`` once, after its commit."""

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from sync_engine import hooks, queue
from sync_engine.models import SyncLog, SyncStatus
from sync_engine.runs import connector_model

ROOT = Path(__file__).resolve().parents[2]
FINAL = {"SUCCESS", "PARTIAL", "FAILED", "CANCELLED"}


def _final_status_writes(path: Path) -> list[int]:
    """Lines of ``path`` that write a final run status in a ``.update(status=SyncStatus.X)`` call."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update"
        ):
            continue
        for keyword in node.keywords:
            value = keyword.value
            if keyword.arg != "status":
                continue
            if isinstance(value, ast.Constant) and value.value in FINAL:
                lines.append(node.lineno)
            elif isinstance(value, ast.Attribute) and value.attr in FINAL:
                if isinstance(value.value, ast.Name) and value.value.id == "SyncStatus":
                    lines.append(node.lineno)
    return lines


def test_only_finish_run_writes_a_final_run_status():
    # The project's own code: its top-level files and packages, not what lies beside them (virtual
    # environments, node_modules), whose walk alone took minutes where a second venv sat in the tree.
    packages = [path for path in sorted(ROOT.iterdir()) if (path / "__init__.py").is_file()]
    sources = [
        path
        for path in [*ROOT.glob("*.py"), *(file for package in packages for file in package.rglob("*.py"))]
        if not {"tests", "migrations"} & set(path.relative_to(ROOT).parts)
    ]
    writers = {
        str(path.relative_to(ROOT)): lines for path in sources if (lines := _final_status_writes(path))
    }
    # finish_run passes the status it is given; nothing else writes one.
    assert writers == {}, writers


@pytest.fixture
def connector(tenant_a):
    return connector_model().objects.create(
        tenant=tenant_a, name="Runs", api_endpoint="https://api.example.com/x"
    )


@pytest.fixture
def finished():
    calls = []
    with hooks.registered("run_finished", calls.append):
        yield calls


def _assert_ended(run, status, finished, message):
    run.refresh_from_db()
    assert run.status == status
    assert run.finished_at is not None
    assert [call.pk for call in finished] == [run.pk]
    connector = connector_model().objects.get(pk=run.connector_id)
    assert connector.last_sync_status == status
    assert connector.last_sync_at == run.finished_at
    assert message in list(run.events.values_list("message", flat=True))


def test_cancel_while_pending_ends_the_run_through_finish_run(
    connector, finished, django_capture_on_commit_callbacks, settings
):
    settings.MIGRATEIQ_SYNC_RUNNER = "celery"
    with django_capture_on_commit_callbacks(execute=False):
        run = queue.start_sync(connector)
    with django_capture_on_commit_callbacks(execute=True):
        queue.cancel_sync(run)
    _assert_ended(run, SyncStatus.CANCELLED, finished, "Cancelled before it started.")
    assert run.error_message == "Cancelled before it started."


def test_attempts_exhausted_end_the_run_through_finish_run(
    connector, finished, django_capture_on_commit_callbacks, settings
):
    run = SyncLog.objects.create(
        tenant_id=connector.tenant_id,
        connector=connector,
        status=SyncStatus.PENDING,
        attempts=settings.MIGRATEIQ_SYNC_MAX_ATTEMPTS,
    )
    with django_capture_on_commit_callbacks(execute=True):
        queue.execute_sync_log(run.pk)
    attempts = settings.MIGRATEIQ_SYNC_MAX_ATTEMPTS
    message = f"Gave up after {attempts} attempts: the worker running this sync stopped each time."
    _assert_ended(run, SyncStatus.FAILED, finished, message)
    assert run.error_message == message


@pytest.mark.parametrize(
    ("cancel_requested", "attempts", "status"),
    [(True, 1, SyncStatus.CANCELLED), (False, 99, SyncStatus.FAILED)],
)
def test_the_reaper_ends_stale_runs_through_finish_run(
    connector, finished, django_capture_on_commit_callbacks, cancel_requested, attempts, status
):
    long_ago = timezone.now() - timedelta(days=1)
    run = SyncLog.objects.create(
        tenant_id=connector.tenant_id,
        connector=connector,
        status=SyncStatus.RUNNING,
        started_at=long_ago,
        heartbeat_at=long_ago,
        attempts=attempts,
        cancel_requested=cancel_requested,
    )
    with django_capture_on_commit_callbacks(execute=True):
        outcome = queue.reap_stale_syncs()
    assert outcome["cancelled" if cancel_requested else "failed"] == [run.pk]
    expected = (
        "The worker stopped responding after a cancellation request; cancelled."
        if cancel_requested
        else f"Gave up after {attempts} attempts: the worker running this sync stopped."
    )
    _assert_ended(run, status, finished, expected)


def test_a_handler_that_fails_does_not_stop_the_others(connector, django_capture_on_commit_callbacks):
    seen = []

    def broken(run):
        raise RuntimeError("subscriber bug")

    from core.metrics import hook_failures_total

    failures = hook_failures_total.labels(hook="run_finished")
    before = failures._value.get()
    run = SyncLog.objects.create(
        tenant_id=connector.tenant_id, connector=connector, status=SyncStatus.PENDING
    )
    with (
        hooks.registered("run_finished", broken),
        hooks.registered("run_finished", seen.append),
        django_capture_on_commit_callbacks(execute=True),
    ):
        queue.cancel_sync(run)
    assert [call.pk for call in seen] == [run.pk]
    assert failures._value.get() == before + 1  # logged and counted in /metrics


def test_an_unknown_hook_is_refused():
    with pytest.raises(ValueError, match="Unknown hook"):
        hooks.register("run_exploded", print)


def test_a_run_that_ends_normally_logs_no_warning_that_it_was_ended_elsewhere(
    connector, django_capture_on_commit_callbacks, caplog
):
    # Before each run the queue asks finish_run to give up on it only if its attempts are used up;
    # that condition not holding is the usual case, not another process ending the run.
    run = SyncLog.objects.create(
        tenant_id=connector.tenant_id, connector=connector, status=SyncStatus.PENDING
    )
    caplog.set_level("INFO", logger="sync_engine.runs")

    with django_capture_on_commit_callbacks(execute=True):
        queue.execute_sync_log(run.pk)

    run.refresh_from_db()
    assert run.status in FINAL and run.attempts == 1
    assert not [r for r in caplog.records if "ended elsewhere" in r.getMessage()]
