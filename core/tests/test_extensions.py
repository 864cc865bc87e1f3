"""The extension surface (core/extensions.py): what a module declares in its ModuleConfig reaches
the URL configuration, the Celery schedule and the system checks, and clashes are refused."""

import json
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLResolver, get_resolver

from core import extensions

BASE_DIR = settings.BASE_DIR


def fake_module(name, **declared):
    return SimpleNamespace(
        name=name,
        api_prefix=declared.get("api_prefix", ""),
        api_urls=declared.get("api_urls", ""),
        beat_schedule=declared.get("beat_schedule", {}),
    )


def test_every_installed_extension_is_configured_as_a_module():
    names = [module.name for module in extensions.installed_modules()]

    assert names == list(settings.MIGRATEIQ_EXTENSIONS)
    assert extensions.check_modules() == []


def test_the_extensions_come_after_the_platform_apps():
    count = len(settings.MIGRATEIQ_EXTENSIONS)
    assert settings.INSTALLED_APPS[len(settings.INSTALLED_APPS) - count :] == settings.MIGRATEIQ_EXTENSIONS
    assert settings.INSTALLED_APPS.index("core") < settings.INSTALLED_APPS.index("destinations")


def test_each_module_api_is_mounted_under_its_prefix():
    mounted = {
        str(entry.pattern): getattr(entry.urlconf_module, "__name__", None)
        for entry in get_resolver().url_patterns
        if isinstance(entry, URLResolver)
    }
    modules = [m for m in extensions.installed_modules() if m.api_prefix]

    assert modules
    for module in modules:
        assert mounted[f"api/{module.api_prefix}/"] == (module.api_urls or f"{module.name}.urls")


def test_a_module_api_prefix_must_be_free_and_well_formed(monkeypatch):
    for modules, message in [
        ([fake_module("a", api_prefix="auth")], "taken by the platform"),
        ([fake_module("a", api_prefix="one"), fake_module("b", api_prefix="one")], "taken by a"),
        ([fake_module("a", api_prefix="Has Space")], "lowercase letters"),
    ]:
        monkeypatch.setattr(extensions, "installed_modules", lambda modules=modules: modules)
        with pytest.raises(ImproperlyConfigured, match=message):
            extensions.module_urlpatterns()


def test_beat_entries_of_all_modules_are_merged_and_a_name_is_owned_once(monkeypatch):
    every_minute = {"task": "a.tasks.tick", "schedule": 60.0}
    monkeypatch.setattr(
        extensions,
        "installed_modules",
        lambda: [fake_module("a", beat_schedule={"a-tick": every_minute}), fake_module("b")],
    )
    assert extensions.beat_schedule() == {"a-tick": every_minute}

    monkeypatch.setattr(
        extensions,
        "installed_modules",
        lambda: [
            fake_module("a", beat_schedule={"tick": every_minute}),
            fake_module("b", beat_schedule={"tick": every_minute}),
        ],
    )
    with pytest.raises(ImproperlyConfigured, match="'tick' is declared by a already"):
        extensions.beat_schedule()


def test_a_module_beat_entry_may_not_take_the_name_of_a_platform_entry(monkeypatch):
    """Merged over the platform's schedule, such an entry replaced a reaper or a purge in silence."""
    from migrateiq import celery_config

    assert "reap-stale-syncs" in celery_config.beat_schedule
    hourly_no_op = {"task": "a.tasks.nothing", "schedule": 3600.0}
    monkeypatch.setattr(
        extensions,
        "installed_modules",
        lambda: [fake_module("a", beat_schedule={"reap-stale-syncs": hourly_no_op})],
    )
    with pytest.raises(ImproperlyConfigured, match="'reap-stale-syncs' is declared by the platform already"):
        extensions.beat_schedule(platform=celery_config.beat_schedule)


