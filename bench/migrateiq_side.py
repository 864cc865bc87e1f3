"""The MigrateIQ side of the sync benchmark, run by ``bench/run.py`` in one subprocess per measurement.

Subcommands (each prints one JSON line on stdout):

* ``prepare --url URL --style S``: migrate the database named by the environment (a fresh SQLite
  file under ``MIGRATEIQ_VAR_DIR`` or a throwaway PostgreSQL database in ``DATABASE_URL``), create
  the bench tenant and its connector (bearer auth, explicit pagination, the transformation rules).
* ``sync --url URL``: run ``DataSyncService(connector).sync_data()`` once and report the sync log's
  counters, the seconds it took and this process's peak RSS. ``--profile FILE`` writes a
  pyinstrument text profile of the sync.
* ``fetch --url URL --style S --records N``: the ceiling: httpx + ``json.loads`` over every page,
  no database; ``--in-flight K`` keeps K requests in flight (page and offset styles: the bare
  client's bound against a slow upstream).

The process's peak RSS (VmHWM) includes Django itself; ``rss_before_kib`` is the RSS just before
the measured call, so the growth during the sync is ``peak - before``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from workload import (
    API_KEY,
    PAGE_SIZE,
    RECORDS_KEYS,
    TRANSFORMATION_RULES,
    connector_pagination,
    cpu_seconds,
    page_queries,
    read_peak_rss_kib,
    read_rss_kib,
)

ROOT = Path(__file__).resolve().parent.parent
TENANT_SLUG = "bench"
CONNECTOR_NAME = "Bench users"


def _setup_django(url: str) -> None:
    # The upstream is a local server on 127.0.0.1: allow exactly that host and port.
    netloc = url.split("/")[2]
    os.environ["MIGRATEIQ_EGRESS_ALLOWLIST"] = netloc
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "migrateiq.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare(args) -> dict:
    _setup_django(args.url)
    from django.core.management import call_command

    from demo_extension.models import CustomDataConnector
    from tenancy.models import Tenant

    call_command("migrate", verbosity=0, interactive=False)
    tenant = Tenant.objects.create(name="Bench", slug=TENANT_SLUG)
    connector = CustomDataConnector.objects.create(
        tenant=tenant,
        name=CONNECTOR_NAME,
        api_endpoint=args.url,
        api_key=API_KEY,
        auth_type="bearer",
        sync_frequency="MANUAL",
        records_path=RECORDS_KEYS[args.style],
        primary_key="id",
        pagination=connector_pagination(args.style, args.page_size),
        transformation_rules=TRANSFORMATION_RULES,
    )
    return {"connector_id": connector.pk}


def sync(args) -> dict:
    _setup_django(args.url)
    from django.db import connection

    from demo_extension.models import CustomDataConnector, SyncedRecord
    from demo_extension.services.sync import DataSyncService
    from tenancy.context import tenant_context

    connector = CustomDataConnector.objects.select_related("tenant").get(
        tenant__slug=TENANT_SLUG, name=CONNECTOR_NAME
    )
    if connector.api_endpoint != args.url:
        CustomDataConnector.objects.filter(pk=connector.pk).update(api_endpoint=args.url)
        connector.refresh_from_db()
    if os.environ.get("BENCH_PATH", "worker") == "worker":
        # run.py --path worker: where pages are built is decided as for a Celery task on a worker
        # (MIGRATEIQ_SYNC_BUILD_PROCESS=auto: a first load in a second process).
        from sync_engine import builds

        builds._in_celery_worker = lambda: True
    if os.environ.get("BENCH_CONCURRENCY"):  # run.py --concurrency: the connector's request budget
        connector.max_concurrent_requests = int(os.environ["BENCH_CONCURRENCY"])
    service = DataSyncService(connector)

    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)

    server_cpu = _ServerCpuMeter(connection)

    rss_before = read_rss_kib()
    with tenant_context(connector.tenant):
        if profiler:
            profiler.start()
        server_cpu.start()
        cpu_before = cpu_seconds()
        started = time.perf_counter()
        log = service.sync_data(triggered_by="manual")
        seconds = time.perf_counter() - started
        cpu = cpu_seconds() - cpu_before
        if profiler:
            profiler.stop()
    peak = read_peak_rss_kib()
    server_cpu = server_cpu.stop()
    if profiler:
        Path(args.profile).write_text(profiler.output_text(unicode=True, color=False, show_all=False))
        Path(args.profile).with_suffix(".html").write_text(profiler.output_html())

    stored = SyncedRecord.objects.filter(connector=connector).count()
    return {
        "status": log.status,
        "error_message": log.error_message,
        "records_processed": log.records_processed,
        "records_created": log.records_created,
        "records_updated": log.records_updated,
        "records_unchanged": log.records_unchanged,
        "records_failed": log.records_failed,
        "pages_fetched": log.pages_fetched,
        "records_stored": stored,
        "seconds": seconds,
        "sync_cpu_seconds": cpu,
        "server_cpu_seconds": server_cpu,
        "rss_before_kib": rss_before,
        "peak_rss_kib": peak,
        # the page builder process, when the sync used one (MIGRATEIQ_SYNC_BUILD_PROCESS=on)
        "child_peak_rss_kib": _children_peak_rss_kib(),
        "build_process": os.environ.get("MIGRATEIQ_SYNC_BUILD_PROCESS", "auto"),
        "path": os.environ.get("BENCH_PATH", "worker"),
        "database": connection.vendor,
    }


def _children_peak_rss_kib() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux


def _process_cpu_seconds(pid) -> float:
    """User + system CPU seconds of a local process (a PostgreSQL backend)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _ServerCpuMeter:
    """CPU seconds of the PostgreSQL backends serving this throwaway database during the sync.

    The engine may commit pages on a connection of its own that closes when the sync ends, so a
    thread samples every backend of the database every 0.2 s and keeps each one's last reading.
    """

    def __init__(self, connection):
        self.enabled = connection.vendor == "postgresql"
        self.last: dict[int, float] = {}
        self.before: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = None
        if self.enabled:
            import psycopg

            settings = connection.settings_dict
            self._conn = psycopg.connect(
                dbname=settings["NAME"],
                user=settings["USER"],
                password=settings["PASSWORD"] or None,
                host=settings["HOST"],
                port=settings["PORT"] or None,
                autocommit=True,
            )
            self._own_pid = self._conn.info.backend_pid
            self.before = self._sample()

    def _sample(self) -> dict[int, float]:
        rows = self._conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> %s",
            [self._own_pid],
        ).fetchall()
        return {pid: _process_cpu_seconds(pid) for (pid,) in rows}

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.last.update({pid: s for pid, s in self._sample().items() if s})

    def start(self) -> None:
        if self.enabled:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def stop(self) -> float:
        if not self.enabled:
            return 0.0
        self._stop.set()
        self._thread.join()
        self.last.update({pid: s for pid, s in self._sample().items() if s})
        self._conn.close()
        return sum(seconds - self.before.get(pid, 0.0) for pid, seconds in self.last.items())


