"""The seed's Python snippets run verbatim in ``manage.py shell``: with one tenant (``make run``'s demo)
the shell makes it the active one; with several it chooses none and says how to."""

from io import StringIO

import pytest
from django.core.management import call_command

from demo_extension.models import CustomDataConnector
from tenancy.context import NoActiveTenant, get_current_tenant

# The seed's "External API Integration" and "Real-time Monitoring" snippets, as written there.
SEED_SNIPPET = """
connector = CustomDataConnector.objects.create(
    name="Customer API",
    api_endpoint="https://api.example.com/customers",
    api_key="your-api-key",
    sync_frequency="DAILY"
)
from demo_extension.services import ConnectorStatsService
stats = ConnectorStatsService.get_stats()
print("total_connectors", stats["total_connectors"])
"""


def shell(command: str) -> str:
    out = StringIO()
    call_command("shell", command=command, stdout=out)
    return out.getvalue()


def test_the_seed_snippet_runs_verbatim_in_a_shell_of_a_one_tenant_installation(tenant_a, capsys):
    output = shell(SEED_SNIPPET)

    connector = CustomDataConnector.objects.unscoped("test: the shell's object").get(name="Customer API")
    assert connector.tenant == tenant_a
    assert connector.sync_frequency == "DAILY"
    assert "Tenant 'acme' is active (the only one)." in output
    assert "total_connectors 1" in capsys.readouterr().out  # the snippet's print
    assert get_current_tenant() is None  # the session's tenant does not outlive the shell


def test_a_shell_of_several_tenants_chooses_none_and_names_them(tenant_a, tenant_b):
    out = StringIO()
    with pytest.raises(NoActiveTenant):
        call_command("shell", command=SEED_SNIPPET, stdout=out)

    assert "No tenant is active (acme, globex): choose one with" in out.getvalue()
    assert not CustomDataConnector.objects.unscoped("test: nothing was created").exists()


def test_an_inactive_tenant_is_not_chosen(tenant_a, tenant_b):
    tenant_b.is_active = False
    tenant_b.save(update_fields=["is_active"])

    shell(SEED_SNIPPET)

    assert CustomDataConnector.objects.unscoped("test: the shell's object").get().tenant == tenant_a
