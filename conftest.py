"""Shared pytest fixtures: the platform's, from the plugin ``tenancy.testing`` (two tenants, members
of each role, authenticated API clients, a database of the run's own), for every test of the repository."""

pytest_plugins = ["tenancy.testing"]


def token_for(user, tenant) -> str:
    """``tenancy.testing.token_for`` (tests import it from here)."""
    from tenancy.testing import token_for as bearer_token

    return bearer_token(user, tenant)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgresql_only`` prove what only PostgreSQL does (a check deferred to COMMIT),
    ``sqlite_only`` what only SQLite does (its limit of bound parameters): the run of the suite on
    that database collects them, the other run deselects them (neither skipped nor counted as
    passed)."""
    from django.db import connection

    other = "sqlite_only" if connection.vendor == "postgresql" else "postgresql_only"
    kept = [item for item in items if item.get_closest_marker(other) is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
