"""Thin Celery tasks of the platform: each one calls a service."""

from celery import shared_task

from core import background_health


@shared_task(name="core.tasks.record_background_tick", ignore_result=True)
def record_background_tick() -> None:
    background_health.record_tick()
