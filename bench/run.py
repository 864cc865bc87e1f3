"""MigrateIQ sync-throughput benchmark: MigrateIQ into SQLite and PostgreSQL, against dlt.

    make bench                                   # 100,000 records, every target, 2 runs each
    .venv/bin/python bench/run.py --records 1000000
    .venv/bin/python bench/run.py --scale        # 100,000 and 1,000,000 records: the memory goal
    .venv/bin/python bench/run.py --profile      # also a pyinstrument profile of one sync per target
    .venv/bin/python bench/run.py --latency-ms 50 --page-size 100 --records 20000   # a real network

A deterministic sample upstream (``demo_extension.sample_upstream``) serves N nested "user"
records on 127.0.0.1, page size 1,000; its pages are built before any timing so the upstream is
not what is measured. Each measurement runs in its own subprocess (``bench/migrateiq_side.py``
in ``.venv``, ``bench/dlt_side.py`` in ``.venv-bench``) so its peak RSS is its own:

* MigrateIQ: ``DataSyncService(connector).sync_data()``, with 3 field mappings and 2 type
  conversions, into a fresh SQLite file and into a throwaway PostgreSQL database; then a re-sync
  of the unchanged data on the same database.
* dlt 1.31: the ``rest_api`` source, same paginator style, ``primary_key="id"``,
  ``write_disposition="merge"``, into its own throwaway database on the same PostgreSQL server.
* the ceiling: httpx + ``json.loads`` over every page, no database.

``--latency-ms N`` makes the upstream wait N ms before each answer, as a real API across a network
does. A client that fetches one page after the other then cannot beat the *sequential floor*,
pages x latency, whatever its CPU speed; the report gives each tool's time against that floor.

Throwaway PostgreSQL databases are named ``migrateiq_bench_<random>_*`` and dropped at the end;
no other database is touched. Results are printed and written to ``.bench/last-run.json``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

from workload import API_KEY, PAGE_SIZE, STYLES, page_queries  # noqa: E402

from demo_extension.sample_upstream import SampleUpstream  # noqa: E402

MAIN_PYTHON = ROOT / ".venv" / "bin" / "python"
DLT_VENV = ROOT / ".venv-bench"
DLT_PYTHON = DLT_VENV / "bin" / "python"
DLT_REQUIREMENTS = BENCH_DIR / "requirements-dlt.txt"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
OUTPUT_DIR = ROOT / ".bench"

# The goals of the throughput issue (16; 2-core machine, page size 1,000). The sync-engine issue's
# before them: 5x dlt, 40,000 records/s into SQLite, re-sync 1.5x.
GOAL_PG_VS_DLT = 10.0
GOAL_SQLITE_RPS = 80_000
GOAL_RESYNC_SPEEDUP = 3.0
GOAL_PEAK_RSS_MB_AT_1M = 150
GOAL_RSS_GROWTH = 0.20
# --path: as a Celery worker runs a sync (`make run` and production), or all in the run's thread.
PATHS = ("worker", "inline")
PATH_TEXT = {
    "worker": "Sync path: as on a Celery worker (make run, production): MIGRATEIQ_SYNC_BUILD_PROCESS=auto "
    "builds a first load's pages in a second process, a re-sync's in the run's thread (--path inline: all "
    "in the run's thread).",
    "inline": "Sync path: every page built in the run's thread (--path inline; a Celery worker builds a "
    "first load's pages in a second process: --path worker).",
}
# A connector's max_concurrent_requests when --concurrency is not given (the model's default).
DEFAULT_CONCURRENCY = 4
# Pagination styles whose page requests are known ahead (the bare client keeps several in flight).
PARALLEL_STYLES = ("page", "offset")
# With --latency-ms (issue 16): against the sequential floor (pages x latency), and against dlt.
GOAL_LATENCY_VS_FLOOR = 4.0
GOAL_LATENCY_VS_DLT = 5.0
# dlt measured on this machine before the harness existed, used when dlt is skipped.
DLT_REFERENCE_RPS = 4_700

ENV_DROPPED = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "DEBUG",
    "MIGRATEIQ_VAR_DIR",
    "MIGRATEIQ_EGRESS_ALLOWLIST",
    "DJANGO_SETTINGS_MODULE",
)


class BenchError(RuntimeError):
    """A failure the user must see: printed as one clear message."""


# --- subprocesses -----------------------------------------------------------------------------


def run_child(cmd: list[str], env: dict, log_path: Path, timeout: float) -> tuple[dict, int]:
    """Run one measurement; return its JSON result and its peak RSS in KiB.

    The peak is the child's own VmHWM, which it reads just after the measured call. Not wait4's
    ``ru_maxrss``: Linux carries the forking parent's high-water mark into the child across exec,
    and this parent holds every prebuilt upstream page (about 500 MB at 1,000,000 records).

    The result also gets ``cpu_seconds`` (the child's user + system time) and ``load_average``
    (the 1-minute load when it started): on a shared machine, wall-clock rates move with the
    load, CPU time much less.
    """
    load = os.getloadavg()[0]
    with open(log_path, "ab") as log:
        log.write(f"\n$ {' '.join(cmd)}\n".encode())
        log.flush()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, env=env, cwd=ROOT)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            out = proc.stdout.read()
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            proc.stdout.close()
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log_path.read_text(errors="replace")[-3000:]
        reason = f"timed out after {timeout:.0f}s" if proc.returncode == -signal.SIGKILL else "failed"
        raise BenchError(f"{' '.join(cmd[1:3])} {reason} (exit {proc.returncode}). Log tail:\n{tail}")
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    if not lines:
        raise BenchError(f"{' '.join(cmd[1:3])} printed no result. See {log_path}.")
    result = json.loads(lines[-1])
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    result["load_average"] = load
    result["wait4_maxrss_kib"] = usage.ru_maxrss
    return result, result.get("peak_rss_kib", 0)


def child_timeout(records: int) -> float:
    return 120 + records / 400


# --- PostgreSQL -------------------------------------------------------------------------------


class ThrowawayPostgres:
    """Creates and drops ``migrateiq_bench_<random>_*`` databases; never touches any other."""

    def __init__(self, url: str):
        import psycopg

        self.url = url
        self.token = secrets.token_hex(4)
        self.created: list[str] = []
        try:
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
            self.version = self.conn.execute("SHOW server_version").fetchone()[0]
        except psycopg.Error as exc:
            raise BenchError(
                f"PostgreSQL is not reachable at {url}: {str(exc).strip()}\n"
                "Start PostgreSQL on 127.0.0.1:5432 (user postgres, trust or a password in the URL), "
                "pass --pg-url, or run only SQLite with --targets sqlite --no-dlt."
            ) from None

    def name(self, suffix: str) -> str:
        return f"migrateiq_bench_{self.token}_{suffix}"

    def create(self, suffix: str, template: str | None = None) -> str:
        from psycopg import sql

        name = self.name(suffix)
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        self.conn.execute(query)
        self.created.append(name)
        return name

    def drop(self, name: str) -> None:
        from psycopg import sql

        if name not in self.created:
            raise BenchError(f"refusing to drop {name}: this run did not create it")
        self.conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        self.created.remove(name)

    def dsn(self, name: str) -> str:
        base, _, _ = self.url.rpartition("/")
        return f"{base}/{name}"

    def close(self) -> None:
        for name in list(self.created):
            try:
                self.drop(name)
            except Exception as exc:  # keep dropping the others
                print(f"warning: could not drop {name}: {exc}", file=sys.stderr)
        self.conn.close()


# --- the upstream -----------------------------------------------------------------------------


def start_upstream(records: int, page_size: int, style: str, latency_ms: int = 0) -> SampleUpstream:
    pages = max(1, -(-records // page_size))
    # The sample upstream's sockets have TCP_NODELAY set, so the latency is this wait alone (a delayed
    # ACK would add about 40 ms to each small response).
    upstream = SampleUpstream(
        records=records,
        page_size=page_size,
        style=style,
        api_key=API_KEY,
        auth="bearer",
        cache_pages=pages + 8,
        record_requests=False,
        slow_ms=latency_ms,
    ).start()
    # Build every page once now, so that serving a page is a cache lookup and a socket write.
    for query in page_queries(style, records, page_size):
        status, _, _ = upstream.respond_collection(query)
        if status != 200:
            raise BenchError(f"the sample upstream answered {status} while building its pages")
    return upstream


# --- one benchmark run ------------------------------------------------------------------------


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="migrateiq-bench-"))
        self.log_path = self.work / "children.log"
        self.results: list[dict] = []
        self.pg: ThrowawayPostgres | None = None
        self.env_base = {k: v for k, v in os.environ.items() if k not in ENV_DROPPED}
        self.env_base["PYTHONHASHSEED"] = "0"
        self.env_base["LOG_LEVEL"] = "WARNING"
        if args.concurrency:
            self.env_base["BENCH_CONCURRENCY"] = str(args.concurrency)
        self.env_base["BENCH_PATH"] = args.path
        # Production mode (DATABASE_URL set) needs explicit secrets; these live only as long as this run.
        self.pg_secrets = {
            "SECRET_KEY": secrets.token_urlsafe(40),
            "JWT_SIGNING_KEY": secrets.token_urlsafe(40),
            "MIGRATEIQ_FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        }

    def close(self) -> None:
        if self.pg:
            self.pg.close()
        if not self.args.keep_temp:
            shutil.rmtree(self.work, ignore_errors=True)

    # environments ------------------------------------------------------------------------------

    def sqlite_env(self, var_dir: Path) -> dict:
        return {**self.env_base, "MIGRATEIQ_VAR_DIR": str(var_dir)}

    def postgres_env(self, database: str) -> dict:
        return {
            **self.env_base,
            "DATABASE_URL": self.pg.dsn(database),
            **self.pg_secrets,
        }

    def migrateiq(self, command: str, env: dict, upstream, records: int, *extra) -> tuple[dict, int]:
        cmd = [
            str(MAIN_PYTHON),
            str(BENCH_DIR / "migrateiq_side.py"),
            command,
            "--url",
            upstream.url,
            "--style",
            self.args.style,
            "--records",
            str(records),
            "--page-size",
            str(self.args.page_size),
            *extra,
        ]
        return run_child(cmd, env, self.log_path, child_timeout(records))

    def save(self, goals=()) -> Path:
        """Write the results so far (after every measurement, so a stopped run keeps them)."""
        out = Path(self.args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            json.dumps(
                {
                    "machine": getattr(self, "machine", None),
                    "dlt_version": getattr(self, "dlt_version", None),
                    "options": {k: v for k, v in vars(self.args).items() if k != "json"},
                    "load_before": getattr(self, "load_before", None),
                    "load_after": getattr(self, "load_after", None),
                    "results": self.results,
                    "goals": [{"goal": g, "met": ok, "detail": d} for g, ok, d in goals],
                },
                indent=2,
            )
        )
        return out

    def record(self, **fields) -> dict:
        self.results.append(fields)
        rps = fields["records"] / fields["seconds"] if fields["seconds"] else 0
        fields["records_per_second"] = rps
        self.save()
        print(
            f"  {fields['target']:<11} {fields['phase']:<10} run {fields['run']}: "
            f"{rps:>10,.0f} records/s  {fields['seconds']:7.2f} s  "
            f"peak RSS {fields['peak_rss_kib'] / 1024:6.1f} MB  "
            + (
                f"(page builder {fields['child_peak_rss_kib'] / 1024:.1f} MB)  "
                if fields.get("child_peak_rss_kib")
                else ""
            )
            + f"CPU {fields.get('sync_cpu_seconds', 0):6.2f} s"
            + (f" + server {fields['server_cpu_seconds']:.2f} s" if fields.get("server_cpu_seconds") else "")
            + f"  load {fields['load_average']:.1f}",
            flush=True,
        )
        return fields

    # targets -----------------------------------------------------------------------------------

    def check_log(self, result: dict, records: int, phase: str, target: str) -> None:
        if result["status"] != "SUCCESS" or result["records_processed"] != records:
            raise BenchError(
                f"{target} {phase}: the sync ended {result['status']} with {result['records_processed']} of "
                f"{records} records processed: {result.get('error_message') or '(no message)'}"
            )
        expected = "records_created" if phase == "first" else "records_unchanged"
        if result[expected] != records or result["records_stored"] != records:
            raise BenchError(f"{target} {phase}: expected {records} {expected}, got {result}")

    def run_sqlite(self, upstream, records: int) -> None:
        template = self.work / f"sqlite-{records}-template"
        self.migrateiq("prepare", self.sqlite_env(template), upstream, records)
        for run in range(1, self.args.repeat + 1):
            var_dir = self.work / f"sqlite-{records}-run{run}"
            shutil.copytree(template, var_dir)
            env = self.sqlite_env(var_dir)
            for phase in ("first", "resync"):
                result, peak = self.migrateiq("sync", env, upstream, records)
                self.check_log(result, records, phase, "sqlite")
                self.record(
                    target="sqlite", phase=phase, run=run, records=records, peak_rss_kib=peak, **_keep(result)
                )
            shutil.rmtree(var_dir, ignore_errors=True)
        if self.args.profile and records == self.args.sizes[0]:
            var_dir = self.work / f"sqlite-{records}-profile"
            shutil.copytree(template, var_dir)
            OUTPUT_DIR.mkdir(exist_ok=True)
            profile = OUTPUT_DIR / f"profile-sqlite-{records}.txt"
            result, _ = self.migrateiq(
                "sync", self.sqlite_env(var_dir), upstream, records, "--profile", str(profile)
            )
            self.check_log(result, records, "first", "sqlite")
            print(
                f"  profile of one SQLite first sync ({result['seconds']:.2f} s under the profiler): "
                f"{profile}"
            )
            shutil.rmtree(var_dir, ignore_errors=True)

    def run_postgres(self, upstream, records: int) -> None:
        template = self.pg.create(f"{records}_tpl")
        self.migrateiq("prepare", self.postgres_env(template), upstream, records)
        for run in range(1, self.args.repeat + 1):
            database = self.pg.create(f"{records}_r{run}", template=template)
            env = self.postgres_env(database)
            for phase in ("first", "resync"):
                result, peak = self.migrateiq("sync", env, upstream, records)
                self.check_log(result, records, phase, "postgresql")
                self.record(
                    target="postgresql",
                    phase=phase,
                    run=run,
                    records=records,
                    peak_rss_kib=peak,
                    **_keep(result),
                )
            self.pg.drop(database)
        if self.args.profile and records == self.args.sizes[0]:
            database = self.pg.create(f"{records}_profile", template=template)
            OUTPUT_DIR.mkdir(exist_ok=True)
            profile = OUTPUT_DIR / f"profile-postgresql-{records}.txt"
            result, _ = self.migrateiq(
                "sync", self.postgres_env(database), upstream, records, "--profile", str(profile)
            )
            self.check_log(result, records, "first", "postgresql")
            print(
                f"  profile of one PostgreSQL first sync ({result['seconds']:.2f} s under the profiler): "
                f"{profile}"
            )
            self.pg.drop(database)
        self.pg.drop(template)

    def run_dlt(self, upstream, records: int) -> None:
        for run in range(1, self.args.repeat + 1):
            database = self.pg.create(f"{records}_dlt{run}")
            workdir = self.work / f"dlt-{records}-run{run}"
            workdir.mkdir()
            cmd = [
                str(DLT_PYTHON),
                str(BENCH_DIR / "dlt_side.py"),
                "--url",
                upstream.url,
                "--style",
                self.args.style,
                "--records",
                str(records),
                "--page-size",
                str(self.args.page_size),
                "--dsn",
                self.pg.dsn(database),
                "--workdir",
                str(workdir),
            ]
            env = {**self.env_base, "RUNTIME__DLTHUB_TELEMETRY": "false"}
            result, _ = run_child(cmd, env, self.log_path, child_timeout(records) * 3)
            self.dlt_version = result["dlt_version"]
            first = {
                **result["runs"][0],
                "cpu_seconds": result["cpu_seconds"],
                "load_average": result["load_average"],
            }
            peak = first["peak_rss_kib"]
            self.record(
                target="dlt", phase="first", run=run, records=records, peak_rss_kib=peak, **_keep(first)
            )
            self.pg.drop(database)
            shutil.rmtree(workdir, ignore_errors=True)

    def run_fetch(self, upstream, records: int) -> None:
        for run in range(1, self.args.repeat + 1):
            result, peak = self.migrateiq("fetch", self.env_base, upstream, records)
            if result["records_processed"] != records:
                raise BenchError(f"the fetch loop saw {result['records_processed']} of {records} records")
            self.record(
                target="fetch+parse",
                phase="ceiling",
                run=run,
                records=records,
                peak_rss_kib=peak,
                **_keep(result),
            )
            if self.args.latency_ms and self.args.style in PARALLEL_STYLES:
                # The bound of any client against this upstream with as many requests in flight as
                # the sync may have: httpx + json.loads in that many threads, nothing else.
                in_flight = self.args.concurrency or DEFAULT_CONCURRENCY
                result, peak = self.migrateiq(
                    "fetch", self.env_base, upstream, records, "--in-flight", str(in_flight)
                )
                self.record(
                    target="bare client",
                    phase=f"{in_flight} in flight",
                    run=run,
                    records=records,
                    peak_rss_kib=peak,
                    **_keep(result),
                )

    # the whole run -----------------------------------------------------------------------------

    def run(self) -> None:
        args = self.args
        needs_pg = "postgresql" in args.targets or args.dlt
        if needs_pg:
            self.pg = ThrowawayPostgres(args.pg_url)
        self.machine = machine_facts(self.pg)
        self.dlt_version = None
        print_machine(self.machine)
        print(PATH_TEXT[args.path])
        self.load_before = os.getloadavg()
        for index, records in enumerate(args.sizes):
            pages = max(1, -(-records // args.page_size))
            print(
                f"\n{records:,} records, {pages:,} pages of {args.page_size}, style {args.style!r}:",
                flush=True,
            )
            if args.latency_ms:
                print(
                    f"upstream latency {args.latency_ms} ms a request: sequential floor "
                    f"{sequential_floor(records, args):.1f} s",
                    flush=True,
                )
            upstream = start_upstream(records, args.page_size, args.style, args.latency_ms)
            try:
                self.run_fetch(upstream, records)
                if "sqlite" in args.targets:
                    self.run_sqlite(upstream, records)
                if "postgresql" in args.targets:
                    self.run_postgres(upstream, records)
                if args.dlt and (index == 0 or args.dlt_every_size):
                    self.run_dlt(upstream, records)
            finally:
                upstream.stop()
        self.load_after = os.getloadavg()


def sequential_floor(records: int, args) -> float:
    """Seconds that fetching every page one after the other takes at the upstream's latency alone."""
    return max(1, -(-records // args.page_size)) * args.latency_ms / 1000


def _keep(result: dict) -> dict:
    """The child's result without what ``record()`` is given separately."""
    kept = {k: v for k, v in result.items() if k not in ("status", "error_message", "records", "phase")}
    kept.pop("peak_rss_kib", None)
    return kept


# --- report -----------------------------------------------------------------------------------


def machine_facts(pg: ThrowawayPostgres | None) -> dict:
    mem_kib = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    cpu = platform.processor() or ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg.version if pg else None,
        "load_average": os.getloadavg(),
    }


def print_machine(m: dict) -> None:
    print(
        f"MigrateIQ sync benchmark, {m['date']}: {m['cpus']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, "
        f"Python {m['python']}, SQLite {m['sqlite']}, PostgreSQL {m['postgresql'] or '-'}, "
        f"load average {m['load_average'][0]:.2f}"
    )


def summarise(results: list[dict]) -> dict:
    """Best and spread of records/s and the highest peak RSS per (records, target, phase)."""
    groups: dict[tuple, list[dict]] = {}
    for r in results:
        groups.setdefault((r["records"], r["target"], r["phase"]), []).append(r)
    summary = {}
    for key, runs in groups.items():
        rates = [r["records_per_second"] for r in runs]
        best = max(rates)
        summary[key] = {
            "best_rps": best,
            "worst_rps": min(rates),
            "median_rps": statistics.median(rates),
            "spread_pct": (best - min(rates)) / best * 100 if best else 0,
            "runs": len(runs),
            # per process: the syncing process or its page builder process, whichever is higher
            "peak_rss_mb": max(max(r["peak_rss_kib"], r.get("child_peak_rss_kib", 0)) for r in runs) / 1024,
            "rss_before_mb": max(r.get("rss_before_kib", 0) for r in runs) / 1024,
            # Records per CPU-second of the syncing process plus, for MigrateIQ on PostgreSQL, its
            # server backend (dlt: its own process only): steadier than wall-clock rates while
            # others load the machine, and close to the idle wall-clock rate of a serial sync.
            "best_rps_cpu": max(
                r["records"] / max(r.get("sync_cpu_seconds", 0) + r.get("server_cpu_seconds", 0), 1e-9)
                for r in runs
            ),
            "load_average": [round(r["load_average"], 1) for r in runs],
        }
    return summary


def print_report(bench: Bench) -> list[tuple[str, bool | None, str]]:
    args = bench.args
    summary = summarise(bench.results)
    order = {"fetch+parse": 0, "sqlite": 1, "postgresql": 2, "dlt": 3}
    print(
        f"\nResults (best of {args.repeat}; spread = (best - worst) / best; peak RSS = highest of the runs)\n"
    )
    header = (
        f"| {'records':>9} | {'target':<11} | {'phase':<9} | {'records/s':>9} | {'spread':>6} | peak RSS "
        f"| {'rec/CPU-s':>9} | load    |"
    )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for key in sorted(summary, key=lambda k: (k[0], order.get(k[1], 9), k[2] != "first")):
        s = summary[key]
        print(
            f"| {key[0]:>9,} | {key[1]:<11} | {key[2]:<9} | {s['best_rps']:>9,.0f} "
            f"| {s['spread_pct']:>5.1f}% | {s['peak_rss_mb']:5.0f} MB | {s['best_rps_cpu']:>9,.0f} "
            f"| {'/'.join(f'{x:.1f}' for x in s['load_average']):<7} |"
        )

    goals: list[tuple[str, bool | None, str]] = []
    first_size = args.sizes[0]

    def get(records, target, phase):
        return summary.get((records, target, phase))

    if args.latency_ms:
        return print_latency_report(bench, summary, get)

    pg = get(first_size, "postgresql", "first")
    dlt = get(first_size, "dlt", "first")
    if pg:
        dlt_rps = dlt["best_rps"] if dlt else DLT_REFERENCE_RPS
        source = "measured" if dlt else f"reference {DLT_REFERENCE_RPS:,}/s, dlt not run"
        ratio = pg["best_rps"] / dlt_rps
        goals.append(
            (
                f"PostgreSQL >= {GOAL_PG_VS_DLT:.0f}x dlt",
                ratio >= GOAL_PG_VS_DLT,
                f"MigrateIQ/dlt = {ratio:.2f}x ({pg['best_rps']:,.0f} vs {dlt_rps:,.0f} records/s, {source})",
            )
        )
    sqlite = get(first_size, "sqlite", "first")
    if sqlite:
        goals.append(
            (
                f"SQLite >= {GOAL_SQLITE_RPS:,} records/s",
                sqlite["best_rps"] >= GOAL_SQLITE_RPS,
                f"{sqlite['best_rps']:,.0f} records/s "
                f"({sqlite['best_rps'] / GOAL_SQLITE_RPS:.0%} of the goal)",
            )
        )
    for target in ("sqlite", "postgresql"):
        for records in args.sizes:
            first, resync = get(records, target, "first"), get(records, target, "resync")
            if first and resync:
                speedup = resync["best_rps"] / first["best_rps"]
                cpu_speedup = resync["best_rps_cpu"] / first["best_rps_cpu"]
                goals.append(
                    (
                        f"{target} re-sync >= {GOAL_RESYNC_SPEEDUP}x faster ({records:,})",
                        speedup >= GOAL_RESYNC_SPEEDUP,
                        f"{speedup:.2f}x ({resync['best_rps']:,.0f} vs {first['best_rps']:,.0f} records/s); "
                        f"in CPU time {cpu_speedup:.2f}x",
                    )
                )
    big = 1_000_000
    for target in ("sqlite", "postgresql"):
        for phase in ("first", "resync"):
            at_big, at_small = get(big, target, phase), get(100_000, target, phase)
            if at_big:
                ok = at_big["peak_rss_mb"] < GOAL_PEAK_RSS_MB_AT_1M
                detail = f"{at_big['peak_rss_mb']:.0f} MB at 1,000,000"
                if at_small:
                    growth = at_big["peak_rss_mb"] / at_small["peak_rss_mb"] - 1
                    ok = ok and growth <= GOAL_RSS_GROWTH
                    detail += f", {at_small['peak_rss_mb']:.0f} MB at 100,000 ({growth:+.0%})"
                goals.append((f"{target} {phase} peak RSS < {GOAL_PEAK_RSS_MB_AT_1M} MB, +<=20%", ok, detail))
    fetch = get(first_size, "fetch+parse", "ceiling")
    if fetch and sqlite:
        goals.append(
            (
                "(context) SQLite sync vs the bare fetch+parse ceiling",
                None,
                f"{sqlite['best_rps'] / fetch['best_rps']:.0%} of {fetch['best_rps']:,.0f} records/s",
            )
        )

    print_goals(bench, goals)
    return goals


def print_goals(bench: Bench, goals: list[tuple[str, bool | None, str]]) -> None:
    print(f"\nGoals (sync path: {bench.args.path})")
    for name, ok, detail in goals:
        mark = "  -  " if ok is None else ("MET " if ok else "MISS")
        print(f"  [{mark}] {name}: {detail}")
    la, lb = bench.load_before, bench.load_after
    print(
        f"\nLoad average (1/5/15 min): before {la[0]:.2f}/{la[1]:.2f}/{la[2]:.2f}, "
        f"after {lb[0]:.2f}/{lb[1]:.2f}/{lb[2]:.2f}"
    )


def print_latency_report(bench: Bench, summary: dict, get) -> list[tuple[str, bool | None, str]]:
    """With ``--latency-ms``: each measurement against the sequential floor, and the issue's goals."""
    args = bench.args
    records = args.sizes[0]
    floor = sequential_floor(records, args)
    pages = max(1, -(-records // args.page_size))
    print(
        f"\nAgainst the sequential floor: {pages:,} pages x {args.latency_ms} ms = {floor:.2f} s "
        "(ratio = floor / time: 1.0 is one page at a time, above 1 only by overlapping requests)\n"
    )
    print(f"| {'target':<11} | {'phase':<9} | {'records/s':>9} | {'seconds':>7} | ratio to floor |")
    print(f"|{'-' * 13}|{'-' * 11}|{'-' * 11}|{'-' * 9}|{'-' * 16}|")
    for (size, target, phase), s in sorted(summary.items(), key=lambda item: (item[0][1], item[0][2])):
        seconds = size / s["best_rps"] if s["best_rps"] else float("inf")
        print(
            f"| {target:<11} | {phase:<9} | {s['best_rps']:>9,.0f} | {seconds:>7.2f} "
            f"| {floor / seconds:>13.2f}x |"
        )
    goals: list[tuple[str, bool | None, str]] = []
    dlt = get(records, "dlt", "first")
    for target in ("sqlite", "postgresql"):
        ours = get(records, target, "first")
        if not ours:
            continue
        seconds = records / ours["best_rps"]
        goals.append(
            (
                f"{target}: >= {GOAL_LATENCY_VS_FLOOR:.0f}x faster than the sequential floor",
                floor / seconds >= GOAL_LATENCY_VS_FLOOR,
                f"{seconds:.2f} s against a {floor:.2f} s floor ({floor / seconds:.2f}x)",
            )
        )
        bare = next(
            (s for (size, t, _), s in summary.items() if size == records and t == "bare client"), None
        )
        if bare and bare["best_rps"]:
            bare_seconds = records / bare["best_rps"]
            goals.append(
                (
                    f"(context) {target} vs a bare httpx client with as many requests in flight",
                    None,
                    f"the bare client (fetch + json.loads, no database) took {bare_seconds:.2f} s "
                    f"({floor / bare_seconds:.2f}x the floor); the sync {seconds / bare_seconds:.2f}x that",
                )
            )
        if dlt:
            ratio = ours["best_rps"] / dlt["best_rps"]
            goals.append(
                (
                    f"{target}: >= {GOAL_LATENCY_VS_DLT:.0f}x dlt in the same run",
                    ratio >= GOAL_LATENCY_VS_DLT,
                    f"{ratio:.2f}x ({ours['best_rps']:,.0f} vs {dlt['best_rps']:,.0f} records/s)",
                )
            )
    print_goals(bench, goals)
    return goals


def ensure_dlt_venv(create: bool) -> None:
    if DLT_PYTHON.exists():
        return
    how = "python3.11 -m venv .venv-bench && .venv-bench/bin/pip install -r bench/requirements-dlt.txt"
    if not create:
        raise BenchError(
            f"dlt runs in its own virtualenv, {DLT_VENV}, which is missing. Create it with\n    {how}\n"
            "(or `make bench`, or pass --create-dlt-venv), or skip dlt with --no-dlt."
        )
    print(f"Creating {DLT_VENV} for dlt: {how}", flush=True)
    subprocess.run(["python3.11", "-m", "venv", str(DLT_VENV)], check=True)
    subprocess.run(
        [str(DLT_VENV / "bin" / "pip"), "install", "--quiet", "-r", str(DLT_REQUIREMENTS)], check=True
    )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="MigrateIQ sync throughput and memory, into SQLite and PostgreSQL, against dlt.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n")[1],
    )
    parser.add_argument("--records", type=int, default=100_000, help="records in the upstream (100000)")
    parser.add_argument(
        "--scale", action="store_true", help="run at 100,000 and 1,000,000 records (the memory goal)"
    )
    parser.add_argument("--style", choices=STYLES, default="page", help="pagination style (page)")
    parser.add_argument("--page-size", type=int, default=PAGE_SIZE, help="records a page (1000)")
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=0,
        help="the upstream waits this long before each answer, like an API across a network (0)",
    )
    parser.add_argument("--repeat", type=int, default=2, help="runs of each measurement (2)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=0,
        help="the connector's max_concurrent_requests (default: the connector default, 4)",
    )
    parser.add_argument(
        "--path",
        choices=PATHS,
        default="worker",
        help="where the sync runs: 'worker' decides where pages are built as a Celery worker does "
        "(make run, production; MIGRATEIQ_SYNC_BUILD_PROCESS=auto: a first load in a second process, "
        "a re-sync in the run's thread), 'inline' builds every page in the run's thread (worker)",
    )
    parser.add_argument(
        "--targets", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql (both)"
    )
    parser.add_argument("--no-dlt", dest="dlt", action="store_false", help="skip the dlt comparison")
    parser.add_argument(
        "--dlt-every-size", action="store_true", help="with --scale, run dlt at 1,000,000 records too"
    )
    parser.add_argument("--create-dlt-venv", action="store_true", help="create .venv-bench if missing")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help=f"PostgreSQL server ({DEFAULT_PG_URL})")
    parser.add_argument(
        "--profile", action="store_true", help="also a pyinstrument profile of one first sync per target"
    )
    parser.add_argument("--json", default=str(OUTPUT_DIR / "last-run.json"), help="where to write results")
    parser.add_argument("--keep-temp", action="store_true", help="keep the temp directory (logs)")
    args = parser.parse_args(argv)
    aliases = {"postgres": "postgresql", "pg": "postgresql"}
    args.targets = [aliases.get(t.strip(), t.strip()) for t in args.targets.split(",") if t.strip()]
    unknown = set(args.targets) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}")
    args.sizes = [100_000, 1_000_000] if args.scale else [args.records]
    if args.repeat < 1 or args.page_size < 1 or min(args.sizes) < 1:
        parser.error("--repeat, --page-size and --records must be positive")
    if not 0 <= args.concurrency <= 16:
        parser.error("--concurrency must be between 1 and 16")
    if args.latency_ms < 0:
        parser.error("--latency-ms may not be negative")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    bench = None
    try:
        if not MAIN_PYTHON.exists():
            raise BenchError(f"{MAIN_PYTHON} is missing: run `make install` first.")
        if args.dlt:
            ensure_dlt_venv(args.create_dlt_venv)
        bench = Bench(args)
        bench.run()
        goals = print_report(bench)
        out = bench.save(goals)
        print(f"Results written to {out}" + (f"; child logs in {bench.work}" if args.keep_temp else ""))
        return 0
    except BenchError as exc:
        print(f"\nbench: {exc}", file=sys.stderr)
        return 2
    finally:
        if bench:
            bench.close()


if __name__ == "__main__":
    sys.exit(main())
