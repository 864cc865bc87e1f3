"""What a destination's connection errors show: the server's own words, with the password masked
where the server echoes it as a value, and never inside other words (finding 6: the password ``x``
turned "does not exist" into "does not e***ist", and which letters were masked told the password)."""

import pytest

from destinations.models import Destination
from destinations.services.registry import driver_for
from destinations.tests.pg_wire import RefusingServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def refusing(settings):
    started = []

    def start(message: str) -> RefusingServer:
        server = RefusingServer(message)
        started.append(server)
        settings.MIGRATEIQ_EGRESS_ALLOWLIST = [f"127.0.0.1:{server.port}"]
        return server

    yield start
    for server in started:
        server.close()


def _check(server, tenant, password: str) -> str:
    destination = Destination.objects.create(
        tenant=tenant,
        name="warehouse",
        host="127.0.0.1",
        port=server.port,
        database="no_such_db",
        username="postgres",
        password=password,
        sslmode="disable",
    )
    check = driver_for("postgresql").check_connection(destination)
    assert not check.connected
    return check.message


@pytest.mark.parametrize("password", ["x", "e", "is", "not", "exist"])
def test_a_short_password_is_not_masked_inside_the_servers_words(refusing, tenant_a, password):
    server = refusing('database "no_such_db" does not exist')

    message = _check(server, tenant_a, password)

    assert message.startswith("Could not connect: ")
    if password in ("not", "exist"):  # the password is a whole word of the message: an echo for all we know
        assert 'database "no_such_db" does ' in message and "***" in message
    else:
        assert message.endswith('database "no_such_db" does not exist'), message
        assert "***" not in message


@pytest.mark.parametrize("password", ["x", "s3cr", "correct-horse-battery", "pw x9"])
def test_a_password_the_server_echoes_as_a_value_is_masked(refusing, tenant_a, password):
    server = refusing(f'password "{password}" is not accepted for user postgres (given: {password})')

    message = _check(server, tenant_a, password)

    assert message.count("***") == 2, message
    assert f'"{password}"' not in message and f": {password})" not in message
    assert message.endswith('password "***" is not accepted for user postgres (given: ***)')


def test_a_long_password_is_masked_inside_other_text_too(refusing, tenant_a):
    # a value long enough to be a key is an echo wherever it is (a server gluing it to other text)
    server = refusing("role postgres rejected: credentialCorrectHorse-9battery!given")

    message = _check(server, tenant_a, "CorrectHorse-9battery!")

    assert "CorrectHorse" not in message and message.endswith("rejected: credential***given")


def test_a_refused_connection_says_could_not_connect_once(tenant_a, settings):
    # before: "Could not connect: connection failed: connection to server at ... failed: Connection refused"
    from core.tests.upstreams import free_port

    port = free_port()
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [f"127.0.0.1:{port}"]
    destination = Destination.objects.create(
        tenant=tenant_a,
        name="nowhere",
        host="127.0.0.1",
        port=port,
        database="warehouse",
        username="postgres",
        password="pw",
        sslmode="disable",
    )

    message = driver_for("postgresql").check_connection(destination).message

    assert message.startswith('Could not connect: connection to server at "127.0.0.1", port '), message
    assert "Connection refused" in message
