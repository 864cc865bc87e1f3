"""One object of every tenant-owned kind, for the isolation, role and fuzz tests.

The platform seeds its own kinds here; each installed module adds its own through the fixtures its
``ModuleConfig.platform_test_fixtures`` names (see ``core/extensions.py``). Such a fixtures module
may define (every name optional):

``seed(tenant, marker, now) -> dict[str, object]``
    one object of each of the module's tenant-owned kinds in ``tenant``, with ``marker`` written into
    every text the API can show; the returned names become attributes of the :class:`TenantGraph`
    (``graph.connector``).
``TENANT_ROWS``: ``{model: lambda tenant: Q(...)}``
    how to find one tenant's rows of each of the module's models.
``PARAM_MODELS``: ``{"connector_pk": Model}``
    the model whose id a path parameter of the module's routes takes.
``MINIMUM_ROLE`` / ``BODIES``
    the role matrix rows of the module's routes and valid bodies for its writes
    (``tenancy/tests/test_role_matrix.py``).
``COMPUTED_ANSWERS`` / ``EXPECTED_ROUTES`` / ``isolation_body(graph)`` / ``isolation_queries(graph, marker)``
    for ``tenancy/tests/test_isolation.py``: POST routes that create nothing (with why), routes the
    inventory must contain, and the body fields and list filters that point at another tenant's objects.
``SCHEMA_RULES_BEYOND_OPENAPI``
    operations of the published schema whose bodies are checked by rules OpenAPI cannot state
    (``core/tests/test_schema_fuzz.py``).
``many_rows(tenant, graph, n)``
    more than a page of every kind the module lists (``core/tests/test_security_config.py``).

``test_every_object_kind_of_a_tenant_is_seeded`` fails when a model of a MigrateIQ app is added
without saying how to create one (and so how to prove it is scoped).
"""

import hashlib
import json
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from core.extensions import installed_modules, platform_test_fixtures
from core.models import BackgroundTick
from destinations.models import (
    CONNECTOR_MODEL,
    Destination,
    DestinationAttachment,
    DestinationLoad,
    LoadStatus,
)
from tenancy.models import EndedSession, Invitation, Membership, Role, Tenant

User = get_user_model()


def module_fixtures() -> list:
    """The installed modules' fixtures for these tests."""
    return platform_test_fixtures()


def from_modules(name: str) -> dict:
    """The dictionaries ``name`` of every module's fixtures, merged (a key defined twice is an error)."""
    merged: dict = {}
    for fixtures in module_fixtures():
        for key, value in getattr(fixtures, name, {}).items():
            if key in merged:
                raise AssertionError(f"{fixtures.__name__}.{name}: {key!r} is defined by another module too")
            merged[key] = value
    return merged


def module_sets(name: str) -> set:
    """The union of the sets ``name`` of every module's fixtures."""
    return {item for fixtures in module_fixtures() for item in getattr(fixtures, name, ())}


def module_functions(name: str) -> list:
    """The functions ``name`` of every module's fixtures that define one."""
    return [getattr(f, name) for f in module_fixtures() if hasattr(f, name)]


class TenantGraph:
    """A tenant's seeded objects by name: ``tenant``, ``admin``, ``member``, ``invitation``,
    ``destination``, ``attachment``, ``load`` and whatever the modules' ``seed`` returned."""

    def __init__(self, **objects):
        self.objects = objects

    def __getattr__(self, name):
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(f"no seeded object named {name!r}") from None

    def object_for(self, model):
        """The object of ``model`` that routes taking an id of that model are called with."""
        for value in self.objects.values():
            if type(value) is model:
                return value
        raise LookupError(
            f"no seeded {model.__name__}: seed one (tenancy/tests/seed.py or the module's seed)"
        )