def fetch(args) -> dict:
    """The ceiling: fetch and parse every page with httpx and json, nothing else."""
    import httpx

    key = RECORDS_KEYS[args.style]
    rss_before = read_rss_kib()
    records = pages = 0
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    in_flight = max(1, args.in_flight)
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(headers=headers, timeout=30, limits=limits) as client:

        def get(query) -> int:
            body = json.loads(client.get(args.url, params=query).content)
            return len(body[key] if key else body)

        queries = page_queries(args.style, args.records, args.page_size)
        # in_flight > 1: the queries are known ahead (page, offset), one request a thread
        with ThreadPoolExecutor(in_flight) as pool:
            for count in pool.map(get, queries) if in_flight > 1 else map(get, queries):
                records += count
                pages += 1
    seconds = time.perf_counter() - started
    return {
        "records_processed": records,
        "pages_fetched": pages,
        "seconds": seconds,
        "sync_cpu_seconds": cpu_seconds() - cpu_before,
        "rss_before_kib": rss_before,
        "peak_rss_kib": read_peak_rss_kib(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="One measurement of the MigrateIQ sync benchmark.")
    parser.add_argument("command", choices=("prepare", "sync", "fetch"))
    parser.add_argument("--url", required=True)
    parser.add_argument("--style", default="page")
    parser.add_argument("--records", type=int, default=0)
    parser.add_argument("--page-size", type=int, default=PAGE_SIZE)
    parser.add_argument("--profile", default="")
    parser.add_argument("--in-flight", type=int, default=1, help="fetch: requests in flight (page, offset)")
    args = parser.parse_args()
    result = {"prepare": prepare, "sync": sync, "fetch": fetch}[args.command](args)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
