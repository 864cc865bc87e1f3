"""The members API: tenant admins list, add, re-role and remove members of their own tenant."""

import pytest
from django.contrib.auth import get_user_model

from tenancy.models import Membership, Role

MEMBERS = "/api/tenancy/members/"
User = get_user_model()


def member_url(membership):
    return f"{MEMBERS}{membership.pk}/"


def membership_of(user, tenant):
    return Membership.objects.get(user=user, tenant=tenant)


def test_admin_lists_the_members_of_their_tenant_only(admin_client, admin_user, editor_user, outsider_user):
    response = admin_client.get(MEMBERS)

    assert response.status_code == 200
    emails = [row["email"] for row in response.json()["results"]]
    assert emails == sorted([admin_user.email, editor_user.email])
    assert outsider_user.email not in emails


@pytest.mark.parametrize("client_name", ["editor_client", "viewer_client"])
def test_non_admins_cannot_list_or_manage_members(request, client_name, admin_user, tenant_a):
    client = request.getfixturevalue(client_name)
    target = membership_of(admin_user, tenant_a)

    assert client.get(MEMBERS).status_code == 403
    assert client.get(member_url(target)).status_code == 403
    assert client.post(MEMBERS, {"email": "new@acme.test", "role": "viewer"}).status_code == 403
    assert client.patch(member_url(target), {"role": "viewer"}).status_code == 403
    assert client.delete(member_url(target)).status_code == 403
    assert membership_of(admin_user, tenant_a).role == Role.ADMIN
    assert not User.objects.filter(email="new@acme.test").exists()


def test_anonymous_requests_to_members_are_401(anon_client, db):
    assert anon_client.get(MEMBERS).status_code == 401


def test_admin_adds_a_new_user_with_a_password_and_a_role(admin_client, anon_client, tenant_a):
    response = admin_client.post(
        MEMBERS, {"email": "New.Person@Acme.test", "role": "editor", "password": "a-long-passphrase-7"}
    )

    assert response.status_code == 201, response.content
    assert response.json()["email"] == "new.person@acme.test"
    assert response.json()["role"] == "editor"
    assert "password" not in response.json()
    login = anon_client.post(
        "/api/auth/token/", {"email": "new.person@acme.test", "password": "a-long-passphrase-7"}
    )
    assert login.status_code == 200


def test_adding_a_new_user_without_a_password_is_400(admin_client, db):
    response = admin_client.post(MEMBERS, {"email": "nopass@acme.test", "role": "viewer"})

    assert response.status_code == 400
    assert "password is required" in response.json()["detail"]
    assert not User.objects.filter(email="nopass@acme.test").exists()


def test_adding_a_new_user_with_a_weak_password_is_400(admin_client, db):
    response = admin_client.post(MEMBERS, {"email": "weak@acme.test", "role": "viewer", "password": "123"})

    assert response.status_code == 400
    assert "password" in response.json()["errors"]


def test_admin_adds_an_existing_user_of_another_tenant_by_email(admin_client, outsider_user, tenant_a):
    response = admin_client.post(MEMBERS, {"email": outsider_user.email, "role": "viewer"})

    assert response.status_code == 201
    assert membership_of(outsider_user, tenant_a).role == Role.VIEWER


def test_a_tenant_admin_cannot_change_the_password_of_an_existing_account(
    admin_client, outsider_user, tenant_a
):
    """The account may belong to other tenants: adding it must not hand its password to this admin."""
    response = admin_client.post(
        MEMBERS, {"email": outsider_user.email, "role": "viewer", "password": "taken-over-password-1"}
    )

    assert response.status_code == 201
    outsider_user.refresh_from_db()
    assert outsider_user.check_password("correct-horse-9")
    assert not outsider_user.check_password("taken-over-password-1")


@pytest.mark.parametrize(
    "body",
    [{"email": "x@acme.test", "role": "owner"}, {"email": "not-an-email", "role": "viewer"}, {}],
)
def test_invalid_member_input_is_400(admin_client, body):
    assert admin_client.post(MEMBERS, body).status_code == 400


def test_a_client_supplied_tenant_is_ignored_when_adding_a_member(admin_client, tenant_a, tenant_b):
    response = admin_client.post(
        MEMBERS,
        {"email": "p@acme.test", "role": "viewer", "password": "a-long-passphrase-7", "tenant": tenant_b.pk},
    )

    assert response.status_code == 201
    assert list(Membership.objects.filter(user__email="p@acme.test").values_list("tenant", flat=True)) == [
        tenant_a.pk
    ]