def seed_tenant(tenant: Tenant, marker: str) -> TenantGraph:
    """A complete object graph in ``tenant``; ``marker`` is written into every text the API can show."""
    admin = User.objects.create_user(email=f"admin-{marker}@{tenant.slug}.test", password="correct-horse-9")
    Membership.objects.create(user=admin, tenant=tenant, role=Role.ADMIN)
    viewer = User.objects.create_user(email=f"viewer-{marker}@{tenant.slug}.test", password="correct-horse-9")
    member = Membership.objects.create(user=viewer, tenant=tenant, role=Role.VIEWER)
    now = timezone.now()
    invitation = Invitation.objects.create(
        tenant=tenant,
        email=f"invitee-{marker}@{tenant.slug}.test",
        role=Role.EDITOR,
        token_hash=hashlib.sha256(f"{marker}-invitation".encode()).hexdigest(),
        invited_by=admin,
        expires_at=now + timedelta(days=7),
    )
    graph = TenantGraph(tenant=tenant, admin=admin, member=member, invitation=invitation)
    for seed in module_functions("seed"):
        for name, obj in seed(tenant, marker, now).items():
            if name in graph.objects:
                raise AssertionError(f"{seed.__module__}.seed: the name {name!r} is taken")
            graph.objects[name] = obj
    # Destinations load a connector's records: they are seeded after the module that holds them.
    connector = graph.object_for(apps.get_model(CONNECTOR_MODEL))
    destination = Destination.objects.create(
        tenant=tenant,
        name=f"{marker} destination",
        host="127.0.0.1",
        port=9,
        database=f"{marker}_db",
        username="loader",
        password=f"{marker}-db-password",
    )
    graph.objects["destination"] = destination
    graph.objects["attachment"] = DestinationAttachment.objects.create(
        tenant=tenant, destination=destination, connector=connector, table_name=f"{marker}_table"
    )
    graph.objects["load"] = DestinationLoad.objects.create(
        tenant=tenant,
        destination=destination,
        connector=connector,
        status=LoadStatus.FAILED,
        error_message=f"{marker} load failed",
    )
    return graph


#: Path parameter -> the model whose id it takes; ``None``: the model of the route's viewset.
PARAM_MODELS = {
    "pk": None,
    "id": None,
    "member_pk": Membership,
    "membership_pk": Membership,
    **from_modules("PARAM_MODELS"),
}


def model_of_param(route, param):
    if param not in PARAM_MODELS:
        raise AssertionError(
            f"{route.pattern}: the isolation test does not know which object id to put in "
            f"{{{param}}}; add {param!r} to PARAM_MODELS (the module's, for a module's route)"
        )
    model = PARAM_MODELS[param] or route.model
    if model is None:
        raise AssertionError(
            f"{route.pattern}: cannot tell the model of {{{param}}} (no queryset on the view)"
        )
    return model


def ids_for(route, graph):
    return {param: graph.object_for(model_of_param(route, param)).pk for param in route.params}


#: How to find one tenant's rows of each model (a queryset filter), or None for data that is global.
TENANT_ROWS = {
    Tenant: lambda t: Q(pk=t.pk),
    User: lambda t: Q(memberships__tenant=t),
    Membership: lambda t: Q(tenant=t),
    Invitation: lambda t: Q(tenant=t),
    EndedSession: lambda t: Q(user__memberships__tenant=t),  # per account, as User
    Destination: lambda t: Q(tenant=t),
    DestinationAttachment: lambda t: Q(tenant=t),
    DestinationLoad: lambda t: Q(tenant=t),
    BackgroundTick: None,  # the installation's background health: no tenant's data
    **from_modules("TENANT_ROWS"),
}


def own_apps() -> list[str]:
    """The labels of MigrateIQ's own apps: those in this project and every installed module, wherever
    it lives (an extension installed from its own package)."""
    base = Path(settings.BASE_DIR).resolve()
    modules = {m.label for m in installed_modules()}
    return [
        c.label
        for c in apps.get_app_configs()
        # a virtualenv inside the checkout (.venv) holds third-party apps, not the project's
        if (
            Path(c.path).resolve().is_relative_to(base)
            and "site-packages" not in Path(c.path).resolve().parts
        )
        or c.label in modules
    ]


def own_models():
    labels = own_apps()
    return [m for m in apps.get_models() if m._meta.app_label in labels]


def all_tables_checksum() -> dict[str, str]:
    """Row count and a digest of every row of every MigrateIQ table (and the token blacklist)."""
    models = own_models() + [
        m for m in apps.get_models() if m._meta.app_label in ("token_blacklist", "auth", "admin")
    ]
    return {m._meta.label: _digest(every_row(m).order_by("pk")) for m in models}


def every_row(model):
    """Every row of ``model``, in every tenant (a tenant-owned model's query says so)."""
    manager = model._default_manager
    return manager.unscoped("test: every tenant's rows") if hasattr(manager, "unscoped") else manager.all()


def tenant_checksum(tenant: Tenant) -> dict[str, str]:
    """A digest of one tenant's rows of every model: proves nothing of that tenant changed."""
    return {
        model._meta.label: _digest(model.objects.filter(rows(tenant)).distinct().order_by("pk"))
        for model, rows in TENANT_ROWS.items()
        if rows is not None
    }


def _digest(queryset) -> str:
    rows = list(queryset.values())
    blob = json.dumps(rows, sort_keys=True, default=str).encode()
    return f"{len(rows)}:{hashlib.sha256(blob).hexdigest()}"
