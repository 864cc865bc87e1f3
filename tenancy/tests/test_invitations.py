"""Invitations: an admin invites an email with a role; the invitee accepts with the token and a
password. The admin's answer is the same whether or not the email has an account, and an existing
account joins only with its own password (its owner's consent)."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from core.views_ui import is_ui_page
from tenancy.models import Invitation, Membership, Role

INVITATIONS = "/api/tenancy/invitations/"
ACCEPT = "/api/auth/invitations/accept/"
User = get_user_model()


def invite(client, email, role="editor"):
    response = client.post(INVITATIONS, {"email": email, "role": role})
    assert response.status_code == 201, response.content
    return response.json()


def accept(token, password, **extra):
    return APIClient().post(ACCEPT, {"token": token, "password": password, **extra}, format="json")


def me(tokens):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client.get("/api/auth/me/").json()


def test_an_invitation_answers_the_same_shape_whether_or_not_the_email_has_an_account(
    admin_client, outsider_user
):
    known = invite(admin_client, outsider_user.email)
    unknown = invite(admin_client, "nobody-yet@elsewhere.test")

    assert (
        set(known)
        == set(unknown)
        == {
            "id",
            "email",
            "role",
            "created_at",
            "expires_at",
            "token",
            "accept_path",
            "accept_link",
        }
    )
    assert known["accept_path"] == unknown["accept_path"] == ACCEPT
    assert known["token"] != unknown["token"]
    assert len(known["token"]) >= 40


def test_an_invitation_answers_the_link_to_send_with_its_token(admin_client):
    # accept_path is the POST endpoint without the token: opened in a browser, it said "Method GET
    # not allowed". The link is the web UI's accept page, which needs no sign-in.
    created = invite(admin_client, "new@acme.test")

    link = urlsplit(created["accept_link"])

    assert (link.scheme, link.netloc) == ("", "")  # relative: the server may not know its address
    assert is_ui_page(link.path.lstrip("/"))
    assert link.path == "/invitations/accept"
    assert parse_qs(link.query) == {"token": [created["token"]]}


def test_the_token_in_the_link_accepts_the_invitation(admin_client):
    created = invite(admin_client, "new@acme.test")
    token = parse_qs(urlsplit(created["accept_link"]).query)["token"][0]

    response = accept(token, "A-long-passphrase-9", name="New")

    assert response.status_code == 200, response.content
    assert "access" in response.json()


def test_the_token_is_stored_hashed_and_never_listed(admin_client):
    created = invite(admin_client, "new@acme.test")

    listed = admin_client.get(INVITATIONS).json()["results"]

    assert [row["email"] for row in listed] == ["new@acme.test"]
    assert "token" not in listed[0] and "accept_path" not in listed[0] and "accept_link" not in listed[0]
    stored = Invitation.objects.get(pk=created["id"])
    assert created["token"] not in stored.token_hash
    assert not Invitation.objects.unscoped("test: every tenant").filter(token_hash=created["token"]).exists()


def test_inviting_does_not_attach_an_existing_account(admin_client, outsider_user, tenant_a):
    invite(admin_client, outsider_user.email)

    assert not Membership.objects.filter(user=outsider_user, tenant=tenant_a).exists()


def test_a_new_email_accepts_and_gets_an_account_signed_in_to_the_tenant(admin_client, tenant_a):
    token = invite(admin_client, "New.Person@Acme.test", role="editor")["token"]

    response = accept(token, "a-long-passphrase-7", name="New Person")

    assert response.status_code == 200, response.content
    assert set(response.json()) == {"access", "refresh"}
    profile = me(response.json())
    assert profile["user"]["email"] == "new.person@acme.test"
    assert profile["user"]["full_name"] == "New Person"
    assert profile["tenant"]["slug"] == tenant_a.slug
    assert profile["role"] == "editor"
    assert (
        APIClient()
        .post("/api/auth/token/", {"email": "new.person@acme.test", "password": "a-long-passphrase-7"})
        .status_code
        == 200
    )


def test_an_existing_account_joins_only_with_its_own_password(admin_client, outsider_user, tenant_a):
    token = invite(admin_client, outsider_user.email, role="viewer")["token"]

    refused = accept(token, "taken-over-password-1")

    assert refused.status_code == 401
    assert not Membership.objects.filter(user=outsider_user, tenant=tenant_a).exists()
    outsider_user.refresh_from_db()
    assert outsider_user.check_password("correct-horse-9")

    joined = accept(token, "correct-horse-9")

    assert joined.status_code == 200
    assert Membership.objects.get(user=outsider_user, tenant=tenant_a).role == Role.VIEWER
    assert me(joined.json())["tenant"]["slug"] == tenant_a.slug


def test_wrong_passwords_on_an_invitation_count_towards_the_account_lockout(
    admin_client, outsider_user, settings
):
    settings.MIGRATEIQ_LOGIN_LOCKOUT_FAILURES = 2
    token = invite(admin_client, outsider_user.email)["token"]

    assert [accept(token, "wrong-but-long-9").status_code for _ in range(2)] == [401, 401]

    assert accept(token, "correct-horse-9").status_code == 429
    assert (
        APIClient()
        .post("/api/auth/token/", {"email": outsider_user.email, "password": "correct-horse-9"})
        .status_code
        == 429
    )


def test_a_weak_password_for_a_new_account_is_400(admin_client):
    token = invite(admin_client, "weak@acme.test")["token"]

    response = accept(token, "123")

    assert response.status_code == 400
    assert "password" in response.json()["errors"]
    assert not User.objects.filter(email="weak@acme.test").exists()


@pytest.mark.parametrize("weak", ["123", "password", "short"])
def test_a_weak_password_answers_the_same_whether_or_not_the_email_has_an_account(
    admin_client, outsider_user, weak
):
    """An admin holding the token of an invitation it sent learns nothing from a weak guess: the
    account's own password is not weak, so the weak-password answer is the one a new email gets."""
    existing = accept(invite(admin_client, outsider_user.email)["token"], weak)
    new = accept(invite(admin_client, "nobody-yet@elsewhere.test")["token"], weak)

    assert existing.status_code == new.status_code == 400
    assert existing.json() == new.json()
    assert "password" in new.json()["errors"]
    assert not User.objects.filter(email="nobody-yet@elsewhere.test").exists()


