"""JWT bearer authentication that also resolves the request's tenant and role.

The access token carries ``tenant_id``; the membership is re-read on every request, so removing a
member or deactivating a user or tenant takes effect on the next request, not when the token expires.
The same query tells whether the token's sign-in session (``sid``) was ended (signed out, or
refresh-token reuse): then the token is refused at once too. The membership must be the one the
session signed in with (``mid``): removing a member ends its sessions for good, an invitation back
included; a token without ``mid`` (minted before tokens carried it) is refused, its holder signs in
again. The tenant's session generation must be the one the token was minted in (``tgen``):
deactivating a tenant ends its sessions, activating it again brings none back. A token signed in with
a password the account no longer has (``pwd``, :func:`password_stamp`) is refused as well.
"""

from django.db.models import Subquery
from django.utils.crypto import constant_time_compare
from rest_framework import exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings

from core.request_context import set_log_context
from tenancy.models import EndedSession, Membership

TENANT_CLAIM = "tenant_id"
# The sign-in session a token belongs to: every refresh token minted by rotation, and every access
# token, carries the id of the session its sign-in started (tenancy.services.tokens_for).
SESSION_CLAIM = "sid"
# The account's password when the session signed in (:func:`password_stamp`): changing the
# password ends every session signed in before.
PASSWORD_CLAIM = "pwd"  # noqa: S105 - a claim name, not a password
# The membership the sign-in was made with: a member removed and later invited back has a new
# membership, and the tokens of the removed one (a session left on a lost laptop, a thief's copy)
# stay refused instead of coming back with it.
MEMBERSHIP_CLAIM = "mid"
# The tenant's ``session_generation`` when the session signed in: deactivating the tenant (or
# activating it again) moves it on, and the tokens of before stay refused once it is active again.
# A token minted before tokens carried it is of generation 0, the generation of every tenant that
# was never deactivated since.
TENANT_GENERATION_CLAIM = "tgen"
MEMBERSHIP_REVOKED = "You are no longer a member of this tenant: sign in again."
UNBOUND_SIGN_IN = (
    "This sign-in was made before tokens named the membership they sign in with (MigrateIQ was "
    "upgraded since): sign in again."
)
TENANT_DEACTIVATED_SINCE = "This tenant was deactivated after this sign-in: sign in again."
PASSWORD_CHANGED = (
    "The password of this account was changed (or the account deactivated) after this sign-in: sign in again."  # noqa: S105, E501
)
SESSION_ENDED = (
    "This sign-in session was ended because one of its refresh tokens was presented again after it "
    "had been used (a copy of it may be in someone else's hands): sign in again."
)
SESSION_SIGNED_OUT = "This sign-in session was signed out: sign in again."
# A refused token keeps Simple JWT's code, token_not_valid, that clients refresh on (the web UI
# does); its detail says which case it is (Simple JWT's "Given token not valid for any token type"
# said neither), and ``messages`` keeps each token class's own reason.
EXPIRED_ACCESS_MESSAGE = (
    "The access token has expired: get a new one with the refresh token (POST /api/auth/token/refresh/) "
    "or sign in again."
)
INVALID_ACCESS_MESSAGE = (
    "The access token is not valid (malformed, altered, not an access token, or not issued by this "
    "server): sign in again."
)


class SessionEndedError(exceptions.AuthenticationFailed):
    """401 for any token of an ended sign-in session, with ``code`` ``session_ended`` in the body and
    a ``detail`` that says why it ended (``EndedSession.Reason``)."""

    def __init__(self, reason: str = EndedSession.Reason.REFRESH_TOKEN_REUSED):
        detail = SESSION_SIGNED_OUT if reason == EndedSession.Reason.SIGNED_OUT else SESSION_ENDED
        super().__init__({"detail": detail, "code": "session_ended"})


def password_stamp(user) -> str:
    """What every token of a sign-in carries of ``user``'s password (``PASSWORD_CLAIM``,
    ``User.session_stamp``): it changes when the password is set, not when Django re-hashes the
    same password, and tells nothing about it (the token's payload is readable by its holder)."""
    return user.session_stamp()


