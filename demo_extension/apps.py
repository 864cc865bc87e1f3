from django.apps import AppConfig


class DemoExtensionConfig(AppConfig):
    name = "demo_extension"
    verbose_name = "Connectors"
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
