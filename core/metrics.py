"""Prometheus metrics of MigrateIQ: HTTP requests, sync runs and upstream calls.

Labels are bounded and never carry tenant names, URLs or credentials: HTTP metrics use the route
*template* (``api/tenancy/members/<pk>/``), sync metrics the final status, upstream metrics the
HTTP status code.

Callers use the small ``observe_*`` functions; apart from the scrape-time collectors a module
registers (:func:`register_collector`), nothing else in MigrateIQ touches ``prometheus_client``.

Several processes (gunicorn workers, Celery worker processes on the same host) share their values
through prometheus' multiprocess mode: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty, writable
directory *before* the processes start (it is read when ``prometheus_client`` is imported). The
``/metrics`` view then aggregates every process' files. See ``docs/observability.md``.

Gauges that are facts of the database (a module's running syncs, say) are not kept in memory at
all: a module registers a collector (:func:`register_collector`, from its ``AppConfig.ready()``)
that counts them at scrape time, so they are right whichever process does the work.
"""

import contextlib
import glob
import logging
import os
import re

from django.core.exceptions import ImproperlyConfigured
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
logger = logging.getLogger(__name__)

UNMATCHED_ROUTE = "<unmatched>"
SYNC_STATUSES = frozenset({"success", "partial", "failed", "cancelled"})

