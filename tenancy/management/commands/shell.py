"""``manage.py shell`` with the tenant already chosen when the installation has only one.

The seed's snippets (``CustomDataConnector.objects.create(...)``, ``ConnectorStatsService.get_stats()``)
run in a shell without choosing a tenant first: with one active tenant (``make run``'s ``demo``) that
tenant is the active one for the whole session, and the shell says so. With several, none is chosen
(a guess could write into another organisation's data): the shell names them and how to pick one,
and what needs a tenant raises ``NoActiveTenant`` as before.
"""

from django.core.management.commands.shell import Command as DjangoShellCommand

from tenancy.context import get_current_tenant, tenant_context
from tenancy.models import Tenant

#: At most this many slugs are named when several tenants exist.
NAMED_SLUGS = 5


class Command(DjangoShellCommand):
    help = DjangoShellCommand.help + " The only active tenant, if there is one, is the session's."

    def handle(self, **options):
        if get_current_tenant() is not None:
            return super().handle(**options)
        active = list(Tenant.objects.filter(is_active=True)[: NAMED_SLUGS + 1])
        if len(active) != 1:
            self._say_how_to_choose([tenant.slug for tenant in active], options)
            return super().handle(**options)
        (tenant,) = active
        if options["verbosity"] >= 1:
            self.stdout.write(f"Tenant '{tenant.slug}' is active (the only one).", ending="\n\n")
        with tenant_context(tenant):
            return super().handle(**options)

    def _say_how_to_choose(self, slugs: list[str], options) -> None:
        if options["verbosity"] < 1:
            return
        if not slugs:
            self.stdout.write("No tenant is active: there is none yet (createtenant).", ending="\n\n")
            return
        named = ", ".join(slugs[:NAMED_SLUGS]) + (", …" if len(slugs) > NAMED_SLUGS else "")
        self.stdout.write(
            f"No tenant is active ({named}): choose one with "
            "`from tenancy.services import activate_tenant_by_slug; activate_tenant_by_slug('<slug>')`.",
            ending="\n\n",
        )
