from django.apps import AppConfig


class DemoExtensionConfig(AppConfig):
    name = "demo_extension"
    verbose_name = "Connectors"
