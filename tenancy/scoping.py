"""Is a query of a tenant-owned model scoped to a tenant? The check behind ``TenantQuerySet``.

Every query of a tenant-owned model (``tenancy.models.TenantOwnedMixin``) either narrows itself to
a tenant's rows or says why it spans tenants with ``.unscoped("reason")``. With
``settings.MIGRATEIQ_TENANT_SCOPE_CHECK = "raise"`` (the test suites: ``tenancy.testing``) a query
that does neither raises :class:`UnscopedTenantQuery` when it is evaluated; ``"off"`` (the
production default) skips the check: one setting read per evaluation.

A query is *scoped* when its WHERE clause, at its top level (conditions joined by AND; an OR or XOR
counts when each branch does; a negated condition never counts), compares for equality or
membership (``exact`` / ``in``) one of these columns, of the queried model or of a model reached
through a relation:

* a tenant column: a foreign key to ``Tenant`` (``tenant=``, ``tenant_id=``,
  ``connector__tenant=``), or a ``Tenant``'s own primary key or slug (``tenant__slug=``);
* the primary key of a tenant-owned model (``pk=``, ``pk__in=``; ``Model.objects.get(pk=...)``);
* a foreign key to a tenant-owned model (``connector=``, ``sync_log_id=``, ``connector__in=[...]``,
  a related manager such as ``connector.sync_logs.all()``, the ``__in`` queries of
  ``prefetch_related``).

A value, a list of values or a reference to an outer query's row scopes; a subquery scopes when it
is itself scoped by these rules. ``.none()`` is scoped (it reads nothing); a ``union`` (or
``intersection`` / ``difference``) is scoped when each of its queries is.

What is not checked: Django's own lookups through a model's *base* manager, which is a plain
manager (forward relations such as ``sync_log.connector``, ``refresh_from_db()``, ``save()``, the
cascade of a ``delete()``), all of them by primary key or foreign key already; models that are not
tenant-owned; ``raw()`` SQL and inserts (``create()``, ``bulk_create()`` set the tenant).
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from types import FrameType
from typing import Any

import django
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db.models.expressions import Col
from django.db.models.sql.query import Query
from django.db.models.sql.where import AND, NothingNode, WhereNode

TENANT_LABEL = "tenancy.Tenant"
_MATCHING_LOOKUPS = frozenset({"exact", "in"})
_OWN_FILES = (os.path.join("tenancy", "scoping.py"), os.path.join("tenancy", "models.py"))

#: The attribute of a ``Query`` that holds the reason given to ``.unscoped(reason)``. On the query
#: rather than the queryset, so that it survives every clone (``Query.clone()`` copies attributes).
UNSCOPED_REASON = "tenant_unscoped_reason"


class UnscopedTenantQuery(RuntimeError):
    """A query of a tenant-owned model was evaluated without a tenant scope (the check is on)."""


def scope_check_mode() -> str:
    return getattr(settings, "MIGRATEIQ_TENANT_SCOPE_CHECK", "off")


def unscoped_reason(query: Query) -> str:
    return getattr(query, UNSCOPED_REASON, "")


@functools.cache
def is_tenant_owned(model) -> bool:
    """A model whose rows each belong to one tenant: it has a ``tenant`` foreign key to ``Tenant``."""
    try:
        field = model._meta.get_field("tenant")
    except FieldDoesNotExist:
        return False
    related = getattr(field, "related_model", None)
    return related is not None and related._meta.label == TENANT_LABEL


def _scoping_column(target) -> bool:
    """Whether comparing ``target`` (a field) with a value narrows the rows to one tenant's."""
    model = target.model
    if model._meta.label == TENANT_LABEL:
        return target.primary_key or target.name == "slug"
    related = getattr(target, "related_model", None) if target.is_relation else None
    if related is not None:
        return related._meta.label == TENANT_LABEL or is_tenant_owned(related)
    return target.primary_key and is_tenant_owned(model)


def _scopes(child: Any) -> bool:
    if isinstance(child, NothingNode):
        return True
    if isinstance(child, WhereNode):
        return node_is_scoped(child)
    if getattr(child, "lookup_name", None) not in _MATCHING_LOOKUPS:
        return False
    lhs = child.lhs
    if not isinstance(lhs, Col) or not _scoping_column(lhs.target):
        return False
    rhs = child.rhs
    subquery = rhs if isinstance(rhs, Query) else getattr(rhs, "query", None)
    if isinstance(subquery, Query):
        return query_is_scoped(subquery)
    return True


def node_is_scoped(node: WhereNode) -> bool:
    if node.negated or not node.children:
        return False
    if node.connector == AND:
        return any(_scopes(child) for child in node.children)
    # OR / XOR: every row matches at least one branch, so each branch must scope.
    return all(_scopes(child) for child in node.children)


def query_is_scoped(query: Query) -> bool:
    """Whether ``query`` reads (or writes) rows of known tenants only: see the module's docstring."""
    if query.combinator:
        return all(query_is_scoped(part) for part in query.combined_queries)
    return node_is_scoped(query.where)


# Each UnscopedTenantQuery raised in this process, until taken: code that catches every exception
# (a hook's handler, the engine's run loop) would otherwise hide one from the test that caused it.
# ``tenancy.testing`` fails such a test with these messages.
_raised: list[str] = []
_raised_lock = threading.Lock()


def take_raised() -> list[str]:
    """The messages of the ``UnscopedTenantQuery`` errors raised since the last call (and forget them)."""
    with _raised_lock:
        taken = _raised[:]
        _raised.clear()
    return taken


def _describe(query: Query) -> str:
    """The query's WHERE clause (what the check read), shortened; its values stay placeholders."""
    try:
        sql, _ = query.sql_with_params()
    except Exception:
        return ""
    where = sql.find(" WHERE ")
    if where < 0:
        return " The query has no WHERE clause."
    clause = sql[where + 1 :]
    return f" {clause[:300]}{'...' if len(clause) > 300 else ''}"


_LIBRARY_DIRS = (os.path.dirname(os.path.dirname(django.__file__)), os.path.dirname(os.__file__))


def _caller() -> str:
    """Where the query was evaluated: the first frame outside the libraries (Django, DRF, Celery,
    the standard library) and this check."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        path = frame.f_code.co_filename
        if not path.startswith(_LIBRARY_DIRS) and not path.endswith(_OWN_FILES):
            return f" Evaluated at {path}:{frame.f_lineno} in {frame.f_code.co_name}."
        frame = frame.f_back
    return ""


def refuse_unscoped(query: Query, operation: str) -> None:
    """Raise :class:`UnscopedTenantQuery` for ``query`` unless it is scoped or marked unscoped."""
    if unscoped_reason(query) or query_is_scoped(query):
        return
    model = query.model
    label = model._meta.label if model is not None else "a tenant-owned model"
    message = (
        f"Unscoped query of {label} ({operation}): filter it by tenant (.for_tenant(tenant), "
        "tenant=..., a tenant-owned relation or primary key), or call .unscoped(reason) if it "
        f"deliberately spans tenants.{_caller()}{_describe(query)}"
    )
    with _raised_lock:
        _raised.append(message)
    raise UnscopedTenantQuery(message)
