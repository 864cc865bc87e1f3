"""The sync engine's runs, records and quarantine in the Django admin: read-only views for operators."""

from django.contrib import admin

from sync_engine import models
from tenancy.admin import TenantOwnedModelAdmin


class SyncLogEventInline(admin.TabularInline):
    model = models.SyncLogEvent
    extra = 0
    can_delete = False
    fields = ["at", "level", "message"]
    readonly_fields = ["at", "level", "message"]
    ordering = ["at", "id"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.SyncLog)
class SyncLogAdmin(TenantOwnedModelAdmin):
    list_display = [
        "id",
        "connector",
        "tenant",
        "status",
        "triggered_by",
        "records_processed",
        "records_failed",
        "duration_seconds",
        "created_at",
    ]
    list_filter = ["status", "triggered_by", "tenant"]
    search_fields = ["connector__name", "error_message"]
    list_select_related = ["connector", "tenant"]
    date_hierarchy = "created_at"
    inlines = [SyncLogEventInline]
    readonly_fields = [field.name for field in models.SyncLog._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(models.SyncedRecord)
class SyncedRecordAdmin(TenantOwnedModelAdmin):
    list_display = ["external_id", "connector", "tenant", "last_synced_at", "last_sync_log"]
    list_filter = ["tenant"]
    search_fields = ["external_id", "connector__name"]
    list_select_related = ["connector", "tenant"]
    readonly_fields = [field.name for field in models.SyncedRecord._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(models.SyncRecordError)
class SyncRecordErrorAdmin(TenantOwnedModelAdmin):
    list_display = [
        "id",
        "sync_log",
        "connector",
        "tenant",
        "external_id",
        "short_error",
        "page",
        "created_at",
    ]
    list_filter = ["tenant"]
    search_fields = ["external_id", "error", "connector__name"]
    list_select_related = ["connector", "tenant", "sync_log"]
    readonly_fields = [field.name for field in models.SyncRecordError._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.display(description="error")
    def short_error(self, obj):
        return obj.error if len(obj.error) <= 80 else obj.error[:79] + "…"
