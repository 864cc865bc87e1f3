import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness is not under test here; it would dominate the run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _closed_local_port_allowed(settings):
    """Seeded connectors point at 127.0.0.1:9 (nothing listens there); the egress allowlist lets the
    API accept that URL, and any call to it fails at once without leaving the machine."""
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]
    settings.MIGRATEIQ_HTTP_MAX_ATTEMPTS = 1  # no retry back-off against the closed port
