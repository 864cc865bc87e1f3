from core import extensions


class WebhooksConfig(extensions.ModuleConfig):
    """Signed HTTP callbacks when a tenant's syncs and loads end (see ``webhooks/README.md``)."""

    name = "webhooks"
    verbose_name = "Webhooks"
    api_prefix = "webhooks"
    # Every minute: deliveries whose retry is due (a message the worker lost is sent from here too).
    beat_schedule = {
        "webhooks-send-due-deliveries": {
            "task": "webhooks.tasks.send_due_deliveries",
            "schedule": 60.0,
            "options": {"expires": 55},
        },
    }
    platform_test_fixtures = "webhooks.tests.platform_fixtures"
    # The web UI's page of the module (frontend/src/App.tsx), served while it is installed.
    ui_pages = (r"webhooks/?",)

    def ready(self):
        # The apps that fire these define them at import; make sure they are imported first.
        import destinations.hooks  # noqa: F401
        import sync_engine.hooks  # noqa: F401
        from core import hooks
        from webhooks.services import events

        hooks.register("run_finished", events.run_finished)
        hooks.register("load_finished", events.load_finished)
