"""A separate worker process for the request-budget tests: ``python -m core.tests.budget_client JSON``.

It configures Django from its environment: Redis as its cache (``REDIS_URL`` / ``CACHE_KEY_PREFIX``,
like a production worker) or a shared ``MIGRATEIQ_REQUEST_BUDGET_FILE`` (the embedded default). It
prints ``ready`` and waits for a line on its stdin (so that every process of a test starts sending
at the same moment, however long its start-up took), then sends ``requests`` GETs from each of
``threads`` threads through ``OutboundClient``, each thread with its own ``RequestBudget`` of the
test's key. It prints one JSON line: the statuses.
"""

from __future__ import annotations

import json
import os
import sys
import threading


def main(options: dict) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "migrateiq.settings")
    import django

    django.setup()
    from core.budget import RequestBudget
    from core.http import OutboundClient
    from core.http_errors import OutboundError

    statuses: list[int | str] = []
    lock = threading.Lock()

    def warmed_client() -> OutboundClient:
        # Its connection is opened now (the upstream does not record a warm-up), so the measured
        # requests do not include connecting and the server starting a thread for the connection.
        client = OutboundClient(max_attempts=options.get("attempts", 3))
        client.get(options["url"] + "&warmup=1")
        client.budget = RequestBudget(
            options["key"], per_second=options.get("per_second"), concurrent=options.get("concurrent", 4)
        )
        return client

    def send(client: OutboundClient) -> None:
        with client:
            for _ in range(options["requests"]):
                try:
                    status: int | str = client.get(options["url"]).status_code
                except OutboundError as exc:
                    status = str(exc)
                with lock:
                    statuses.append(status)

    threads = [threading.Thread(target=send, args=(warmed_client(),)) for _ in range(options["threads"])]
    print("ready", flush=True)
    sys.stdin.readline()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"statuses": statuses}), flush=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