def test_the_celery_app_refuses_a_module_entry_named_like_a_platform_entry(monkeypatch):
    from migrateiq import celery_config
    from migrateiq.celery import add_module_schedules

    monkeypatch.setattr(
        extensions,
        "installed_modules",
        lambda: [
            fake_module("a", beat_schedule={"purge-ended-sessions": {"task": "a.tasks.x", "schedule": 1.0}})
        ],
    )
    sender = SimpleNamespace(conf=SimpleNamespace(beat_schedule=dict(celery_config.beat_schedule)))
    with pytest.raises(ImproperlyConfigured, match="'purge-ended-sessions' is declared by the platform"):
        add_module_schedules(sender)
    assert sender.conf.beat_schedule == celery_config.beat_schedule


def test_every_api_prefix_the_platform_mounts_is_refused_to_modules(monkeypatch):
    """A module under a prefix the platform serves has its routes shadowed (``/api/status/`` answered
    the platform's status, not the module's list) or shadows the platform's."""
    modules = {m.api_prefix for m in extensions.installed_modules() if m.api_prefix}
    platform = {
        str(entry.pattern).split("/")[1]
        for entry in get_resolver().url_patterns
        if str(entry.pattern).startswith("api/")
    } - modules

    assert platform <= extensions.PLATFORM_API_PREFIXES
    for prefix in sorted(platform):
        monkeypatch.setattr(
            extensions, "installed_modules", lambda p=prefix: [fake_module("a", api_prefix=p)]
        )
        with pytest.raises(ImproperlyConfigured, match="taken by the platform"):
            extensions.module_urlpatterns()


def test_the_celery_app_schedules_what_the_modules_declare():
    from migrateiq.celery import app

    app.finalize()
    declared = extensions.beat_schedule()

    assert declared
    assert {name: app.conf.beat_schedule[name] for name in declared} == declared


@pytest.mark.slow
def test_the_beat_process_loads_the_modules_schedules_at_start_up(tmp_path):
    """What ``celery -A migrateiq beat`` does before it reads its schedule: Django is set up first."""
    code = textwrap.dedent(
        """
        import json
        from celery.apps.beat import Beat
        from migrateiq.celery import app
        Beat(app=app).init_loader()
        from core.extensions import beat_schedule
        print(json.dumps([sorted(app.conf.beat_schedule), sorted(beat_schedule())]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "MIGRATEIQ_VAR_DIR": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    scheduled, declared = json.loads(result.stdout.strip().splitlines()[-1])

    # The platform's own entries (migrateiq/celery_config.py: the reapers) and every module's.
    from migrateiq import celery_config

    assert declared and set(declared) <= set(scheduled)
    assert (
        set(scheduled) - set(declared)
        == set(celery_config.beat_schedule)
        == {
            "record-background-tick",
            "reap-stale-syncs",
            "reap-stale-loads",
            "purge-ended-sessions",
        }
    )


def test_an_extension_without_a_module_config_fails_the_system_checks(settings):
    settings.MIGRATEIQ_EXTENSIONS = [*settings.MIGRATEIQ_EXTENSIONS, "accounts"]

    (error,) = extensions.check_modules()

    assert error.id == "core.E001"
    assert "'accounts'" in error.msg
    # a plain app (manage.py startapp, as a first try often is) learns which command writes a module
    assert "python manage.py startextension NAME" in error.hint


def test_a_module_ui_page_that_is_not_a_regular_expression_fails_the_system_checks(monkeypatch):
    monkeypatch.setattr(apps.get_app_config("webhooks"), "ui_pages", ("webhooks/(",))

    (error,) = extensions.check_modules()

    assert error.id == "core.E002"
    assert "'webhooks'" in error.msg and "'webhooks/('" in error.msg


@pytest.mark.parametrize("value", ["some_module,not a package", "core"])
def test_settings_refuse_an_extension_that_is_not_a_package_name_or_is_installed(tmp_path, value):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "MIGRATEIQ_VAR_DIR": str(tmp_path), "MIGRATEIQ_EXTENSIONS": value},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "MIGRATEIQ_EXTENSIONS" in result.stderr
