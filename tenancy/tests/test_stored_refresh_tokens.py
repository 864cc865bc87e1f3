"""The database keeps no refresh token that signs anyone in: Simple JWT stores every outstanding
refresh token whole (``OutstandingToken.token``), so whoever read the database (a backup, a replica,
the admin's Outstanding tokens page) could take over every live session. Each row keeps the
token's digest; the blacklist, which reads only the ``jti``, works as before."""

import hashlib

from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import UntypedToken

TOKEN_URL = "/api/auth/token/"
REFRESH_URL = "/api/auth/token/refresh/"
LOGOUT_URL = "/api/auth/logout/"
PASSWORD = "correct-horse-9"
BEFORE = ("tenancy", "0006_names_refuse_control_characters")


def digest(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def test_no_row_holds_a_refresh_token_and_a_stored_text_signs_nobody_in(db, admin_user, tenant_a):
    client = APIClient()
    signed_in = client.post(TOKEN_URL, {"email": admin_user.email, "password": PASSWORD}, format="json")
    assert signed_in.status_code == 200, signed_in.content
    rotated = client.post(REFRESH_URL, {"refresh": signed_in.json()["refresh"]}, format="json")
    assert rotated.status_code == 200, rotated.content
    other = client.post(TOKEN_URL, {"email": admin_user.email, "password": PASSWORD}, format="json").json()
    assert client.post(LOGOUT_URL, {"refresh": other["refresh"]}, format="json").status_code == 204
    issued = [signed_in.json()["refresh"], rotated.json()["refresh"], other["refresh"]]

    stored = list(OutstandingToken.objects.order_by("id").values_list("token", flat=True))
    assert stored == [digest(token) for token in issued]  # one row a token, each its digest
    for text in stored:
        refused = client.post(REFRESH_URL, {"refresh": text}, format="json")
        assert refused.status_code == 401
    # the blacklist still works: the spent and the signed-out tokens are refused, the newest is not
    assert BlacklistedToken.objects.count() == 2
    assert client.post(REFRESH_URL, {"refresh": other["refresh"]}, format="json").status_code == 401
    assert client.post(REFRESH_URL, {"refresh": rotated.json()["refresh"]}, format="json").status_code == 200


def test_refresh_tokens_stored_whole_before_are_replaced_by_their_digest_and_keep_working(
    migrate_to, admin_user, tenant_a
):
    client = APIClient()
    live = client.post(TOKEN_URL, {"email": admin_user.email, "password": PASSWORD}, format="json").json()
    spent = client.post(TOKEN_URL, {"email": admin_user.email, "password": PASSWORD}, format="json").json()
    assert client.post(REFRESH_URL, {"refresh": spent["refresh"]}, format="json").status_code == 200
    old = migrate_to([BEFORE])
    # as Simple JWT stored them before: the token itself
    rows = old.get_model("token_blacklist", "OutstandingToken").objects
    for token in (live["refresh"], spent["refresh"]):
        rows.filter(jti=UntypedToken(token, verify=False)["jti"]).update(token=token)

    migrate_to()

    texts = set(OutstandingToken.objects.values_list("token", flat=True))
    assert live["refresh"] not in texts and spent["refresh"] not in texts
    assert {digest(live["refresh"]), digest(spent["refresh"])} <= texts
    assert all(text.startswith("sha256:") for text in texts)
    assert client.post(REFRESH_URL, {"refresh": live["refresh"]}, format="json").status_code == 200
    assert client.post(REFRESH_URL, {"refresh": spent["refresh"]}, format="json").status_code == 401
