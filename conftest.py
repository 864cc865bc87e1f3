"""Shared pytest fixtures: the platform's, from the plugin ``tenancy.testing`` (two tenants, members
of each role, authenticated API clients, a database of the run's own), for every test of the repository."""

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

pytest_plugins = ["tenancy.testing"]

# Property tests are judged by what they find, not by the host's speed: on a slow, busy 2-core host
# Hypothesis's own checks failed a test that found nothing ("input generation is slow"). A test's
# own @settings still sets its examples; this profile is what it does not set.
hypothesis_settings.register_profile("migrateiq", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("migrateiq")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, whose teardown first ends the sessions a test's thread or
    process left open on it: PostgreSQL refuses to drop a database in use, and a CI run once left
    ``test_migrateiq_<run>_gw3`` on the server ("is being accessed by other users")."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def token_for(user, tenant) -> str:
    """``tenancy.testing.token_for`` (tests import it from here)."""
    from tenancy.testing import token_for as bearer_token

    return bearer_token(user, tenant)


def hang_up(response) -> None:
    """Close a test client's streamed response without reading it, as a client that hangs up: its
    closers run (a download gives its read slot back, ``core.interactive``) while the test's
    database connection stays open, as the test client does when a stream is read to its end."""
    import inspect

    from django.core.signals import request_finished
    from django.db import close_old_connections

    stream = getattr(response, "_iterator", None) if response.streaming else None
    if inspect.isgenerator(stream) and inspect.getgeneratorstate(stream) == inspect.GEN_SUSPENDED:
        # read in part: the test client's wrapper of the stream closes the response itself, keeping
        # the connection (closing the response from here would reconnect the closer inside it)
        stream.close()
        return
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


# A test whose fixtures include one of these (or marked django_db) uses the Django database.
_DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
    }
)


def uses_the_database(item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(
        _DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ()))
    )


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgresql_only`` prove what only PostgreSQL does (a check deferred to COMMIT),
    ``sqlite_only`` what only SQLite does (its limit of bound parameters): the run of the suite on
    that database collects them, the other run deselects them (neither skipped nor counted as
    passed). The run on PostgreSQL also deselects the tests that use no Django database (a quarter
    of the suite: egress rules, the HTTP client, pagination, transformations): they would prove on
    it exactly what the SQLite run proved."""
    from django.db import connection

    postgresql = connection.vendor == "postgresql"
    other = "sqlite_only" if postgresql else "postgresql_only"
    kept = [
        item
        for item in items
        if item.get_closest_marker(other) is None
        and (not postgresql or uses_the_database(item) or item.get_closest_marker("postgresql_only"))
    ]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
