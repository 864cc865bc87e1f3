"""An operator's password change ends the account's sign-ins (E2) and says so in the audit trail.

The Django admin's "Change password" form, a staff member's own change (``/admin/password_change/``)
and ``manage.py changepassword`` record ``user.password_changed`` in every tenant the account is a
member of: who did it, how, and which account; never the password.
"""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands.changepassword import Command as DjangoChangePassword
from django.core.management import call_command
from django.test import Client

from audit.models import AuditEvent
from tenancy.models import Role

NEW_PASSWORD = "plum-orchard-vessel-42"


@pytest.fixture
def operator(db):
    return get_user_model().objects.create_superuser("root@ops.local", "root-orchard-vessel-7")


@pytest.fixture
def operator_browser(operator):
    browser = Client()
    browser.force_login(operator)
    return browser


@pytest.fixture
def member_of_two(tenant_a, tenant_b, make_member):
    user = make_member(tenant_a, Role.EDITOR, email="leaked@acme.test")
    make_member(tenant_b, Role.VIEWER, email="leaked@acme.test")
    return user


def _no_password_in(events, *passwords):
    text = repr([(e.fields, e.detail, e.target_id, e.actor_email) for e in events])
    return not [password for password in passwords if password in text]


def test_a_password_change_in_the_admin_is_recorded_in_each_tenant_of_the_account(
    operator_browser, operator, member_of_two, tenant_a, tenant_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_browser.post(
            f"/admin/accounts/user/{member_of_two.pk}/password/",
            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
        )

    assert response.status_code == 302, response.content[:500]
    member_of_two.refresh_from_db()
    assert member_of_two.check_password(NEW_PASSWORD)
    events = AuditEvent.objects.unscoped("both tenants").filter(action="user.password_changed")
    assert sorted(e.tenant_id for e in events) == sorted([tenant_a.pk, tenant_b.pk])
    for event in events:
        assert (event.actor_id, event.actor_email) == (operator.pk, "root@ops.local")
        assert (event.target_type, event.target_id) == ("user", str(member_of_two.pk))
        assert event.fields == ["password"]
        assert event.detail == {"email": "leaked@acme.test", "via": "admin"}
    assert _no_password_in(events, NEW_PASSWORD, member_of_two.password)


def test_a_password_form_the_admin_refuses_records_nothing(
    operator_browser, member_of_two, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_browser.post(
            f"/admin/accounts/user/{member_of_two.pk}/password/",
            {"password1": NEW_PASSWORD, "password2": "something-else-42", "usable_password": "true"},
        )

    assert response.status_code == 200  # the form again, with its error
    assert not AuditEvent.objects.unscoped("every tenant").filter(action__startswith="user.password").exists()


def test_making_a_password_unusable_in_the_admin_is_recorded_too(
    operator_browser, member_of_two, tenant_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_browser.post(
            f"/admin/accounts/user/{member_of_two.pk}/password/",
            {"usable_password": "false", "unset-password": "1"},
        )

    assert response.status_code == 302, response.content[:500]
    (event,) = AuditEvent.objects.filter(tenant=tenant_a, action="user.password_unset")
    assert event.detail == {"email": "leaked@acme.test", "via": "admin"}


def test_a_staff_members_change_of_their_own_password_is_recorded(
    tenant_a, make_member, django_capture_on_commit_callbacks
):
    staff = make_member(tenant_a, Role.ADMIN, email="staff@acme.test", password="old-orchard-vessel-9")
    staff.is_staff = True
    staff.save()
    browser = Client()
    browser.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            "/admin/password_change/",
            {
                "old_password": "old-orchard-vessel-9",
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )

    assert response.status_code == 302, response.content[:500]
    (event,) = AuditEvent.objects.filter(tenant=tenant_a, action="user.password_changed")
    assert (event.actor_id, event.target_id) == (staff.pk, str(staff.pk))
    assert _no_password_in([event], NEW_PASSWORD, "old-orchard-vessel-9")


def test_changepassword_records_the_change_with_no_actor(
    member_of_two, tenant_a, tenant_b, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(DjangoChangePassword, "_get_pass", lambda self, prompt=None: NEW_PASSWORD)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("changepassword", "leaked@acme.test", stdout=StringIO())

    member_of_two.refresh_from_db()
    assert member_of_two.check_password(NEW_PASSWORD)
    events = AuditEvent.objects.unscoped("both tenants").filter(action="user.password_changed")
    assert sorted(e.tenant_id for e in events) == sorted([tenant_a.pk, tenant_b.pk])
    for event in events:
        assert (event.actor_id, event.actor_email, event.actor_anonymous) == (None, "", False)
        assert event.detail == {"email": "leaked@acme.test", "via": "changepassword"}
    assert _no_password_in(events, NEW_PASSWORD, member_of_two.password)


def _createuser(tenant, *, password):
    """``createuser`` for the member ``leaked@acme.test`` with ``password``."""
    email = "leaked@acme.test"
    options = ["--tenant", tenant.slug, "--email", email, "--role", "editor", "--password", password]
    call_command("createuser", *options, stdout=StringIO())


def test_createuser_replacing_a_members_password_records_it(
    member_of_two, tenant_a, tenant_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _createuser(tenant_a, password=NEW_PASSWORD)

    member_of_two.refresh_from_db()
    assert member_of_two.check_password(NEW_PASSWORD)
    events = AuditEvent.objects.unscoped("both tenants").filter(action="user.password_changed")
    assert sorted(e.tenant_id for e in events) == sorted([tenant_a.pk, tenant_b.pk])
    assert {e.detail["via"] for e in events} == {"createuser"}
    assert _no_password_in(events, NEW_PASSWORD, member_of_two.password)


def test_createuser_with_the_members_own_password_changes_nothing_and_ends_no_sign_in(
    member_of_two, tenant_a, django_capture_on_commit_callbacks
):
    # seed_demo gives the demo admin's stored password at every `make run`: it ended the demo
    # admin's sign-ins each time, and would now fill the trail.
    stamp = member_of_two.session_stamp()

    with django_capture_on_commit_callbacks(execute=True):
        _createuser(tenant_a, password="correct-horse-9")  # its own (make_member's)

    member_of_two.refresh_from_db()
    assert member_of_two.session_stamp() == stamp
    assert not AuditEvent.objects.unscoped("every tenant").filter(action__startswith="user.password").exists()
