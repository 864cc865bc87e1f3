"""The field profile of a connector's schema (``sync_engine.profile``) on 100,000 stored records.

    .venv/bin/python bench/schema_profile.py                  # SQLite and PostgreSQL, 100,000 records
    .venv/bin/python bench/schema_profile.py --targets sqlite --records 20000

Prints figures (it is not a test). For each target a child process migrates a fresh database (SQLite:
a file under a temporary ``MIGRATEIQ_VAR_DIR``; PostgreSQL: a throwaway database
``migrateiq_bench_profile_<random>`` on ``--pg-url``, dropped at the end), stores ``--records``
records of the sample upstream's nested "user" shape with some fields missing, null or "" (every 7th
has no ``phone``, every 5th a null ``website``, every 11th a null ``company``, every 13th an empty
``email``), infers their schema (21 fields), and measures:

* ``profile_connector`` (Python over the JSON, what the API runs) at ``sample`` 10,000 and 50,000 (the
  largest the API takes):
  median of 5 runs, and the peak of Python allocations during one run (``tracemalloc``);
* the same presence, null and empty counts and exact distinct counts computed by the database's JSON
  functions in one query (PostgreSQL ``#>`` / SQLite ``json_type`` and ``json_extract``), for the
  choice between the two.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def environment(database_url: str | None, var_dir: str) -> dict:
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIGRATEIQ_", "DJANGO_", "DATABASE_URL"))}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(40),
        JWT_SIGNING_KEY=secrets.token_urlsafe(40),
        MIGRATEIQ_FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        MIGRATEIQ_HTTPS="0",
        MIGRATEIQ_VAR_DIR=var_dir,
        DJANGO_SETTINGS_MODULE="migrateiq.settings",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _records(count: int):
    import orjson

    from demo_extension.sample_upstream import SampleUpstream

    upstream = SampleUpstream(records=count)
    for i in range(1, count + 1):
        record = orjson.loads(upstream.record_json(i))
        if i % 7 == 0:
            del record["phone"]
        if i % 5 == 0:
            record["website"] = None
        if i % 11 == 0:
            record["company"] = None
        if i % 13 == 0:
            record["email"] = ""
        yield i, orjson.dumps(record).decode()


def _fill(connector, count: int) -> None:
    from django.db import connection, transaction

    from sync_engine.models import SyncedRecord
    from sync_engine.schema import SchemaAccumulator, save_schema

    table = connection.ops.quote_name(SyncedRecord._meta.db_table)
    data = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    now = connection.ops.adapt_datetimefield_value(__import__("django.utils.timezone").utils.timezone.now())
    schema = SchemaAccumulator()
    batch: list = []
    with transaction.atomic(), connection.cursor() as cursor:
        sql = (
            f"INSERT INTO {table} (tenant_id, connector_id, external_id, data, checksum, source_checksum, "  # noqa: S608
            f"first_synced_at, last_synced_at, change_seq) VALUES (%s, %s, %s, {data}, '', '', %s, %s, %s)"
        )
        for i, text in _records(count):
            batch.append((connector.tenant_id, connector.pk, str(i), text, now, now, i))
            if len(batch) == 5000:
                cursor.executemany(sql, batch)
                schema.observe_page(json.loads(row[3]) for row in batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            schema.observe_page(json.loads(row[3]) for row in batch)
    save_schema(connector.pk, schema.to_document())
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")  # noqa: S608


def _database_counts(connector_id: int, paths: list[list[str]], sample: int) -> list[tuple]:
    """Presence, null, empty and exact distinct counts of every path, by the database's JSON functions."""
    from django.db import connection

    from sync_engine.models import SyncedRecord

    table = connection.ops.quote_name(SyncedRecord._meta.db_table)
    columns, params = [], []
    for path in paths:
        if connection.vendor == "postgresql":
            value = "data #> %s::text[]"
            columns += [
                f"count({value})",
                f"count(*) FILTER (WHERE {value} = 'null'::jsonb)",
                f"count(*) FILTER (WHERE {value} = '\"\"'::jsonb)",
                f"count(DISTINCT {value}) FILTER (WHERE {value} <> 'null'::jsonb)",
            ]
            params += [path] * 5
        else:
            where = "'$' || " + " || ".join(["'.\"' || %s || '\"'"] * len(path))
            columns += [
                f"count(json_type(data, {where}))",
                f"sum(json_type(data, {where}) = 'null')",
                f"sum(json_type(data, {where}) = 'text' AND json_extract(data, {where}) = '')",
                f"count(DISTINCT json_extract(data, {where}))",
            ]
            params += path * 5
    sql = (
        f"SELECT {', '.join(columns)} FROM (SELECT data FROM {table} "  # noqa: S608
        "WHERE connector_id = %s AND deleted_at IS NULL ORDER BY change_seq DESC, id DESC LIMIT %s) AS s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, connector_id, sample])
        return cursor.fetchall()


def child(records: int) -> dict:
    import django

    django.setup()
    import tracemalloc

    from django.core.management import call_command

    from demo_extension.models import CustomDataConnector
    from sync_engine.profile import MAX_SAMPLE, profile_connector
    from sync_engine.schema import connector_schema
    from tenancy.models import Tenant

    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.create(name="Bench", slug="bench")
    connector = CustomDataConnector.objects.create(
        tenant=tenant, name="Bench", api_endpoint="https://example.com/users", sync_frequency="DAILY"
    )
    started = time.perf_counter()
    _fill(connector, records)
    result: dict = {"fill_seconds": round(time.perf_counter() - started, 1), "runs": {}}
    paths = [entry["path"] for entry in connector_schema(connector.pk)["fields"]]
    result["fields"] = len(paths)
    for sample in (10_000, min(records, MAX_SAMPLE)):
        times, db_times = [], []
        for _ in range(5):
            started = time.perf_counter()
            profile = profile_connector(connector.pk, sample)
            times.append(time.perf_counter() - started)
            started = time.perf_counter()
            _database_counts(connector.pk, paths, sample)
            db_times.append(time.perf_counter() - started)
        tracemalloc.start()
        profile_connector(connector.pk, sample)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        email = next(field for field in profile.fields if field.path == ("email",))
        result["runs"][sample] = {
            "sampled": profile.sampled,
            "python_ms": round(statistics.median(times) * 1000, 1),
            "python_min_max_ms": [round(min(times) * 1000, 1), round(max(times) * 1000, 1)],
            "python_peak_alloc_mib": round(peak / 2**20, 1),
            "database_functions_ms": round(statistics.median(db_times) * 1000, 1),
            "email": [email.present, email.null, email.empty, email.distinct, email.distinct_over_cap],
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--targets", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(json.dumps(child(options.records)))
        return
    for target in options.targets.split(","):
        with tempfile.TemporaryDirectory() as var_dir:
            database_url, name = None, None
            if target == "postgresql":
                import psycopg

                name = f"migrateiq_bench_profile_{secrets.token_hex(4)}"
                with psycopg.connect(options.pg_url, autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                database_url = options.pg_url.rsplit("/", 1)[0] + "/" + name
            try:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", "--records", str(options.records)],
                    env=environment(database_url, var_dir),
                    cwd=ROOT,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                print(target, out.stdout.strip().splitlines()[-1])
            except subprocess.CalledProcessError as exc:
                print(target, "failed:", exc.stderr[-3000:])
            finally:
                if name:
                    with psycopg.connect(options.pg_url, autocommit=True) as conn:
                        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
