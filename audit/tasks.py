from celery import shared_task

from audit.services import expire_events


@shared_task(name="audit.tasks.expire_audit_events", ignore_result=True)
def expire_audit_events() -> int:
    """The retention job (beat, daily): delete events past ``MIGRATEIQ_AUDIT_RETENTION_DAYS``."""
    return expire_events()
