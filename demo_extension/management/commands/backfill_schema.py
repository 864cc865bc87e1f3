"""``manage.py backfill_schema [--connector ID ...] [--tenant SLUG] [--missing]``: rebuild connectors'
inferred schemas from their live stored records (``sync_engine/schema_backfill.py``)."""

from django.core.management.base import BaseCommand, CommandError

from demo_extension.models import CustomDataConnector
from sync_engine.changes import READ_BATCH
from sync_engine.schema_backfill import SyncInProgress, connectors_without_schema, rebuild_schema


class Command(BaseCommand):
    help = (
        "Rebuild the inferred schema of connectors from the live records they store, reading them in pages "
        "(constant memory). Needed for records stored before the schema existed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--connector",
            type=int,
            action="append",
            dest="connectors",
            metavar="ID",
            help="Only this connector (repeat for several). Default: every connector.",
        )
        parser.add_argument("--tenant", metavar="SLUG", help="Only connectors of this tenant.")
        parser.add_argument(
            "--missing",
            action="store_true",
            help="Only connectors that store records but have an empty schema.",
        )
        parser.add_argument(
            "--batch-size", type=int, default=READ_BATCH, help=f"Records read a query (default {READ_BATCH})."
        )

    def handle(self, *args, connectors, tenant, missing, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        chosen = CustomDataConnector.objects.unscoped("an operator's command: every tenant unless --tenant")
        chosen = chosen.order_by("pk")
        if tenant:
            chosen = chosen.filter(tenant__slug=tenant)
        if connectors:
            chosen = chosen.filter(pk__in=connectors)
            unknown = sorted(set(connectors) - set(chosen.values_list("pk", flat=True)))
            if unknown:
                where = f" in tenant {tenant!r}" if tenant else ""
                raise CommandError(f"No connector with id {', '.join(map(str, unknown))}{where}.")
        targets = connectors_without_schema(chosen) if missing else list(chosen)

        skipped = []
        for connector in targets:
            try:
                rebuilt = rebuild_schema(connector.pk, batch=batch_size)
            except SyncInProgress as exc:
                self.stdout.write(self.style.WARNING(f"Skipped: {exc}"))
                skipped.append(connector.pk)
                continue
            self.stdout.write(
                f"Connector {connector.pk} ({connector.name}): {rebuilt.fields} fields from "
                f"{rebuilt.records} records{' (truncated)' if rebuilt.truncated else ''}."
            )
        if not targets:
            self.stdout.write("No connector to rebuild.")
        if skipped:
            raise CommandError(
                f"{len(skipped)} connector(s) skipped because a sync is in progress: "
                f"{', '.join(map(str, skipped))}. Run the command again once they have ended."
            )
