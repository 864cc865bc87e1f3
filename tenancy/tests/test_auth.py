"""Sign-in, token refresh and the JWT checks every API request goes through."""

import base64
import json
import time
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone
from django.utils.crypto import salted_hmac
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from core import extensions
from tenancy.authentication import (
    MEMBERSHIP_CLAIM,
    PASSWORD_CLAIM,
    SESSION_CLAIM,
    TENANT_CLAIM,
    TENANT_GENERATION_CLAIM,
    UNBOUND_SIGN_IN,
)
from tenancy.models import EndedSession, Invitation, Membership, Role

TOKEN_URL = "/api/auth/token/"
REFRESH_URL = "/api/auth/token/refresh/"
ME_URL = "/api/auth/me/"
PASSWORD = "correct-horse-9"


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def access_token(user, tenant, **claims) -> AccessToken:
    """An access token of ``user`` in ``tenant`` bound to its membership there, if any, as a sign-in
    mints it (``claims`` change or add claims)."""
    token = AccessToken.for_user(user)
    token[TENANT_CLAIM] = tenant.pk
    token["tenant"] = tenant.slug
    membership = Membership.objects.filter(user=user, tenant=tenant).first()
    if membership is not None:
        token[MEMBERSHIP_CLAIM] = membership.pk
    for name, value in claims.items():
        token[name] = value
    return token


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def login(client, email, password=PASSWORD, tenant=None):
    body = {"email": email, "password": password}
    if tenant is not None:
        body["tenant"] = tenant
    return client.post(TOKEN_URL, body, format="json")


# --- sign-in -----------------------------------------------------------------------------------


def test_login_returns_tokens_that_carry_the_tenant(anon_client, admin_user, tenant_a):
    response = login(anon_client, admin_user.email, tenant="acme")

    assert response.status_code == 200, response.content
    access = AccessToken(response.json()["access"])
    assert access[TENANT_CLAIM] == tenant_a.pk
    assert access["tenant"] == "acme"
    me = bearer(response.json()["access"]).get(ME_URL)
    assert me.status_code == 200
    assert me.json()["tenant"]["slug"] == "acme"


def test_login_matches_the_tenant_slug_in_any_case_as_the_email(anon_client, admin_user, tenant_a):
    # "ACME" was refused with "You are not a member of tenant 'ACME'", while the email matched in any case
    for typed in ("ACME", "Acme"):
        response = login(anon_client, admin_user.email.upper(), tenant=typed)

        assert response.status_code == 200, response.content
        access = AccessToken(response.json()["access"])
        assert (access[TENANT_CLAIM], access["tenant"]) == (tenant_a.pk, "acme")


def test_login_without_tenant_works_for_a_member_of_one_tenant(anon_client, editor_user):
    response = login(anon_client, editor_user.email)

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_login_with_a_wrong_password_is_401_with_a_clear_message(anon_client, admin_user):
    response = login(anon_client, admin_user.email, password="wrong-password")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid email or password."}


def test_login_of_an_unknown_email_gets_the_same_answer_as_a_wrong_password(anon_client, db):
    response = login(anon_client, "nobody@nowhere.test")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid email or password."}


def test_login_of_a_member_of_several_tenants_without_tenant_is_400(
    anon_client, make_member, tenant_a, tenant_b
):
    user = make_member(tenant_a, Role.ADMIN, email="both@example.test")
    make_member(tenant_b, Role.VIEWER, email="both@example.test")

    response = login(anon_client, user.email)

    assert response.status_code == 400
    assert "acme" in response.json()["detail"] and "globex" in response.json()["detail"]
    assert "access" not in response.json()
    chosen = login(anon_client, user.email, tenant="globex")
    assert chosen.status_code == 200
    assert AccessToken(chosen.json()["access"])[TENANT_CLAIM] == tenant_b.pk


def test_login_to_a_tenant_the_user_is_not_a_member_of_is_403_without_a_token(
    anon_client, admin_user, tenant_b
):
    response = login(anon_client, admin_user.email, tenant="globex")

    assert response.status_code == 403
    assert "globex" in response.json()["detail"]
    assert "access" not in response.json() and "refresh" not in response.json()


def test_login_to_a_deactivated_tenant_is_refused(anon_client, admin_user, tenant_a):
    tenant_a.is_active = False
    tenant_a.save()

    response = login(anon_client, admin_user.email, tenant="acme")

    assert response.status_code == 403
    assert "access" not in response.json()


def test_login_of_a_deactivated_user_is_401(anon_client, admin_user):
    admin_user.is_active = False
    admin_user.save()

    assert login(anon_client, admin_user.email).status_code == 401


