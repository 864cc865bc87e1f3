from django.apps import AppConfig


class DemoExtensionConfig(AppConfig):
    name = "demo_extension"
    verbose_name = "Connectors"

    def ready(self):
        # The destinations platform app loads connectors' records through this source.
        from demo_extension.services.changes import ConnectorChangeSource
        from destinations.sources import register_change_source

        register_change_source(ConnectorChangeSource())
