"""A destination's TLS connection never presents the MigrateIQ host's own client certificate.

libpq offers ``~/.postgresql/postgresql.crt`` (or ``PGSSLCERT``) to any server that asks for a client
certificate: a tenant's destination pointed at a server that trusts the operator's certificate would
sign in with the operator's identity. The server here is a real TLS listener speaking PostgreSQL's
SSL negotiation; it asks for a client certificate and writes down whether one came.
"""

import datetime
import ssl

import psycopg
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from destinations.models import Destination
from destinations.services.registry import driver_for
from destinations.tests.pg_wire import GSS_REQUEST, SSL_REQUEST, PostgresWireServer


def _self_signed(directory, name: str, *, hosts: tuple[str, ...] = ()):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(host) for host in hosts] or [x509.DNSName(name)]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_file.chmod(0o600)  # libpq refuses a client key others may read
    return cert_file, key_file


class _CertificateAskingServer(PostgresWireServer):
    """Accepts PostgreSQL's SSL request, asks for a client certificate the operator's CA signed,
    and records the subject of each one presented (``None`` when none was)."""

    def __init__(self, server_cert, server_key, trusted_client_ca):
        self.presented: list[str | None] = []
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(server_cert, server_key)
        self._context.verify_mode = ssl.CERT_OPTIONAL
        self._context.load_verify_locations(trusted_client_ca)
        super().__init__()

    def answer(self, conn):
        while True:
            code, _ = self.next_packet(conn)
            if code == GSS_REQUEST:
                conn.sendall(b"N")
                continue
            if code != SSL_REQUEST:
                return
            conn.sendall(b"S")
            with self._context.wrap_socket(conn, server_side=True) as tls:
                peer = tls.getpeercert()
                subject = dict(item[0] for item in peer["subject"]) if peer else None
                self.presented.append(subject.get("commonName") if subject else None)
            return


@pytest.fixture
def operator_certificate(tmp_path, monkeypatch):
    """The MigrateIQ host's own client certificate, where libpq finds it (as ~/.postgresql would)."""
    cert, key = _self_signed(tmp_path, "operator")
    monkeypatch.setenv("PGSSLCERT", str(cert))
    monkeypatch.setenv("PGSSLKEY", str(key))
    return cert


@pytest.fixture
def cert_asking_server(tmp_path, operator_certificate):
    server_cert, server_key = _self_signed(tmp_path, "tenant-server", hosts=("localhost",))
    server = _CertificateAskingServer(server_cert, server_key, operator_certificate)
    server.certificate = server_cert
    yield server
    server.close()


def test_libpq_offers_the_hosts_certificate_to_a_server_that_asks_for_one(cert_asking_server):
    # What the destination must not do: a plain libpq connection presents the operator's identity.
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(
            host="127.0.0.1", port=cert_asking_server.port, dbname="db", user="u", sslmode="require",
            connect_timeout=5,
        )  # fmt: skip

    assert cert_asking_server.presented == ["operator"]


def _destination(server, tenant, settings, sslmode, host="127.0.0.1"):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [f"127.0.0.1:{server.port}"]
    return Destination.objects.create(
        tenant=tenant,
        name="tenant's server",
        host=host,
        port=server.port,
        database="db",
        username="postgres",
        password="tenant-password",
        sslmode=sslmode,
    )


@pytest.mark.parametrize("sslmode", ["prefer", "require"])
def test_a_destination_never_presents_the_hosts_client_certificate(
    cert_asking_server, settings, tenant_a, sslmode
):
    destination = _destination(cert_asking_server, tenant_a, settings, sslmode)

    check = driver_for("postgresql").check_connection(destination)

    assert not check.connected
    assert cert_asking_server.presented and set(cert_asking_server.presented) == {None}


def test_verify_full_trusts_the_systems_certificate_authorities(
    cert_asking_server, settings, tenant_a, monkeypatch
):
    # OpenSSL's system store is SSL_CERT_FILE when set: here it trusts the tenant's server.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_asking_server.certificate))
    destination = _destination(cert_asking_server, tenant_a, settings, "verify-full", host="localhost")

    check = driver_for("postgresql").check_connection(destination)

    assert not check.connected  # the listener ends the connection after the handshake
    assert "certificate" not in check.message
    assert cert_asking_server.presented == [None]  # verified, and no client certificate presented


def test_verify_full_never_trusts_the_hosts_own_root_certificate(
    cert_asking_server, settings, tenant_a, monkeypatch, tmp_path
):
    # libpq's default CA file is the operator's ~/.postgresql/root.crt (PGSSLROOTCERT): what the
    # operator trusts for its own databases says nothing about a server a tenant chose.
    monkeypatch.setenv("PGSSLROOTCERT", str(cert_asking_server.certificate))
    other_ca, _ = _self_signed(tmp_path, "some-public-ca")
    monkeypatch.setenv("SSL_CERT_FILE", str(other_ca))
    destination = _destination(cert_asking_server, tenant_a, settings, "verify-full", host="localhost")

    check = driver_for("postgresql").check_connection(destination)

    assert not check.connected
    assert "certificate verify failed" in check.message
    assert cert_asking_server.presented == []


def test_verify_ca_uses_the_configured_certificate_bundle(cert_asking_server, settings, tenant_a):
    settings.MIGRATEIQ_DESTINATION_SSL_ROOT_CERT = str(cert_asking_server.certificate)
    destination = _destination(cert_asking_server, tenant_a, settings, "verify-ca")

    check = driver_for("postgresql").check_connection(destination)

    assert "certificate" not in check.message
    assert cert_asking_server.presented == [None]
