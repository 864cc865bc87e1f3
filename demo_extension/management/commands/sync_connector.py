"""``manage.py sync_connector ID [--full-refresh [--allow-empty]] [--tenant SLUG]``: run a connector's
sync in the foreground with a progress bar; the same service the API and the scheduler call."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from demo_extension.models import CustomDataConnector, SyncStatus, TriggeredBy
from demo_extension.services.sync import DataSyncService
from sync_engine.errors import SyncAlreadyRunning
from tenancy.context import tenant_context


class Command(BaseCommand):
    help = "Sync one connector now, in the foreground, showing progress; prints the final counts."

    def add_arguments(self, parser):
        parser.add_argument("connector_id", type=int, help="Id of the connector to sync.")
        parser.add_argument(
            "--full-refresh",
            action="store_true",
            help="Ignore the stored incremental cursor and fetch everything.",
        )
        parser.add_argument(
            "--allow-empty",
            action="store_true",
            help="With --full-refresh only: when the refresh reads every page and gets no record, mark "
            "every stored record deleted (the source really is empty) instead of failing.",
        )
        parser.add_argument("--tenant", metavar="SLUG", help="Only accept a connector of this tenant.")
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not draw the progress bar (for logs and scripts)."
        )

    def handle(self, *args, connector_id, full_refresh, allow_empty, tenant, no_progress, **options):
        if allow_empty and not full_refresh:
            raise CommandError("--allow-empty applies to a full refresh only: add --full-refresh.")
        connectors = CustomDataConnector.objects.select_related("tenant")
        if tenant:
            connectors = connectors.filter(tenant__slug=tenant)
        connector = connectors.filter(pk=connector_id).first()
        if connector is None:
            where = f" in tenant {tenant!r}" if tenant else ""
            raise CommandError(f"No connector with id {connector_id}{where}.")

        bar = tqdm(
            desc=f"Syncing {connector.name}",
            unit=" records",
            # The raw stream: Django's OutputWrapper would end every redraw with a newline.
            file=getattr(self.stderr, "_out", self.stderr),
            disable=no_progress,
            dynamic_ncols=True,
        )

        def progress(sync_log):
            bar.update(sync_log.records_processed - bar.n)
            bar.set_postfix(pages=sync_log.pages_fetched, failed=sync_log.records_failed, refresh=False)

        try:
            with tenant_context(connector.tenant):
                log = DataSyncService(connector).sync_data(
                    triggered_by=TriggeredBy.MANUAL,
                    full_refresh=full_refresh,
                    allow_empty=allow_empty,
                    progress=progress,
                )
        except SyncAlreadyRunning as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()

        self.stdout.write(
            f"Sync {log.pk} of connector {connector.pk} ({connector.name}): {log.status} in "
            f"{log.duration_seconds or 0:.2f} s\n"
            f"  processed {log.records_processed}, created {log.records_created}, "
            f"updated {log.records_updated}, unchanged {log.records_unchanged}, "
            f"quarantined {log.records_failed}, pages {log.pages_fetched}"
            + (f", deleted {log.records_deleted}" if log.records_deleted else "")
        )
        if log.status == SyncStatus.FAILED:
            raise CommandError(f"Sync {log.pk} failed: {log.error_message}")
        if log.status == SyncStatus.PARTIAL:
            self.stdout.write(
                self.style.WARNING(f"  {log.records_failed} record(s) quarantined in sync {log.pk}.")
            )
