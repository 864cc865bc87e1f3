"""The image's HEALTHCHECK: ``GET /healthz`` on the local web process answers 200.

The ``Host`` header is the first of ``ALLOWED_HOSTS`` (Django answers 400 to any other host), and
``/healthz`` is exempt from the HTTPS redirect, so plain HTTP on the loopback is enough. Only the
web process listens: Compose turns this check off for workers and beat.
"""

import http.client
import os
import sys


def main() -> int:
    bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
    port = int(bind.rsplit(":", 1)[-1])
    first = os.environ.get("ALLOWED_HOSTS", "").split(",")[0].strip().lstrip(".")
    host = first if first and first != "*" else "localhost"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=4)
    try:
        connection.request("GET", "/healthz", headers={"Host": host})
        status = connection.getresponse().status
    except OSError as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
