from django.apps import AppConfig


class DestinationsConfig(AppConfig):
    name = "destinations"
    verbose_name = "Destinations"

    def ready(self):
        from destinations.services.loads import load_after_finished_run
        from sync_engine import hooks

        hooks.register("run_finished", load_after_finished_run)
