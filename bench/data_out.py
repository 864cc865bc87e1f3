"""MigrateIQ data-out benchmark: streaming export, first and incremental destination loads, dlt.

    .venv/bin/python bench/data_out.py                       # 1,000,000 export / 100,000 first load
    .venv/bin/python bench/data_out.py --records 200000 --no-dlt

Prints figures (it is not a test). Steps, all on 127.0.0.1 and in throwaway PostgreSQL databases
named ``migrateiq_bench_dataout_<random>_*`` that are dropped at the end:

1. MigrateIQ's own database is migrated and filled with ``--records`` records of the sample
   upstream's shape (the same nested "user" as ``bench/run.py`` syncs) with their change sequences
   and inferred schema, written by SQL so the set-up takes seconds, then vacuumed; a second
   connector holds ``--load-records`` of them.
2. Export: one gunicorn process (one worker, one thread) serves
   ``GET /api/demo-extension/connectors/{id}/export/?format=ndjson``; the client streams it to
   nothing. Records/s, and the server process's RSS sampled every 20 ms against its idle RSS after
   a warm-up request.
3. First load of ``--load-records`` records into a PostgreSQL destination
   (``destinations.services.loads.execute_load``, in this process): rows/s, and the CPU seconds of
   this process (its threads; not PostgreSQL's), which a busy machine changes much less.
4. dlt (``.venv-bench``, ``bench/dlt_load_side.py``): the same records, read from the NDJSON export
   file, ``write_disposition="merge"`` on ``id`` into the same PostgreSQL server: rows/s of
   ``pipeline.run()``.
5. Incremental: the big connector loaded fully into a second destination, then 1,000 records spread
   over it change (new data and change sequences, as a sync writes them) and are loaded: seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
DLT_PYTHON = ROOT / ".venv-bench" / "bin" / "python"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
PORT = 18411

GOAL_EXPORT_RPS = 100_000
GOAL_EXPORT_RSS_MB = 30
GOAL_LOAD_RPS = 30_000
GOAL_VS_DLT = 4.0
GOAL_INCREMENTAL_S = 2.0

RECORD_SQL = """
jsonb_build_object(
  'id', i, 'name', 'Name ' || i, 'username', 'user' || i, 'email', 'user' || i || '@example.net',
  'phone', '+1-555-' || lpad((i % 1000)::text, 3, '0') || '-' || lpad((i % 10000)::text, 4, '0'),
  'website', 'site' || i || '.example.com',
  'created_at', to_char(timestamp '2024-01-01' + i * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  'updated_at', to_char(timestamp '2024-01-01' + i * interval '2 minute', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  'score', round((i % 997)::numeric / 7, 2), 'active', i % 3 = 0,
  'address', jsonb_build_object('street', i || ' Main St', 'suite', 'Apt. ' || (i % 900),
     'city', 'City ' || (i % 500), 'zipcode', lpad((i % 99999)::text, 5, '0'),
     'geo', jsonb_build_object('lat', ((i % 180) - 90)::text, 'lng', ((i % 360) - 180)::text)),
  'company', jsonb_build_object('name', 'Company ' || (i % 1000), 'catchPhrase', 'Phrase ' || (i % 77)),
  'tags', jsonb_build_array('t' || (i % 5), 'u' || (i % 7))
)"""


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Databases:
    def __init__(self, url: str):
        self.url = url
        self.token = secrets.token_hex(4)
        self.created: list[str] = []

    def create(self, suffix: str) -> str:
        name = f"migrateiq_bench_dataout_{self.token}_{suffix}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return name

    def url_of(self, name: str) -> str:
        return self.url.rsplit("/", 1)[0] + "/" + name

    def drop_all(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIGRATEIQ_", "DJANGO_"))}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(40),
        JWT_SIGNING_KEY=secrets.token_urlsafe(40),
        MIGRATEIQ_FIELD_ENCRYPTION_KEYS=__import__("cryptography.fernet")
        .fernet.Fernet.generate_key()
        .decode(),
        MIGRATEIQ_HTTPS="0",
        MIGRATEIQ_EGRESS_ALLOWLIST="127.0.0.1:5432",
        MIGRATEIQ_SYNC_RUNNER="inline",
        DJANGO_SETTINGS_MODULE="migrateiq.settings",
        LOG_FORMAT="text",
        LOG_LEVEL="WARNING",
        ALLOWED_HOSTS="127.0.0.1",
    )
    return env


def fill(connector_id: int, tenant_id: int, count: int, offset: int = 0) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO demo_extension_syncedrecord (tenant_id, connector_id, external_id, data, checksum, "
            "source_checksum, first_synced_at, last_synced_at, change_seq) "
            f"SELECT %s, %s, i::text, {RECORD_SQL.replace('%', '%%')}, "  # noqa: S608 - constant SQL
            "md5(i::text), '', now(), now(), i - %s "
            "FROM generate_series(%s, %s) AS i",
            [tenant_id, connector_id, offset, offset + 1, offset + count],
        )
        cursor.execute(
            "INSERT INTO demo_extension_recordchangecounter (connector_id, last_seq) VALUES (%s, %s)",
            [connector_id, count],
        )


def vacuum() -> None:
    """Autovacuum would otherwise vacuum the freshly inserted table in the background during the
    measurements (a core for a minute at this size), which a table in use does not see."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) demo_extension_syncedrecord")


def infer_schema(connector_id: int) -> None:
    import orjson

    from sync_engine.schema import SchemaAccumulator, save_schema

    schema = SchemaAccumulator()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data::text FROM demo_extension_syncedrecord WHERE connector_id = %s LIMIT 2000",
            [connector_id],
        )
        for (text,) in cursor.fetchall():
            schema.observe(orjson.loads(text))
    save_schema(connector_id, schema.to_document())


