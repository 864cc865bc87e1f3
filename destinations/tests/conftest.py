"""Fixtures of the destinations tests: a throwaway PostgreSQL database as the destination, stored
connector records (written the way a sync page writes them)."""

import secrets

import psycopg
import pytest

from demo_extension.tests.conftest import make_connector, sample_upstream, tenant_ctx  # noqa: F401 - fixtures
from demo_extension.tests.sync_support import store  # noqa: F401 - imported by the tests here
from destinations.models import Destination
from destinations.services import attachments

PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def pg_database():
    """A new, empty PostgreSQL database (its name), dropped after the test."""
    name = f"migrateiq_dest_test_{secrets.token_hex(6)}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_allowed(settings):
    """The loopback PostgreSQL server is allowed by the egress guard for this test."""
    allowlist = list(getattr(settings, "MIGRATEIQ_EGRESS_ALLOWLIST", None) or [])
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [*allowlist, "127.0.0.1:5432"]


@pytest.fixture
def make_destination(pg_database, tenant_a):
    def _make(tenant=None, **fields):
        values = {
            "name": f"Warehouse {secrets.token_hex(3)}",
            "host": "127.0.0.1",
            "port": 5432,
            "database": pg_database,
            "username": "postgres",
            "sslmode": "disable",
            "target_schema": "analytics",
        }
        values.update(fields)
        return Destination.objects.create(tenant=tenant or tenant_a, **values)

    return _make


@pytest.fixture
def attached(pg_allowed, make_destination, make_connector):  # noqa: F811 - the imported fixture
    """A destination, a connector named Users and its attachment (table ``users``)."""
    destination = make_destination()
    connector = make_connector(name="Users")
    attachment = attachments.attach(destination, connector.pk)
    return destination, connector, attachment


def query(database: str, statement: str, params=None) -> list[tuple]:
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}", autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []
