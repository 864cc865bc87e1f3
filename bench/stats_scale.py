"""MigrateIQ statistics at scale: ``GET /api/demo-extension/connectors/stats/`` cold and warm.

    .venv/bin/python bench/stats_scale.py
    .venv/bin/python bench/stats_scale.py --redis redis://127.0.0.1:6379/15   # django-redis cache
    .venv/bin/python bench/stats_scale.py --explain                            # also EXPLAIN ANALYZE

Creates a throwaway PostgreSQL database ``migrateiq_bench_stats_<random>`` on the server of
``--pg-url`` (default postgres://postgres@127.0.0.1:5432/postgres), migrates it, fills one tenant
with 200 connectors, 100,000 sync logs (spread over 90 days, mixed statuses) and 1,000,000 synced
records (``INSERT ... SELECT generate_series``), then reads the statistics endpoint through the
whole Django stack (middleware, JWT authentication, view, cache):

* cold: the cache is emptied before each read, so the statistics are computed in the database;
* warm: repeated reads answered from the cache.

The database is dropped at the end (``--keep`` keeps it); no other database is touched. With
``--redis``, cache keys get a unique prefix and only those keys are deleted.

Goals (issue 7): cold < 500 ms, warm < 50 ms.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/postgres"
STATS_URL = "/api/demo-extension/connectors/stats/"
GOAL_COLD_MS = 500.0
GOAL_WARM_MS = 50.0


def _database_url(admin_url: str, name: str) -> str:
    parts = urlsplit(admin_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def _admin_connection(admin_url: str):
    import psycopg

    return psycopg.connect(admin_url, autocommit=True)


def _configure_django(database_url: str, redis_url: str | None) -> None:
    from cryptography.fernet import Fernet

    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "migrateiq.settings",
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_urlsafe(40),
            "JWT_SIGNING_KEY": secrets.token_urlsafe(40),
            "MIGRATEIQ_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "MIGRATEIQ_HTTPS": "0",
            "ALLOWED_HOSTS": "testserver",
            "MIGRATEIQ_VAR_DIR": tempfile.mkdtemp(prefix="migrateiq-bench-stats-"),
            "LOG_LEVEL": "WARNING",
            "THROTTLE_USER": "1000000/min",
        }
    )
    os.environ.pop("REDIS_URL", None)
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
        os.environ["CACHE_KEY_PREFIX"] = f"migrateiq-bench-stats-{secrets.token_hex(6)}"
    import django

    django.setup()


def _fill(connectors: int, logs: int, records: int) -> tuple:
    """One tenant with the data set; returns (tenant, user). Bulk SQL: seconds, not minutes."""
    from django.db import connection

    from accounts.models import User
    from demo_extension.models import CustomDataConnector
    from tenancy.models import Membership, Role, Tenant

    tenant = Tenant.objects.create(slug="bench", name="Bench")
    Tenant.objects.create(slug="other", name="Other tenant")  # exists, owns nothing
    user = User.objects.create_user(email="viewer@bench.test", password=secrets.token_urlsafe(16))
    Membership.objects.create(user=user, tenant=tenant, role=Role.VIEWER)
    CustomDataConnector.objects.bulk_create(
        CustomDataConnector(
            tenant=tenant,
            name=f"Connector {i:04d}",
            api_endpoint=f"https://api{i}.example.com/users",
            is_active=i % 10 != 0,
        )
        for i in range(connectors)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM demo_extension_customdataconnector WHERE tenant_id = %s ORDER BY id", [tenant.pk]
        )
        first_connector = cursor.fetchone()[0]
        # Statuses: 80 % SUCCESS, 10 % PARTIAL, 8 % FAILED, 2 % CANCELLED; created over 90 days,
        # newest last, so that about 1,100 fall in the last 24 hours.
        cursor.execute(
            """
            INSERT INTO demo_extension_synclog (
                created_at, updated_at, tenant_id, connector_id, status, triggered_by, full_refresh,
                records_processed, records_created, records_updated, records_unchanged, records_failed,
                pages_fetched, duration_seconds, started_at, finished_at, error_message,
                detected_pagination, attempts, cancel_requested
            )
            SELECT t.at, t.at, %(tenant)s, %(first)s + (g %% %(connectors)s),
                   CASE WHEN g %% 50 = 0 THEN 'CANCELLED' WHEN g %% 50 < 5 THEN 'FAILED'
                        WHEN g %% 10 = 5 THEN 'PARTIAL' ELSE 'SUCCESS' END,
                   'schedule', false, 100, 10, 5, 85, CASE WHEN g %% 10 = 5 THEN 2 ELSE 0 END,
                   1, 1.0 + (g %% 600) / 10.0, t.at, t.at + interval '1 minute', '', 'page', 1, false
            FROM generate_series(1, %(logs)s) AS g,
                 LATERAL (SELECT now() - (%(logs)s - g) * interval '1 second'
                                 * (90 * 86400.0 / %(logs)s) AS at) AS t
            """,
            {"tenant": tenant.pk, "first": first_connector, "connectors": connectors, "logs": logs},
        )
        cursor.execute(
            """
            INSERT INTO demo_extension_syncedrecord (
                tenant_id, connector_id, external_id, data, checksum, first_synced_at, last_synced_at
            )
            SELECT %(tenant)s, %(first)s + (g %% %(connectors)s), g::text,
                   jsonb_build_object('id', g, 'name', 'user ' || g, 'email', 'user' || g || '@example.com'),
                   md5(g::text), now(), now()
            FROM generate_series(1, %(records)s) AS g
            """,
            {"tenant": tenant.pk, "first": first_connector, "connectors": connectors, "records": records},
        )
        cursor.execute(
            """
            UPDATE demo_extension_customdataconnector AS c SET records_count = r.n
            FROM (SELECT connector_id, count(*) AS n FROM demo_extension_syncedrecord GROUP BY connector_id) r
            WHERE r.connector_id = c.id
            """
        )
        cursor.execute("ANALYZE")
    return tenant, user


def _client(user, tenant):
    from rest_framework.test import APIClient

    from tenancy.services import tokens_for

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user, tenant)['access']}")
    return client


def _clear_cache() -> None:
    from django.core.cache import cache

    if hasattr(cache, "delete_pattern"):  # django-redis: only this run's prefix
        cache.delete_pattern("*")
    else:
        cache.clear()


def _timed_get(client) -> tuple[float, dict]:
    started = time.perf_counter()
    response = client.get(STATS_URL)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.content
    return elapsed, response.json()


def _summary(label: str, samples: list[float], goal: float) -> str:
    median = statistics.median(samples)
    verdict = "ok" if median < goal else "OVER GOAL"
    return (
        f"{label:<6} runs={len(samples):<3} min={min(samples):8.1f} ms  median={median:8.1f} ms  "
        f"max={max(samples):8.1f} ms   goal < {goal:.0f} ms (median): {verdict}"
    )


def _explain(tenant) -> None:
    from django.db import connection

    from demo_extension.services.stats import ConnectorStatsService

    with connection.execute_wrapper(_ExplainWrapper()):
        ConnectorStatsService.get_stats(tenant=tenant)


class _ExplainWrapper:
    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT"):
            cursor = context["cursor"]
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print("\n".join(row[0] for row in cursor.fetchall()), end="\n\n")
        return execute(sql, params, many, context)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG_URL))
    parser.add_argument("--redis", default=None, help="cache on this Redis (django-redis) instead of locmem")
    parser.add_argument("--connectors", type=int, default=200)
    parser.add_argument("--logs", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--cold-runs", type=int, default=7)
    parser.add_argument("--warm-runs", type=int, default=50)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the stats queries")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    args = parser.parse_args()

    name = f"migrateiq_bench_stats_{secrets.token_hex(4)}"
    with _admin_connection(args.pg_url) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    print(f"database {name} created")
    try:
        _configure_django(_database_url(args.pg_url, name), args.redis)
        from django.core.management import call_command
        from django.db import connection

        from demo_extension.services.stats import ConnectorStatsService

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        tenant, user = _fill(args.connectors, args.logs, args.records)
        print(
            f"filled in {time.perf_counter() - started:.1f} s: {args.connectors:,} connectors, "
            f"{args.logs:,} sync logs, {args.records:,} synced records (one tenant); "
            f"cache: {'django-redis ' + args.redis if args.redis else 'local memory'}"
        )
        client = _client(user, tenant)
        _timed_get(client)  # first request of the process: imports, connection set-up

        cold, service = [], []
        for _ in range(args.cold_runs):
            _clear_cache()
            elapsed, body = _timed_get(client)
            cold.append(elapsed)
            started = time.perf_counter()
            ConnectorStatsService.get_stats(tenant=tenant)
            service.append((time.perf_counter() - started) * 1000)
        warm = [_timed_get(client)[0] for _ in range(args.warm_runs)]

        print(f"stats: {body}")
        print(_summary("cold", cold, GOAL_COLD_MS))
        print(_summary("warm", warm, GOAL_WARM_MS))
        queries_ms = statistics.median(service)
        print(f"(the statistics queries alone, ConnectorStatsService.get_stats: median {queries_ms:.1f} ms)")
        if args.explain:
            _explain(tenant)
        connection.close()
        ok = statistics.median(cold) < GOAL_COLD_MS and statistics.median(warm) < GOAL_WARM_MS
    finally:
        if args.redis:
            try:
                _clear_cache()
            except Exception as exc:  # the database must still be dropped
                print(f"could not delete the bench cache keys: {exc}")
        try:
            from django.db import connections

            connections.close_all()
        except Exception as exc:
            print(f"closing connections: {exc}")
        if args.keep:
            print(f"database {name} kept (--keep)")
        else:
            with _admin_connection(args.pg_url) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"database {name} dropped")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
