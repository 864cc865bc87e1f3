from django.apps import AppConfig


class DemoExtensionConfig(AppConfig):
    name = "demo_extension"
    verbose_name = "Connectors"
    # The model the sync engine's runs and records belong to (sync_engine.models.connector_model_label).
    sync_connector_model = "demo_extension.CustomDataConnector"

    def ready(self):
        # The destinations platform app loads connectors' records through this source.
        from demo_extension.services.changes import ConnectorChangeSource
        from destinations.sources import register_change_source

        register_change_source(ConnectorChangeSource())
