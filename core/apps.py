from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "MigrateIQ core"

    def ready(self):
        # Process wiring, kept in one visible place: installed modules are checked to be declared
        # as modules (core.extensions); upstream requests made through core.http are
        # counted by core.metrics; Celery workers keep Django's LOGGING, and task log lines carry
        # the task id and the id of the request that queued them (core.logging).
        from celery import signals
        from django.core import checks

        from core import extensions, http, metrics
        from core import logging as core_logging

        checks.register(extensions.check_modules)
        http.request_observer = metrics.observe_upstream_request
        for signal, receiver in (
            (signals.setup_logging, core_logging.keep_django_logging_in_celery),
            (signals.before_task_publish, core_logging.add_request_id_to_task_headers),
            (signals.task_prerun, core_logging.bind_task_log_context),
            (signals.task_postrun, core_logging.reset_task_log_context),
        ):
            signal.connect(receiver, weak=False, dispatch_uid=f"migrateiq.{receiver.__name__}")
