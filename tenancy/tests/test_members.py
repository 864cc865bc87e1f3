"""The members API: tenant admins list, re-role and remove members of their own tenant (new members
join through invitations: test_invitations.py)."""

import contextlib
import threading

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
    assert (
        client.post("/api/tenancy/invitations/", {"email": "new@acme.test", "role": "viewer"}).status_code
        == 403
    )
    assert client.patch(member_url(target), {"role": "viewer"}).status_code == 403
    assert client.delete(member_url(target)).status_code == 403
    assert membership_of(admin_user, tenant_a).role == Role.ADMIN
    assert not User.objects.filter(email="new@acme.test").exists()


def test_anonymous_requests_to_members_are_401(anon_client, db):
    assert anon_client.get(MEMBERS).status_code == 401


def test_members_are_no_longer_added_directly_but_invited(admin_client, outsider_user, tenant_a):
    """Adding an existing account by email attached it without its owner's consent and told the
    admin which emails have accounts; members now join through invitations."""
    response = admin_client.post(MEMBERS, {"email": outsider_user.email, "role": "viewer"})

    assert response.status_code == 405
    assert response.json()["detail"]
    assert not Membership.objects.filter(user=outsider_user, tenant=tenant_a).exists()


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


@pytest.mark.postgresql_only  # SQLite runs one write transaction at a time: no interleaving (conftest.py)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first, second", [("demote", "demote"), ("remove", "remove"), ("demote", "remove")])
def test_two_admins_changed_at_the_same_moment_leave_the_tenant_an_admin(
    first, second, make_member, tenant_a, monkeypatch
):
    """Each change counted the other admins before either had committed, so two requests at once
    (two admins demoting each other, or one removing itself while demoting the other) each saw one
    admin left and the tenant ended with none: no one could manage its members or webhooks."""
    from core.tests.concurrency import started_in_thread
    from tenancy import services

    admins = [make_member(tenant_a, Role.ADMIN, email=f"admin-{n}@acme.test") for n in (1, 2)]
    counted = threading.Barrier(2, timeout=2)
    counts = services.admins_left_after

    def count_then_wait_for_the_other(*args, **kwargs):
        left = counts(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            counted.wait()  # both have counted before either writes, unless one waits for the other
        return left

    monkeypatch.setattr(services, "admins_left_after", count_then_wait_for_the_other)
    refused = []

    def change(operation, target, actor):
        membership = membership_of(target, tenant_a)
        try:
            if operation == "demote":
                services.change_member_role(membership, Role.VIEWER, actor=actor)
            else:
                services.remove_member(membership, actor=actor)
        except services.LastAdminError:
            refused.append(operation)

    threads = [
        started_in_thread(change, first, admins[1], admins[0]),
        started_in_thread(change, second, admins[0], admins[1]),
    ]
    for thread in threads:
        thread.join(10)

    assert Membership.objects.filter(tenant=tenant_a, role=Role.ADMIN).count() == 1
    assert len(refused) == 1
