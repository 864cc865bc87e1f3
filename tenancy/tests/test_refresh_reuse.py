"""Refresh-token reuse ends the sign-in session (docs/security.md, O6; OAuth 2.0 Security BCP,
RFC 9700 section 4.14.2).

A refresh token is spent when it is rotated. Presented again later, it was copied: the thief and the
owner cannot be told apart, so the session it belongs to is ended, and the pair minted from it (the
newest refresh token and its access tokens) is refused too. Presented again within
``MIGRATEIQ_REFRESH_REUSE_GRACE_SECONDS`` of its spend, it is the loser of a race between two
requests of one client (two tabs, a double submit): refused, and the winner's pair stays valid.
"""

from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from tenancy.models import EndedSession, Role

TOKEN_URL = "/api/auth/token/"
REFRESH_URL = "/api/auth/token/refresh/"
ME_URL = "/api/auth/me/"


def sign_in(user, tenant="acme") -> dict:
    response = APIClient().post(
        TOKEN_URL, {"email": user.email, "password": "correct-horse-9", "tenant": tenant}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def refresh(token: str):
    return APIClient().post(REFRESH_URL, {"refresh": token}, format="json")


def me(access: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get(ME_URL)


def rotated(token: str) -> dict:
    response = refresh(token)
    assert response.status_code == 200, response.content
    return response.json()


def spent_long_ago(token: str) -> None:
    """As if ``token`` had been spent just over the grace period ago."""
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    moment = timezone.now() - timedelta(seconds=settings.MIGRATEIQ_REFRESH_REUSE_GRACE_SECONDS + 1)
    assert BlacklistedToken.objects.filter(token__jti=jti).update(blacklisted_at=moment) == 1


def assert_session_ended(response) -> None:
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "session_ended"
    assert "session was ended" in response.json()["detail"]
    assert "access" not in response.json()


def assert_session_works(pair: dict) -> None:
    assert me(pair["access"]).status_code == 200
    assert me(rotated(pair["refresh"])["access"]).status_code == 200


def test_a_spent_refresh_token_presented_again_ends_the_session_and_the_pair_minted_from_it(admin_user):
    first = sign_in(admin_user)
    second = rotated(first["refresh"])
    spent_long_ago(first["refresh"])

    replay = refresh(first["refresh"])

    assert_session_ended(replay)
    assert_session_ended(refresh(second["refresh"]))
    assert_session_ended(me(second["access"]))
    assert_session_ended(me(first["access"]))


def test_a_thief_who_spends_a_stolen_token_first_is_cut_off_when_its_owner_refreshes(admin_user):
    owners = sign_in(admin_user)
    thiefs = rotated(owners["refresh"])  # the copy is used first
    assert me(thiefs["access"]).status_code == 200
    spent_long_ago(owners["refresh"])

    assert_session_ended(refresh(owners["refresh"]))  # the owner's next refresh

    assert_session_ended(refresh(thiefs["refresh"]))
    assert_session_ended(me(thiefs["access"]))
    owner_again = sign_in(admin_user)  # the owner signs in again: a new session
    assert_session_works(owner_again)


def test_every_later_token_of_an_ended_session_is_refused(admin_user):
    first = sign_in(admin_user)
    second = rotated(first["refresh"])
    third = rotated(second["refresh"])
    spent_long_ago(first["refresh"])

    assert_session_ended(refresh(first["refresh"]))

    assert_session_ended(refresh(third["refresh"]))
    assert_session_ended(me(third["access"]))
    assert EndedSession.objects.get().user == admin_user


def test_reuse_ends_only_that_session_not_the_users_other_sign_ins(admin_user, tenant_b, make_member):
    make_member(tenant_b, Role.VIEWER, email=admin_user.email)
    copied = sign_in(admin_user)
    other_browser = sign_in(admin_user)
    other_tenant = sign_in(admin_user, tenant="globex")
    rotated(copied["refresh"])
    spent_long_ago(copied["refresh"])

    assert_session_ended(refresh(copied["refresh"]))

    assert_session_works(other_browser)
    assert_session_works(other_tenant)


def test_two_quick_refreshes_of_one_token_by_one_client_leave_the_session_working(admin_user):
    """A double submit, or a tab that refreshes with the token another tab has just rotated, before
    the new pair reached it (the web UI's tabs hand the pair over through a BroadcastChannel)."""
    first = sign_in(admin_user)

    winner = refresh(first["refresh"])
    loser = refresh(first["refresh"])

    assert winner.status_code == 200, winner.content
    assert loser.status_code == 401
    assert loser.json()["code"] == "token_not_valid"
    assert "used a moment ago by another request" in loser.json()["detail"]
    assert "access" not in loser.json()
    assert_session_works(winner.json())
    assert not EndedSession.objects.exists()


def test_the_loser_of_a_race_at_the_spend_does_not_end_the_winners_session(admin_user, monkeypatch):
    """The other request comes in after the first one checked the token and just before it spends
    it (A4): one new pair, and it keeps working."""
    first = sign_in(admin_user)
    manager = type(OutstandingToken.objects)
    get_or_create = manager.get_or_create
    racing: list = []

    def let_the_other_request_in_before_spending(self, *args, **kwargs):
        found = get_or_create(self, *args, **kwargs)
        if self.model is OutstandingToken and not racing:
            racing.append(None)
            racing[0] = refresh(first["refresh"])
        return found

    monkeypatch.setattr(manager, "get_or_create", let_the_other_request_in_before_spending)
    late = refresh(first["refresh"])
    monkeypatch.undo()

    (early,) = racing
    winner, loser = (early, late) if early.status_code == 200 else (late, early)
    assert (winner.status_code, loser.status_code) == (200, 401), (early.content, late.content)
    assert loser.json()["code"] == "token_not_valid"
    assert_session_works(winner.json())


@pytest.mark.parametrize("grace", [0, 3600])
def test_the_grace_period_is_a_setting(admin_user, settings, grace):
    settings.MIGRATEIQ_REFRESH_REUSE_GRACE_SECONDS = grace
    first = sign_in(admin_user)
    second = rotated(first["refresh"])

    again = refresh(first["refresh"])

    assert again.status_code == 401
    if grace:
        assert again.json()["code"] == "token_not_valid"
        assert_session_works(second)
    else:
        assert_session_ended(again)
        assert_session_ended(me(second["access"]))


# --- purging ended sessions -----------------------------------------------------------------------


def test_an_ended_session_is_purged_once_every_token_of_it_has_expired(admin_user):
    from tenancy.tasks import purge_ended_sessions

    first = sign_in(admin_user)
    second = rotated(first["refresh"])
    assert (
        APIClient().post("/api/auth/logout/", {"refresh": second["refresh"]}, format="json").status_code
        == 204
    )
    ended = EndedSession.objects.get()
    expiries = [
        jwt.decode(t, options={"verify_signature": False})["exp"] for t in [*first.values(), *second.values()]
    ]
    kept = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"] + settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
    assert max(expiries) < (ended.ended_at + kept).timestamp()  # nothing of it is valid past the purge

    EndedSession.objects.update(ended_at=timezone.now() - kept + timedelta(minutes=1))
    assert purge_ended_sessions() == 0
    assert me(second["access"]).status_code == 401  # still refused while the row is kept

    EndedSession.objects.update(ended_at=timezone.now() - kept - timedelta(seconds=1))
    assert purge_ended_sessions() == 1
    assert not EndedSession.objects.exists()


def test_a_newer_ended_session_is_kept_when_an_older_one_is_purged(admin_user):
    from tenancy.services import purge_ended_sessions

    old, recent = sign_in(admin_user), sign_in(admin_user)
    for pair in (old, recent):
        assert (
            APIClient().post("/api/auth/logout/", {"refresh": pair["refresh"]}, format="json").status_code
            == 204
        )
    kept = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"] + settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
    old_sid = jwt.decode(old["refresh"], options={"verify_signature": False})["sid"]
    EndedSession.objects.filter(sid=old_sid).update(ended_at=timezone.now() - kept - timedelta(seconds=1))

    assert purge_ended_sessions() == 1

    assert list(EndedSession.objects.values_list("sid", flat=True)) == [
        jwt.decode(recent["refresh"], options={"verify_signature": False})["sid"]
    ]
    assert me(recent["access"]).status_code == 401


def test_the_beat_purges_ended_sessions_every_hour():
    from migrateiq.celery import app as celery_app

    celery_app.loader.import_default_modules()  # what a worker and the beat do at start-up

    entry = celery_app.conf.beat_schedule["purge-ended-sessions"]
    assert entry["task"] == "tenancy.tasks.purge_ended_sessions"
    assert entry["schedule"] == 3600.0
    assert entry["task"] in celery_app.tasks


def jti_of(token: str) -> str:
    return jwt.decode(token, options={"verify_signature": False})["jti"]


def test_refresh_token_rows_are_purged_once_the_token_has_expired(admin_user):
    from tenancy.tasks import purge_ended_sessions

    first = sign_in(admin_user)
    second = rotated(first["refresh"])  # the first one spent: blacklisted
    signed_out = sign_in(admin_user)
    assert (
        APIClient().post("/api/auth/logout/", {"refresh": signed_out["refresh"]}, format="json").status_code
        == 204
    )
    assert (OutstandingToken.objects.count(), BlacklistedToken.objects.count()) == (3, 2)
    margin = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
    long_expired = timezone.now() - margin - timedelta(seconds=1)
    OutstandingToken.objects.filter(jti__in=[jti_of(first["refresh"]), jti_of(signed_out["refresh"])]).update(
        expires_at=long_expired
    )

    assert purge_ended_sessions() == 2  # the ended session is kept: its tokens could still be valid

    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == [jti_of(second["refresh"])]
    assert not BlacklistedToken.objects.exists()
    assert EndedSession.objects.count() == 1
    assert_session_works(second)


def test_a_refresh_token_row_is_kept_a_while_past_its_expiry(db):
    """A request that checked the token just before it expired may still be spending it."""
    from tenancy.services import purge_expired_refresh_tokens

    token = RefreshToken()
    token.outstand()
    expiry = OutstandingToken.objects.get().expires_at
    margin = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]

    assert purge_expired_refresh_tokens(now=expiry + timedelta(seconds=1)) == 0
    assert purge_expired_refresh_tokens(now=expiry + margin - timedelta(seconds=1)) == 0
    assert purge_expired_refresh_tokens(now=expiry + margin + timedelta(seconds=1)) == 1
    assert not OutstandingToken.objects.exists()


@pytest.mark.django_db
def test_the_purge_of_expired_refresh_tokens_finds_them_by_an_index():
    """Simple JWT's table gains a row for every sign-in and refresh: the hourly purge's query uses
    the index migration tenancy 0005 adds instead of reading every row."""
    from django.db import connection
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    query = OutstandingToken.objects.filter(expires_at__lt=timezone.now()).values("id").query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a near-empty table is scanned otherwise
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(column) for row in cursor.fetchall() for column in row)
    assert "tenancy_outstandingtoken_expires_at" in plan, plan
