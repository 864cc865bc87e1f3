"""Operator commands: createtenant and createuser are idempotent and fail with clear errors;
createuser adds an existing account to another tenant only with proof that it is theirs."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from tenancy.models import Membership, Role, Tenant

User = get_user_model()


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createtenant_creates_a_tenant(db):
    output = run("createtenant", "acme", "--name", "Acme Corp")

    assert "Created tenant 'acme'" in output
    assert Tenant.objects.get(slug="acme").name == "Acme Corp"


def test_createtenant_run_again_changes_nothing_or_only_the_name(db):
    run("createtenant", "acme", "--name", "Acme Corp")

    assert "already exists" in run("createtenant", "acme", "--name", "Acme Corp")
    run("createtenant", "acme", "--name", "Acme Renamed")
    run("createtenant", "acme")  # no --name keeps the name

    assert Tenant.objects.filter(slug="acme").count() == 1
    assert Tenant.objects.get(slug="acme").name == "Acme Renamed"


@pytest.mark.parametrize("slug", ["Acme", "acme corp", "a_cme", "ac/me", "a" * 64])
def test_createtenant_refuses_an_invalid_slug(db, slug):
    with pytest.raises(CommandError, match="Invalid tenant"):
        run("createtenant", slug)
    assert not Tenant.objects.exists()


def test_createuser_creates_a_user_with_a_membership(tenant_a):
    output = run(
        "createuser",
        "--tenant",
        "acme",
        "--email",
        "Ops@Acme.test",
        "--password",
        "a-long-pass-9",
        "--role",
        "admin",
    )

    assert "Created user ops@acme.test" in output
    user = User.objects.get(email="ops@acme.test")
    assert user.check_password("a-long-pass-9")
    assert Membership.objects.get(user=user, tenant=tenant_a).role == Role.ADMIN


def test_createuser_run_again_is_idempotent(tenant_a):
    args = ["createuser", "--tenant", "acme", "--email", "ops@acme.test", "--password", "a-long-pass-9"]
    run(*args, "--role", "editor")

    output = run(*args, "--role", "editor")

    assert "User exists" in output
    assert User.objects.filter(email="ops@acme.test").count() == 1
    assert Membership.objects.filter(user__email="ops@acme.test").count() == 1


def test_createuser_changes_the_role_of_an_existing_member(tenant_a, make_member):
    user = make_member(tenant_a, Role.VIEWER, email="ops@acme.test")
    make_member(tenant_a, Role.ADMIN, email="boss@acme.test")

    run("createuser", "--tenant", "acme", "--email", "ops@acme.test", "--role", "editor")

    assert Membership.objects.get(user=user, tenant=tenant_a).role == Role.EDITOR
    user.refresh_from_db()
    assert user.check_password("correct-horse-9")  # no --password: unchanged


def test_createuser_refuses_to_add_an_existing_account_to_another_tenant_on_its_email_alone(
    tenant_a, tenant_b, make_member
):
    user = make_member(tenant_a, Role.ADMIN, email="ops@acme.test")

    with pytest.raises(CommandError) as refused:
        run("createuser", "--tenant", "globex", "--email", "ops@acme.test", "--role", "viewer")

    message = str(refused.value)
    assert "Not added: ops@acme.test already has an account (a member of 'acme')" in message
    assert "no --password proves it is theirs" in message
    assert "--existing-account-is-theirs" in message
    assert set(user.memberships.values_list("tenant__slug", flat=True)) == {"acme"}


def test_createuser_adds_an_existing_account_to_another_tenant_with_its_own_password(
    tenant_a, tenant_b, make_member
):
    user = make_member(tenant_a, Role.ADMIN, email="ops@acme.test")

    output = run(
        "createuser",
        *("--tenant", "globex", "--email", "OPS@acme.test", "--role", "viewer"),
        *("--password", "correct-horse-9"),
    )

    assert "User exists: ops@acme.test - added to 'globex' as viewer" in output
    assert set(user.memberships.values_list("tenant__slug", "role")) == {
        ("acme", "admin"),
        ("globex", "viewer"),
    }


def test_createuser_refuses_a_password_that_is_not_the_existing_accounts_and_changes_nothing(
    tenant_a, tenant_b, make_member
):
    user = make_member(tenant_a, Role.ADMIN, email="ops@acme.test")

    with pytest.raises(CommandError, match=r"--password is not its password"):
        run(
            "createuser",
            *("--tenant", "globex", "--email", "ops@acme.test", "--role", "viewer"),
            *("--password", "a-new-long-pass-9"),
        )

    user.refresh_from_db()
    assert user.check_password("correct-horse-9")
    assert not user.memberships.filter(tenant=tenant_b).exists()


def test_createuser_adds_an_existing_account_when_the_operator_says_it_is_theirs(
    tenant_a, tenant_b, make_member
):
    user = make_member(tenant_a, Role.ADMIN, email="ops@acme.test")

    output = run(
        "createuser",
        *("--tenant", "globex", "--email", "ops@acme.test", "--role", "viewer"),
        "--existing-account-is-theirs",
    )

    assert "added to 'globex' as viewer" in output
    assert user.memberships.get(tenant=tenant_b).role == Role.VIEWER
    user.refresh_from_db()
    assert user.check_password("correct-horse-9")


def test_an_operator_who_says_the_account_is_theirs_may_also_replace_its_password(
    tenant_a, tenant_b, make_member
):
    user = make_member(tenant_a, Role.ADMIN, email="ops@acme.test")

    run(
        "createuser",
        *("--tenant", "globex", "--email", "ops@acme.test", "--role", "viewer"),
        *("--password", "a-new-long-pass-9", "--existing-account-is-theirs"),
    )

    user.refresh_from_db()
    assert user.check_password("a-new-long-pass-9")
    assert user.memberships.filter(tenant=tenant_b).exists()


def test_createuser_refuses_an_unknown_tenant(db):
    with pytest.raises(CommandError, match="No tenant 'nope'. Create it first"):
        run(
            "createuser",
            "--tenant",
            "nope",
            "--email",
            "a@b.test",
            "--password",
            "a-long-pass-9",
            "--role",
            "admin",
        )
    assert not User.objects.exists()


def test_createuser_refuses_a_bad_role(tenant_a):
    with pytest.raises(CommandError, match="invalid choice: 'owner'"):
        run(
            "createuser",
            "--tenant",
            "acme",
            "--email",
            "a@b.test",
            "--password",
            "a-long-pass-9",
            "--role",
            "owner",
        )
    assert not User.objects.exists()


def test_createuser_requires_a_password_for_a_new_user(tenant_a):
    with pytest.raises(CommandError, match="a password is required"):
        run("createuser", "--tenant", "acme", "--email", "new@acme.test", "--role", "viewer")
    assert not User.objects.exists()


def test_createuser_refuses_a_weak_password_unless_told_to_skip_validation(tenant_a):
    with pytest.raises(CommandError, match="too short|too common|entirely numeric"):
        run(
            "createuser",
            "--tenant",
            "acme",
            "--email",
            "new@acme.test",
            "--password",
            "1234",
            "--role",
            "viewer",
        )

    run(
        "createuser",
        *("--tenant", "acme", "--email", "new@acme.test", "--password", "1234", "--role", "viewer"),
        "--skip-password-validation",
    )
    assert User.objects.get(email="new@acme.test").check_password("1234")


def test_createuser_does_not_demote_the_last_admin(tenant_a, admin_user):
    with pytest.raises(CommandError, match="at least one admin"):
        run("createuser", "--tenant", "acme", "--email", admin_user.email, "--role", "viewer")
    assert Membership.objects.get(user=admin_user, tenant=tenant_a).role == Role.ADMIN
