"""Thin Celery tasks of the destinations app: each one calls a service in ``services/loads.py``."""

from celery import shared_task

from destinations.services import loads


@shared_task(name="destinations.tasks.run_destination_load", acks_late=True, reject_on_worker_lost=True)
def run_destination_load(load_id: int) -> None:
    loads.execute_load(load_id)


@shared_task(name="destinations.tasks.reap_stale_loads", ignore_result=True)
def reap_stale_loads() -> None:
    loads.reap_stale_loads()