def test_login_with_a_malformed_body_is_400_not_500(anon_client, db):
    assert anon_client.post(TOKEN_URL, {"email": "not-an-email"}, format="json").status_code == 400
    assert anon_client.post(TOKEN_URL, "[1, 2]", content_type="application/json").status_code == 400
    assert anon_client.post(TOKEN_URL, "{oops", content_type="application/json").status_code == 400


def test_login_is_throttled_with_retry_after(anon_client, admin_user):
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    statuses = [login(anon_client, admin_user.email, password="wrong").status_code for _ in range(limit)]
    assert statuses == [401] * limit

    throttled = login(anon_client, admin_user.email)  # even the right password

    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) >= 1
    assert "access" not in throttled.json()


def test_a_rotating_x_forwarded_for_does_not_bypass_the_login_throttle(anon_client, admin_user):
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0
    statuses = [
        anon_client.post(
            TOKEN_URL,
            {"email": admin_user.email, "password": "wrong"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        ).status_code
        for i in range(50)
    ]

    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    assert statuses.count(401) == limit
    assert statuses[limit:] == [429] * (50 - limit)


# --- the access token --------------------------------------------------------------------------


def test_me_returns_the_user_tenant_and_role(viewer_client, viewer_user, tenant_a):
    response = viewer_client.get(ME_URL)

    assert response.status_code == 200
    assert response.json() == {
        "user": {"id": viewer_user.pk, "email": viewer_user.email, "full_name": viewer_user.full_name},
        "tenant": {"id": tenant_a.pk, "slug": "acme", "name": "Acme"},
        "role": "viewer",
        "modules": [config.name for config in extensions.installed_modules()],
    }
    assert {"audit", "webhooks"} <= set(response.json()["modules"])  # installed by default


def test_me_names_only_the_installed_modules(viewer_client, monkeypatch):
    # What the web UI links: a module taken out of MIGRATEIQ_EXTENSIONS is not named.
    installed = [config for config in extensions.installed_modules() if config.name != "webhooks"]
    monkeypatch.setattr("tenancy.views.installed_modules", lambda: installed)

    response = viewer_client.get(ME_URL)

    assert response.json()["modules"] == [config.name for config in installed]
    assert "webhooks" not in response.json()["modules"]


def test_me_without_a_token_is_401(anon_client, db):
    assert anon_client.get(ME_URL).status_code == 401


@pytest.mark.parametrize("path", [ME_URL, "/api/demo-extension/connectors/", "/api/destinations/"])
def test_a_request_without_credentials_is_told_how_to_authenticate_keeping_the_code(anon_client, db, path):
    # finding 12: "Authentication credentials were not provided." said nothing of how
    response = anon_client.get(path)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided. Send an access token in the header "
        "'Authorization: Bearer <access token>'; get one with POST /api/auth/token/ "
        '({"email", "password", "tenant"}).',
        "code": "not_authenticated",
    }
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_valid_access_token_is_accepted(admin_user, tenant_a):
    assert bearer(str(access_token(admin_user, tenant_a))).get(ME_URL).status_code == 200


def test_an_expired_access_token_is_refused(admin_user, tenant_a):
    token = access_token(admin_user, tenant_a)
    token.set_exp(from_time=token.current_time - timedelta(hours=1), lifetime=timedelta(minutes=5))

    response = bearer(str(token)).get(ME_URL)

    assert response.status_code == 401


def test_a_token_expired_one_second_ago_is_refused(admin_user, tenant_a):
    token = access_token(admin_user, tenant_a)
    token["exp"] = int(time.time()) - 1

    assert bearer(str(token)).get(ME_URL).status_code == 401


def test_an_expired_an_invalid_and_a_signed_out_token_each_say_what_happened(admin_user, tenant_a):
    from rest_framework_simplejwt.tokens import RefreshToken as Refresh

    from tenancy.services import sign_out, tokens_for

    expired = access_token(admin_user, tenant_a)
    expired["exp"] = int(time.time()) - 1
    session = tokens_for(admin_user, tenant_a)
    sign_out(Refresh(session["refresh"]))

    answers = {
        "expired": bearer(str(expired)).get(ME_URL).json(),
        "invalid": bearer("not-a-token").get(ME_URL).json(),
        "signed out": bearer(session["access"]).get(ME_URL).json(),
    }

    # expired and invalid keep Simple JWT's code, which clients refresh on; the detail tells them apart
    assert answers["expired"]["code"] == answers["invalid"]["code"] == "token_not_valid"
    assert answers["expired"]["detail"].startswith("The access token has expired: get a new one")
    assert answers["invalid"]["detail"].startswith("The access token is not valid")
    assert answers["signed out"] == {
        "detail": "This sign-in session was signed out: sign in again.",
        "code": "session_ended",
    }
    assert all("Given token not valid" not in answer["detail"] for answer in answers.values())
    assert answers["expired"]["messages"][0]["message"] == "Token is expired"


