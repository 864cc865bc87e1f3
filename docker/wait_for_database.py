"""Wait until the database of ``DATABASE_URL`` accepts connections (container start-up).

Exits 0 at once without ``DATABASE_URL`` (the embedded SQLite needs no waiting), 0 as soon as a
connection succeeds, and 1 with the last error (the password never printed) after
``MIGRATEIQ_DATABASE_WAIT_SECONDS`` (default 60).
"""

import os
import sys
import time

import dj_database_url
import psycopg


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return 0
    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        return 0
    deadline = time.monotonic() + float(os.environ.get("MIGRATEIQ_DATABASE_WAIT_SECONDS", "60"))
    where = f"{config.get('HOST') or 'localhost'}:{config.get('PORT') or 5432}/{config.get('NAME')}"
    while True:
        try:
            psycopg.connect(
                host=config.get("HOST") or None,
                port=config.get("PORT") or None,
                dbname=config.get("NAME"),
                user=config.get("USER") or None,
                password=config.get("PASSWORD") or None,
                connect_timeout=3,
            ).close()
            return 0
        except psycopg.OperationalError as exc:
            error = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if time.monotonic() >= deadline:
                print(f"wait_for_database: {where} is not reachable: {error}", file=sys.stderr)
                return 1
            print(f"wait_for_database: waiting for {where} ({error})", file=sys.stderr)
            time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
