"""Work that holds a web thread while a person waits: a short total deadline, and interactive slots
(one per user, a few per tenant).

A person waits for ``test_connection`` (and the connector preview) while a web thread calls the
connector's upstream. An upstream that answers one byte a second held that thread for as long as it
liked, and four such calls held every thread of a server process: other tenants' requests queued
behind them (``GET /api/auth/me/`` took 23 s). Wrapping the view method with
:func:`bounded_upstream_call` bounds that:

* every outbound request inside the view, retries and redirects included, ends within
  ``MIGRATEIQ_INTERACTIVE_DEADLINE_SECONDS`` (default 10 s) in total (``core.http.total_deadline``);
* the call takes an *interactive slot* (:func:`interactive_slot`): a user has at most one, and a
  tenant at most ``MIGRATEIQ_TENANT_INTERACTIVE_SLOTS`` (default 2), all wrapped views and waits
  for a run (``?wait=``) together, keyed in the shared cache. A call that finds no slot is answered
  429 at once, saying which limit it hit and when to try again, instead of taking another thread.

So one user holds at most one web thread, and one tenant (however many members it invites) at most
``MIGRATEIQ_TENANT_INTERACTIVE_SLOTS``, each for at most its deadline. With the embedded default's
local-memory cache the slots are counted per server process. Usage, one line on a view method::

    @bounded_upstream_call
    @action(detail=True, methods=["post"])
    def test_connection(self, request, pk=None): ...

A view that can do without the wait (a sync's ``?wait=``) takes a slot with
:func:`interactive_slot` and skips the wait when none is free.
"""

import contextlib
import functools
import math
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from rest_framework import status

from core.exceptions import error_response
from core.http import total_deadline

IN_FLIGHT_MESSAGE = (
    "Another call of yours that holds a web thread (an upstream or connection test, a preview, a wait "
    "for a run) is still in progress; one user has one at a time. Try again in {seconds} s."
)
# The cache entry of a slot outlives its holder's bound a little: if the process dies mid-call, the
# slot comes free this long after the call would have ended.
_SLOT_GRACE_SECONDS = 5


@dataclass(frozen=True)
class NoSlot:
    """Why no interactive slot was free, and in how many seconds one should be (``Retry-After``)."""

    message: str
    retry_after: int

    def response(self):
        response = error_response(self.message, status.HTTP_429_TOO_MANY_REQUESTS)
        response["Retry-After"] = str(self.retry_after)
        return response


def _in_flight_key(request) -> str:
    return f"upstream-call-in-flight:{request.user.pk}"


def _tenant_slot_keys(request) -> list[str]:
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return []
    return [f"interactive-slot:{tenant.pk}:{n}" for n in range(settings.MIGRATEIQ_TENANT_INTERACTIVE_SLOTS)]


def _seconds_left(keys: list[str], fallback: float) -> int:
    """Seconds until the first of the slots held under ``keys`` is due to end (their values are
    ``"<token> <end as a Unix time>"``: the cache is shared by processes), at least 1."""
    ends = []
    for value in cache.get_many(keys).values():
        with contextlib.suppress(ValueError, AttributeError, IndexError):
            ends.append(float(str(value).split(" ", 1)[1]))
    wait = min(ends) - time.time() if ends else fallback
    return max(1, math.ceil(min(wait, fallback)))


@contextlib.contextmanager
def interactive_slot(request, seconds: float) -> Iterator[NoSlot | None]:
    """Hold the user's interactive slot and one of the tenant's for up to ``seconds``: yields ``None``
    when both were free (they are given back when the block ends), else the :class:`NoSlot` saying
    which limit was hit (nothing is held then)."""
    hold = math.ceil(seconds) + _SLOT_GRACE_SECONDS
    mine = f"{secrets.token_hex(8)} {time.time() + seconds}"
    user_key = _in_flight_key(request)
    if not cache.add(user_key, mine, timeout=hold):
        retry_after = _seconds_left([user_key], seconds)
        yield NoSlot(IN_FLIGHT_MESSAGE.format(seconds=retry_after), retry_after)
        return
    held = [user_key]
    try:
        tenant_keys = _tenant_slot_keys(request)
        tenant_key = next((key for key in tenant_keys if cache.add(key, mine, timeout=hold)), None)
        if tenant_keys and tenant_key is None:
            retry_after = _seconds_left(tenant_keys, seconds)
            yield NoSlot(
                f"Your tenant already has {len(tenant_keys)} calls in progress that hold a web thread "
                f"(upstream and connection tests, previews, waits for a run), the most one tenant may "
                f"have (MIGRATEIQ_TENANT_INTERACTIVE_SLOTS); try again in {retry_after} s.",
                retry_after,
            )
            return
        if tenant_key is not None:
            held.append(tenant_key)
        yield None
    finally:
        for key in held:
            # another holder's entry (ours expired and was taken) is left alone
            if cache.get(key) == mine:
                cache.delete(key)


def bounded_upstream_call(view_method):
    """Run a DRF view method under the interactive deadline, in an interactive slot (429 otherwise)."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        seconds = float(settings.MIGRATEIQ_INTERACTIVE_DEADLINE_SECONDS)
        with interactive_slot(request, seconds) as refused:
            if refused is not None:
                return refused.response()
            with total_deadline(seconds):
                return view_method(self, request, *args, **kwargs)

    return wrapper
