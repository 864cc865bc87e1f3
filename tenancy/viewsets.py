"""The base classes every tenant-scoped API endpoint inherits.

Scoping lives here and only here: ``get_queryset`` filters by the request's tenant, creation assigns
it, and subclasses may not override ``get_queryset`` (they narrow the queryset with
``scope_queryset`` instead), so a new endpoint cannot forget the tenant. Another tenant's object is
therefore a 404, never a 403.
"""

from typing import TYPE_CHECKING

from rest_framework import mixins, viewsets
from rest_framework.permissions import IsAuthenticated

from core.query_params import RefusesMalformedQueryParamsMixin
from tenancy.permissions import HasTenantRole
from tenancy.quotas import refuse_past_quota

if TYPE_CHECKING:  # what the mixin is always combined with, so that mypy knows self.request
    _ViewSetBase = viewsets.GenericViewSet
else:
    _ViewSetBase = object


class TenantScopedViewSetMixin(RefusesMalformedQueryParamsMixin, _ViewSetBase):
    permission_classes = [IsAuthenticated, HasTenantRole]
    #: per-action role overrides, e.g. {"stats": "viewer"}
    required_roles: dict[str, str] = {}
    #: the setting bounding how many of what this endpoint lists one tenant may have, checked before
    #: each create (``tenancy.quotas``), e.g. "MIGRATEIQ_TENANT_MAX_CONNECTORS". An endpoint that
    #: names none is bounded by MIGRATEIQ_TENANT_MAX_OBJECTS: a module's endpoint without a limit let
    #: an editor create rows at the API's rate for as long as the disk lasted. None: no limit.
    tenant_quota: str | None = "MIGRATEIQ_TENANT_MAX_OBJECTS"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} overrides get_queryset(); override scope_queryset() instead so that "
                "tenant scoping cannot be bypassed."
            )

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # query parameters checked (core.query_params)
        tenant = getattr(request, "tenant", None)
        if self.action == "create" and tenant is not None:
            self.check_tenant_quotas(tenant)

    def check_tenant_quotas(self, tenant) -> None:
        """Refuse a create past the tenant's limits: a 409 naming the setting (``tenancy.quotas``).

        ``tenant_quota`` bounds what this endpoint lists (the tenant's queryset after
        ``scope_queryset``). Override to check another limit too, and call ``super()``.
        """
        if self.tenant_quota:
            refuse_past_quota(self.tenant_quota, self.get_queryset())

    def get_queryset(self):
        queryset = super().get_queryset()
        tenant = getattr(self.request, "tenant", None)
        if tenant is None:  # schema generation, or an unauthenticated request that will be refused
            return queryset.none()
        return self.scope_queryset(queryset.filter(tenant=tenant))

    def scope_queryset(self, queryset):
        """Narrow or annotate the tenant's queryset (select_related, per-action filters)."""
        return queryset

    def perform_create(self, serializer):
        # tenancy.authentication sets request.tenant; DRF's Request type does not declare it.
        serializer.save(tenant=self.request.tenant)  # type: ignore[attr-defined]


class TenantScopedReadOnlyViewSet(TenantScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class TenantScopedModelViewSet(TenantScopedViewSetMixin, viewsets.ModelViewSet):
    pass


class TenantScopedGenericViewSet(TenantScopedViewSetMixin, viewsets.GenericViewSet):
    pass


__all__ = [
    "TenantScopedViewSetMixin",
    "TenantScopedReadOnlyViewSet",
    "TenantScopedModelViewSet",
    "TenantScopedGenericViewSet",
    "mixins",
]
