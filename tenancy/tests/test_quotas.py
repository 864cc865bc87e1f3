"""Every create endpoint on the tenancy base viewsets counts against a per-tenant limit: its own
setting (``tenant_quota``), or the platform's MIGRATEIQ_TENANT_MAX_OBJECTS when it names none (a
module's endpoint, such as the one ``manage.py startextension`` generates)."""

import hashlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from core.exceptions import Conflict
from tenancy.models import Invitation, Role
from tenancy.tests.routes import api_routes
from tenancy.viewsets import TenantScopedModelViewSet, TenantScopedViewSetMixin


class NamesNoQuota(TenantScopedModelViewSet):
    """A module's endpoint as generated: it declares no ``tenant_quota`` of its own."""

    queryset = Invitation.objects.all()


def _create_check(viewset_class, tenant):
    view = viewset_class()
    view.request = SimpleNamespace(tenant=tenant)
    view.action, view.format_kwarg, view.kwargs = "create", None, {}
    view.check_tenant_quotas(tenant)


def _invite(tenant, count):
    for number in range(count):
        Invitation.objects.create(
            tenant=tenant,
            email=f"{number}@acme.test",
            role=Role.VIEWER,
            token_hash=hashlib.sha256(f"{tenant.pk}-{number}".encode()).hexdigest(),  # 64 characters
            expires_at=timezone.now() + timedelta(days=1),
        )


def test_an_endpoint_that_names_no_quota_is_bounded_by_the_platforms(settings, tenant_a, tenant_b):
    settings.MIGRATEIQ_TENANT_MAX_OBJECTS = 3
    _invite(tenant_a, 3)
    _invite(tenant_b, 2)

    with pytest.raises(Conflict) as refused:
        _create_check(NamesNoQuota, tenant_a)
    _create_check(NamesNoQuota, tenant_b)  # another tenant's rows do not count

    assert refused.value.status_code == 409
    assert "MIGRATEIQ_TENANT_MAX_OBJECTS=3" in str(refused.value.detail)


def test_zero_lifts_the_platforms_limit_and_none_opts_an_endpoint_out(settings, tenant_a):
    _invite(tenant_a, 2)
    settings.MIGRATEIQ_TENANT_MAX_OBJECTS = 0
    _create_check(NamesNoQuota, tenant_a)

    settings.MIGRATEIQ_TENANT_MAX_OBJECTS = 1
    _create_check(type("NoLimit", (NamesNoQuota,), {"tenant_quota": None}), tenant_a)


def test_every_create_endpoint_of_the_url_configuration_has_a_limit(settings):
    creating = {
        route.view_class
        for route in api_routes()
        if "create" in route.actions.values() and issubclass(route.view_class, TenantScopedViewSetMixin)
    }

    assert creating, "no create endpoint found: the walk is broken"
    unbounded = [
        view.__name__
        for view in sorted(creating, key=lambda view: view.__name__)
        if not view.tenant_quota or int(getattr(settings, view.tenant_quota, 0) or 0) <= 0
    ]
    assert not unbounded, f"create endpoints with no per-tenant limit: {unbounded}"
