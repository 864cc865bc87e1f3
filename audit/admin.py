from django.contrib import admin

from audit.models import AuditEvent
from tenancy.admin import TenantOwnedModelAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(TenantOwnedModelAdmin):
    """Read-only: events are written by the activity hook and removed by the retention job only."""

    list_display = ["at", "tenant", "actor_email", "action", "target_type", "target_id"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_email", "action", "target_id"]
    date_hierarchy = "at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