def test_weak_guesses_lock_an_invitation_the_same_whether_or_not_the_email_has_an_account(
    admin_client, outsider_user, settings
):
    settings.MIGRATEIQ_LOGIN_LOCKOUT_FAILURES = 2
    tokens = [invite(admin_client, email)["token"] for email in (outsider_user.email, "nobody@else.test")]

    answers = [[accept(token, "123").status_code for _ in range(3)] for token in tokens]

    assert answers == [[400, 400, 429], [400, 400, 429]]
    assert not User.objects.filter(email="nobody@else.test").exists()


def test_a_refused_acceptance_costs_one_password_hash_whether_or_not_the_email_has_an_account(
    admin_client, outsider_user, monkeypatch
):
    import django.contrib.auth.base_user as base_user

    hashed: list = []
    make, check = base_user.make_password, base_user.check_password
    monkeypatch.setattr(base_user, "make_password", lambda *a, **k: hashed.append("make") or make(*a, **k))
    monkeypatch.setattr(base_user, "check_password", lambda *a, **k: hashed.append("check") or check(*a, **k))
    tokens = [invite(admin_client, email)["token"] for email in (outsider_user.email, "nobody@else.test")]

    for token in tokens:
        hashed.clear()
        assert accept(token, "123").status_code == 400
        assert len(hashed) == 1, hashed


@pytest.mark.parametrize("state", ["used", "revoked", "expired", "unknown", "replaced"])
def test_an_invitation_that_cannot_be_accepted_is_400(state, admin_client, tenant_a):
    token = invite(admin_client, "late@acme.test")["token"]
    invitation = Invitation.objects.for_tenant(tenant_a).get(email="late@acme.test")
    if state == "used":
        assert accept(token, "a-long-passphrase-7").status_code == 200
    elif state == "revoked":
        assert admin_client.delete(f"{INVITATIONS}{invitation.pk}/").status_code == 204
    elif state == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "unknown":
        token = token[:-4] + "AAAA"
    elif state == "replaced":
        invite(admin_client, "late@acme.test")

    response = accept(token, "another-long-pass-8")

    assert response.status_code == 400
    assert "not valid" in response.json()["detail"]


