from core import extensions


class DemoExtensionConfig(extensions.ModuleConfig):
    """The connectors module, as the platform sees it (see ``core/extensions.py``)."""

    name = "demo_extension"
    verbose_name = "Connectors"
    api_prefix = "demo-extension"
    # Every minute; a run that waited behind long syncs past the next one is dropped (they catch up).
    beat_schedule = {
        "dispatch-due-syncs": {
            "task": "demo_extension.tasks.dispatch_due_syncs",
            "schedule": 60.0,
            "options": {"expires": 55},
        },
        "reap-stale-syncs": {
            "task": "demo_extension.tasks.reap_stale_syncs",
            "schedule": 60.0,
            "options": {"expires": 55},
        },
    }
    platform_test_fixtures = "demo_extension.tests.platform_fixtures"

    def ready(self):
        from core.metrics import register_collector
        from demo_extension.metrics import SyncRunsCollector
        from demo_extension.services.changes import ConnectorChangeSource
        from destinations.sources import register_change_source

        # Running and pending runs, counted in the database at each /metrics scrape.
        register_collector("demo_extension.sync_runs", SyncRunsCollector())
        # The destinations platform app loads connectors' records through this source.
        register_change_source(ConnectorChangeSource())