http_requests_total = Counter(
    "migrateiq_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
http_request_duration_seconds = Histogram(
    "migrateiq_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
syncs_total = Counter("migrateiq_syncs", "Sync runs finished, by final status.", ["status"])
hook_failures_total = Counter(
    "migrateiq_hook_failures", "Hook handlers that raised (logged and skipped), by hook.", ["hook"]
)
sync_duration_seconds = Histogram(
    "migrateiq_sync_duration_seconds",
    "Duration of finished sync runs.",
    buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0),
)
records_synced_total = Counter("migrateiq_records_synced", "Records processed by finished sync runs.")
sync_records_failed_total = Counter(
    "migrateiq_sync_records_failed", "Records quarantined (failed transformation) by finished sync runs."
)
upstream_requests_total = Counter(
    "migrateiq_upstream_requests",
    'Requests to connector APIs by HTTP status code ("error": no response, e.g. timeout).',
    ["code"],
)
upstream_request_duration_seconds = Histogram(
    "migrateiq_upstream_request_duration_seconds",
    "Duration of requests to connector APIs.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)


def observe_sync_finished(status: str, duration_seconds: float | None, records: int, failed: int) -> None:
    """Count a finished sync run. Call once per run, when its final status is saved.

    ``records`` are the records the run processed, ``failed`` those it quarantined.
    """
    label = str(status).lower()
    syncs_total.labels(status=label if label in SYNC_STATUSES else "other").inc()
    if duration_seconds is not None and duration_seconds >= 0:
        sync_duration_seconds.observe(duration_seconds)
    if records and records > 0:
        records_synced_total.inc(records)
    if failed and failed > 0:
        sync_records_failed_total.inc(failed)


destination_loads_total = Counter(
    "migrateiq_destination_loads",
    "Destination loads finished, by destination id and final status.",
    ["destination", "status"],
)
destination_rows_loaded_total = Counter(
    "migrateiq_destination_rows_loaded",
    "Rows written (upserted or deleted) into destinations by finished loads, by destination id.",
    ["destination"],
)


def observe_destination_load(destination_id: int, status: str, rows: int) -> None:
    """Count a finished destination load and the rows it wrote. The label is the destination's id
    (a number, never its name or host)."""
    label = str(status).lower()
    destination = str(int(destination_id))
    destination_loads_total.labels(
        destination=destination, status=label if label in ("success", "failed") else "other"
    ).inc()
    if rows and rows > 0:
        destination_rows_loaded_total.labels(destination=destination).inc(rows)


def observe_upstream_request(status_code: int | None, seconds: float) -> None:
    """Count one HTTP request to a connector's API (``status_code`` None: no response)."""
    if status_code is None:
        code = "error"
    else:
        code = str(status_code) if 100 <= int(status_code) <= 599 else "other"
    upstream_requests_total.labels(code=code).inc()
    if seconds is not None and seconds >= 0:
        upstream_request_duration_seconds.observe(seconds)


def observe_http_request(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in HTTP_METHODS else "other"
    http_requests_total.labels(method=method, route=route, status=str(status)).inc()
    http_request_duration_seconds.labels(method=method, route=route).observe(seconds)


_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")


def route_template(resolver_match) -> str:
    """The URL pattern that answered a request, with its parameters as ``<name>``, never the raw path.

    DRF routers produce regular expressions (``^connectors/(?P<pk>[^/.]+)/$``); they are rewritten to
    the ``path()`` style so that every route reads the same.
    """
    if resolver_match is None or not getattr(resolver_match, "route", None):
        return UNMATCHED_ROUTE
    route = _NAMED_GROUP.sub(r"<\1>", resolver_match.route)
    route = route.replace("^", "").replace("$", "").replace("\\.", ".")
    return "/" + route.lstrip("/")


class BrokerQueueCollector:
    """``migrateiq_celery_queue_messages{queue}``: messages waiting in the Celery queue, read from the
    broker at scrape time (a Redis ``LLEN``, or the embedded filesystem transport's file count).

    Queued syncs that no worker takes grow this number; the alert "queue depth" watches it. A
    broker that does not answer within two seconds leaves the gauge out of the scrape (and logs
    why) rather than failing ``/metrics``: ``migrateiq_syncs_pending`` still tells the story.
    """

    def __init__(self, app=None, queues=None):
        self._app = app
        self._queues = queues

    def collect(self):
        import logging

        from celery import current_app

        app = self._app or current_app
        queues = self._queues or [app.conf.task_default_queue]
        family = GaugeMetricFamily(
            "migrateiq_celery_queue_messages",
            "Messages waiting in a Celery queue (not yet taken).",
            labels=["queue"],
        )
        try:
            with app.connection_for_read(connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
                channel = conn.default_channel
                for queue in queues:
                    # A plain declare answers the length on every kombu transport; a passive one
                    # fails on Redis when the queue is empty (the list key does not exist then).
                    _, count, _ = channel.queue_declare(queue=queue, durable=True, auto_delete=False)
                    family.add_metric([queue], count)
        except Exception as exc:  # any broker error: leave the gauge out, keep the scrape
            logging.getLogger(__name__).warning("metrics: the broker's queue length is unavailable: %s", exc)
            return
        yield family

    def describe(self):
        return []


class BackgroundTickCollector:
    """``migrateiq_background_last_tick_timestamp_seconds``: when a worker last ran the beat's tick
    (``core.background_health``), read from the database at scrape time; left out until one has.

    ``time() - migrateiq_background_last_tick_timestamp_seconds > 180`` is the alert "background work
    stopped" (docs/observability.md): queued and scheduled syncs wait while it holds.
    """

    def collect(self):
        from core.background_health import last_tick_at

        last = last_tick_at()
        if last is None:
            return
        family = GaugeMetricFamily(
            "migrateiq_background_last_tick_timestamp_seconds",
            "When a worker last ran the beat's background tick (Unix time).",
        )
        family.add_metric([], last.timestamp())
        yield family

    def describe(self):
        return []


class _SharedDirectoryCollector:
    """The multiprocess files of ``path`` and of its immediate sub-directories, added up.

    Sub-directories let several containers share one metrics volume (Compose): each container's
    processes write to ``<volume>/<container host name>`` (``docker/entrypoint.sh``), so equal process
    ids of different containers never share a file, and the web process, whose own directory is the
    volume's root, reports them all.
    """

    def __init__(self, path: str):
        self._path = path

    def collect(self):
        files = glob.glob(os.path.join(self._path, "*.db")) + glob.glob(os.path.join(self._path, "*", "*.db"))
        return MultiProcessCollector.merge(files, accumulate=True)

    def describe(self):
        return []


class _ProcessRegistry:
    """This process' metrics (single-process mode)."""

    def collect(self):
        yield from REGISTRY.collect()


#: Collectors that modules registered, by name (see :func:`register_collector`).
_scrape_collectors: dict[str, Collector] = {}


def register_collector(name: str, collector: Collector) -> None:
    """Add ``collector`` to every ``/metrics`` scrape (call it from the module's ``AppConfig.ready()``).

    ``collector.collect()`` runs at scrape time and yields ``prometheus_client`` metric families
    (e.g. a ``GaugeMetricFamily`` counted in the database); ``describe()`` must return ``[]`` so that
    registering never queries. ``name`` (``"<module>.<what>"``) identifies the registration: a name
    registered already is refused (``ImproperlyConfigured``), so that no module replaces another's
    collector, the platform's included. A scrape leaves out a family whose name the platform or an
    earlier collector gave already, and a collector that fails, saying so in the log (:func:`render_latest`).
    """
    if name in _scrape_collectors:
        raise ImproperlyConfigured(f"The metrics collector {name!r} is registered already.")
    _scrape_collectors[name] = collector


@contextlib.contextmanager
def collector_registered(name: str, collector: Collector):
    """Register ``collector`` for the duration of a ``with`` block (tests), then restore the name
    (a name registered already is replaced for that time)."""
    previous = _scrape_collectors.pop(name, None)
    register_collector(name, collector)
    try:
        yield collector
    finally:
        if previous is None:
            _scrape_collectors.pop(name, None)
        else:
            _scrape_collectors[name] = previous


class _ModuleCollector:
    """A registered collector as one scrape reads it: its families whose names are still free (the
    exposition format allows one ``HELP`` / ``TYPE`` per name, and a module must not change the
    value of the platform's metric), and nothing, in place of an error, when ``collect()`` fails: one
    module's broken collector must not turn the whole ``/metrics`` into a 500 and hide every other
    figure (the "background work stopped" alert included)."""

    def __init__(self, name: str, collector: Collector, taken: set[str]):
        self._name, self._collector, self._taken = name, collector, taken

    def collect(self):
        try:
            families = list(self._collector.collect())
        except Exception:
            logger.exception(
                "metrics: the collector %r failed; its figures are left out of this scrape", self._name
            )
            return
        for family in families:
            if family.name in self._taken:
                logger.warning(
                    "metrics: the collector %r gives %r, a name taken already; left out",
                    self._name,
                    family.name,
                )
                continue
            self._taken.add(family.name)
            yield family

    def describe(self):
        return []


def registered_collectors() -> dict[str, Collector]:
    """The registered collectors, by name (a copy)."""
    return dict(_scrape_collectors)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir") or None


def render_latest() -> bytes:
    """Every metric in the Prometheus text format: all processes' values plus the database gauges."""
    registry = CollectorRegistry(auto_describe=False)
    path = multiprocess_dir()
    if path:
        registry.register(_SharedDirectoryCollector(path))
    else:
        registry.register(_ProcessRegistry())
    registry.register(BrokerQueueCollector())
    registry.register(BackgroundTickCollector())
    families = list(registry.collect())
    taken = {family.name for family in families}
    for name, collector in list(_scrape_collectors.items()):
        families.extend(_ModuleCollector(name, collector, taken).collect())
    return generate_latest(_Families(families))


class _Families:
    """Families collected already, as ``generate_latest`` reads a registry."""

    def __init__(self, families: list):
        self._families = families

    def collect(self):
        return iter(self._families)


def mark_process_dead(pid: int) -> None:
    """Forget the live gauges of an exited worker process (gunicorn ``child_exit`` hook)."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