@pytest.mark.parametrize("lost", ["demoted", "removed", "deactivated", "deleted"])
def test_an_invitation_is_void_once_whoever_sent_it_is_no_longer_an_admin(
    lost, admin_client, make_member, client_for, tenant_a
):
    # An admin about to be demoted or removed invited an address of their own as admin and kept the
    # token (shown once, only to them): accepting it afterwards gave them the admin role back.
    other_admin = make_member(tenant_a, Role.ADMIN, email="other-admin@acme.test")
    created = invite(client_for(other_admin, tenant_a), "accomplice@elsewhere.test", role="admin")
    membership = Membership.objects.get(user=other_admin, tenant=tenant_a)
    if lost == "demoted":
        assert (
            admin_client.patch(f"/api/tenancy/members/{membership.pk}/", {"role": "viewer"}).status_code
            == 200
        )
    elif lost == "removed":
        assert admin_client.delete(f"/api/tenancy/members/{membership.pk}/").status_code == 204
    elif lost == "deactivated":
        User.objects.filter(pk=other_admin.pk).update(is_active=False)
    else:
        other_admin.delete()

    response = accept(created["token"], "A-long-passphrase-9")

    assert response.status_code == 400
    assert "no longer an admin" in response.json()["detail"]
    assert not User.objects.filter(email="accomplice@elsewhere.test").exists()
    assert created["id"] not in [row["id"] for row in admin_client.get(INVITATIONS).json()["results"]]


def test_an_invitation_from_an_admin_who_is_still_one_is_accepted(
    admin_client, make_member, client_for, tenant_a
):
    other_admin = make_member(tenant_a, Role.ADMIN, email="other-admin@acme.test")
    created = invite(client_for(other_admin, tenant_a), "new-editor@elsewhere.test")
    make_member(tenant_a, Role.VIEWER)  # other members change nothing

    assert accept(created["token"], "A-long-passphrase-9").status_code == 200


def test_revoked_and_accepted_invitations_leave_the_pending_list(admin_client):
    revoked = invite(admin_client, "a@acme.test")
    accepted = invite(admin_client, "b@acme.test")
    pending = invite(admin_client, "c@acme.test")
    admin_client.delete(f"{INVITATIONS}{revoked['id']}/")
    accept(accepted["token"], "a-long-passphrase-7")

    listed = [row["id"] for row in admin_client.get(INVITATIONS).json()["results"]]

    assert listed == [pending["id"]]
    assert admin_client.delete(f"{INVITATIONS}{revoked['id']}/").status_code == 404


def test_accepting_an_invitation_cannot_demote_the_tenants_last_admin(admin_client, admin_user, tenant_a):
    token = invite(admin_client, admin_user.email, role="viewer")["token"]

    response = accept(token, "correct-horse-9")

    assert response.status_code == 400
    assert "at least one admin" in response.json()["detail"]
    assert Membership.objects.get(user=admin_user, tenant=tenant_a).role == Role.ADMIN


@pytest.mark.parametrize(
    "body",
    [{"email": "x@acme.test", "role": "owner"}, {"email": "not-an-email", "role": "viewer"}, {}],
)
def test_invalid_invitation_input_is_400(admin_client, body):
    assert admin_client.post(INVITATIONS, body).status_code == 400


def test_a_client_supplied_tenant_is_refused_when_inviting(admin_client, tenant_a, tenant_b):
    response = admin_client.post(
        INVITATIONS, {"email": "p@acme.test", "role": "viewer", "tenant": tenant_b.pk}
    )

    assert response.status_code == 400
    assert "tenant" in response.json()["errors"]
    assert not Invitation.objects.unscoped("the test looks at every tenant's invitations").exists()


def test_another_tenants_invitation_cannot_be_revoked(outsider_client, admin_client):
    created = invite(admin_client, "mine@acme.test")

    assert outsider_client.delete(f"{INVITATIONS}{created['id']}/").status_code == 404
    assert accept(created["token"], "a-long-passphrase-7").status_code == 200