def measure_export(env, connector_id: int, token: str, records: int) -> dict:
    log = open(Path(tempfile.gettempdir()) / "migrateiq_bench_dataout_gunicorn.log", "ab")  # noqa: SIM115
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "migrateiq.wsgi",
            "-b",
            f"127.0.0.1:{PORT}",
            "-w",
            "1",
            "--threads",
            "1",
            "--timeout",
            "600",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        base = f"http://127.0.0.1:{PORT}"
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        worker = _gunicorn_worker(server.pid)
        headers = {"Authorization": f"Bearer {token}"}
        url = f"{base}/api/demo-extension/connectors/{connector_id}/export/"
        httpx.get(url, params={"format": "ndjson", "fields": "id"}, headers=headers, timeout=60)  # warm-up
        idle = rss_kib(worker)
        peak = [idle]
        stop = threading.Event()

        def sample():
            while not stop.is_set() and os.path.exists(f"/proc/{worker}"):
                peak[0] = max(peak[0], rss_kib(worker))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        lines = size = 0
        started = time.perf_counter()
        with httpx.stream("GET", url, params={"format": "ndjson"}, headers=headers, timeout=600) as response:
            response.raise_for_status()
            for chunk in response.iter_raw():
                lines += chunk.count(b"\n")
                size += len(chunk)
        seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
        assert lines == records, (lines, records)
        return {
            "records": lines,
            "seconds": round(seconds, 2),
            "records_per_s": round(lines / seconds),
            "mb": round(size / 1e6, 1),
            "idle_rss_mb": round(idle / 1024, 1),
            "peak_rss_mb": round(peak[0] / 1024, 1),
            "rss_growth_mb": round((peak[0] - idle) / 1024, 1),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _gunicorn_worker(master: int) -> int:
    for _ in range(100):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def run_load(destination, connector):
    from destinations.services import attachments, loads

    attachment = attachments.attach(destination, connector.pk, "users")
    started, cpu = time.perf_counter(), time.process_time()
    load = loads.execute_load(loads.start_load(attachment, queue=False).pk)
    seconds = time.perf_counter() - started
    assert load.status == "SUCCESS", load.error_message
    load.cpu_seconds = time.process_time() - cpu  # this process's threads; PostgreSQL's work is not in it
    return load, seconds, attachment


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--records", type=int, default=1_000_000, help="records exported (and the big connector)"
    )
    parser.add_argument("--load-records", type=int, default=100_000, help="records of the first load")
    parser.add_argument("--changes", type=int, default=1_000, help="changed records of the incremental load")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--no-dlt", action="store_true")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    dbs = Databases(args.pg_url)
    results: dict = {"records": args.records, "load_records": args.load_records, "changes": args.changes}
    try:
        source = dbs.create("src")
        target = dbs.create("dest")
        env = environment(dbs.url_of(source))
        subprocess.run([str(PYTHON), "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.contrib.auth import get_user_model

        from demo_extension.models import CustomDataConnector
        from destinations.models import Destination
        from tenancy.models import Membership, Tenant
        from tenancy.services import tokens_for

        tenant = Tenant.objects.create(slug="bench", name="Bench")
        user = get_user_model().objects.create_user(email="bench@bench.test", password=secrets.token_hex(8))
        Membership.objects.create(user=user, tenant=tenant, role="viewer")
        big = CustomDataConnector.objects.create(
            tenant=tenant, name="Big", api_endpoint="http://127.0.0.1:9/u"
        )
        small = CustomDataConnector.objects.create(
            tenant=tenant, name="Small", api_endpoint="http://127.0.0.1:9/u"
        )
        started = time.perf_counter()
        fill(big.pk, tenant.pk, args.records)
        fill(small.pk, tenant.pk, args.load_records, offset=args.records)
        vacuum()
        infer_schema(big.pk)
        infer_schema(small.pk)
        print(
            f"set-up: {args.records + args.load_records:,} records in {time.perf_counter() - started:.1f} s"
        )

        results["export"] = measure_export(env, big.pk, tokens_for(user, tenant)["access"], args.records)
        print("export:", results["export"])

        def destination(schema: str):
            return Destination.objects.create(
                tenant=tenant,
                name=schema,
                host="127.0.0.1",
                port=5432,
                database=target,
                username="postgres",
                sslmode="disable",
                target_schema=schema,
            )

        load, seconds, _ = run_load(destination("first"), small)
        results["first_load"] = {
            "rows": load.rows_upserted,
            "seconds": round(seconds, 2),
            "rows_per_s": round(load.rows_upserted / seconds),
            "cpu_seconds": round(load.cpu_seconds, 2),
        }
        print("first load:", results["first_load"])

        if not args.no_dlt and DLT_PYTHON.exists():
            from sync_engine.export import ExportOptions, stream_export

            with tempfile.TemporaryDirectory() as workdir:
                path = Path(workdir) / "records.ndjson"
                with path.open("wb") as out:
                    for chunk in stream_export(small.pk, ExportOptions()):
                        out.write(chunk)
                dsn = dbs.url_of(target).replace("postgres@", "postgres:unused@", 1)
                done = subprocess.run(
                    [
                        str(DLT_PYTHON),
                        str(ROOT / "bench" / "dlt_load_side.py"),
                        "--file",
                        str(path),
                        "--dsn",
                        dsn,
                        "--workdir",
                        workdir,
                    ],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                dlt = json.loads(done.stdout.strip().splitlines()[-1])
            dlt["rows_per_s"] = round(dlt["rows"] / dlt["seconds"])
            results["dlt"] = dlt
            results["vs_dlt"] = round(results["first_load"]["rows_per_s"] / dlt["rows_per_s"], 2)
            print("dlt:", dlt)

        full, full_seconds, attachment = run_load(destination("incremental"), big)
        results["full_load_big"] = {
            "rows": full.rows_upserted,
            "seconds": round(full_seconds, 2),
            "rows_per_s": round(full.rows_upserted / full_seconds),
            "cpu_seconds": round(full.cpu_seconds, 2),
        }
        from django.db import connection

        step = max(1, args.records // args.changes)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE demo_extension_syncedrecord "
                "SET data = data || jsonb_build_object('name', 'changed'), "
                "change_seq = %s + (change_seq / %s), last_synced_at = now() "
                "WHERE connector_id = %s AND change_seq %% %s = 0",
                [args.records, step, big.pk, step],
            )
            changed = cursor.rowcount
            cursor.execute(
                "UPDATE demo_extension_recordchangecounter SET last_seq = last_seq + %s "
                "WHERE connector_id = %s",
                [changed, big.pk],
            )
        from destinations.services import loads

        started = time.perf_counter()
        incremental = loads.execute_load(loads.start_load(attachment, queue=False).pk)
        seconds = time.perf_counter() - started
        assert incremental.status == "SUCCESS", incremental.error_message
        results["incremental"] = {
            "changed": changed,
            "rows": incremental.rows_upserted,
            "seconds": round(seconds, 3),
        }
        print("full load (big):", results["full_load_big"])
        print("incremental:", results["incremental"])
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001, S110 - Django may not be set up yet
            pass
        dbs.drop_all()

    print()
    print("Goals")
    export = results["export"]
    print(
        _goal(
            "export >= 100,000 records/s", export["records_per_s"] >= GOAL_EXPORT_RPS, export["records_per_s"]
        )
    )
    print(
        _goal(
            "export server RSS <= +30 MB",
            export["rss_growth_mb"] <= GOAL_EXPORT_RSS_MB,
            export["rss_growth_mb"],
        )
    )
    first = results["first_load"]["rows_per_s"]
    print(_goal("first load >= 30,000 rows/s", first >= GOAL_LOAD_RPS, first))
    if "vs_dlt" in results:
        print(_goal("first load >= 4x dlt", results["vs_dlt"] >= GOAL_VS_DLT, results["vs_dlt"]))
    inc = results["incremental"]["seconds"]
    print(_goal("incremental 1,000 of 1,000,000 < 2 s", inc < GOAL_INCREMENTAL_S, inc))
    print(f"load average: {os.getloadavg()}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


def _goal(name: str, met: bool, value) -> str:
    return f"  [{'MET ' if met else 'MISS'}] {name}: {value}"


if __name__ == "__main__":
    sys.exit(main())
