from django.apps import AppConfig


class SyncEngineConfig(AppConfig):
    name = "sync_engine"
    verbose_name = "Sync engine"

    def ready(self):
        from sync_engine import hooks
        from sync_engine.metrics import observe_finished_run

        hooks.register("run_finished", observe_finished_run)
