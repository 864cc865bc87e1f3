"""The active tenant outside a request (tenancy.context) and the one save() that reads it.

``TenantOwnedMixin.save()`` is the platform's one documented ``save()`` override: it fills a missing
tenant with the active one, refuses to save without any, and never changes a tenant that is set.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from tenancy.context import (
    NoActiveTenant,
    activate_tenant,
    deactivate_tenant,
    get_current_tenant,
    require_current_tenant,
    tenant_context,
)
from tenancy.models import Invitation, Tenant
from tenancy.services import activate_tenant_by_slug, tenant_by_slug


@pytest.fixture(autouse=True)
def _no_tenant_left_active():
    yield
    deactivate_tenant()


def invitation(email, **fields):
    return Invitation(
        email=email,
        token_hash=email.ljust(64, "0")[:64],
        expires_at=timezone.now() + timedelta(days=1),
        **fields,
    )


def test_an_object_saved_without_a_tenant_gets_the_active_one(tenant_a):
    with tenant_context(tenant_a):
        saved = invitation("one@acme.test")
        saved.save()

    assert Invitation.objects.get(pk=saved.pk).tenant == tenant_a


def test_an_object_saved_without_a_tenant_and_none_active_is_refused(db):
    with pytest.raises(NoActiveTenant, match="No tenant is active"):
        invitation("nobody@acme.test").save()

    assert not Invitation.objects.unscoped("test: every tenant").exists()


def test_the_active_tenant_never_replaces_a_tenant_that_is_set(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        saved = invitation("other@globex.test", tenant=tenant_b)
        saved.save()

    assert Invitation.objects.get(pk=saved.pk).tenant == tenant_b


def test_the_context_takes_a_tenant_and_refuses_a_slug(tenant_a):
    with pytest.raises(TypeError, match="activate_tenant_by_slug"):
        activate_tenant("acme")
    with pytest.raises(TypeError, match="Expected a Tenant"), tenant_context(None):
        pass

    assert get_current_tenant() is None


def test_a_block_restores_the_tenant_that_was_active_before(tenant_a, tenant_b):
    activate_tenant(tenant_a)
    with tenant_context(tenant_b):
        assert require_current_tenant() == tenant_b

    assert get_current_tenant() == tenant_a


def test_a_shell_session_activates_a_tenant_by_its_slug(tenant_a):
    assert activate_tenant_by_slug("acme") == tenant_a
    assert get_current_tenant() == tenant_a


def test_an_unknown_slug_is_named_in_the_error(db):
    with pytest.raises(Tenant.DoesNotExist, match="No tenant has the slug 'nope'"):
        activate_tenant_by_slug("nope")
    with pytest.raises(Tenant.DoesNotExist, match="No tenant has the slug 'nope'"):
        tenant_by_slug("nope")

    assert get_current_tenant() is None
