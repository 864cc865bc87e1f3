"""The platform's pytest fixtures: two tenants, members of each role, authenticated API clients.

A stable part of the module author's surface (docs/extensions.md): the repository's ``conftest.py``
loads this plugin for every test, and an extension tested outside the repository loads it with
``pytest -p tenancy.testing``. Fixtures: ``tenant_a`` / ``tenant_b``; ``make_member(tenant, role)``;
``admin_user`` / ``editor_user`` / ``viewer_user`` (in ``tenant_a``) and ``outsider_user`` (admin of
``tenant_b``); ``client_for(user, tenant)`` and ``admin_client`` / ``editor_client`` /
``viewer_client`` / ``outsider_client`` / ``anon_client``; :func:`token_for` makes a bearer token;
``migrate_to(targets)`` moves the database to a migration state (a data migration's test);
``dns`` answers the egress guard's name lookups (``dns[name] = [address]``; other names do not
resolve); :func:`at_once` calls a function on threads released together (two syncs or loads at the
same time; mark such a test ``shared_database``).

The tenant scope check is on for the whole run (``MIGRATEIQ_TENANT_SCOPE_CHECK = "raise"``, unless
the environment sets the variable): a query of a tenant-owned model that is neither scoped to a
tenant nor marked ``.unscoped(reason)`` raises ``tenancy.scoping.UnscopedTenantQuery``, and a test
in which one was raised fails even when the code under test caught the error (a hook handler, the
engine's run loop). :func:`raises_unscoped_query` expects one; the ``tenant_scope_check_off``
fixture turns the check off for a test.

The suite runs on SQLite by default and on PostgreSQL when ``DATABASE_URL`` points at a server:
each run then creates (and drops) its own uniquely named test database.
"""

import contextlib
import os
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import TypeVar

import pytest

# Django and the apps are imported inside the fixtures: ``pytest -p tenancy.testing`` loads this
# plugin before pytest-django has configured Django.

_RUN_ID = uuid.uuid4().hex[:8]


def module_not_enabled(path, installed_apps) -> str | None:
    """The module a test path belongs to when it is a MigrateIQ module (a package whose ``apps.py``
    declares a ``ModuleConfig``) that is not installed, else None.

    Without this, ``pytest inventory/tests`` with the module left out of ``MIGRATEIQ_EXTENSIONS`` stops
    at Django's "Model class inventory.models.InventoryItem doesn't declare an explicit app_label and
    isn't in an application in INSTALLED_APPS", which does not say what to do."""
    from pathlib import Path

    here = Path(path).resolve()
    for folder in [here, *here.parents] if here.is_dir() else list(here.parents):
        apps_py = folder / "apps.py"
        if (folder / "__init__.py").is_file() and apps_py.is_file():
            name = folder.name
            if "ModuleConfig" in apps_py.read_text(errors="replace") and not any(
                app == name or app.startswith(f"{name}.") for app in installed_apps
            ):
                return name
            return None
    return None


def pytest_sessionstart(session):
    """Name the setting when the tests of a module that is not enabled are asked for."""
    from django.conf import settings

    if not settings.configured:
        return
    for arg in session.config.args:
        name = module_not_enabled(arg.split("::")[0], settings.INSTALLED_APPS)
        if name is not None:
            enabled = ",".join([*settings.MIGRATEIQ_EXTENSIONS, name])
            raise pytest.UsageError(
                f"{name} is a MigrateIQ module (its apps.py declares a ModuleConfig) that this run does not "
                f"install, so Django cannot load its models. Enable it for the run:\n"
                f"    MIGRATEIQ_EXTENSIONS={enabled} python -m pytest {' '.join(session.config.args)}\n"
                '(docs/extensions.md, "Enabling a module").'
            )


@pytest.fixture(scope="session")
def django_db_modify_db_settings(request, tmp_path_factory, django_db_modify_db_settings_parallel_suffix):
    """Give every test run its own database name so parallel runs never share (or drop) one.

    On SQLite, a session that runs Celery worker or web server tests uses a file database: those
    subprocesses must open the same database, and an in-memory one cannot be shared. So does one with
    tests marked ``shared_database`` (threads writing at once): the in-memory database's shared cache
    answers a second writer "database table is locked" at once, where a file database (as the
    embedded default's) makes it wait its turn.
    """
    from django.conf import settings

    db = settings.DATABASES["default"]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if db["ENGINE"] != "django.db.backends.sqlite3":
        db.setdefault("TEST", {})["NAME"] = f"test_migrateiq_{_RUN_ID}_{worker}"
    elif any(
        item.get_closest_marker("celery_worker")
        or item.get_closest_marker("server_process")
        or item.get_closest_marker("shared_database")
        for item in request.session.items
    ):
        path = tmp_path_factory.mktemp("db") / f"test_migrateiq_{_RUN_ID}_{worker}.sqlite3"
        db.setdefault("TEST", {})["NAME"] = str(path)


