from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "MigrateIQ core"

    def ready(self):
        # Process wiring, kept in one visible place: upstream requests made through core.http are
        # counted by core.metrics, and Celery workers keep Django's LOGGING (core.logging).
        from celery.signals import setup_logging

        from core import http, metrics
        from core.logging import keep_django_logging_in_celery

        http.request_observer = metrics.observe_upstream_request
        setup_logging.connect(keep_django_logging_in_celery, weak=False, dispatch_uid="migrateiq-logging")
