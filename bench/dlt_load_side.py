"""dlt's side of the data-out benchmark: load an NDJSON file of records into PostgreSQL with
``write_disposition="merge"`` on ``id`` (what a MigrateIQ destination load does). Runs in
``.venv-bench``; prints one JSON line: rows and seconds of ``pipeline.run()``."""

from __future__ import annotations

import argparse
import json
import os
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", required=True)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    os.environ["DLT_DATA_DIR"] = os.path.join(args.workdir, "data")
    os.environ["DLT_PROJECT_DIR"] = args.workdir

    import dlt

    @dlt.resource(name="users", primary_key="id", write_disposition="merge")
    def users():
        with open(args.file, "rb") as lines:
            for line in lines:
                yield json.loads(line)

    pipeline = dlt.pipeline(
        pipeline_name="migrateiq_bench_dataout",
        pipelines_dir=os.path.join(args.workdir, "pipelines"),
        destination=dlt.destinations.postgres(credentials=args.dsn),
        dataset_name="dlt_users",
        progress=None,
    )
    started = time.perf_counter()
    pipeline.run(users())
    seconds = time.perf_counter() - started
    with open(args.file, "rb") as lines:
        rows = sum(1 for _ in lines)
    print(json.dumps({"rows": rows, "seconds": round(seconds, 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
