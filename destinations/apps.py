from django.apps import AppConfig


class DestinationsConfig(AppConfig):
    name = "destinations"
    verbose_name = "Destinations"

    def ready(self):
        from destinations.services.loads import live_loads, load_after_finished_run
        from sync_engine import hooks
        from sync_engine.runs import count_tenant_work

        hooks.register("run_finished", load_after_finished_run)
        # a tenant's loads take worker processes as its syncs do: one cap for both
        count_tenant_work(live_loads)
