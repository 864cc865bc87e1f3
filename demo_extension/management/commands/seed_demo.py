"""Demo data for a newcomer's first run: a tenant, an admin, and a connector to the local demo API.

Safe to run again: it reuses what exists and prints the same credentials.
"""

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand

from demo_extension.models import CustomDataConnector, SyncFrequency
from demo_extension.services.connectors import connector_saved
from demo_extension.services.credentials import api_key_fields
from migrateiq.env import persistent_secret
from tenancy.models import Role
from tenancy.services import ensure_member, ensure_tenant

DEMO_TENANT = "demo"
DEMO_EMAIL = "admin@demo.local"
DEMO_API_KEY = "demo-key"
# field_mappings read source path -> target field, as in the seed contract.
DEMO_RULES = {
    "field_mappings": {"name": "full_name", "address.city": "city", "created_at": "joined"},
    "type_conversions": {"id": "int", "joined": "datetime"},
    "include_unmapped": True,
}
# What earlier versions wrote (target <- source, so nothing was mapped): repaired on the next run.
REVERSED_DEMO_RULES = {
    "field_mappings": {"full_name": "name", "city": "address.city", "joined": "created_at"},
    "type_conversions": {"id": "int", "joined": "datetime"},
    "include_unmapped": True,
}


def _is_local_demo_api(current: str, demo: str) -> bool:
    """Whether ``current`` is the demo API on this machine at another port (same path)."""
    before, now = urlsplit(current), urlsplit(demo)
    local = ("127.0.0.1", "localhost", "::1")
    return before.hostname in local and now.hostname in local and before.path == now.path


class Command(BaseCommand):
    help = "Create the demo tenant, its admin user and a connector to the local demo API (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--api-url", default=settings.MIGRATEIQ_DEMO_API_URL)

    def handle(self, *args, api_url, **options):
        password = persistent_secret(
            settings.VAR_DIR / "secrets" / "demo_admin_password", lambda: secrets.token_urlsafe(12)
        )
        tenant, _ = ensure_tenant(DEMO_TENANT, "Demo Company")
        membership, _, _ = ensure_member(
            tenant, DEMO_EMAIL, Role.ADMIN, password, validate=False, via="seed_demo"
        )
        user = membership.user
        if not user.is_staff:
            user.is_staff = True
            user.is_superuser = True  # the demo admin may also browse /admin/
            user.save(update_fields=["is_staff", "is_superuser"])
        connector = CustomDataConnector.objects.filter(tenant=tenant, name="Demo Users API").first()
        if connector is None:
            connector = CustomDataConnector(
                tenant=tenant,
                name="Demo Users API",
                api_endpoint=api_url,
                **api_key_fields(DEMO_API_KEY),
                sync_frequency=SyncFrequency.HOURLY,
                pagination={"type": "auto"},
                transformation_rules=DEMO_RULES,
                created_by=user,
            )
            connector.save()
            connector_saved(connector, created=True)
        elif connector.api_endpoint != api_url and _is_local_demo_api(connector.api_endpoint, api_url):
            # The demo API runs on another port this time (DEMO_API_PORT): follow it, or the demo
            # connector points at nothing the egress allowlist lets through.
            connector.api_endpoint = api_url
            for name, value in api_key_fields(DEMO_API_KEY).items():
                setattr(connector, name, value)
            connector.save()
            connector_saved(connector, fields=["api_endpoint"])
        if connector.transformation_rules == REVERSED_DEMO_RULES:
            connector.transformation_rules = DEMO_RULES
            connector.save(update_fields=["transformation_rules", "updated_at"])
            connector_saved(connector, fields=["transformation_rules"])
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "  MigrateIQ demo data is ready.",
                    f"  Tenant:    {tenant.slug}",
                    f"  Email:     {DEMO_EMAIL}",
                    f"  Password:  {password}",
                    "             This account is also a Django superuser: its password opens",
                    "             /admin/ over every tenant, not only the demo one.",
                    f"  Connector: #{connector.pk} {connector.name} -> {connector.api_endpoint}",
                    *(
                        # "Demo data is ready" reads as records to look at: there are none until a sync.
                        [
                            "             No records yet: open it in the web UI and choose Sync now",
                            "             (or wait for its hourly schedule).",
                        ]
                        if not connector.records_count
                        else []
                    ),
                    "",
                ]
            )
        )
