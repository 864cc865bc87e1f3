"""Thin Celery tasks of the tenancy app: each one calls a service in ``services.py``."""

from celery import shared_task

from tenancy import services


@shared_task(name="tenancy.tasks.purge_ended_sessions", ignore_result=True)
def purge_ended_sessions() -> int:
    """The beat, hourly: delete ended sign-in sessions whose tokens have all expired, and the rows
    of expired refresh tokens (outstanding and spent); returns how many sessions and tokens."""
    return services.purge_ended_sessions() + services.purge_expired_refresh_tokens()