def password_changed_since(token, user) -> bool:
    """Whether ``token`` was signed in with another password than ``user`` has now. A token minted
    before tokens carried the stamp has none: it is taken as current (an access token lives
    ``JWT_ACCESS_MINUTES``; a refresh token gets the stamp when it is rotated)."""
    stamp = token.get(PASSWORD_CLAIM)
    return stamp is not None and not constant_time_compare(str(stamp), password_stamp(user))


class PasswordChangedError(exceptions.AuthenticationFailed):
    """401 for any token signed in before the account's password was changed."""

    def __init__(self):
        super().__init__({"detail": PASSWORD_CHANGED, "code": "password_changed"})


def token_memberships(token, user_id):
    """The membership ``token`` signs in with, as a query (with its tenant): the user's membership of
    the token's tenant while the tenant is active, and only the one the sign-in was made with
    (``MEMBERSHIP_CLAIM``), so a member removed and invited back has none. Checked with
    :func:`check_token_membership` on what it finds; the request's authentication and the refresh
    both read it. A token without a tenant or a membership is refused here (401): every sign-in's
    tokens carry both, and one minted before tokens named the membership could otherwise stand for
    any later membership of its tenant."""
    tenant_id = token.get(TENANT_CLAIM)
    if tenant_id is None:
        raise exceptions.AuthenticationFailed("Token carries no tenant; sign in again.", code="no_tenant")
    membership_id = token.get(MEMBERSHIP_CLAIM)
    if membership_id is None:
        raise exceptions.AuthenticationFailed(UNBOUND_SIGN_IN, code="membership_revoked")
    return Membership.objects.select_related("tenant").filter(
        pk=membership_id, user_id=user_id, tenant_id=tenant_id, tenant__is_active=True
    )


def check_token_membership(token, membership) -> Membership:
    """``membership`` as :func:`token_memberships` found it for ``token``: none is a 401 (removed, or
    the tenant is inactive), and so is a tenant deactivated since the token was minted (its session
    generation moved on, ``TENANT_GENERATION_CLAIM``), even though it is active again."""
    if membership is None:
        raise exceptions.AuthenticationFailed(MEMBERSHIP_REVOKED, code="membership_revoked")
    if token.get(TENANT_GENERATION_CLAIM, 0) != membership.tenant.session_generation:
        raise exceptions.AuthenticationFailed(TENANT_DEACTIVATED_SINCE, code="tenant_deactivated")
    return membership


class TenantJWTAuthentication(JWTAuthentication):
    def get_validated_token(self, raw_token):
        """Simple JWT's check, with a 401 ``detail`` that says whether the token expired or is not
        valid at all (its ``code`` stays ``token_not_valid`` for both; an ended session is
        ``session_ended``, below)."""
        messages = []
        expired = False
        for token_class in api_settings.AUTH_TOKEN_CLASSES:
            try:
                return token_class(raw_token)
            except TokenError as exc:
                expired = expired or isinstance(exc, ExpiredTokenError)
                messages.append(
                    {
                        "token_class": token_class.__name__,
                        "token_type": token_class.token_type,
                        "message": exc.args[0],
                    }
                )
        detail = EXPIRED_ACCESS_MESSAGE if expired else INVALID_ACCESS_MESSAGE
        raise InvalidToken({"detail": detail, "messages": messages})

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        if password_changed_since(token, user):
            raise PasswordChangedError()
        memberships = token_memberships(token, user.pk)
        session = token.get(SESSION_CLAIM)
        if session is not None:
            ended = EndedSession.objects.filter(sid=session).values("reason")[:1]
            memberships = memberships.annotate(session_ended=Subquery(ended))
        membership = check_token_membership(token, memberships.first())
        ended_because = getattr(membership, "session_ended", None)
        if ended_because:
            raise SessionEndedError(ended_because)
        request.tenant = membership.tenant
        request.membership = membership
        # the plain Django request too, for middleware and logs
        request._request.tenant = membership.tenant
        request._request.membership = membership
        set_log_context(tenant=membership.tenant.slug, user=user.pk)
        return user, token
