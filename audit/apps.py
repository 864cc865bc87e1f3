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
    # The web UI's page of the module (frontend/src/App.tsx), served while it is installed.
    ui_pages = (r"audit/?",)

    def ready(self):
        from django.db.models.signals import post_migrate, pre_migrate

        from audit import services, sqlite_triggers
        from core import activity, hooks  # noqa: F401  (activity defines the hook)

        hooks.register("activity", services.store_activity)
        # SQLite: a migration's table rebuild must not fail on, or lose, the trail's triggers.
        pre_migrate.connect(sqlite_triggers.before_migrate, sender=self, dispatch_uid="audit-sqlite-triggers")
        post_migrate.connect(sqlite_triggers.after_migrate, sender=self, dispatch_uid="audit-sqlite-triggers")
