"""Serve MigrateIQ's sample upstream "users" API in the foreground (``make run`` starts it)."""

import ipaddress
import signal
import threading
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo_extension.sample_upstream import AUTH_STYLES, STYLES, SampleUpstream


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Command(BaseCommand):
    help = (
        "Serve the sample upstream users API (every pagination and auth style a connector supports) "
        "until Ctrl-C. Host, port and path default to MIGRATEIQ_DEMO_API_URL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", help="address to listen on (default: from MIGRATEIQ_DEMO_API_URL)")
        parser.add_argument("--port", type=int, help="port (default: from MIGRATEIQ_DEMO_API_URL; 0 = any)")
        parser.add_argument("--records", type=int, default=500, help="number of users (default 500)")
        parser.add_argument("--page-size", type=int, default=50, help="default page size (default 50)")
        parser.add_argument("--style", choices=STYLES, default="page", help="pagination style")
        parser.add_argument("--api-key", help="require this key (default: no authentication)")
        parser.add_argument("--auth", choices=AUTH_STYLES, default="bearer", help="how the key is sent")
        parser.add_argument("--seed", type=int, default=0, help="data seed (same seed, same data)")
        parser.add_argument(
            "--data-version", type=int, default=0, help="> 0 changes every 10th user (to try re-syncs)"
        )
        parser.add_argument("--slow-ms", type=int, default=0, help="delay every answer (milliseconds)")
        parser.add_argument(
            "--fail-first",
            type=int,
            default=0,
            help="answer the first N page requests with --fail-status (to try retries and rate limits)",
        )
        parser.add_argument(
            "--fail-status", type=int, default=429, help="the status of those answers (default 429)"
        )
        parser.add_argument(
            "--retry-after", type=int, help="send Retry-After: SECONDS with them (a rate limit's pause)"
        )

    def handle(self, *args, **options):
        configured = urlsplit(settings.MIGRATEIQ_DEMO_API_URL)
        host = options["host"] or configured.hostname or "127.0.0.1"
        port = options["port"] if options["port"] is not None else (configured.port or 8001)
        if not options["host"] and not is_loopback(host):
            raise CommandError(
                f"Refusing to serve the demo API on non-loopback host {host!r} from "
                "MIGRATEIQ_DEMO_API_URL; pass --host explicitly to expose it."
            )
        if options["records"] < 0 or options["page_size"] < 1:
            raise CommandError("--records must be 0 or more and --page-size at least 1.")
        if options["fail_first"] < 0 or not 400 <= options["fail_status"] <= 599:
            raise CommandError("--fail-first must be 0 or more and --fail-status an HTTP error (400-599).")
        if options["retry_after"] is not None and options["retry_after"] < 0:
            raise CommandError("--retry-after must be 0 or more seconds.")
        upstream = SampleUpstream(
            records=options["records"],
            page_size=options["page_size"],
            style=options["style"],
            api_key=options["api_key"] or None,
            auth=options["auth"],
            seed=options["seed"],
            version=options["data_version"],
            slow_ms=options["slow_ms"],
            fail_first=options["fail_first"],
            fail_status=options["fail_status"],
            retry_after=options["retry_after"],
            host=host,
            port=port,
            path=configured.path if configured.path not in ("", "/") else "/users",
            # A long-running demo server must not keep every request in memory.
            record_requests=False,
        )
        try:
            upstream.start()
        except OSError as exc:
            raise CommandError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        if not is_loopback(host):
            self.stderr.write(self.style.WARNING(f"The demo API is reachable from other machines ({host})."))
        auth = f", API key required ({options['auth']})" if upstream.api_key else ""
        if options["fail_first"]:
            wait = (
                f" with Retry-After: {options['retry_after']}" if options["retry_after"] is not None else ""
            )
            auth += f", the first {options['fail_first']} page requests answer {options['fail_status']}{wait}"
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo API: {upstream.url} ({upstream.records} users, {upstream.style} pagination, "
                f"{upstream.page_size} per page{auth}). Ctrl-C to stop."
            )
        )
        self.stdout.flush()
        stopping = threading.Event()
        # `make run` stops its background processes with SIGTERM: stop as cleanly as on Ctrl-C.
        previous = signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        # Ctrl-C stops it however it was started: a process started in the background of a script
        # (or under anything that ignores SIGINT) inherits SIGINT ignored, and Python then never
        # raises KeyboardInterrupt.
        previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            while not stopping.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            signal.signal(signal.SIGINT, previous_int)
            upstream.stop()
        self.stdout.write("Demo API stopped.")
