"""Sync time against an upstream with real-network latency: overlapped page fetches vs. one at a time.

    .venv/bin/python bench/latency.py                      # 20,000 records, 100 a page, 50 ms, c = 1 and 4
    .venv/bin/python bench/latency.py --latency-ms 100 --concurrency 1 4 8

The sample upstream runs in a child process (``UpstreamProcess``, TCP_NODELAY on) and sleeps
``--latency-ms`` before every answer; the sync writes into a fresh SQLite file under a temporary
``MIGRATEIQ_VAR_DIR``. Each concurrency syncs a new connector (a first load), page-number
pagination. The sequential floor is pages x latency; the ratio is floor / measured time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--style", default="page", choices=("page", "offset", "link_header", "cursor"))
    args = parser.parse_args()

    from demo_extension.sample_upstream import UpstreamProcess

    with (
        tempfile.TemporaryDirectory(prefix="migrateiq-latency-") as var_dir,
        UpstreamProcess(
            records=args.records, page_size=args.page_size, style=args.style, slow_ms=args.latency_ms
        ) as upstream,
    ):
        os.environ["MIGRATEIQ_VAR_DIR"] = var_dir
        os.environ["MIGRATEIQ_EGRESS_ALLOWLIST"] = upstream.netloc
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "migrateiq.settings")
        import django

        django.setup()
        from django.core.management import call_command

        from demo_extension.models import CustomDataConnector
        from demo_extension.services.sync import DataSyncService
        from tenancy.models import Tenant

        call_command("migrate", verbosity=0, interactive=False)
        tenant = Tenant.objects.create(name="Latency bench", slug="latency-bench")
        pages = math.ceil(args.records / args.page_size)
        floor = pages * args.latency_ms / 1000
        results = []
        for concurrency in args.concurrency:
            connector = CustomDataConnector.objects.create(
                tenant=tenant,
                name=f"latency c={concurrency}",
                api_endpoint=upstream.url,
                auth_type="none",
                sync_frequency="MANUAL",
                primary_key="id",
                pagination={"type": args.style},
            )
            # Read by prefetch.request_concurrency (the connector's request budget when it has one).
            connector.max_concurrent_requests = concurrency
            started = time.perf_counter()
            log = DataSyncService(connector).sync_data()
            seconds = time.perf_counter() - started
            results.append(
                {
                    "style": args.style,
                    "concurrency": concurrency,
                    "status": log.status,
                    "records": log.records_processed,
                    "pages": log.pages_fetched,
                    "seconds": round(seconds, 2),
                    "records_per_second": round(log.records_processed / seconds),
                    "sequential_floor_seconds": round(floor, 2),
                    "floor_over_time": round(floor / seconds, 2),
                }
            )
            print(json.dumps(results[-1]), flush=True)


if __name__ == "__main__":
    main()
