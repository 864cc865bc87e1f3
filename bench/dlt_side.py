"""The dlt side of the MigrateIQ sync benchmark: dlt's ``rest_api`` source, merge on ``id``, into PostgreSQL.

Runs in the separate ``.venv-bench`` (dlt and its dependencies stay out of MigrateIQ's ``.venv``)::

    .venv-bench/bin/python bench/dlt_side.py --url http://127.0.0.1:PORT/users --style page \
        --records 100000 --dsn postgresql://postgres@127.0.0.1:5432/DB --workdir /tmp/x

Prints one JSON line: records loaded, seconds of ``pipeline.run()`` and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from workload import (
    API_KEY,
    PAGE_SIZE,
    RECORDS_KEYS,
    cpu_seconds,
    dlt_paginator,
    read_peak_rss_kib,
    read_rss_kib,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--style", default="page")
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--page-size", type=int, default=PAGE_SIZE)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--workdir", required=True, help="dlt's pipelines directory (a temp dir)")
    parser.add_argument("--runs", type=int, default=1, help="1: first load; 2: also a re-run (merge)")
    args = parser.parse_args()

    # Only 127.0.0.1 traffic: no anonymous telemetry, no pipeline state outside the temp dir.
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    os.environ["DLT_DATA_DIR"] = os.path.join(args.workdir, "data")
    os.environ["DLT_PROJECT_DIR"] = args.workdir

    import dlt
    from dlt.sources.rest_api import rest_api_source

    params: dict = {}
    if args.style in ("page", "next_url", "link_header"):
        params["per_page"] = args.page_size
    elif args.style == "cursor":
        params["limit"] = args.page_size
    endpoint = {
        "path": "users",
        "params": params,
        "paginator": dlt_paginator(args.style, args.page_size),
        "data_selector": RECORDS_KEYS[args.style] or "$",
    }
    base_url = args.url.rsplit("/", 1)[0] + "/"

    def source():
        return rest_api_source(
            {
                "client": {"base_url": base_url, "auth": {"type": "bearer", "token": API_KEY}},
                "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
                "resources": [{"name": "users", "endpoint": endpoint}],
            }
        )

    dsn = args.dsn
    if "@" in dsn and ":" not in dsn.split("//", 1)[1].split("@", 1)[0]:
        # dlt insists on a password; a server with trust authentication for 127.0.0.1 ignores it.
        dsn = dsn.replace("@", ":unused@", 1)
    pipeline = dlt.pipeline(
        pipeline_name="migrateiq_bench",
        pipelines_dir=os.path.join(args.workdir, "pipelines"),
        destination=dlt.destinations.postgres(credentials=dsn),
        dataset_name="bench_users",
        progress=None,
    )
    results = []
    for run in range(args.runs):
        rss_before = read_rss_kib()
        cpu_before = cpu_seconds()
        started = time.perf_counter()
        info = pipeline.run(source())
        seconds = time.perf_counter() - started
        cpu = cpu_seconds() - cpu_before
        info.raise_on_failed_jobs()
        with pipeline.sql_client() as client:
            rows = client.execute_sql("SELECT count(*) FROM users")[0][0]
        if rows != args.records:
            print(f"dlt loaded {rows} rows, expected {args.records}", file=sys.stderr)
            return 1
        results.append(
            {
                "phase": "first" if run == 0 else "rerun",
                "records": args.records,
                "seconds": seconds,
                "sync_cpu_seconds": cpu,
                "rss_before_kib": rss_before,
                "peak_rss_kib": read_peak_rss_kib(),
            }
        )
    print(json.dumps({"runs": results, "dlt_version": dlt.__version__}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
