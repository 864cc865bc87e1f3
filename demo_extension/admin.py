"""Operator pages for connectors, sync runs, synced records and the quarantine.

No credential is ever shown: the form has a write-only field to set each one (blank keeps the
current value) and a box to remove it; pages show only whether each is set (and the key's last four
characters).
"""

from datetime import time

from django import forms
from django.contrib import admin, messages

from core.egress import check_url_to_save
from core.http_errors import OutboundError
from core.secret_fields import with_secret_flags
from demo_extension import models
from demo_extension.services.connectors import (
    UNRESOLVED_HOST_NEXT_STEP,
    ConnectorBusy,
    connector_saved,
    delete_connector,
    duplicate_name_message,
    name_taken,
)
from demo_extension.services.credentials import SECRET_FIELDS, api_key_fields
from demo_extension.services.extract import validate_error_detection
from demo_extension.services.incremental import dropped_cursor_warning
from demo_extension.services.request_settings import (
    validate_flat_strings,
    validate_key_for_auth_type,
    validate_run_limit,
)
from demo_extension.services.schedule import anchor_errors
from sync_engine.transform import DataTransformationService, TransformationError
from tenancy.admin import ServiceDeleteMixin, TenantOwnedModelAdmin
from tenancy.models import Tenant

SECRET_LABELS = {
    "auth_username": "Basic user name",
    "auth_password": "Basic password",
    "oauth_client_secret": "OAuth2 client secret",
}


def _new_secret_field(name: str) -> forms.CharField:
    return forms.CharField(
        label=f"New {SECRET_LABELS[name]}",
        required=False,
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave blank to keep the current value.",
    )


def _clear_secret_field(name: str) -> forms.BooleanField:
    return forms.BooleanField(label=f"Remove the {SECRET_LABELS[name]}", required=False)


class ConnectorAdminForm(forms.ModelForm):
    api_endpoint = forms.URLField(max_length=2048, assume_scheme="https")
    new_api_key = forms.CharField(
        label="New API key",
        required=False,
        strip=True,
        max_length=4096,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave blank to keep the current key.",
    )
    clear_api_key = forms.BooleanField(label="Remove the API key", required=False)
    # Write-only fields of the other secrets (CONNECTOR_SECRET_FIELDS), like the key's.
    new_auth_username = _new_secret_field("auth_username")
    clear_auth_username = _clear_secret_field("auth_username")
    new_auth_password = _new_secret_field("auth_password")
    clear_auth_password = _clear_secret_field("auth_password")
    new_oauth_client_secret = _new_secret_field("oauth_client_secret")
    clear_oauth_client_secret = _clear_secret_field("oauth_client_secret")
    oauth_token_url = forms.URLField(max_length=2048, required=False, assume_scheme="https")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        #: what validating noticed without refusing the save, shown as warning messages once saved
        self.save_warnings: list[str] = []

    def _checked_url(self, url: str) -> str:
        # As in the API: a host name this server cannot resolve is saved with a warning; anything
        # the egress guard refuses (a private, loopback, link-local or metadata address) is an error.
        try:
            warning = check_url_to_save(url, then=UNRESOLVED_HOST_NEXT_STEP)
        except OutboundError as exc:
            raise forms.ValidationError(str(exc)) from None
        if warning:
            self.save_warnings.append(warning)
        return url

    def clean_oauth_token_url(self):
        url = self.cleaned_data.get("oauth_token_url")
        return self._checked_url(url) if url else url

    class Meta:
        model = models.CustomDataConnector
        # Every editable field but the key itself.
        fields = [
            "name",
            "api_endpoint",
            *models.CONNECTOR_SCHEDULE_FIELDS,
            "is_active",
            *models.CONNECTOR_REQUEST_FIELDS,
        ]
        help_texts = {
            "sync_time": 'UTC, "HH:MM": the time of day of daily and weekly syncs, the minutes past '
            "the hour of hourly ones. Empty: one interval after the last save or run.",
            "sync_weekday": "The day of a weekly schedule (with a time).",
        }

    def clean_sync_time(self):
        value = self.cleaned_data.get("sync_time")
        return value.replace(second=0, microsecond=0) if value else value

    def clean_api_endpoint(self):
        return self._checked_url(self.cleaned_data["api_endpoint"])

    def clean_request_headers(self):
        headers = self.cleaned_data.get("request_headers") or {}
        return validate_flat_strings(headers, what="request_headers", header_names=True)

    def clean_query_params(self):
        return validate_flat_strings(self.cleaned_data.get("query_params") or {}, what="query_params")

    def clean_max_pages(self):
        return self._within_server_limit("max_pages")

    def clean_max_sync_seconds(self):
        return self._within_server_limit("max_sync_seconds")

    def _within_server_limit(self, field: str):
        return validate_run_limit(field, self.cleaned_data.get(field), self.initial.get(field))

    def clean_transformation_rules(self):
        rules = self.cleaned_data.get("transformation_rules")
        try:
            return DataTransformationService.validate_rules(rules)
        except (TransformationError, ValueError) as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_error_detection(self):
        try:
            return validate_error_detection(self.cleaned_data.get("error_detection"))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_api_key") and cleaned.get("clear_api_key"):
            raise forms.ValidationError("Either set a new API key or remove it, not both.")
        for name in models.CONNECTOR_SECRET_FIELDS:
            if cleaned.get(f"new_{name}") and cleaned.get(f"clear_{name}"):
                raise forms.ValidationError(f"Either set a new {SECRET_LABELS[name]} or remove it, not both.")
        key = cleaned.get("new_api_key") or ("" if cleaned.get("clear_api_key") else self.instance.api_key)
        try:
            validate_key_for_auth_type(key, cleaned.get("auth_type"), cleaned.get("auth_header_name"))
        except forms.ValidationError as exc:
            self.add_error("new_api_key", exc)
        if cleaned.get("sync_frequency"):
            anchor = anchor_errors(
                cleaned["sync_frequency"], cleaned.get("sync_time"), cleaned.get("sync_weekday")
            )
            for name, message in anchor.items():
                self.add_error(name, message)
        # The tenant is not a field of this form, so Django's constraint check skips the unique name.
        name, tenant_id = cleaned.get("name"), self.instance.tenant_id
        if name and tenant_id and name_taken(tenant_id, name, exclude_pk=self.instance.pk):
            self.add_error("name", duplicate_name_message(name))
        return cleaned

    def save(self, commit=True):
        connector = super().save(commit=False)
        if self.cleaned_data.get("new_api_key"):
            fields = api_key_fields(self.cleaned_data["new_api_key"])
        elif self.cleaned_data.get("clear_api_key"):
            fields = api_key_fields("")
        else:
            fields = {}
        for name in models.CONNECTOR_SECRET_FIELDS:
            if self.cleaned_data.get(f"new_{name}"):
                fields[name] = self.cleaned_data[f"new_{name}"]
            elif self.cleaned_data.get(f"clear_{name}"):
                fields[name] = ""
        for name, value in fields.items():
            setattr(connector, name, value)
        if connector.pk is not None and "incremental" in self.changed_data:
            dropped = dropped_cursor_warning(
                self.initial.get("incremental"), connector.incremental, connector.incremental_cursor
            )
            if dropped:  # the stored cursor is a value of the old field (as the API does)
                connector.incremental_cursor = None
                self.save_warnings.append(dropped)
        if commit:
            connector.save()
            self.save_m2m()
        return connector


class ConnectorAdminAddForm(ConnectorAdminForm):
    # The model's tenant is not editable (clients never set it); an operator chooses it once, here.
    tenant_choice = forms.ModelChoiceField(label="Tenant", queryset=Tenant.objects.order_by("slug"))

    def clean(self):
        if self.cleaned_data.get("tenant_choice") is not None:
            self.instance.tenant = self.cleaned_data["tenant_choice"]  # before the unique-name check
        return super().clean()


def schedule_text(frequency: str, sync_time: time | None, sync_weekday: int | None) -> str:
    """A connector's schedule as the web UI words it (its frequency, then ``anchorLabel`` of
    ``frontend/src/components/ScheduleAnchorFields.tsx``): "Manual", "Daily", "Daily at 02:00 UTC",
    "Weekly on Monday at 06:30 UTC", "Hourly at :15 past every hour (UTC)"."""
    label = models.SyncFrequency(frequency).label
    if frequency == models.SyncFrequency.MANUAL or sync_time is None:
        return label
    if frequency == models.SyncFrequency.HOURLY:
        return f"{label} at :{sync_time:%M} past every hour (UTC)"
    if frequency == models.SyncFrequency.WEEKLY and sync_weekday is not None:
        return f"{label} on {models.Weekday(sync_weekday).label} at {sync_time:%H:%M} UTC"
    return f"{label} at {sync_time:%H:%M} UTC"


