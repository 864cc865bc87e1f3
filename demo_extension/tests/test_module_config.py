"""The connectors module declares itself to the platform once, in its AppConfig (core/extensions.py)."""

from django.apps import apps
from django.urls import resolve

from core import extensions
from migrateiq.celery import app as celery_app


def test_the_module_is_installed_as_a_module():
    config = apps.get_app_config("demo_extension")

    assert isinstance(config, extensions.ModuleConfig)
    assert config in extensions.installed_modules()


def test_its_api_answers_under_its_prefix():
    assert resolve("/api/demo-extension/connectors/").url_name == "connector-list"
    assert resolve("/api/demo-extension/sync-logs/").url_name == "sync-log-list"


def test_its_beat_entries_run_its_tasks_every_minute():
    celery_app.loader.import_default_modules()  # what a worker does first: find the tasks
    celery_app.finalize()
    schedule = {
        name: celery_app.conf.beat_schedule[name] for name in ("dispatch-due-syncs", "reap-stale-syncs")
    }

    # The schedule dispatcher is the module's; the reaper of stale runs is the engine's (a platform entry).
    assert {entry["task"] for entry in schedule.values()} == {
        "demo_extension.tasks.dispatch_due_syncs",
        "sync_engine.tasks.reap_stale_syncs",
    }
    for entry in schedule.values():
        assert entry["task"] in celery_app.tasks
        assert entry["schedule"] == 60.0 and entry["options"] == {"expires": 55}


def test_its_fixtures_for_the_platform_tests_are_found():
    found = {module.__name__: module for module in extensions.platform_test_fixtures()}

    fixtures = found["demo_extension.tests.platform_fixtures"]
    assert callable(fixtures.seed) and fixtures.MINIMUM_ROLE
