"""Connector statistics: the seed's six figures, from two aggregate queries.

* ``total_connectors`` / ``active_connectors``: connectors, and those with ``is_active``.
* ``total_records_synced``: the records the connectors hold now (the sum of the maintained
  ``records_count`` counters), not the sum of every run's ``records_processed``.
* ``last_24h_syncs``: sync runs created in the last 24 hours, whatever their status.
* ``success_rate``: the percentage of *completed* runs that ended ``SUCCESS``, one decimal: every
  page fetched and every record stored. ``PARTIAL`` (a run that did not get everything: it stopped
  before the last page, or quarantined records) and ``FAILED`` count against it; ``CANCELLED`` runs
  are left out: a person stopped them, they neither succeeded nor failed. ``0.0`` with no runs.
  The seed names the six keys without defining them; a PARTIAL run is no success.
* ``avg_sync_duration``: the mean ``duration_seconds`` of the runs that ended ``SUCCESS`` (what a
  whole sync takes: a run that failed after retrying for seconds, or stopped early, says nothing
  about it), in seconds rounded to milliseconds (three decimals: hundredths made a sync of a few
  milliseconds, the demo's, an average of ``0.0``, which the dashboard showed as no average); ``0.0``
  with none.

:func:`run_outcomes` adds, for the API and the dashboard, ``partial_rate`` (the percentage of
completed runs that ended ``PARTIAL``) and ``completed_syncs`` (how many completed runs the rates are
of: with none, a rate of ``0.0`` is no rate, which a run under way or a cancelled one alone would
otherwise show as 0 %), from the same aggregate query.
"""

from datetime import UTC, datetime, time, timedelta

from django.db.models import Avg, Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from demo_extension.models import CustomDataConnector, SyncLog, SyncStatus
from destinations.models import DestinationLoad, LoadStatus
from tenancy.context import require_current_tenant

RATED_STATUSES = (SyncStatus.SUCCESS, SyncStatus.PARTIAL, SyncStatus.FAILED)
#: The keys of the seed's statistics (``get_stats``); ``run_outcomes`` adds the others.
SEED_STATS_KEYS = (
    "total_connectors",
    "active_connectors",
    "total_records_synced",
    "last_24h_syncs",
    "success_rate",
    "avg_sync_duration",
)


def _rate(count: int, rated: int) -> float:
    return round(100.0 * count / rated, 1) if rated else 0.0


class ConnectorStatsService:
    @staticmethod
    def get_stats(tenant=None) -> dict:
        """Statistics of ``tenant``; without one, of the active tenant (``tenancy.context``).

        Never of every tenant: with no tenant given and none active it raises
        ``tenancy.context.NoActiveTenant`` rather than mix tenants' figures.
        """
        figures = run_outcomes(tenant)
        return {key: figures[key] for key in SEED_STATS_KEYS}


def run_outcomes(tenant=None) -> dict:
    """The seed's statistics (see the module docstring), ``partial_rate`` and ``completed_syncs``, in
    two queries."""
    if tenant is None:
        tenant = require_current_tenant()
    connectors = CustomDataConnector.objects.filter(tenant=tenant)
    logs = SyncLog.objects.filter(tenant=tenant)

    connector_figures = connectors.aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(is_active=True)),
        records=Sum("records_count"),
    )
    since = timezone.now() - timedelta(hours=24)
    log_figures = logs.aggregate(
        last_24h=Count("id", filter=Q(created_at__gte=since)),
        rated=Count("id", filter=Q(status__in=RATED_STATUSES)),
        successful=Count("id", filter=Q(status=SyncStatus.SUCCESS)),
        partial=Count("id", filter=Q(status=SyncStatus.PARTIAL)),
        avg_duration=Avg(
            "duration_seconds",
            filter=Q(status=SyncStatus.SUCCESS, duration_seconds__isnull=False),
        ),
    )

    rated = log_figures["rated"]
    avg_duration = log_figures["avg_duration"]
    return {
        "total_connectors": connector_figures["total"],
        "active_connectors": connector_figures["active"],
        "total_records_synced": int(connector_figures["records"] or 0),
        "last_24h_syncs": log_figures["last_24h"],
        "success_rate": _rate(log_figures["successful"], rated),
        "avg_sync_duration": round(float(avg_duration), 3) if avg_duration is not None else 0.0,
        "partial_rate": _rate(log_figures["partial"], rated),
        "completed_syncs": rated,
    }


def sync_activity(tenant, *, days: int = 30, today=None) -> list[dict]:
    """The tenant's sync runs per UTC day for the last ``days`` days (today included), oldest first.

    Each day: ``{"date", "syncs": {status: runs created that day, for every status}, "records_processed"}``;
    days without runs are listed with zeros so a chart has one bar per day. One grouped query.
    """
    today = today or timezone.now().astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time.min, tzinfo=UTC)
    rows = (
        SyncLog.objects.filter(tenant=tenant, created_at__gte=since)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day", "status")
        .annotate(runs=Count("id"), records=Sum("records_processed"))
        .order_by()
    )
    by_day = {
        first + timedelta(days=offset): {
            "date": first + timedelta(days=offset),
            "syncs": dict.fromkeys(SyncStatus.values, 0),
            "records_processed": 0,
        }
        for offset in range(days)
    }
    for row in rows:
        day = by_day.get(row["day"])
        if day is None:  # a run stamped after "today" (clock skew between processes)
            continue
        day["syncs"][row["status"]] = row["runs"]
        day["records_processed"] += int(row["records"] or 0)
    return list(by_day.values())


def load_stats(tenant) -> dict:
    """The tenant's loads of connector data into destinations, in one aggregate query: every load
    (``total_loads``, whatever its status), the rows they wrote (``rows_loaded``: upserted plus
    deleted) and the loads that ended ``FAILED`` (``failed_loads``). The same names as
    ``GET /api/destinations/stats/``."""
    figures = DestinationLoad.objects.filter(tenant=tenant).aggregate(
        total=Count("id"),
        failed=Count("id", filter=Q(status=LoadStatus.FAILED)),
        upserted=Sum("rows_upserted"),
        deleted=Sum("rows_deleted"),
    )
    return {
        "total_loads": figures["total"],
        "rows_loaded": int(figures["upserted"] or 0) + int(figures["deleted"] or 0),
        "failed_loads": figures["failed"],
    }
