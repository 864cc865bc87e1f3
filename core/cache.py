"""Per-tenant cached reads with versioned invalidation.

Each tenant has a *version token* per namespace, stored in the cache itself. Cached values live
under keys that include the token, so invalidating a tenant is one write (a new token): old entries
are simply never read again and expire on their own. There is no key scanning, and it works the
same with Redis (``REDIS_URL``) and with the local-memory cache of the embedded default.

A reader takes the token *before* computing, so a value computed while a write commits is stored
under the old token and never served after the bump. Invalidation bumps at once and, inside a
transaction, once more when it commits: a reader between the two bumps could otherwise cache data
that the transaction is about to change.

Tokens are random, not counters, so a token evicted from the cache cannot come back and revive
entries that were invalidated.

A process-local cache (the embedded default's local-memory cache) cannot see invalidations made by
another process, e.g. a Celery worker finishing a sync, so there values are kept for at most
:data:`PROCESS_LOCAL_MAX_TIMEOUT` seconds. With Redis (``REDIS_URL``) every process shares the
tokens and invalidation is immediate everywhere.
"""

import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction

DEFAULT_TIMEOUT = 300
PROCESS_LOCAL_MAX_TIMEOUT = 10


def _version_key(namespace: str, tenant_id: int) -> str:
    return f"tenant-version:{namespace}:{tenant_id}"


def tenant_version(namespace: str, tenant_id: int) -> str:
    """The current version token of ``tenant_id``'s cached ``namespace`` data (created if missing)."""
    key = _version_key(namespace, tenant_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        version = cache.get(key)
    return version


def tenant_cache_key(namespace: str, tenant_id: int, name: str) -> str:
    return f"tenant:{namespace}:{tenant_id}:{tenant_version(namespace, tenant_id)}:{name}"


def cached_for_tenant(
    namespace: str, tenant_id: int, name: str, compute: Callable[[], Any], timeout: int = DEFAULT_TIMEOUT
) -> Any:
    """``compute()``, cached for ``tenant_id`` until :func:`invalidate_tenant` or ``timeout`` seconds."""
    key = tenant_cache_key(namespace, tenant_id, name)
    value = cache.get(key)
    if value is None:
        value = compute()
        if isinstance(caches[DEFAULT_CACHE_ALIAS], LocMemCache):
            timeout = min(timeout, PROCESS_LOCAL_MAX_TIMEOUT)
        cache.set(key, value, timeout)
    return value


def _bump(namespace: str, tenant_id: int) -> None:
    cache.set(_version_key(namespace, tenant_id), uuid.uuid4().hex, timeout=None)


def invalidate_tenant(namespace: str, tenant_id: int) -> None:
    """Make every cached ``namespace`` value of ``tenant_id`` stale, now and when the transaction commits."""
    _bump(namespace, tenant_id)
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _bump(namespace, tenant_id))
