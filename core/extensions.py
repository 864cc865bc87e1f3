"""How a module plugs into the platform.

A module is an app in its own folder (the connectors module ``demo_extension`` is the first). It
declares itself once, in its ``AppConfig``, by inheriting :class:`ModuleConfig`; the platform finds
it there and never imports it::

    # mymodule/apps.py
    from core import extensions

    class MyModuleConfig(extensions.ModuleConfig):
        name = "mymodule"
        api_prefix = "my-module"  # mymodule/urls.py answers under /api/my-module/
        beat_schedule = {  # Celery beat entries (names unique across modules)
            "mymodule-nightly": {"task": "mymodule.tasks.nightly", "schedule": 86400.0},
        }
        platform_test_fixtures = "mymodule.tests.platform_fixtures"

        def ready(self):
            # Process wiring that needs objects: metrics read at scrape time, hooks.
            from core.metrics import register_collector
            from mymodule.metrics import WidgetsCollector

            register_collector("mymodule.widgets", WidgetsCollector())

and is installed by naming it in ``MIGRATEIQ_EXTENSIONS`` or, for a module installed as a
distribution, by its ``migrateiq.extensions`` entry point (:func:`enabled_extensions`: the listed
modules first, then the discovered ones; ``MIGRATEIQ_EXTENSION_DISCOVERY=0`` turns discovery off).
Settings append them to ``INSTALLED_APPS`` after the platform apps. Import the module
``core.extensions`` rather than the class: Django takes the one ``AppConfig`` subclass ``apps.py``
holds, and an imported ``ModuleConfig`` would be a second (the system check ``core.E001`` reports a
module that ended up without its config). ``manage.py startextension NAME`` writes a new module.

What the platform does with the declaration:

* ``api_prefix`` / ``api_urls``: ``migrateiq/urls.py`` mounts :func:`module_urlpatterns`, the
  module's URL module (``<name>.urls`` unless ``api_urls`` names another) under ``/api/<prefix>/``.
  Its views inherit ``tenancy.viewsets`` like the platform's, so the isolation and role tests walk
  them with every other route.
* ``beat_schedule``: ``migrateiq/celery.py`` adds :func:`beat_schedule` to the Celery app's schedule.
  Tasks themselves are found by Celery's autodiscovery (``<name>/tasks.py``).
* ``platform_test_fixtures``: a module (usually under the app's ``tests/``) that tells the platform's
  route-walk tests how to create one object of each of the module's tenant-owned kinds and who may
  call each of its routes (the attributes are documented in ``tenancy/tests/seed.py``).
* metrics read at scrape time: :func:`core.metrics.register_collector`, from ``ready()``.
* ``ui_pages``: ``core/views_ui.py`` answers these addresses with the web UI's page (200, not 404)
  while the module is installed (:func:`is_module_ui_page`).

A module imports only the platform's documented surface (``core``, ``tenancy`` and this file);
``core/tests/test_layers.py`` fails when the platform imports a module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import import_module, metadata
from types import ModuleType

from django.apps import AppConfig, apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

#: The entry-point group through which an installed distribution offers its modules.
ENTRY_POINT_GROUP = "migrateiq.extensions"

#: ``/api/<prefix>/`` the platform's own URL configuration uses; a module may not take them.
#: ``core/tests/test_extensions.py`` checks it against every ``api/…`` route ``migrateiq/urls.py`` mounts.
PLATFORM_API_PREFIXES = frozenset(
    {"auth", "tenancy", "destinations", "version", "status", "schema", "docs", "redoc"}
)
_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class ModuleConfig(AppConfig):
    """The ``AppConfig`` base of a module: what it adds to the platform, declared in one place."""

    #: The module's API lives under ``/api/<api_prefix>/`` ("" : the module has no API).
    api_prefix: str = ""
    #: Dotted path of the URL module mounted there; default ``"<name>.urls"``.
    api_urls: str = ""
    #: Celery beat entries, ``{"unique-name": {"task": "<name>.tasks.x", "schedule": seconds, ...}}``.
    beat_schedule: dict[str, dict] = {}
    #: Dotted path of the module's fixtures for the platform's route-walk tests ("" : none).
    platform_test_fixtures: str = ""
    #: The web UI's pages of the module: regular expressions of their addresses without the leading
    #: slash (``r"inventory/?"``), matched whole. The server answers them with the app's page while
    #: the module is installed (a 404 otherwise); the page itself is a route of the app
    #: (``frontend/src/App.tsx``), which the module cannot ship from its folder yet.
    ui_pages: tuple[str, ...] = ()


def discovered_extensions() -> list[str]:
    """The modules installed distributions offer through the ``migrateiq.extensions`` entry points,
    ordered by entry-point name. Each entry point names the module's package::

        # the extension's pyproject.toml
        [project.entry-points."migrateiq.extensions"]
        inventory = "inventory"
    """
    found: list[str] = []
    for entry_point in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        package = entry_point.value.strip()
        if not package.isidentifier():
            raise ImproperlyConfigured(
                f"The entry point {entry_point.name!r} ({ENTRY_POINT_GROUP}) must name a module's "
                f'top-level package (e.g. inventory = "inventory"), not {entry_point.value!r}.'
            )
        if package not in found:
            found.append(package)
    return found


def enabled_extensions(listed: list[str], *, discover: bool) -> list[str]:
    """The modules to install: those ``listed`` (``MIGRATEIQ_EXTENSIONS``) in their order, then, when
    ``discover`` is on, those installed distributions offer (:func:`discovered_extensions`) that are
    not listed already. A module is installed once however it is named."""
    enabled = list(dict.fromkeys(listed))
    if discover:
        enabled += [name for name in discovered_extensions() if name not in enabled]
    return enabled


def installed_modules() -> list[ModuleConfig]:
    """The installed modules, in ``INSTALLED_APPS`` order."""
    return [config for config in apps.get_app_configs() if isinstance(config, ModuleConfig)]


def is_module_ui_page(address: str) -> bool:
    """Whether an installed module declares ``address`` (a path without its leading slash) one of its
    pages of the web UI (``ModuleConfig.ui_pages``)."""
    return any(re.fullmatch(page, address) for module in installed_modules() for page in module.ui_pages)


def module_urlpatterns() -> list:
    """``path("api/<prefix>/", include(<urls>))`` for every module with an API."""
    from django.urls import include, path

    taken: dict[str, str] = {}
    mounted = []
    for module in installed_modules():
        prefix = module.api_prefix
        if not prefix:
            continue
        if not _PREFIX.match(prefix):
            raise ImproperlyConfigured(
                f"{module.name}: api_prefix {prefix!r} must be lowercase letters, digits and hyphens."
            )
        if prefix in PLATFORM_API_PREFIXES or prefix in taken:
            owner = taken.get(prefix, "the platform")
            raise ImproperlyConfigured(f"{module.name}: /api/{prefix}/ is taken by {owner}.")
        taken[prefix] = module.name
        mounted.append((prefix, module.api_urls or f"{module.name}.urls"))
    return [path(f"api/{prefix}/", include(urls)) for prefix, urls in mounted]


def beat_schedule(platform: Mapping[str, dict] | None = None) -> dict[str, dict]:
    """Every module's Celery beat entries in one schedule; a name used twice is refused, and so is a
    name of the ``platform``'s own entries (``migrateiq.celery_config.beat_schedule``): merged over
    them, a module's entry would silently replace a reaper or a purge of the platform."""
    schedule: dict[str, dict] = {}
    owners: dict[str, str] = dict.fromkeys(platform or {}, "the platform")
    for module in installed_modules():
        for name, entry in module.beat_schedule.items():
            if name in schedule or name in owners:
                raise ImproperlyConfigured(
                    f"{module.name}: the beat entry {name!r} is declared by {owners[name]} already."
                )
            schedule[name] = dict(entry)
            owners[name] = module.name
    return schedule


def platform_test_fixtures() -> list[ModuleType]:
    """The modules' fixtures for the platform's route-walk tests (imported on demand: tests only)."""
    return [import_module(m.platform_test_fixtures) for m in installed_modules() if m.platform_test_fixtures]


def check_modules(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """System check: every app named in ``MIGRATEIQ_EXTENSIONS`` is configured by a ``ModuleConfig``
    (otherwise its API, schedules and fixtures would be silently missing)."""
    errors: list[checks.CheckMessage] = []
    for name in getattr(settings, "MIGRATEIQ_EXTENSIONS", []):
        config = next((c for c in apps.get_app_configs() if c.name == name), None)
        if config is not None and not isinstance(config, ModuleConfig):
            errors.append(
                checks.Error(
                    f"The module {name!r} is configured by {type(config).__module__}."
                    f"{type(config).__qualname__}, not a core.extensions.ModuleConfig.",
                    hint="Inherit core.extensions.ModuleConfig in its apps.py, importing the module "
                    "(`from core import extensions`) rather than the class; `python manage.py "
                    "startextension NAME` writes a module that does (docs/extensions.md), where "
                    "`manage.py startapp` writes a plain Django app.",
                    id="core.E001",
                )
            )
    for module in installed_modules():
        for page in module.ui_pages:
            try:
                re.compile(page)
            except re.error as exc:
                errors.append(
                    checks.Error(
                        f"The module {module.name!r} declares the UI page {page!r}, which is not a "
                        f"regular expression ({exc}).",
                        hint="ui_pages holds regular expressions of page addresses without the "
                        'leading slash, e.g. r"inventory/?".',
                        id="core.E002",
                    )
                )
    return errors
