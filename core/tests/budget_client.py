"""A separate worker process for the request-budget tests: ``python -m core.tests.budget_client JSON``.

It configures Django with Redis as its cache (``REDIS_URL`` / ``CACHE_KEY_PREFIX`` in its
environment, like a production worker), waits for the wall-clock ``start_at`` so that every process
of a test sends at the same time, then sends ``requests`` GETs from each of ``threads`` threads
through ``OutboundClient`` with one ``RequestBudget``. It prints one JSON line: the statuses.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time


def main(options: dict) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "migrateiq.settings")
    import django

    django.setup()
    from core.budget import RequestBudget
    from core.http import OutboundClient
    from core.http_errors import OutboundError

    statuses: list[int | str] = []
    lock = threading.Lock()

    def send() -> None:
        budget = RequestBudget(
            options["key"], per_second=options.get("per_second"), concurrent=options.get("concurrent", 4)
        )
        with OutboundClient(max_attempts=options.get("attempts", 3), budget=budget) as client:
            for _ in range(options["requests"]):
                try:
                    status: int | str = client.get(options["url"]).status_code
                except OutboundError as exc:
                    status = str(exc)
                with lock:
                    statuses.append(status)

    threads = [threading.Thread(target=send) for _ in range(options["threads"])]
    time.sleep(max(options["start_at"] - time.time(), 0))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"statuses": statuses}), flush=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