@admin.register(models.CustomDataConnector)
class CustomDataConnectorAdmin(ServiceDeleteMixin, TenantOwnedModelAdmin):
    form = ConnectorAdminForm
    list_display = [
        "name",
        "tenant",
        "schedule",
        "is_active",
        "last_sync_status",
        "last_sync_at",
        "records_count",
        "api_key_hint",
    ]
    list_filter = ["is_active", "sync_frequency", "last_sync_status", "tenant"]
    search_fields = ["name", "api_endpoint", "tenant__slug"]
    readonly_fields = [
        "api_key_hint",
        "credentials_hint",
        "records_count",
        "last_sync_at",
        "last_sync_status",
        "next_sync_at",
        "incremental_cursor",
        "created_by",
        "created_at",
        "updated_at",
    ]
    list_select_related = ["tenant"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "tenant",
                    "name",
                    "api_endpoint",
                    *models.CONNECTOR_SCHEDULE_FIELDS,
                    "is_active",
                ]
            },
        ),
        ("API key", {"fields": ["api_key_hint", "new_api_key", "clear_api_key"]}),
        (
            "Other credentials",
            {
                "fields": [
                    "credentials_hint",
                    *(
                        f"{kind}_{name}"
                        for name in models.CONNECTOR_SECRET_FIELDS
                        for kind in ("new", "clear")
                    ),
                ]
            },
        ),
        (
            "Request",
            {
                "fields": [
                    *models.CONNECTOR_REQUEST_FIELDS,
                ]
            },
        ),
        (
            "Sync state",
            {
                "fields": [
                    "records_count",
                    "last_sync_at",
                    "last_sync_status",
                    "next_sync_at",
                    "incremental_cursor",
                    "created_by",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        # Pages show only whether a secret is set: no decryption.
        return with_secret_flags(super().get_queryset(request), SECRET_FIELDS)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        connector_saved(obj, created=not change, fields=form.changed_data, actor=request.user)
        for warning in form.save_warnings:
            messages.warning(request, warning)

    # Deleting goes through the connectors service, as the API's DELETE does (ServiceDeleteMixin):
    # it cancels the connector's active syncs and tries again while one still commits a page
    # (PostgreSQL checks foreign keys at commit), then records the deletion.

    def delete_one(self, request, obj) -> bool:
        """Delete one connector through the service; a sync that kept writing leaves it in place
        with an error message instead of a 500. Whether it was deleted."""
        try:
            delete_connector(obj, actor=request.user)
        except ConnectorBusy as exc:
            self.message_user(request, f"{obj.name}: {exc}", messages.ERROR)
            return False
        return self.deleted(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = ConnectorAdminForm if obj is not None else ConnectorAdminAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            first = fieldsets[0][1]["fields"]
            fieldsets = [(None, {"fields": ["tenant_choice", *first[1:]]}), *fieldsets[1:]]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("tenant")  # moving a connector would leave its runs and records behind
        return readonly

    @admin.display(description="Schedule", ordering="sync_frequency")
    def schedule(self, obj):
        return schedule_text(obj.sync_frequency, obj.sync_time, obj.sync_weekday)

    @admin.display(description="Other credentials")
    def credentials_hint(self, obj):
        if obj is None or obj.pk is None:
            return "none set"
        names = [
            SECRET_LABELS[name]
            for name in models.CONNECTOR_SECRET_FIELDS
            if (
                getattr(obj, f"has_{name}", False)
                if name in obj.get_deferred_fields()
                else bool(getattr(obj, name))
            )
        ]
        return ", ".join(names) + " set" if names else "none set"

    @admin.display(description="API key")
    def api_key_hint(self, obj):
        if obj is None or obj.pk is None:
            return "not set"
        if "api_key" in obj.get_deferred_fields():
            has_key = bool(getattr(obj, "has_api_key", False))
        else:
            has_key = bool(obj.api_key)
        if not has_key:
            return "not set"
        return f"set (…{obj.api_key_last4})" if obj.api_key_last4 else "set"