def test_access_tokens_are_short_lived():
    lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
    assert timedelta(0) < lifetime <= timedelta(minutes=15)
    assert settings.SIMPLE_JWT["LEEWAY"] == 0


def test_a_tampered_token_is_refused(admin_user, tenant_a, tenant_b, make_member):
    make_member(tenant_b, Role.VIEWER, email=admin_user.email)
    header, payload, signature = str(access_token(admin_user, tenant_a)).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims[TENANT_CLAIM] = tenant_b.pk  # a tenant the user does belong to: only the signature is wrong
    claims[MEMBERSHIP_CLAIM] = Membership.objects.get(user=admin_user, tenant=tenant_b).pk
    forged = f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"

    assert bearer(forged).get(ME_URL).status_code == 401


def test_a_token_with_a_flipped_signature_byte_is_refused(admin_user, tenant_a):
    header, payload, signature = str(access_token(admin_user, tenant_a)).split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]

    assert bearer(f"{header}.{payload}.{flipped}").get(ME_URL).status_code == 401


def test_an_unsigned_alg_none_token_is_refused(admin_user, tenant_a):
    claims = dict(access_token(admin_user, tenant_a).payload)
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    unsigned = f"{header}.{b64url(json.dumps(claims).encode())}."

    assert bearer(unsigned).get(ME_URL).status_code == 401


def test_a_token_signed_with_secret_key_instead_of_the_jwt_key_is_refused(admin_user, tenant_a):
    assert settings.SIMPLE_JWT["SIGNING_KEY"] != settings.SECRET_KEY
    claims = dict(access_token(admin_user, tenant_a).payload)
    forged = jwt.encode(claims, settings.SECRET_KEY, algorithm="HS256")

    assert bearer(forged).get(ME_URL).status_code == 401


def test_a_refresh_token_cannot_be_used_as_an_access_token(admin_user, tenant_a):
    refresh = RefreshToken.for_user(admin_user)
    refresh[TENANT_CLAIM] = tenant_a.pk

    assert bearer(str(refresh)).get(ME_URL).status_code == 401


def test_a_token_without_a_tenant_is_refused(admin_user):
    response = bearer(str(AccessToken.for_user(admin_user))).get(ME_URL)

    assert response.status_code == 401
    assert "tenant" in response.json()["detail"]


def test_a_token_for_a_tenant_the_user_does_not_belong_to_is_refused(admin_user, tenant_b):
    """A valid signature does not make a non-member a member."""
    response = bearer(str(access_token(admin_user, tenant_b))).get(ME_URL)

    assert response.status_code == 401


def test_a_token_for_another_tenant_only_sees_that_tenant(outsider_client, tenant_b):
    response = outsider_client.get(ME_URL)

    assert response.json()["tenant"]["slug"] == tenant_b.slug


def test_removing_a_membership_refuses_the_next_request(editor_client, editor_user, tenant_a):
    assert editor_client.get(ME_URL).status_code == 200

    Membership.objects.filter(user=editor_user, tenant=tenant_a).delete()

    response = editor_client.get(ME_URL)
    assert response.status_code == 401
    assert "no longer a member" in response.json()["detail"]


def test_a_role_change_applies_on_the_next_request(editor_client, editor_user, tenant_a):
    Membership.objects.filter(user=editor_user, tenant=tenant_a).update(role=Role.VIEWER)

    assert editor_client.get(ME_URL).json()["role"] == "viewer"


def test_a_deactivated_user_is_refused_on_the_next_request(admin_client, admin_user):
    admin_user.is_active = False
    admin_user.save()

    assert admin_client.get(ME_URL).status_code == 401


def test_a_deactivated_tenant_is_refused_on_the_next_request(admin_client, tenant_a):
    tenant_a.is_active = False
    tenant_a.save()

    assert admin_client.get(ME_URL).status_code == 401


