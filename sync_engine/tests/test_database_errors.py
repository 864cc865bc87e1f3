"""A database error while storing a page fails the run with a message that quotes no record value.

PostgreSQL's text of a refused row names the row's values (``DETAIL: Key (…)=(alice@…)``); the
run's message and log are read by every member and sent by webhooks, so they say the kind of error
and the constraint, never the database's text, which stays in the server log.
"""

import logging

import psycopg
import pytest
from django.db import DatabaseError, connection

from core.database_errors import describe_database_error
from sync_engine.engine import run_sync
from sync_engine.models import SyncLogEvent, SyncStatus
from sync_engine.runs import connector_model
from sync_engine.sources import Page, SourcePlan, register_source, unregister_source

PRIVATE = "alice.private@example.com"


class TwoPeopleOneEmail:
    """Two records that a unique index on their email refuses together."""

    def __init__(self, connector):
        self.connector = connector

    def check(self):
        return type("Result", (), {"connected": True, "message": "static"})()

    def prepare(self) -> SourcePlan:
        return SourcePlan()

    def refuse_checkpoint(self, position: dict) -> str:
        return ""

    def pages(self, run, resume):
        yield Page(
            records=[{"id": 1, "email": PRIVATE}, {"id": 2, "email": PRIVATE}],
            position={"next": 1},
            plain=True,
            label="page 1",
            more=False,
        )


@pytest.fixture
def unique_email_index(db):
    """An index the records table does not have, standing in for any constraint a page can break."""
    postgresql = connection.vendor == "postgresql"
    expression = "(data->>'email')" if postgresql else "(json_extract(data, '$.email'))"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE UNIQUE INDEX records_one_email ON demo_extension_syncedrecord ({expression})")
    yield "records_one_email"
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS records_one_email")


@pytest.fixture
def email_connector(tenant_a):
    register_source("two-people-one-email")(TwoPeopleOneEmail)
    yield connector_model().objects.create(
        tenant=tenant_a,
        name="Two people",
        source_type="two-people-one-email",
        primary_key="id",
        api_endpoint="",
    )
    unregister_source("two-people-one-email")


def test_a_database_error_storing_a_page_names_the_constraint_and_quotes_no_value(
    email_connector, unique_email_index, caplog
):
    with caplog.at_level(logging.ERROR, logger="sync_engine.engine"):
        run = run_sync(email_connector)

    assert run.status == SyncStatus.FAILED
    assert run.error_message.startswith("Database error while storing a page: ")
    assert "the server log has the database's full message" in run.error_message
    if connection.vendor == "postgresql":
        assert 'unique violation (SQLSTATE 23505) on constraint "records_one_email"' in run.error_message
    else:
        said = "(SQLITE_CONSTRAINT_UNIQUE): UNIQUE constraint failed: index 'records_one_email'"
        assert said in run.error_message
    shown = [run.error_message, *SyncLogEvent.objects.filter(sync_log=run).values_list("message", flat=True)]
    assert not [text for text in shown if PRIVATE in text or "DETAIL" in text]
    # the operator still gets the database's own words
    assert "records_one_email" in caplog.text


def _error_of(sql: str, params=()) -> DatabaseError:
    with pytest.raises(DatabaseError) as caught, connection.cursor() as cursor:
        cursor.execute("SAVEPOINT probe")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("ROLLBACK TO SAVEPOINT probe")
    return caught.value


@pytest.mark.django_db
def test_errors_that_quote_values_are_described_by_their_kind_and_names_only():
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE probe_people "
            "(id integer PRIMARY KEY, email text NOT NULL UNIQUE, n integer CHECK (n < 10))"
        )
        cursor.execute("INSERT INTO probe_people VALUES (1, %s, 1)", [PRIVATE])
    duplicate = _error_of("INSERT INTO probe_people VALUES (4, %s, 1)", [PRIVATE])
    missing = _error_of("INSERT INTO probe_people VALUES (2, NULL, 1)")
    checked = _error_of("INSERT INTO probe_people VALUES (3, %s, 99)", [PRIVATE])
    described = [describe_database_error(error) for error in (duplicate, missing, checked)]

    assert not [text for text in described if PRIVATE in text]
    if connection.vendor == "postgresql":
        assert PRIVATE in str(duplicate.__cause__)  # what the database itself says
        bad_number = _error_of("SELECT %s::integer", [PRIVATE])
        assert PRIVATE in str(bad_number)
        assert described == [
            'unique violation (SQLSTATE 23505) on constraint "probe_people_email_key", table "probe_people"',
            'not null violation (SQLSTATE 23502) on table "probe_people", column "email"',
            'check violation (SQLSTATE 23514) on constraint "probe_people_n_check", table "probe_people"',
        ]
        assert describe_database_error(bad_number) == "invalid text representation (SQLSTATE 22P02)"
    else:
        assert described == [
            "integrity error (SQLITE_CONSTRAINT_UNIQUE): UNIQUE constraint failed: probe_people.email",
            "integrity error (SQLITE_CONSTRAINT_NOTNULL): NOT NULL constraint failed: probe_people.email",
            "integrity error (SQLITE_CONSTRAINT_CHECK): CHECK constraint failed: n < 10",
        ]


def test_a_lost_connection_is_described_without_the_servers_address():
    try:
        psycopg.connect("postgresql://someone@127.0.0.1:1/warehouse", connect_timeout=2)
    except psycopg.OperationalError as error:
        refused = error
    assert "127.0.0.1" in str(refused)
    wrapped = DatabaseError("wrapped")
    wrapped.__cause__ = refused

    described = describe_database_error(wrapped)

    assert described == "operational error (the connection to the database failed or was lost)"