SCOPE_CHECK_VARIABLE = "MIGRATEIQ_TENANT_SCOPE_CHECK"


@pytest.fixture(autouse=True, scope="session")
def _tenant_scope_check():
    """The check is on for every test (and for the workers and servers tests start: the variable)."""
    from django.conf import settings

    mode = os.environ.setdefault(SCOPE_CHECK_VARIABLE, "raise")
    settings.MIGRATEIQ_TENANT_SCOPE_CHECK = mode
    yield


def _take_unscoped_queries() -> list[str]:
    from tenancy.scoping import take_raised

    return take_raised()


def _fail_on_unscoped_queries(when: str) -> None:
    if raised := _take_unscoped_queries():
        pytest.fail(
            f"{len(raised)} unscoped tenant quer{'y' if len(raised) == 1 else 'ies'} raised during {when} "
            "(and caught by the code under test):\n" + "\n".join(f"- {message}" for message in raised),
            pytrace=False,
        )


def _reporting_unscoped_queries(when: str):
    try:
        result = yield
    except BaseException:
        _take_unscoped_queries()  # the phase failed already, with the error itself
        raise
    _fail_on_unscoped_queries(when)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    _take_unscoped_queries()
    return (yield from _reporting_unscoped_queries("setup"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from _reporting_unscoped_queries("the test"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    return (yield from _reporting_unscoped_queries("teardown"))


@contextlib.contextmanager
def raises_unscoped_query():
    """``pytest.raises(UnscopedTenantQuery)`` for a test that expects one (and is not failed for it)."""
    from tenancy.scoping import UnscopedTenantQuery

    with pytest.raises(UnscopedTenantQuery) as excinfo:
        yield excinfo
    _take_unscoped_queries()


@pytest.fixture
def tenant_scope_check_off(settings):
    """Turn the tenant scope check off for one test."""
    settings.MIGRATEIQ_TENANT_SCOPE_CHECK = "off"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hashing with the production hasher costs ~0.3 s per user; tests don't need its strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_query_logs():
    """CaptureQueriesContext reads a bounded log (9,000 queries): once an earlier test has filled it,
    new queries push old ones out, its length stops growing and every capture comes back empty
    (so "no query wrote X" would pass whatever ran). Each test starts with empty logs."""
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.queries_log.clear()


@pytest.fixture(autouse=True)
def _forget_registered_secrets():
    """Each test starts with no registered secrets: a key an earlier test registered in this process
    (``core.redaction``) would otherwise redact this test's text (a URL path ``/migrateiq``)."""
    from core.redaction import forget_secrets

    forget_secrets()
    yield
    forget_secrets()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


T = TypeVar("T")
R = TypeVar("R")


def at_once(work: Callable[[T], R], items: Sequence[T], timeout: float = 60) -> list[R | None]:
    """``work(item)`` for every item, each on a thread of its own, released together; what each
    returned (None for one that raised or was still running after ``timeout`` seconds), in order.
    Each thread closes its database connection when done."""
    from django.db import connection

    barrier = threading.Barrier(len(items))
    results: list[R | None] = [None] * len(items)

    def run(index: int, item: T) -> None:
        barrier.wait()
        try:
            results[index] = work(item)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, item)) for index, item in enumerate(items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results


@pytest.fixture(scope="session")
def _request_budget_file(tmp_path_factory) -> str:
    """This test process's request-budget file (``core.budget``), shared with the workers and servers
    its tests start (the variable), not with the other test processes of a parallel run."""
    path = str(tmp_path_factory.mktemp("budgets") / "request-budgets.sqlite3")
    os.environ["MIGRATEIQ_REQUEST_BUDGET_FILE"] = path
    return path


@pytest.fixture(autouse=True)
def _no_request_budget_state_of_earlier_tests(_request_budget_file, settings):
    """Each test starts with no pause, lease or rate token of an earlier test's. A connector's budget
    key names its API account (tenant, origin, credentials), which tests repeat: a tenant's id after a
    rollback, the demo key, a port the system hands out again."""
    from core.budget import FileBudgetStore, store_for

    settings.MIGRATEIQ_REQUEST_BUDGET_FILE = _request_budget_file
    store = store_for()
    if isinstance(store, FileBudgetStore):
        store.forget_every_key()


@pytest.fixture
def migrate_to(transactional_db):
    """``migrate_to([(app, migration), ...])`` migrates the test database there and returns the
    historical ``apps`` of that state (no targets: the latest migrations); the database goes back to
    the latest migrations afterwards."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    def migrate(targets=None):
        executor = MigrationExecutor(connection)  # a fresh one: it reads what is applied now
        targets = executor.loader.graph.leaf_nodes() if targets is None else targets
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    try:
        yield migrate
    finally:
        migrate()


@pytest.fixture
def tenant_a(db):
    from tenancy.models import Tenant

    return Tenant.objects.create(slug="acme", name="Acme")


@pytest.fixture
def tenant_b(db):
    from tenancy.models import Tenant

    return Tenant.objects.create(slug="globex", name="Globex")


@pytest.fixture
def make_member(db, django_user_model):
    from tenancy.models import Membership, Role

    def _make(tenant, role=Role.ADMIN, email=None, password="correct-horse-9"):
        email = email or f"{role}-{uuid.uuid4().hex[:6]}@{tenant.slug}.test"
        user = django_user_model.objects.filter(email=email).first()
        if user is None:
            user = django_user_model.objects.create_user(email=email, password=password)
        Membership.objects.update_or_create(user=user, tenant=tenant, defaults={"role": role})
        return user

    return _make


def token_for(user, tenant) -> str:
    """An access token of a new sign-in of ``user`` (a member) in ``tenant``, as signing in makes it."""
    from tenancy.services import tokens_for

    return tokens_for(user, tenant)["access"]


@pytest.fixture
def client_for():
    from rest_framework.test import APIClient

    def _client(user, tenant):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, tenant)}")
        # who the client is, for the tests' own messages and lookups
        client.user = user  # type: ignore[attr-defined]
        client.tenant = tenant  # type: ignore[attr-defined]
        return client

    return _client


@pytest.fixture
def admin_user(tenant_a, make_member):
    return make_member(tenant_a, "admin", email="admin@acme.test")


@pytest.fixture
def editor_user(tenant_a, make_member):
    return make_member(tenant_a, "editor", email="editor@acme.test")


@pytest.fixture
def viewer_user(tenant_a, make_member):
    return make_member(tenant_a, "viewer", email="viewer@acme.test")


@pytest.fixture
def outsider_user(tenant_b, make_member):
    return make_member(tenant_b, "admin", email="admin@globex.test")


@pytest.fixture
def admin_client(client_for, admin_user, tenant_a):
    return client_for(admin_user, tenant_a)


@pytest.fixture
def editor_client(client_for, editor_user, tenant_a):
    return client_for(editor_user, tenant_a)


@pytest.fixture
def viewer_client(client_for, viewer_user, tenant_a):
    return client_for(viewer_user, tenant_a)


@pytest.fixture
def outsider_client(client_for, outsider_user, tenant_b):
    return client_for(outsider_user, tenant_b)


@pytest.fixture
def operator(django_user_model, settings):
    """A Django test client signed in to the Django admin as a superuser (an operator), its user as
    ``.user``."""
    from django.test import Client

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = django_user_model.objects.create_superuser(email="ops@migrateiq.test", password="correct-horse-9")
    client = Client()
    client.force_login(user)
    client.user = user  # type: ignore[attr-defined]  # the tests read who the operator is
    return client


@pytest.fixture
def anon_client():
    from rest_framework.test import APIClient

    return APIClient()


#: Host names that resolve to addresses the egress guard refuses whatever the allowlist's names
#: (private, loopback, cloud metadata): with ``dns``, saving them is a 400 however they resolve.
REFUSED_RESOLUTIONS = [
    ("internal.corp.example", "10.0.0.7"),
    ("local.corp.example", "127.0.0.1"),
    ("imds.corp.example", "169.254.169.254"),
]


@pytest.fixture
def dns(monkeypatch):
    """The name lookups the egress guard makes: ``dns[name] = [address, ...]``; an unknown name
    does not resolve (as on a machine without DNS to the internet)."""
    import socket

    answers: dict[str, list[str]] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in answers[host]]
        if host.replace(".", "").isdigit():
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (host, port))]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers
