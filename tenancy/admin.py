"""The tenancy models in the Django admin, and the base class of every tenant-owned model's admin."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import model_ngettext
from django.db import models
from django.http import HttpResponseRedirect
from django.urls import reverse

from core.json_limits import AdminJSONField
from tenancy.models import Invitation, Membership, Role, Tenant, TenantQuerySet
from tenancy.scoping import is_tenant_owned
from tenancy.services import (
    LastAdminError,
    admins_left_after,
    change_member_role,
    remove_member,
    set_tenant_active,
)

ADMIN_SCOPE = "the admin: superusers manage every tenant's rows"


class TenantOwnedModelAdmin(admin.ModelAdmin):
    """The admin of a tenant-owned model: the Django admin is for superusers and spans tenants.

    Its lists, searches, counts and objects, and the choices of its foreign keys to tenant-owned
    models, are ``.unscoped()`` with that reason (``tenancy.scoping``); its JSON fields refuse what
    the API refuses (``core.json_limits.AdminJSONField``); everything else is Django's.
    """

    formfield_overrides = {models.JSONField: {"form_class": AdminJSONField}}

    def get_queryset(self, request):
        return _unscoped(super().get_queryset(request))

    def get_field_queryset(self, db, db_field, request):
        queryset = super().get_field_queryset(db, db_field, request)
        related = db_field.remote_field.model
        if not is_tenant_owned(related):
            return queryset
        return _unscoped(related._default_manager.using(db) if queryset is None else queryset)


@admin.action(permissions=["delete"], description="Delete selected %(verbose_name_plural)s")
def delete_selected_one_by_one(modeladmin, request, queryset):
    """Django's "delete selected" action (its confirmation page, its permission and protection
    checks), deleting each confirmed object through the admin's ``delete_one`` (a service)."""
    if not request.POST.get("post"):
        return delete_selected(modeladmin, request, queryset)
    _objects, _count, perms_needed, protected = modeladmin.get_deleted_objects(queryset, request)
    if perms_needed or protected:  # Django's answer: a 403, or the page naming what is protected
        return delete_selected(modeladmin, request, queryset)
    deleted = sum(modeladmin.delete_one(request, obj) for obj in queryset)
    if deleted:
        items = model_ngettext(modeladmin.opts, deleted)
        modeladmin.message_user(request, f"Successfully deleted {deleted} {items}.", messages.SUCCESS)
    return None


class ServiceDeleteMixin(admin.ModelAdmin):
    """An admin whose deletions go through a service, as the API's do (its subclass's
    ``delete_one(request, obj) -> bool``: whether it deleted, a refusal told with
    ``message_user``). Django's delete page runs in one transaction with its log entry, which would
    move the service's commit (and its errors) past the service's own handling, and its bulk action
    deletes a queryset without the service; here both call ``delete_one``, and an object that was
    not deleted brings the operator back to its page with the message."""

    def delete_one(self, request, obj) -> bool:
        raise NotImplementedError

    def delete_view(self, request, object_id, extra_context=None):
        # Django's delete page without its outer transaction: the service's is the one
        return self._delete_view(request, object_id, extra_context)  # type: ignore[attr-defined]

    def log_deletions(self, request, queryset):
        """Nothing before the delete: :meth:`deleted` logs what was deleted."""

    def deleted(self, request, obj) -> bool:
        """For ``delete_one``: log ``obj`` as deleted (the admin's history)."""
        super().log_deletions(request, [obj])  # type: ignore[arg-type]  # no queryset holds it any more
        return True

    def delete_model(self, request, obj):
        self.delete_one(request, obj)

    def response_delete(self, request, obj_display, obj_id):
        if self.get_queryset(request).filter(pk=obj_id).exists():  # not deleted: the message says why
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj_id])
            )
        return super().response_delete(request, obj_display, obj_id)

    def get_actions(self, request):
        actions = super().get_actions(request)
        entry = actions.get("delete_selected")
        if entry is not None:
            _function, name, description = entry
            actions["delete_selected"] = (delete_selected_one_by_one, name, description)
        return actions


def _unscoped(queryset):
    return queryset.unscoped(ADMIN_SCOPE) if isinstance(queryset, TenantQuerySet) else queryset


# Memberships are changed (role) or deleted in the admin, never added, and never moved to another
# account or tenant: picking an existing account by its email would attach it without its password,
# and whoever held an invitation to that email may have created it. Members join by accepting an
# invitation, or through ``manage.py createuser`` (which asks for proof). A role change or a removal
# goes through the tenancy services, as the members API's do: it is recorded in the tenant's audit
# trail (member.role_changed, member.removed) and never leaves a tenant without an admin.


class MembershipInline(admin.TabularInline):
    """A tenant's members, listed: each is changed or removed on its own page (the link)."""

    model = Membership
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("user", "role", "created_at")
    readonly_fields = ("user", "role", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role"]

    def clean_role(self):
        role = self.cleaned_data["role"]
        demoted = self.instance.pk and self.instance.role == Role.ADMIN and role != Role.ADMIN
        if demoted and admins_left_after(self.instance, new_role=role) == 0:
            raise forms.ValidationError(LastAdminError().messages[0])
        return role


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "is_active", "created_at"]
    search_fields = ["slug", "name"]
    list_filter = ["is_active"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        """A change of ``is_active`` goes through ``set_tenant_active``: it ends the tenant's sign-ins
        for good (activating it again brings none back) and is recorded. Only the fields the form
        changed are written, so a page opened before another change never puts back the session
        generation (or the activation) it read."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        changed = [name for name in form.changed_data if name != "is_active"]
        if changed:
            obj.save(update_fields=[*changed, "updated_at"])
        set_tenant_active(obj, obj.is_active, actor=request.user)


@admin.register(Membership)
class MembershipAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    form = MembershipAdminForm
    list_display = ["user", "tenant", "role", "created_at"]
    list_filter = ["role", "tenant"]
    search_fields = ["user__email", "tenant__slug"]
    readonly_fields = ["user", "tenant"]
    fields = ("user", "tenant", "role")

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        current = Membership.objects.select_related("user").get(pk=obj.pk)
        try:
            change_member_role(current, obj.role, actor=request.user)
        except LastAdminError as exc:  # another change came first (the form checked before)
            self.message_user(request, f"{current.user.email}: {exc.messages[0]}", messages.ERROR)

    def delete_one(self, request, obj) -> bool:
        """Remove one member through the service (recorded; never the tenant's last admin)."""
        try:
            remove_member(obj, actor=request.user)
        except LastAdminError as exc:
            self.message_user(request, f"{obj.user.email}: {exc.messages[0]}", messages.ERROR)
            return False
        return self.deleted(request, obj)


@admin.register(Invitation)
class InvitationAdmin(TenantOwnedModelAdmin):
    list_display = ["email", "tenant", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role", "tenant"]
    search_fields = ["email", "tenant__slug"]
    readonly_fields = ["token_hash", "invited_by", "accepted_by", "accepted_at"]