def _tenant_form(tenant, *, active: bool) -> dict:
    """The Django admin's tenant page as an operator submits it, ``is_active`` ticked or not."""
    members = list(Membership.objects.filter(tenant=tenant).values_list("pk", flat=True))
    form = {
        "slug": tenant.slug,
        "name": tenant.name,
        "memberships-TOTAL_FORMS": str(len(members)),
        "memberships-INITIAL_FORMS": str(len(members)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for index, pk in enumerate(members):
        form[f"memberships-{index}-id"] = str(pk)
        form[f"memberships-{index}-tenant"] = str(tenant.pk)
    if active:
        form["is_active"] = "on"
    return form


def test_a_tenant_deactivated_and_activated_again_in_the_admin_brings_no_session_back(
    operator, anon_client, editor_user, outsider_user, tenant_a, tenant_b
):
    """An operator deactivates a tenant (a customer who left, a breach) and activates it again
    later: the sessions signed in before stay ended (they came back with it); its members sign in
    again, and another tenant's sessions never noticed."""
    before = tokens_for(anon_client, editor_user)
    elsewhere = tokens_for(anon_client, outsider_user, tenant="globex")
    change = f"/admin/tenancy/tenant/{tenant_a.pk}/change/"

    assert operator.post(change, _tenant_form(tenant_a, active=False)).status_code == 302
    assert bearer(before["access"]).get(ME_URL).status_code == 401
    assert operator.post(change, _tenant_form(tenant_a, active=True)).status_code == 302
    tenant_a.refresh_from_db()
    assert tenant_a.is_active

    old_access = bearer(before["access"]).get(ME_URL)
    old_refresh = anon_client.post(REFRESH_URL, {"refresh": before["refresh"]}, format="json")
    assert old_access.status_code == 401
    assert old_access.json()["detail"] == "This tenant was deactivated after this sign-in: sign in again."
    assert old_refresh.status_code == 401 and "access" not in old_refresh.json()
    again = tokens_for(anon_client, editor_user)
    assert bearer(again["access"]).get(ME_URL).status_code == 200
    rotated = anon_client.post(REFRESH_URL, {"refresh": again["refresh"]}, format="json")
    assert rotated.status_code == 200, rotated.content
    assert bearer(rotated.json()["access"]).get(ME_URL).status_code == 200
    assert bearer(elsewhere["access"]).get(ME_URL).status_code == 200


def test_deactivating_and_activating_a_tenant_is_recorded_and_a_save_without_it_ends_nothing(
    operator, anon_client, editor_user, tenant_a, monkeypatch
):
    from core import activity

    recorded: list[tuple[str, dict]] = []
    monkeypatch.setattr(activity, "record", lambda action, **fields: recorded.append((action, fields)))
    before = tokens_for(anon_client, editor_user)
    change = f"/admin/tenancy/tenant/{tenant_a.pk}/change/"
    renamed = {**_tenant_form(tenant_a, active=True), "name": "Acme Renamed"}

    assert operator.post(change, renamed).status_code == 302
    assert bearer(before["access"]).get(ME_URL).status_code == 200  # a rename ends no session
    tenant_a.refresh_from_db()
    assert operator.post(change, _tenant_form(tenant_a, active=False)).status_code == 302
    assert operator.post(change, _tenant_form(tenant_a, active=True)).status_code == 302

    tenant_a.refresh_from_db()
    assert (tenant_a.name, tenant_a.session_generation) == ("Acme Renamed", 2)
    assert [(action, fields["actor"]) for action, fields in recorded if action.startswith("tenant.")] == [
        ("tenant.deactivated", operator.user),
        ("tenant.activated", operator.user),
    ]


def test_an_invitation_sent_before_a_deactivation_cannot_be_accepted_once_the_tenant_is_active_again(
    operator, admin_client, anon_client, tenant_a
):
    """An admin role a thief invited itself to before the operator deactivated the tenant came back
    with the tenant: the token is a sign-in not made yet."""
    invited = admin_client.post("/api/tenancy/invitations/", {"email": "thief@evil.test", "role": "admin"})
    change = f"/admin/tenancy/tenant/{tenant_a.pk}/change/"
    assert operator.post(change, _tenant_form(tenant_a, active=False)).status_code == 302
    assert operator.post(change, _tenant_form(tenant_a, active=True)).status_code == 302

    accepted = anon_client.post(
        "/api/auth/invitations/accept/",
        {"token": invited.json()["token"], "password": "another-horse-10"},
        format="json",
    )

    assert accepted.status_code == 400, accepted.content
    assert not Membership.objects.filter(tenant=tenant_a, user__email="thief@evil.test").exists()
    invitation = Invitation.objects.get(tenant=tenant_a, email="thief@evil.test")
    assert invitation.revoked_at is not None


def test_a_sign_in_that_a_deactivation_overtakes_mints_no_token(editor_user, tenant_a):
    """The membership, the tenant's activation and its generation are read together: a sign-in
    checked before a deactivation cannot mint a token of the generation after it."""
    from tenancy.services import set_tenant_active
    from tenancy.services import tokens_for as mint

    set_tenant_active(tenant_a, False)

    with pytest.raises(Membership.DoesNotExist):
        mint(editor_user, tenant_a)


def test_an_account_deactivated_and_activated_again_in_the_admin_gets_none_of_its_sessions_back(
    operator, anon_client, editor_user
):
    before = tokens_for(anon_client, editor_user)
    change = f"/admin/accounts/user/{editor_user.pk}/change/"
    form = {
        "email": editor_user.email,
        "full_name": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }

    assert operator.post(change, form).status_code == 302  # is_active not ticked
    assert bearer(before["access"]).get(ME_URL).status_code == 401
    assert operator.post(change, {**form, "is_active": "on"}).status_code == 302
    editor_user.refresh_from_db()
    assert editor_user.is_active

    old_access = bearer(before["access"]).get(ME_URL)
    old_refresh = anon_client.post(REFRESH_URL, {"refresh": before["refresh"]}, format="json")
    assert (old_access.status_code, old_access.json()["code"]) == (401, "password_changed")
    assert old_refresh.status_code == 401 and "access" not in old_refresh.json()
    again = tokens_for(anon_client, editor_user)
    assert bearer(again["access"]).get(ME_URL).status_code == 200
    assert operator.post(change, {**form, "is_active": "on", "full_name": "Ed"}).status_code == 302
    assert bearer(again["access"]).get(ME_URL).status_code == 200  # other changes end nothing


def test_a_token_of_a_deleted_user_is_refused(admin_user, tenant_a):
    token = str(access_token(admin_user, tenant_a))
    admin_user.delete()

    assert bearer(token).get(ME_URL).status_code == 401


def test_a_basic_or_unknown_authorization_scheme_is_refused(admin_user, anon_client, db):
    anon_client.credentials(HTTP_AUTHORIZATION="Basic YWRtaW5AYWNtZS50ZXN0OmNvcnJlY3QtaG9yc2UtOQ==")
    assert anon_client.get(ME_URL).status_code == 401
    assert bearer("not.a.jwt").get(ME_URL).status_code == 401


# --- refresh -----------------------------------------------------------------------------------


def tokens_for(client, user, tenant="acme"):
    response = login(client, user.email, tenant=tenant)
    assert response.status_code == 200, response.content
    return response.json()


def test_refresh_rotates_and_the_old_refresh_token_is_refused(anon_client, admin_user, tenant_a):
    first = tokens_for(anon_client, admin_user)

    rotated = anon_client.post(REFRESH_URL, {"refresh": first["refresh"]}, format="json")

    assert rotated.status_code == 200, rotated.content
    assert rotated.json()["refresh"] != first["refresh"]
    assert AccessToken(rotated.json()["access"])[TENANT_CLAIM] == tenant_a.pk
    assert bearer(rotated.json()["access"]).get(ME_URL).status_code == 200
    replay = anon_client.post(REFRESH_URL, {"refresh": first["refresh"]}, format="json")
    assert replay.status_code == 401
    again = anon_client.post(REFRESH_URL, {"refresh": rotated.json()["refresh"]}, format="json")
    assert again.status_code == 200


def test_two_requests_refreshing_one_token_at_once_mint_one_new_pair(
    anon_client, admin_user, tenant_a, monkeypatch
):
    """A stolen refresh token raced against its owner's: the other request comes in after the first
    one checked the token and just before it spends (blacklists) it."""
    first = tokens_for(anon_client, admin_user)
    manager = type(OutstandingToken.objects)
    get_or_create = manager.get_or_create
    racing: list = []

    def let_the_other_request_in_before_spending(self, *args, **kwargs):
        found = get_or_create(self, *args, **kwargs)
        if self.model is OutstandingToken and not racing:
            racing.append(None)
            racing[0] = APIClient().post(REFRESH_URL, {"refresh": first["refresh"]}, format="json")
        return found

    monkeypatch.setattr(manager, "get_or_create", let_the_other_request_in_before_spending)

    winner = anon_client.post(REFRESH_URL, {"refresh": first["refresh"]}, format="json")

    (other,) = racing
    assert sorted([winner.status_code, other.status_code]) == [200, 401], (winner.content, other.content)
    assert (winner if winner.status_code == 401 else other).json()["code"] == "token_not_valid"


def test_refresh_rotation_and_blacklist_are_on():
    assert settings.SIMPLE_JWT["ROTATE_REFRESH_TOKENS"] is True
    assert settings.SIMPLE_JWT["BLACKLIST_AFTER_ROTATION"] is True
    assert "rest_framework_simplejwt.token_blacklist" in settings.INSTALLED_APPS


def test_an_access_token_cannot_be_used_to_refresh(anon_client, admin_user):
    tokens = tokens_for(anon_client, admin_user)

    response = anon_client.post(REFRESH_URL, {"refresh": tokens["access"]}, format="json")

    assert response.status_code == 401


def test_refresh_is_refused_after_the_membership_is_removed(anon_client, editor_user, tenant_a):
    tokens = tokens_for(anon_client, editor_user)
    Membership.objects.filter(user=editor_user, tenant=tenant_a).delete()

    response = anon_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 401
    assert "access" not in response.json()


def test_a_member_removed_and_invited_back_cannot_use_the_tokens_of_before(
    anon_client, admin_client, editor_user, tenant_a
):
    """A member removed (a lost laptop, a leaver) and invited back later (as a viewer, say): the
    sessions signed in before the removal stay ended; the new membership's sign-in works."""
    before = tokens_for(anon_client, editor_user)
    member = Membership.objects.get(user=editor_user, tenant=tenant_a)
    assert admin_client.delete(f"/api/tenancy/members/{member.pk}/").status_code == 204
    invited = admin_client.post("/api/tenancy/invitations/", {"email": editor_user.email, "role": "viewer"})
    accepted = anon_client.post(
        "/api/auth/invitations/accept/",
        {"token": invited.json()["token"], "password": PASSWORD},
        format="json",
    )
    assert accepted.status_code == 200, accepted.content

    old_access = bearer(before["access"]).get(ME_URL)
    old_refresh = anon_client.post(REFRESH_URL, {"refresh": before["refresh"]}, format="json")

    assert old_access.status_code == 401 and "no longer a member" in old_access.json()["detail"]
    assert old_refresh.status_code == 401 and "access" not in old_refresh.json()
    assert bearer(accepted.json()["access"]).get(ME_URL).status_code == 200


def test_refresh_is_refused_for_a_deactivated_user(anon_client, editor_user):
    tokens = tokens_for(anon_client, editor_user)
    editor_user.is_active = False
    editor_user.save()

    response = anon_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 401


def test_refresh_is_refused_for_a_deactivated_tenant(anon_client, editor_user, tenant_a):
    tokens = tokens_for(anon_client, editor_user)
    tenant_a.is_active = False
    tenant_a.save()

    assert anon_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_a_password_change_ends_every_session_signed_in_with_the_old_password(anon_client, editor_user):
    # An operator changing a leaked password (the admin, changepassword): the refresh token a thief
    # copied kept minting access tokens, each rotation a new day, for as long as they kept using it.
    tokens = tokens_for(anon_client, editor_user)
    rotated = anon_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json").json()
    editor_user.set_password("another-horse-10")
    editor_user.save()

    refresh = anon_client.post(REFRESH_URL, {"refresh": rotated["refresh"]}, format="json")
    me = bearer(rotated["access"]).get(ME_URL)

    assert refresh.status_code == 401
    assert refresh.json()["code"] == "password_changed"
    assert "access" not in refresh.json()
    assert me.status_code == 401
    assert me.json()["code"] == "password_changed"
    new = login(anon_client, editor_user.email, password="another-horse-10")
    assert bearer(new.json()["access"]).get(ME_URL).status_code == 200
    assert anon_client.post(REFRESH_URL, {"refresh": new.json()["refresh"]}, format="json").status_code == 200


def test_saving_the_user_without_a_new_password_keeps_its_sessions(anon_client, editor_user):
    tokens = tokens_for(anon_client, editor_user)
    editor_user.full_name = "Renamed"
    editor_user.save()

    assert bearer(tokens["access"]).get(ME_URL).status_code == 200
    assert anon_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json").status_code == 200


def test_the_password_stamp_in_a_token_tells_nothing_about_the_password(anon_client, editor_user):
    tokens = tokens_for(anon_client, editor_user)
    stamp = AccessToken(tokens["access"])[PASSWORD_CLAIM]

    assert len(stamp) == 16
    assert stamp not in editor_user.password


def test_tokens_minted_before_tokens_named_their_membership_are_refused_and_signing_in_again_works(
    anon_client, editor_user, tenant_a
):
    """Tokens minted before tokens carried ``mid`` (or ``sid`` and ``pwd`` before it) stood for any
    membership of their tenant until they expired, a later one included (a member removed and
    invited back). Each is refused as a token whose membership is gone; its holder signs in again."""
    legacy_refresh = RefreshToken.for_user(editor_user)
    legacy_refresh[TENANT_CLAIM] = tenant_a.pk
    legacy_refresh["tenant"] = tenant_a.slug
    before_sessions = str(legacy_refresh)
    legacy_refresh[SESSION_CLAIM] = legacy_refresh["jti"]
    legacy_refresh[PASSWORD_CLAIM] = editor_user.session_stamp()
    before_memberships = str(legacy_refresh)  # what a sign-in minted before the membership claim
    legacy_access = str(legacy_refresh.access_token)

    answers = [
        bearer(legacy_access).get(ME_URL),
        anon_client.post(REFRESH_URL, {"refresh": before_memberships}, format="json"),
        anon_client.post(REFRESH_URL, {"refresh": before_sessions}, format="json"),
    ]

    assert [answer.status_code for answer in answers] == [401, 401, 401]
    assert [answer.json()["detail"] for answer in answers] == [UNBOUND_SIGN_IN] * 3
    assert all("access" not in answer.json() for answer in answers)
    again = tokens_for(anon_client, editor_user)
    assert bearer(again["access"]).get(ME_URL).status_code == 200
    rotated = anon_client.post(REFRESH_URL, {"refresh": again["refresh"]}, format="json")
    assert rotated.status_code == 200, rotated.content
    assert bearer(rotated.json()["access"]).get(ME_URL).status_code == 200


def test_every_sign_in_path_mints_tokens_bound_to_the_membership_and_the_tenants_generation(
    anon_client, admin_client, editor_user, tenant_a
):
    signed_in = tokens_for(anon_client, editor_user)
    rotated = anon_client.post(REFRESH_URL, {"refresh": signed_in["refresh"]}, format="json").json()
    invited = admin_client.post("/api/tenancy/invitations/", {"email": "new@acme.test", "role": "viewer"})
    accepted = anon_client.post(
        "/api/auth/invitations/accept/",
        {"token": invited.json()["token"], "password": "another-horse-10"},
        format="json",
    ).json()
    editor = Membership.objects.get(user=editor_user, tenant=tenant_a)
    newcomer = Membership.objects.get(user__email="new@acme.test", tenant=tenant_a)

    for tokens, membership in [(signed_in, editor), (rotated, editor), (accepted, newcomer)]:
        for text in (tokens["access"], tokens["refresh"]):
            claims = jwt.decode(text, options={"verify_signature": False})
            assert claims[MEMBERSHIP_CLAIM] == membership.pk
            assert claims[TENANT_GENERATION_CLAIM] == 0
        assert bearer(tokens["access"]).get(ME_URL).status_code == 200


class FewerIterationsPBKDF2(PBKDF2PasswordHasher):
    """A preferred hasher other than the one the account's password was hashed with (a Django
    upgrade raises PBKDF2's iterations): Django re-hashes the password at the next sign-in."""

    iterations = 1000


def test_a_password_re_hashed_at_a_sign_in_keeps_the_sign_ins_made_before(anon_client, editor_user, settings):
    # Tokens carried a digest of the password's hash: Django re-hashing the same password at a sign-in
    # (a new preferred hasher, more iterations after an upgrade) ended every other sign-in of the account.
    before = tokens_for(anon_client, editor_user)
    settings.PASSWORD_HASHERS = [
        "tenancy.tests.test_auth.FewerIterationsPBKDF2",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    hashed_before = type(editor_user).objects.get(pk=editor_user.pk).password

    again = tokens_for(anon_client, editor_user)

    editor_user.refresh_from_db()
    assert editor_user.password != hashed_before and editor_user.password.startswith("pbkdf2_sha256$1000$")
    assert bearer(before["access"]).get(ME_URL).status_code == 200
    assert anon_client.post(REFRESH_URL, {"refresh": before["refresh"]}, format="json").status_code == 200
    assert bearer(again["access"]).get(ME_URL).status_code == 200
    editor_user.set_password("another-horse-10")  # a new password still ends them all
    editor_user.save()
    assert bearer(again["access"]).get(ME_URL).json()["code"] == "password_changed"


def test_a_token_of_an_account_whose_password_predates_the_stamp_field_keeps_its_sign_in(
    anon_client, editor_user
):
    # accounts stored before the stamp was kept: their tokens carry a digest of the password's hash
    type(editor_user).objects.filter(pk=editor_user.pk).update(password_stamp="")
    editor_user.refresh_from_db()
    tokens = tokens_for(anon_client, editor_user)
    assert (
        AccessToken(tokens["access"])[PASSWORD_CLAIM]
        == salted_hmac(
            "tenancy.password_stamp", editor_user.password, secret=settings.JWT_SIGNING_KEY
        ).hexdigest()[:16]
    )

    assert bearer(tokens["access"]).get(ME_URL).status_code == 200
    editor_user.set_unusable_password()  # an account whose password is taken away loses its sign-ins
    editor_user.save()
    assert bearer(tokens["access"]).get(ME_URL).json()["code"] == "password_changed"


def test_refresh_of_a_deleted_user_is_401_not_500(anon_client, editor_user):
    tokens = tokens_for(anon_client, editor_user)
    editor_user.delete()

    assert anon_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_refresh_with_garbage_is_401_or_400(anon_client, db):
    assert anon_client.post(REFRESH_URL, {"refresh": "garbage"}, format="json").status_code == 401
    assert anon_client.post(REFRESH_URL, {}, format="json").status_code == 400


def test_refresh_is_throttled(anon_client, db):
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    for _ in range(limit):
        anon_client.post(REFRESH_URL, {"refresh": "garbage"}, format="json")

    response = anon_client.post(REFRESH_URL, {"refresh": "garbage"}, format="json")

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_an_unknown_email_costs_a_password_hash_like_a_known_one(anon_client, admin_user, monkeypatch):
    """No timing oracle: both answers run the password hasher once."""
    import django.contrib.auth.base_user as base_user

    calls = []
    real = base_user.make_password
    monkeypatch.setattr(base_user, "make_password", lambda *a, **k: calls.append(1) or real(*a, **k))
    checks = []
    real_check = base_user.check_password
    monkeypatch.setattr(base_user, "check_password", lambda *a, **k: checks.append(1) or real_check(*a, **k))

    assert login(anon_client, "nobody@nowhere.test").status_code == 401
    assert login(anon_client, admin_user.email, password="wrong-password").status_code == 401

    assert len(calls) == 1 and len(checks) == 1


def test_signing_out_revokes_the_refresh_token(db, client_for, admin_user, tenant_a):
    from rest_framework.test import APIClient

    client = APIClient()
    tokens = client.post(
        "/api/auth/token/", {"email": admin_user.email, "password": "correct-horse-9"}, format="json"
    ).json()

    response = client.post("/api/auth/logout/", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 204

    refreshed = client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 401


def signed_out_refusal(response) -> None:
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "session_ended"
    assert response.json()["detail"] == "This sign-in session was signed out: sign in again."


def test_signing_out_refuses_the_sessions_access_tokens_from_the_next_request(db, admin_user, tenant_a):
    client = APIClient()
    first = client.post(TOKEN_URL, {"email": admin_user.email, "password": PASSWORD}, format="json").json()
    second = client.post(REFRESH_URL, {"refresh": first["refresh"]}, format="json").json()
    assert bearer(second["access"]).get(ME_URL).status_code == 200

    assert client.post("/api/auth/logout/", {"refresh": second["refresh"]}, format="json").status_code == 204

    signed_out_refusal(bearer(first["access"]).get(ME_URL))
    signed_out_refusal(bearer(second["access"]).get(ME_URL))
    signed_out_refusal(client.post(REFRESH_URL, {"refresh": second["refresh"]}, format="json"))
    EndedSession.objects.update(ended_at=timezone.now() - timedelta(hours=1))
    # the session's spent token, presented long after: still signed out, not ended again for reuse
    signed_out_refusal(client.post(REFRESH_URL, {"refresh": first["refresh"]}, format="json"))
    assert list(EndedSession.objects.values_list("reason", flat=True)) == ["signed_out"]


def test_signing_out_ends_only_that_session(db, admin_user, tenant_a):
    client = APIClient()
    signing_out, other = (
        client.post(TOKEN_URL, {"email": admin_user.email, "password": PASSWORD}, format="json").json()
        for _ in range(2)
    )

    assert (
        client.post("/api/auth/logout/", {"refresh": signing_out["refresh"]}, format="json").status_code
        == 204
    )

    assert bearer(other["access"]).get(ME_URL).status_code == 200
    assert client.post(REFRESH_URL, {"refresh": other["refresh"]}, format="json").status_code == 200


def test_signing_out_needs_no_access_token_and_a_spent_refresh_token_signs_nothing_out(
    db, admin_user, tenant_a
):
    client = APIClient()
    first = client.post(TOKEN_URL, {"email": admin_user.email, "password": PASSWORD}, format="json").json()
    second = client.post(REFRESH_URL, {"refresh": first["refresh"]}, format="json").json()

    refused = bearer("not-a-token").post("/api/auth/logout/", {"refresh": first["refresh"]}, format="json")

    assert refused.status_code == 401
    assert bearer(second["access"]).get(ME_URL).status_code == 200
    assert not EndedSession.objects.exists()


def test_signing_out_with_a_malformed_token_is_a_clear_401(db):
    from rest_framework.test import APIClient

    response = APIClient().post("/api/auth/logout/", {"refresh": "not-a-token"}, format="json")
    assert response.status_code == 401
    assert response.json()["detail"]
