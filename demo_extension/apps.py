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
    }
    platform_test_fixtures = "demo_extension.tests.platform_fixtures"
    # The model the sync engine's runs and records belong to (sync_engine.models.connector_model_label).
    sync_connector_model = "demo_extension.CustomDataConnector"

    def ready(self):
        # The REST source registers itself with the engine (source_type "rest").
        from demo_extension import selectors
        from demo_extension.services import rest_source, schedule  # noqa: F401
        from sync_engine import hooks, queue

        # Cached statistics follow every run's start and end; a queued run re-plans the schedule.
        hooks.register("run_started", selectors.invalidate_run_stats)
        hooks.register("run_finished", selectors.invalidate_run_stats)
        queue.before_execute(schedule.plan_next_sync)
