"""Thin Celery tasks of the destinations app."""

from celery import shared_task

from destinations.services import loads


@shared_task(name="destinations.tasks.run_destination_load", acks_late=True, reject_on_worker_lost=True)
def run_destination_load(load_id: int) -> None:
    loads.execute_load(load_id)
