from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import User
from tenancy import services


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def save_model(self, request, obj, form, change):
        """Deactivating an account ends its sign-ins for good (``User.end_sign_ins``): its tokens were
        refused while it was inactive, and came back when it was activated again."""
        if change and "is_active" in form.changed_data and not obj.is_active:
            obj.end_sign_ins()
        super().save_model(request, obj, form, change)

    def user_change_password(self, request, id, form_url=""):
        """Django's "Change password" form of an account; a change is recorded in the audit trail
        of the account's tenants (it ends the account's sign-ins)."""
        user = self.get_object(request, unquote(id))
        if user is None or request.method != "POST":
            return super().user_change_password(request, id, form_url)
        with services.reporting_password_change(user, actor=request.user, via="admin"):
            return super().user_change_password(request, id, form_url)


def _own_password_change(request, extra_context=None):
    if request.method != "POST":
        return admin.site.password_change(request, extra_context)
    with services.reporting_password_change(request.user, actor=request.user, via="admin"):
        return admin.site.password_change(request, extra_context)


#: ``/admin/password_change/``: a staff member's change of their own password, recorded like an
#: operator's (``migrateiq/urls.py`` puts it before the admin's own URLs).
admin_password_change = admin.site.admin_view(_own_password_change)
