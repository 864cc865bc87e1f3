"""Account pre-hijacking (docs/security.md, O1): invitations send no mail, so the admin who invites an
email holds the token and can accept it, creating that email's account with a password of their
choosing. Such an account must never be attached to another tenant on the strength of its email:
not by ``createuser``, not in the Django admin; only with its own password (an invitation's accept,
``createuser --password``) or the operator's explicit ``--existing-account-is-theirs``."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from tenancy.models import Membership, Role, Tenant

MALLORYS_PASSWORD = "Mallory-Owns-CEO-1!"
CEO = "ceo@demo.local"


@pytest.fixture
def evil(db):
    return Tenant.objects.create(slug="evil", name="Evil")


@pytest.fixture
def demo(db):
    return Tenant.objects.create(slug="demo", name="Demo")


@pytest.fixture
def mallory_client(evil, make_member, client_for):
    """The admin of tenant *evil*."""
    return client_for(make_member(evil, Role.ADMIN, email="mallory@evil.test"), evil)


def pre_create_the_ceos_account(mallory_client) -> None:
    invited = mallory_client.post("/api/tenancy/invitations/", {"email": CEO, "role": "viewer"})
    assert invited.status_code == 201, invited.content
    accepted = APIClient().post(
        "/api/auth/invitations/accept/",
        {"token": invited.json()["token"], "password": MALLORYS_PASSWORD},
        format="json",
    )
    # Unavoidable without mail: the holder of an invitation to a new email creates its account.
    assert accepted.status_code == 200, accepted.content


def sign_in_to_demo_as_the_ceo_with_mallorys_password():
    return APIClient().post(
        "/api/auth/token/",
        {"email": CEO, "password": MALLORYS_PASSWORD, "tenant": "demo"},
        format="json",
    )


def test_createuser_does_not_make_an_account_an_admin_pre_created_by_invitation_an_admin_elsewhere(
    mallory_client, demo, make_member
):
    make_member(demo, Role.ADMIN, email="owner@demo.local")
    pre_create_the_ceos_account(mallory_client)

    with pytest.raises(CommandError) as refused:
        call_command("createuser", "--tenant", "demo", "--email", CEO, "--role", "admin", stdout=StringIO())

    assert f"Not added: {CEO} already has an account (a member of 'evil')" in str(refused.value)
    assert not Membership.objects.filter(user__email=CEO, tenant=demo).exists()
    assert sign_in_to_demo_as_the_ceo_with_mallorys_password().status_code == 403


def test_createuser_with_a_new_password_for_the_pre_created_account_is_refused_too(mallory_client, demo):
    pre_create_the_ceos_account(mallory_client)

    with pytest.raises(CommandError, match="--password is not its password"):
        call_command(
            "createuser",
            *("--tenant", "demo", "--email", CEO, "--role", "admin"),
            *("--password", "The-Real-CEOs-Pass-2"),
            stdout=StringIO(),
        )

    assert not Membership.objects.filter(user__email=CEO, tenant=demo).exists()
    assert sign_in_to_demo_as_the_ceo_with_mallorys_password().status_code == 403


def test_an_invitation_to_another_tenant_still_needs_the_accounts_own_password(
    mallory_client, demo, make_member, client_for
):
    """What stays open: the real owner cannot accept either, as only Mallory knows the password."""
    pre_create_the_ceos_account(mallory_client)
    demo_admin = client_for(make_member(demo, Role.ADMIN, email="owner@demo.local"), demo)
    token = demo_admin.post("/api/tenancy/invitations/", {"email": CEO, "role": "admin"}).json()["token"]

    answer = APIClient().post(
        "/api/auth/invitations/accept/", {"token": token, "password": "The-Real-CEOs-Pass-2"}, format="json"
    )

    assert answer.status_code == 401
    assert not Membership.objects.filter(user__email=CEO, tenant=demo).exists()


@pytest.fixture
def superuser_browser(demo, make_member):
    root = make_member(demo, Role.ADMIN, email="root@demo.local")
    root.is_staff = root.is_superuser = True
    root.save(update_fields=["is_staff", "is_superuser"])
    browser = Client()
    browser.force_login(root)
    return browser


def test_the_django_admin_cannot_add_a_membership(superuser_browser, mallory_client, demo):
    pre_create_the_ceos_account(mallory_client)
    ceo = Membership.objects.get(user__email=CEO).user

    form = superuser_browser.get("/admin/tenancy/membership/add/")
    posted = superuser_browser.post(
        "/admin/tenancy/membership/add/", {"user": ceo.pk, "tenant": demo.pk, "role": "admin"}
    )

    assert form.status_code == posted.status_code == 403
    assert not Membership.objects.filter(user=ceo, tenant=demo).exists()
    tenant_page = superuser_browser.get(f"/admin/tenancy/tenant/{demo.pk}/change/")
    assert tenant_page.status_code == 200
    assert b'name="memberships-MAX_NUM_FORMS" value="0"' in tenant_page.content  # no row to add


def test_the_django_admin_cannot_move_a_membership_to_another_account_or_tenant(
    superuser_browser, mallory_client, demo, evil
):
    pre_create_the_ceos_account(mallory_client)
    ceo = Membership.objects.get(user__email=CEO).user
    root_in_demo = Membership.objects.get(user__email="root@demo.local", tenant=demo)

    response = superuser_browser.post(
        f"/admin/tenancy/membership/{root_in_demo.pk}/change/",
        {"user": ceo.pk, "tenant": evil.pk, "role": "admin"},
    )

    assert response.status_code == 302
    root_in_demo.refresh_from_db()
    assert (root_in_demo.user.email, root_in_demo.tenant, root_in_demo.role) == (
        "root@demo.local",
        demo,
        "admin",
    )
    assert not Membership.objects.filter(user=ceo, tenant=demo).exists()
