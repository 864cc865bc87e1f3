from django.apps import AppConfig


class SyncEngineConfig(AppConfig):
    name = "sync_engine"
    verbose_name = "Sync engine"

    def ready(self):
        from core.metrics import register_collector
        from sync_engine import hooks
        from sync_engine.metrics import SyncRunsCollector, observe_finished_run

        hooks.register("run_finished", observe_finished_run)
        # Running and pending runs, counted in the database at each /metrics scrape.
        register_collector("sync_engine.sync_runs", SyncRunsCollector())
