"""The audit module's settings: Django settings first (tests override them), else the environment."""

from django.conf import settings

from migrateiq.env import env_int

RETENTION_DAYS_SETTING = "MIGRATEIQ_AUDIT_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 365


def retention_days() -> int:
    """How many days an audit event is kept (``MIGRATEIQ_AUDIT_RETENTION_DAYS``, default 365; 0 or
    less keeps every event)."""
    value = getattr(settings, RETENTION_DAYS_SETTING, None)
    if value is None:
        value = env_int(RETENTION_DAYS_SETTING, DEFAULT_RETENTION_DAYS)
    return int(value)
