"""The tenancy models in the Django admin, and the base class of every tenant-owned model's admin."""

from django.contrib import admin

from tenancy.models import Invitation, Membership, Tenant, TenantQuerySet
from tenancy.scoping import is_tenant_owned

ADMIN_SCOPE = "the admin: superusers manage every tenant's rows"


class TenantOwnedModelAdmin(admin.ModelAdmin):
    """The admin of a tenant-owned model: the Django admin is for superusers and spans tenants.

    Its lists, searches, counts and objects, and the choices of its foreign keys to tenant-owned
    models, are ``.unscoped()`` with that reason (``tenancy.scoping``); everything else is Django's.
    """

    def get_queryset(self, request):
        return _unscoped(super().get_queryset(request))

    def get_field_queryset(self, db, db_field, request):
        queryset = super().get_field_queryset(db, db_field, request)
        related = db_field.remote_field.model
        if not is_tenant_owned(related):
            return queryset
        return _unscoped(related._default_manager.using(db) if queryset is None else queryset)


def _unscoped(queryset):
    return queryset.unscoped(ADMIN_SCOPE) if isinstance(queryset, TenantQuerySet) else queryset


# Memberships are changed (role) or deleted in the admin, never added, and never moved to another
# account or tenant: picking an existing account by its email would attach it without its password,
# and whoever held an invitation to that email may have created it. Members join by accepting an
# invitation, or through ``manage.py createuser`` (which asks for proof).


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    readonly_fields = ["user"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "is_active", "created_at"]
    search_fields = ["slug", "name"]
    list_filter = ["is_active"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "created_at"]
    list_filter = ["role", "tenant"]
    search_fields = ["user__email", "tenant__slug"]
    readonly_fields = ["user", "tenant"]

    def has_add_permission(self, request):
        return False


@admin.register(Invitation)
class InvitationAdmin(TenantOwnedModelAdmin):
    list_display = ["email", "tenant", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role", "tenant"]
    search_fields = ["email", "tenant__slug"]
    readonly_fields = ["token_hash", "invited_by", "accepted_by", "accepted_at"]
