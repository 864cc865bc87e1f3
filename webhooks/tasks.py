"""Thin Celery tasks of the webhooks module (the work is in ``webhooks.services.deliveries``)."""

from celery import shared_task

from webhooks.services import deliveries


@shared_task(name="webhooks.tasks.send_delivery", ignore_result=True)
def send_delivery(delivery_id: int) -> None:
    deliveries.send_delivery(delivery_id)


@shared_task(name="webhooks.tasks.send_due_deliveries", ignore_result=True)
def send_due_deliveries() -> int:
    return deliveries.send_due_deliveries()
