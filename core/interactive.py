"""Upstream calls made on a web thread: a short total deadline, and one call in flight per user.

A person waits for ``test_connection`` (and the connector preview) while a web thread calls the
connector's upstream. An upstream that answers one byte a second held that thread for as long as it
liked, and four such calls held every thread of a server process: other tenants' requests queued
behind them (``GET /api/auth/me/`` took 23 s). Wrapping the view method with
:func:`bounded_upstream_call` bounds both:

* every outbound request inside the view, retries and redirects included, ends within
  ``MIGRATEIQ_INTERACTIVE_DEADLINE_SECONDS`` (default 10 s) in total (``core.http.total_deadline``);
* a user has at most one such call in flight (all wrapped views together, keyed in the shared
  cache); a second one is answered 429 at once instead of taking another thread.

So one user holds at most one web thread for at most the deadline. With the embedded default's
local-memory cache the in-flight rule holds per server process. Usage, one line on a view method::

    @bounded_upstream_call
    @action(detail=True, methods=["post"])
    def test_connection(self, request, pk=None): ...
"""

import functools
import secrets

from django.conf import settings
from django.core.cache import cache
from rest_framework import status

from core.exceptions import error_response
from core.http import total_deadline

IN_FLIGHT_MESSAGE = (
    "Another call of yours to an upstream is still in progress; wait for it to finish, then try again."
)


def _in_flight_key(request) -> str:
    return f"upstream-call-in-flight:{request.user.pk}"


def bounded_upstream_call(view_method):
    """Run a DRF view method under the interactive deadline, one at a time per user (429 otherwise)."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        seconds = float(settings.MIGRATEIQ_INTERACTIVE_DEADLINE_SECONDS)
        key = _in_flight_key(request)
        mine = secrets.token_hex(8)
        # The entry outlives the deadline a little: if this process dies mid-call, the user is not
        # locked out for longer than that.
        if not cache.add(key, mine, timeout=int(seconds) + 5):
            response = error_response(IN_FLIGHT_MESSAGE, status.HTTP_429_TOO_MANY_REQUESTS)
            response["Retry-After"] = str(max(1, int(seconds)))
            return response
        try:
            with total_deadline(seconds):
                return view_method(self, request, *args, **kwargs)
        finally:
            if cache.get(key) == mine:
                cache.delete(key)

    return wrapper
