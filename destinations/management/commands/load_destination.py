"""``manage.py load_destination <destination id> <connector id> [--full-reload]``: run a load now, in
this process."""

from django.core.management.base import BaseCommand, CommandError

from destinations.models import DestinationAttachment, DestinationLoad
from destinations.services import loads


class Command(BaseCommand):
    help = "Load a connector's changes into a destination now (the same service the API and tasks use)."

    def add_arguments(self, parser):
        parser.add_argument("destination", type=int)
        parser.add_argument("connector", type=int)
        parser.add_argument(
            "--full-reload",
            action="store_true",
            help="Load every record again from the start (the checkpoint reset), not the changes since it.",
        )

    def handle(self, *args, destination, connector, full_reload=False, **options):
        attachment = DestinationAttachment.objects.filter(
            destination_id=destination, connector_id=connector
        ).first()
        if attachment is None:
            raise CommandError(f"Connector {connector} is not attached to destination {destination}.")
        try:
            load = loads.start_load(
                attachment, triggered_by=DestinationLoad.Trigger.MANUAL, queue=False, full_reload=full_reload
            )
        except loads.LoadAlreadyRunning as exc:
            raise CommandError(f"{exc} (load {exc.active_load_id})") from None
        load = loads.execute_load(load.pk, on_a_worker=False)
        self.stdout.write(
            f"Load {load.pk}: {load.status}, {load.rows_upserted} upserted, {load.rows_deleted} deleted, "
            f"{load.batches} batches, {load.duration_seconds} s. {load.error_message}".strip()
        )
        if load.status != "SUCCESS":
            raise CommandError(load.error_message or "The load failed.")
