"""``core.background``: run now or queue after commit, for every app and module."""

import pytest

from core import background
from migrateiq.celery import app as celery_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch, settings):
    settings.MIGRATEIQ_SYNC_RUNNER = "celery"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent = []
    monkeypatch.setattr(celery_app, "send_task", lambda name, args: sent.append((name, args)))
    return sent


def test_work_is_published_by_task_name_only_when_the_transaction_commits(
    published, django_capture_on_commit_callbacks
):
    ran = []
    with django_capture_on_commit_callbacks(execute=True):
        background.run_after_commit("mod.tasks.work", 7, run_here=ran.append)
        assert published == []  # not before the commit
    assert published == [("mod.tasks.work", [7])] and ran == []


def test_nothing_is_published_for_a_rolled_back_transaction(published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        background.run_after_commit("mod.tasks.work", 7, run_here=print)
    assert len(callbacks) == 1 and published == []  # the callback never runs without a commit


def test_the_inline_runner_runs_the_work_here(settings, django_capture_on_commit_callbacks):
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    ran = []
    with django_capture_on_commit_callbacks(execute=True):
        background.run_after_commit("mod.tasks.work", 7, 8, run_here=lambda *args: ran.append(args))
    assert ran == [(7, 8)]


def test_a_broker_that_refuses_the_message_calls_the_callers_fallback(monkeypatch, settings):
    settings.MIGRATEIQ_SYNC_RUNNER = "celery"
    settings.CELERY_TASK_ALWAYS_EAGER = False

    def refuse(name, args):
        raise ConnectionError("broker down")

    monkeypatch.setattr(celery_app, "send_task", refuse)
    failed = []
    background.dispatch("mod.tasks.work", 7, run_here=print, on_queue_error=failed.append)
    assert failed == [7]
