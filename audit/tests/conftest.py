import pytest

from audit.models import AuditEvent

CONNECTORS = "/api/demo-extension/connectors/"
EVENTS = "/api/audit/events/"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks (the activity hook's handlers) of the block when it ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def events():
    """The audit events of a tenant, oldest first: ``events(tenant, action=None)``."""

    def _events(tenant, action=None):
        found = AuditEvent.objects.filter(tenant=tenant).order_by("at", "id")
        return list(found.filter(action=action) if action else found)

    return _events


@pytest.fixture(autouse=True)
def _endpoint_allowed(settings):
    """The connectors these tests create point at 127.0.0.1:9 (nothing is ever called there)."""
    allowlist = list(getattr(settings, "MIGRATEIQ_EGRESS_ALLOWLIST", None) or [])
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [*allowlist, "127.0.0.1:9"]
