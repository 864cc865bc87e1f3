"""A destination server that signs the load in and then answers nothing: the load ends, the worker
is free again.

The server is a real listener on 127.0.0.1 speaking PostgreSQL's start-up (``pg_wire.SilentServer``):
it lets libpq in without a password, then reads every query and answers none, for as long as the
client stays."""

import time

import pytest

from destinations.models import LoadStatus
from destinations.services import attachments, loads
from destinations.tests.pg_wire import SilentServer, destination_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_destination(settings, tenant_a):
    server = SilentServer(hold_seconds=60)
    yield destination_on(server, tenant_a, settings, name="Silent"), server
    server.close()


def test_a_load_into_a_server_that_never_answers_fails_within_the_answer_timeout(
    silent_destination, make_connector, settings
):
    """Before: the load waited for the answer to its first ``BEGIN`` for as long as the server kept
    the connection open (for ever, for a server that means to): an editor's two such destinations
    held both worker processes of ``make run``, and every tenant's syncs stayed PENDING."""
    settings.MIGRATEIQ_DESTINATION_ANSWER_TIMEOUT = 2
    destination, server = silent_destination
    attachment = attachments.attach(destination, make_connector(name="Users").pk)

    started = time.monotonic()
    load = loads.execute_load(loads.start_load(attachment, queue=False).pk)
    took = time.monotonic() - started

    assert server.queries, "the load never reached the server's silence"
    assert took < 8, took
    assert load.status == LoadStatus.FAILED
    assert load.error_message == (
        "The destination did not answer within 2 s (MIGRATEIQ_DESTINATION_ANSWER_TIMEOUT); the next "
        "load goes on from the last committed batch."
    )
