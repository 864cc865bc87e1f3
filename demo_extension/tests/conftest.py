"""Fixtures of the connectors module's tests: sample upstreams, the active tenant, connectors.

def test_sync_pages_through_everything(sample_upstream, make_connector):
    upstream = sample_upstream(records=120, page_size=50, style="page", api_key="k")
    connector = make_connector(upstream=upstream)  # endpoint, key and auth style from it
    # or explicitly: make_connector(api_endpoint=upstream.url, api_key="k", pagination={...})
"""

import itertools

import pytest

from demo_extension.models import CustomDataConnector
from demo_extension.sample_upstream import SampleUpstream
from tenancy.context import get_current_tenant, tenant_context

_connector_numbers = itertools.count(1)


def allow_egress_to(settings, netloc: str) -> None:
    """Add ``host:port`` to the test's egress allowlist (a new list: the fixture restores the old)."""
    allowlist = list(getattr(settings, "MIGRATEIQ_EGRESS_ALLOWLIST", None) or [])
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [*allowlist, netloc]


def _serving(settings, make):
    """``(start, started)``: ``start(...)`` makes a server with ``make(...)``, starts it and allows it
    through the egress guard; ``started`` lists them for the fixture to stop."""
    started: list = []

    def _start(*args, **options):
        server = make(*args, **options).start()
        started.append(server)
        allow_egress_to(settings, server.netloc)
        return server

    return _start, started


@pytest.fixture
def sample_upstream(settings):
    """A factory: ``sample_upstream(**options) -> SampleUpstream``, started and reachable.

    Each server listens on a free 127.0.0.1 port, is added to ``MIGRATEIQ_EGRESS_ALLOWLIST`` for the
    test (so ``core.http`` may call it) and is stopped at teardown.
    """
    start, started = _serving(settings, SampleUpstream)
    yield start
    for upstream in started:
        upstream.stop()


@pytest.fixture
def vendor_server(settings):
    """A factory: ``vendor_server(VendorClass, records=None)``, a started fake of a vendor's list
    endpoint (see ``demo_extension.tests.vendors``), reachable through the egress guard."""
    start, started = _serving(settings, lambda vendor_class, **options: vendor_class(**options))
    yield start
    for vendor in started:
        vendor.stop()


@pytest.fixture
def tenant_ctx(tenant_a):
    """Make tenant_a the active tenant for the test (what a shell session or a task does)."""
    with tenant_context(tenant_a):
        yield tenant_a


@pytest.fixture
def make_connector(tenant_a):
    """A factory: ``make_connector(tenant=None, **fields) -> CustomDataConnector``.

    The tenant defaults to the active one (see ``tenant_ctx``), else tenant_a; names are unique.

    ``upstream=<SampleUpstream>`` fills the endpoint and credentials from a sample upstream.
    """

    def _make(tenant=None, *, upstream: SampleUpstream | None = None, **fields) -> CustomDataConnector:
        defaults = {
            "name": f"Connector {next(_connector_numbers)}",
            "api_endpoint": "http://127.0.0.1:9/users",
            "sync_frequency": "DAILY",
        }
        if upstream is not None:
            defaults.update(connector_fields_for(upstream))
        defaults.update(fields)
        tenant = tenant or get_current_tenant() or tenant_a
        return CustomDataConnector.objects.create(tenant=tenant, **defaults)

    return _make


def connector_fields_for(upstream: SampleUpstream) -> dict:
    """Connector fields that reach ``upstream`` with its auth style (pagination left to the test)."""
    fields = {"api_endpoint": upstream.url, "api_key": upstream.api_key or ""}
    if not upstream.api_key:
        fields["auth_type"] = "none"
        return fields
    fields["auth_type"] = upstream.auth
    fields["auth_header_name"] = upstream.auth_header
    fields["auth_param_name"] = upstream.auth_param
    fields["auth_username"] = upstream.username
    fields["auth_password"] = upstream.password
    return fields
