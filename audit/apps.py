from core import extensions


class AuditConfig(extensions.ModuleConfig):
    """The audit trail module, as the platform sees it (see ``core/extensions.py``)."""

    name = "audit"
    verbose_name = "Audit trail"
    api_prefix = "audit"
    # Daily; the retention job deletes in batches, so a late or repeated run is harmless.
    beat_schedule = {
        "audit-expire-events": {
            "task": "audit.tasks.expire_audit_events",
            "schedule": 86400.0,
            "options": {"expires": 3600},
        },
    }
    platform_test_fixtures = "audit.tests.platform_fixtures"

    def ready(self):
        from audit import services
        from core import activity, hooks  # noqa: F401  (activity defines the hook)

        hooks.register("activity", services.store_activity)