# --- the tenant's limits --------------------------------------------------------------------------


def test_a_tenant_cannot_have_more_pending_invitations_than_its_limit(
    admin_client, outsider_client, settings, tenant_a
):
    settings.MIGRATEIQ_TENANT_MAX_PENDING_INVITATIONS = 2
    invite(admin_client, "one@acme.test")
    invite(admin_client, "two@acme.test")

    refused = admin_client.post(INVITATIONS, {"email": "three@acme.test", "role": "viewer"})

    assert refused.status_code == 409, refused.content
    body = refused.json()
    assert "2 pending invitations" in body["detail"]
    assert "MIGRATEIQ_TENANT_MAX_PENDING_INVITATIONS=2" in body["detail"]
    assert body["limit"] == 2 and body["setting"] == "MIGRATEIQ_TENANT_MAX_PENDING_INVITATIONS"
    assert not Invitation.objects.for_tenant(tenant_a).filter(email="three@acme.test").exists()
    # another tenant has its own count
    elsewhere = outsider_client.post(INVITATIONS, {"email": "three@acme.test", "role": "viewer"})
    assert elsewhere.status_code == 201


def test_revoked_accepted_and_expired_invitations_make_room_under_the_limit(admin_client, settings, tenant_a):
    settings.MIGRATEIQ_TENANT_MAX_PENDING_INVITATIONS = 1
    first = invite(admin_client, "one@acme.test")
    assert admin_client.delete(f"{INVITATIONS}{first['id']}/").status_code == 204
    second = invite(admin_client, "two@acme.test")
    assert accept(second["token"], "a-long-passphrase-7").status_code == 200
    third = invite(admin_client, "three@acme.test")
    Invitation.objects.filter(pk=third["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    invite(admin_client, "four@acme.test")
    assert admin_client.post(INVITATIONS, {"email": "five@acme.test", "role": "viewer"}).status_code == 409

    settings.MIGRATEIQ_TENANT_MAX_PENDING_INVITATIONS = 0
    invite(admin_client, "five@acme.test")


def test_members_and_pending_invitations_together_stay_within_the_member_limit(
    admin_client, make_member, settings, tenant_a
):
    settings.MIGRATEIQ_TENANT_MAX_MEMBERS = 3
    make_member(tenant_a, Role.VIEWER)  # with the admin: two members
    invite(admin_client, "one@acme.test")

    refused = admin_client.post(INVITATIONS, {"email": "two@acme.test", "role": "viewer"})

    assert refused.status_code == 409, refused.content
    assert "3 members and pending invitations" in refused.json()["detail"]
    assert "MIGRATEIQ_TENANT_MAX_MEMBERS=3" in refused.json()["detail"]


def test_an_invitation_cannot_take_a_tenant_past_its_member_limit(admin_client, settings, tenant_a):
    pending = invite(admin_client, "late@acme.test")
    settings.MIGRATEIQ_TENANT_MAX_MEMBERS = 1  # lowered by the operator after the invitation

    refused = accept(pending["token"], "a-long-passphrase-7")

    assert refused.status_code == 409, refused.content
    assert "MIGRATEIQ_TENANT_MAX_MEMBERS=1" in refused.json()["detail"]
    assert not User.objects.filter(email="late@acme.test").exists()
    assert [row["id"] for row in admin_client.get(INVITATIONS).json()["results"]] == [pending["id"]]
    settings.MIGRATEIQ_TENANT_MAX_MEMBERS = 2
    assert accept(pending["token"], "a-long-passphrase-7").status_code == 200


def test_an_existing_member_accepts_an_invitation_at_the_member_limit(
    admin_client, make_member, settings, tenant_a
):
    viewer = make_member(tenant_a, Role.VIEWER, email="viewer@acme.test")
    token = invite(admin_client, viewer.email, role="editor")["token"]
    settings.MIGRATEIQ_TENANT_MAX_MEMBERS = 2

    assert accept(token, "correct-horse-9").status_code == 200
    assert Membership.objects.get(user=viewer, tenant=tenant_a).role == Role.EDITOR