def test_admin_changes_a_role(admin_client, editor_user, tenant_a):
    target = membership_of(editor_user, tenant_a)

    response = admin_client.patch(member_url(target), {"role": "viewer"})

    assert response.status_code == 200
    assert response.json()["role"] == "viewer"
    assert membership_of(editor_user, tenant_a).role == Role.VIEWER


def test_a_role_patch_cannot_move_a_membership_to_another_tenant(
    admin_client, editor_user, tenant_a, tenant_b
):
    target = membership_of(editor_user, tenant_a)

    admin_client.patch(member_url(target), {"role": "viewer", "tenant": tenant_b.pk, "user": 999})

    target.refresh_from_db()
    assert (target.tenant_id, target.user_id) == (tenant_a.pk, editor_user.pk)


def test_a_role_patch_with_an_unknown_role_is_400(admin_client, editor_user, tenant_a):
    response = admin_client.patch(member_url(membership_of(editor_user, tenant_a)), {"role": "root"})

    assert response.status_code == 400
    assert membership_of(editor_user, tenant_a).role == Role.EDITOR


def test_put_on_a_member_is_not_allowed(admin_client, editor_user, tenant_a):
    response = admin_client.put(member_url(membership_of(editor_user, tenant_a)), {"role": "viewer"})

    assert response.status_code == 405


def test_admin_removes_a_member(admin_client, editor_user, tenant_a):
    response = admin_client.delete(member_url(membership_of(editor_user, tenant_a)))

    assert response.status_code == 204
    assert not Membership.objects.filter(user=editor_user, tenant=tenant_a).exists()
    assert User.objects.filter(pk=editor_user.pk).exists()  # the account stays; only the membership goes


def test_the_last_admin_cannot_be_removed(admin_client, admin_user, tenant_a):
    response = admin_client.delete(member_url(membership_of(admin_user, tenant_a)))

    assert response.status_code == 400
    assert "at least one admin" in response.json()["detail"]
    assert membership_of(admin_user, tenant_a).role == Role.ADMIN


def test_the_last_admin_cannot_be_demoted(admin_client, admin_user, tenant_a):
    response = admin_client.patch(member_url(membership_of(admin_user, tenant_a)), {"role": "editor"})

    assert response.status_code == 400
    assert "at least one admin" in response.json()["detail"]
    assert membership_of(admin_user, tenant_a).role == Role.ADMIN


def test_the_last_admin_cannot_be_demoted_by_re_adding_them(admin_client, admin_user, tenant_a):
    response = admin_client.post(MEMBERS, {"email": admin_user.email, "role": "viewer"})

    assert response.status_code == 400
    assert "at least one admin" in response.json()["detail"]
    assert membership_of(admin_user, tenant_a).role == Role.ADMIN


def test_an_admin_can_be_removed_when_another_admin_remains(admin_client, admin_user, make_member, tenant_a):
    make_member(tenant_a, Role.ADMIN, email="second-admin@acme.test")

    assert (
        admin_client.patch(member_url(membership_of(admin_user, tenant_a)), {"role": "viewer"}).status_code
        == 200
    )
    # now a viewer: the next request is refused by role
    assert admin_client.get(MEMBERS).status_code == 403


def test_admins_of_other_tenants_do_not_count_towards_the_last_admin(
    admin_client, admin_user, outsider_user, tenant_a
):
    assert admin_client.delete(member_url(membership_of(admin_user, tenant_a))).status_code == 400


def test_another_tenants_membership_is_404_for_every_method(outsider_client, editor_user, tenant_a):
    target = membership_of(editor_user, tenant_a)

    assert outsider_client.get(member_url(target)).status_code == 404
    assert outsider_client.patch(member_url(target), {"role": "admin"}).status_code == 404
    assert outsider_client.delete(member_url(target)).status_code == 404
    assert membership_of(editor_user, tenant_a).role == Role.EDITOR


def test_the_members_list_is_searchable_by_email(admin_client, admin_user, editor_user):
    response = admin_client.get(MEMBERS, {"search": "editor@"})

    assert [row["email"] for row in response.json()["results"]] == [editor_user.email]
