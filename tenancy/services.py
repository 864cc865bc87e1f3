"""Tenant and membership operations shared by the API and the operator commands."""

import hashlib
import logging
import math
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import BlacklistMixin, RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from core import activity
from core.request_context import get_client_address
from tenancy.authentication import (
    MEMBERSHIP_CLAIM,
    PASSWORD_CLAIM,
    SESSION_CLAIM,
    TENANT_CLAIM,
    TENANT_GENERATION_CLAIM,
    password_stamp,
)
from tenancy.context import activate_tenant
from tenancy.models import EndedSession, Invitation, Membership, Role, Tenant
from tenancy.quotas import refuse_past_quota

User = get_user_model()
logger = logging.getLogger(__name__)


def tenant_by_slug(slug: str) -> Tenant:
    """The tenant called ``slug``; ``Tenant.DoesNotExist`` names the slug when there is none."""
    try:
        return Tenant.objects.get(slug=slug)
    except Tenant.DoesNotExist:
        raise Tenant.DoesNotExist(f"No tenant has the slug {slug!r}.") from None


def activate_tenant_by_slug(slug: str) -> Tenant:
    """Make the tenant called ``slug`` the active one (a shell session, a script); returns it.

    What ``tenancy.context.activate_tenant`` does with a ``Tenant`` in hand.
    """
    return activate_tenant(tenant_by_slug(slug))


class LastAdminError(ValidationError):
    """The change would leave the tenant without an admin."""

    def __init__(self):
        super().__init__("A tenant must keep at least one admin.")


class LoginError(Exception):
    """Sign-in refused; ``str(exc)`` is safe to show to the client. ``retry_after``: seconds, for
    a lockout."""

    def __init__(self, message: str, status_code: int = 401, retry_after: int | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after


def ensure_tenant(slug: str, name: str | None = None) -> tuple[Tenant, bool]:
    """Create the tenant, or update its name; returns (tenant, created)."""
    tenant = Tenant(slug=slug, name=name or slug)
    tenant.full_clean(validate_unique=False)
    tenant, created = Tenant.objects.get_or_create(slug=slug, defaults={"name": name or slug})
    if not created and name and tenant.name != name:
        tenant.name = name
        tenant.save(update_fields=["name", "updated_at"])
    return tenant, created


class ExistingAccountError(ValidationError):
    """An account with this email exists and is not a member of the tenant: adding it needs proof
    that it is the intended person's (its password, or the operator's explicit word).

    Anyone who can invite an email to their own tenant can create that email's account with a
    password of their choosing (MigrateIQ sends no mail), so an email alone never shows whose an
    existing account is. ``user`` is the account.
    """

    def __init__(self, message: str, *, user):
        super().__init__(message)
        self.user = user


@transaction.atomic
def ensure_member(
    tenant: Tenant,
    email: str,
    role: str,
    password: str | None = None,
    *,
    validate: bool = True,
    existing_account_is_theirs: bool = False,
    via: str = "createuser",
) -> tuple[Membership, bool, bool]:
    """Create the user if needed and give them ``role`` in ``tenant`` (operators: ``createuser``,
    ``seed_demo``).

    Returns (membership, user_created, membership_created). A password is required for a new user.
    An existing account that is not a member of ``tenant`` yet is added only with proof that it is
    the intended person's: ``password`` is its own password (left unchanged), or
    ``existing_account_is_theirs`` (the operator checked it; a ``password`` given then replaces its
    password); otherwise :class:`ExistingAccountError`. An existing member's role changes, and its
    password when one other than its own is given (recorded as ``user.password_changed``, ``via``
    the operator command). Raises :class:`LastAdminError` instead of demoting the tenant's last
    admin.
    """
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.")
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email).first()
    user_created = False
    if user is None:
        if not password:
            raise ValidationError(f"{email} has no account yet: a password is required to create it.")
        if validate:
            validate_password(password, User(email=email))
        user = User.objects.create_user(email=email, password=password)
        user_created = True
    else:
        is_member = Membership.objects.filter(user=user, tenant=tenant).exists()
        proven_by_password = not is_member and bool(password) and user.check_password(password)
        if not (is_member or proven_by_password or existing_account_is_theirs):
            raise ExistingAccountError(
                f"{user.email} already has an account, which is not a member of '{tenant.slug}': "
                "adding it needs its own password or the operator's word that it is theirs.",
                user=user,
            )
        # The password it has already is no change: setting it again would end every sign-in.
        if password and not proven_by_password and not (is_member and user.check_password(password)):
            if validate:
                validate_password(password, user)
            user.set_password(password)
            user.save(update_fields=["password", "password_stamp"])
            record_password_change(user, via=via)
    membership, membership_created = Membership.objects.get_or_create(
        user=user, tenant=tenant, defaults={"role": role}
    )
    if membership_created:
        _record_member("member.added", membership, actor=None)
    elif membership.role != role:
        change_member_role(membership, role, actor=None)
    return membership, user_created, membership_created


def _record_member(action: str, membership: Membership, *, actor, detail: dict | None = None) -> None:
    activity.record(
        action,
        tenant=membership.tenant_id,
        actor=actor,
        target_type="membership",
        target_id=membership.pk,
        detail={"email": membership.user.email, "role": membership.role, **(detail or {})},
    )


@transaction.atomic
def change_member_role(membership: Membership, role: str, *, actor) -> Membership:
    """Give ``membership`` the ``role``; raises :class:`LastAdminError` instead of demoting the
    tenant's last admin. ``actor``: who did it (``None``: an operator command)."""
    if membership.role == role:
        return membership
    _lock_admins_of(membership.tenant_id)
    # only an admin's change can leave no admin (a tenant left without one may still re-role others)
    if membership.role == Role.ADMIN and admins_left_after(membership, new_role=role) == 0:
        raise LastAdminError()
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    _record_member("member.role_changed", membership, actor=actor, detail={"previous_role": previous})
    return membership


@transaction.atomic
def remove_member(membership: Membership, *, actor) -> None:
    """Remove ``membership`` from its tenant; raises :class:`LastAdminError` for the last admin."""
    _lock_admins_of(membership.tenant_id)
    if membership.role == Role.ADMIN and admins_left_after(membership, removing=True) == 0:
        raise LastAdminError()
    _record_member("member.removed", membership, actor=actor)
    membership.delete()


def _lock_admins_of(tenant_id: int) -> None:
    """Lock the tenant's row until the transaction ends, so that changes of its members' roles
    count the admins left one after another: two at once (two admins demoting each other, one
    removing itself while demoting the other) each counted the other admin and left none."""
    list(Tenant.objects.select_for_update().filter(pk=tenant_id).values_list("pk"))


def members_of(tenant: Tenant):
    """The memberships of ``tenant``."""
    return Membership.objects.filter(tenant=tenant)


def admins_left_after(membership: Membership, *, new_role: str | None = None, removing: bool = False) -> int:
    others = (
        Membership.objects.filter(tenant=membership.tenant, role=Role.ADMIN).exclude(pk=membership.pk).count()
    )
    stays_admin = not removing and (new_role or membership.role) == Role.ADMIN
    return others + (1 if stays_admin else 0)


def issue_tokens(email: str, password: str, tenant_slug: str | None) -> dict:
    """Check credentials and membership; return ``{"access", "refresh"}`` carrying the tenant.

    Failed sign-ins are counted per account and address (see :class:`Lockout`); a locked account is
    refused with
    429 before its password is checked. The tenant's slug is matched in any case, as the email is
    (slugs are lower-case: "DEMO" is "demo").
    """
    tenant_slug = (tenant_slug or "").strip().lower() or None
    try:
        user = check_credentials(email, password)
    except LoginError as exc:
        _record_failed_sign_in(email, tenant_slug, exc)
        raise
    memberships = Membership.objects.select_related("tenant").filter(user=user, tenant__is_active=True)
    if tenant_slug:
        membership = memberships.filter(tenant__slug=tenant_slug).first()
        if membership is None:
            raise LoginError(f"You are not a member of tenant '{tenant_slug}'.", status_code=403)
    else:
        found = list(memberships[:2])
        if not found:
            raise LoginError("Your account is not a member of any active tenant.", status_code=403)
        if len(found) > 1:
            slugs = ", ".join(m.tenant.slug for m in memberships)
            raise LoginError(
                f"You belong to several tenants ({slugs}): say which with 'tenant'.", status_code=400
            )
        membership = found[0]
    try:
        tokens = tokens_for(user, membership.tenant)
    except Membership.DoesNotExist:  # removed, or the tenant deactivated, since the query above
        slug = membership.tenant.slug
        raise LoginError(f"You are not a member of tenant '{slug}'.", status_code=403) from None
    activity.record(
        "auth.signed_in", tenant=membership.tenant, actor=user, target_type="user", target_id=user.pk
    )
    return tokens


def _record_failed_sign_in(email: str, tenant_slug: str | None, exc: LoginError) -> None:
    """A refused sign-in of an existing account, reported to each tenant it belongs to (the one it
    named, if any). An unknown email belongs to no tenant: nothing is reported. The lookup runs for
    every refusal, so it costs the same query whether or not the email has an account."""
    memberships = Membership.objects.select_related("user").filter(
        user__email__iexact=(email or "").strip(), user__is_active=True, tenant__is_active=True
    )
    if tenant_slug:
        memberships = memberships.filter(tenant__slug=tenant_slug)
    reason = "locked" if exc.status_code == 429 else "invalid_credentials"
    for membership in memberships:
        activity.record(
            "auth.sign_in_failed",
            tenant=membership.tenant_id,
            actor=AnonymousUser(),  # whoever tried signed in to nothing: not the system
            target_type="user",
            target_id=membership.user_id,
            detail={"email": membership.user.email, "reason": reason},
        )


#: What a refresh token's row keeps of it: ``sha256:`` and the hex digest of the token's text.
STORED_TOKEN_PREFIX = "sha256:"  # noqa: S105 - the prefix of a digest, not a secret


def stored_token_text(token: str) -> str:
    """The text a refresh token's blacklist row keeps of it: a digest, which matches a token an
    operator holds (``OutstandingToken.token``) but, unlike the token, signs nobody in."""
    return STORED_TOKEN_PREFIX + hashlib.sha256(token.encode()).hexdigest()


class SessionRefreshToken(RefreshToken):
    """MigrateIQ's refresh token: Simple JWT's, whose blacklist row (``OutstandingToken``, one per
    sign-in and per rotation) keeps a digest of the token instead of the token. Simple JWT stores
    the whole token there, where anyone who reads the database (a backup, a replica, the admin's
    Outstanding tokens page) could take over every live session; the blacklist needs only the
    ``jti``. Every path that writes a row comes here: :meth:`for_user` (which leaves the row to
    :meth:`outstand`, once the session's claims are set), :meth:`outstand` and :meth:`blacklist`."""

    @classmethod
    def for_user(cls, user):
        # Simple JWT's BlacklistMixin.for_user would store the token, before its claims are set.
        return super(BlacklistMixin, cls).for_user(user)

    def outstand(self):
        user_id = self.payload.get(jwt_settings.USER_ID_CLAIM)
        return OutstandingToken.objects.get_or_create(
            jti=self.payload[jwt_settings.JTI_CLAIM],
            defaults={
                "user": User.objects.filter(**{jwt_settings.USER_ID_FIELD: user_id}).first(),
                "created_at": self.current_time,
                "token": stored_token_text(str(self)),
                "expires_at": datetime_from_epoch(self.payload["exp"]),
            },
        )

    def blacklist(self):
        outstanding, _ = self.outstand()
        return BlacklistedToken.objects.get_or_create(token=outstanding)


def tokens_for(user, tenant: Tenant) -> dict:
    """A new sign-in session of ``user`` in ``tenant``: its first access and refresh token, bound to
    ``user``'s membership of ``tenant`` (``MEMBERSHIP_CLAIM``) and to the tenant's session generation
    (``TENANT_GENERATION_CLAIM``), read together with the check that the tenant is active: a
    deactivation that comes between is one generation further, and ends this session too.
    ``Membership.DoesNotExist`` when ``user`` is no member of ``tenant`` or it is inactive."""
    membership = Membership.objects.select_related("tenant").get(
        user=user, tenant=tenant, tenant__is_active=True
    )
    refresh = SessionRefreshToken.for_user(user)
    refresh[TENANT_CLAIM] = tenant.pk
    refresh[MEMBERSHIP_CLAIM] = membership.pk
    refresh[TENANT_GENERATION_CLAIM] = membership.tenant.session_generation
    refresh["tenant"] = tenant.slug
    refresh[SESSION_CLAIM] = refresh[jwt_settings.JTI_CLAIM]
    refresh[PASSWORD_CLAIM] = password_stamp(user)
    refresh.outstand()
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def set_tenant_active(tenant: Tenant, active: bool, *, actor=None) -> bool:
    """Deactivate ``tenant`` (``active`` false: its members cannot sign in, and every token of it is
    refused from the next request) or activate it again; returns whether it changed.

    Each change moves the tenant's session generation on, in the same update, and every token
    carries the generation it was minted in (``tenancy.authentication``), so the sign-ins made before
    a deactivation stay ended when the tenant is activated again: a session left on a lost laptop,
    a leaver's or a thief's copy does not come back with the tenant. Its members sign in again.
    A deactivation also revokes the tenant's open invitations (``invitation.revoked``): their tokens
    are sign-ins not made yet, and one sent before (an admin role a thief invited itself to) must not
    be accepted once the tenant is active again. Recorded as ``tenant.deactivated`` /
    ``tenant.activated`` in the tenant's audit trail."""
    with transaction.atomic():
        changed = (
            Tenant.objects.filter(pk=tenant.pk)
            .exclude(is_active=active)
            .update(
                is_active=active, session_generation=F("session_generation") + 1, updated_at=timezone.now()
            )
        )
        if changed and not active:
            open_invitations = Invitation.objects.for_tenant(tenant).filter(
                accepted_at__isnull=True, revoked_at__isnull=True
            )
            for invitation in open_invitations:
                revoke_invitation(invitation, actor=actor)
    tenant.refresh_from_db(fields=["is_active", "session_generation", "updated_at"])
    if changed:
        action = "tenant.activated" if active else "tenant.deactivated"
        activity.record(action, tenant=tenant, actor=actor, target_type="tenant", target_id=tenant.pk)
        logger.info("%s: tenant %s; its sign-ins made before ended", action, tenant.slug)
    return bool(changed)


class RefreshTokenToRotate(SessionRefreshToken):
    """A refresh token presented to be rotated: signature, expiry and type are checked as always,
    the blacklist is left to :func:`rotate_refresh_token`, which tells the loser of a race from a
    reuse. Use it for nothing else."""

    def check_blacklist(self) -> None:
        return None


class RefreshTokenSpent(Exception):
    """The refresh token was spent a moment ago, by a concurrent request (the session goes on)."""


class SessionEnded(Exception):
    """The refresh token's sign-in session is ended: just now, because this token had been spent
    already (reuse), or before (``reason``: an ``EndedSession.Reason``)."""

    def __init__(self, reason: str = EndedSession.Reason.REFRESH_TOKEN_REUSED):
        super().__init__(reason)
        self.reason = reason


def session_of(token) -> str:
    """The id of the sign-in session ``token`` belongs to (its ``sid`` claim). A refresh token
    minted before sessions had ids starts a session named by its own ``jti`` when it is rotated."""
    return str(token.get(SESSION_CLAIM) or token[jwt_settings.JTI_CLAIM])


def rotate_refresh_token(refresh: SessionRefreshToken, user) -> dict:
    """A new access and refresh token of ``user``'s session for ``refresh``, which is spent
    (blacklisted) in the process.

    Spending is one insert that only one request can make: Simple JWT's own rotation checks the
    blacklist, then blacklists with a ``get_or_create``, so two requests presenting one refresh token
    at the same moment both passed and both minted a new pair (a stolen token raced against its
    owner's kept working).

    A token that was spent already is either the loser of such a race, when it comes within
    ``MIGRATEIQ_REFRESH_REUSE_GRACE_SECONDS`` of the spend (two tabs, a double submit, a retry of
    one client: :class:`RefreshTokenSpent`, and the winner's new pair stays valid), or reuse (OAuth
    2.0 Security BCP, RFC 9700 section 4.14.2): the token was copied, and whoever holds the
    session's newest token may be the thief or the owner, so the whole session is ended
    (:func:`end_session`) and :class:`SessionEnded` is raised. Only that session: the user's other
    sign-ins hold none of its tokens.
    """
    session = session_of(refresh)
    ended = EndedSession.objects.filter(sid=session).values_list("reason", flat=True).first()
    if ended is not None:
        raise SessionEnded(ended)
    refresh.outstand()  # its row, if the token has none yet
    outstanding = OutstandingToken.objects.get(jti=refresh[jwt_settings.JTI_CLAIM])
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError:
        spent = BlacklistedToken.objects.filter(token=outstanding)
        spent_at = spent.values_list("blacklisted_at", flat=True).first()
        grace = timedelta(seconds=settings.MIGRATEIQ_REFRESH_REUSE_GRACE_SECONDS)
        if spent_at is not None and timezone.now() - spent_at <= grace:
            raise RefreshTokenSpent from None
        end_session(user, session, tenant_id=refresh.get(TENANT_CLAIM))
        raise SessionEnded from None
    refresh[SESSION_CLAIM] = session
    access = str(refresh.access_token)
    refresh.set_jti()
    refresh.set_exp()
    refresh.set_iat()
    refresh.outstand()
    return {"access": access, "refresh": str(refresh)}


def end_session(user, session: str, *, tenant_id, reason=EndedSession.Reason.REFRESH_TOKEN_REUSED) -> None:
    """End sign-in session ``session`` of ``user``: its refresh tokens mint nothing more and its
    access tokens are refused from the next request on (:mod:`tenancy.authentication`). Reported to
    the session's tenant, once, as ``auth.signed_out`` (the user did it) or ``auth.session_ended``
    (reuse: the thief and the owner cannot be told apart, so no actor)."""
    _, ended_now = EndedSession.objects.get_or_create(sid=session, defaults={"user": user, "reason": reason})
    if not ended_now or tenant_id is None:
        return
    if reason == EndedSession.Reason.SIGNED_OUT:
        activity.record(
            "auth.signed_out", tenant=tenant_id, actor=user, target_type="user", target_id=user.pk
        )
        return
    activity.record(
        "auth.session_ended",
        tenant=tenant_id,
        target_type="user",
        target_id=user.pk,
        detail={"email": user.email, "reason": str(reason)},
    )


def purge_ended_sessions(*, now=None) -> int:
    """Delete the ended sessions no token can belong to any more; returns how many (the beat,
    hourly: ``tenancy.tasks.purge_ended_sessions``).

    Once a session is ended no token of it is minted, so its last refresh token expires within
    ``JWT_REFRESH_DAYS`` of the end (an access token sooner); an access token's lifetime more covers
    a rotation that raced the end. Past that, the row refuses nothing that expiry does not.
    """
    kept = jwt_settings.REFRESH_TOKEN_LIFETIME + jwt_settings.ACCESS_TOKEN_LIFETIME
    deleted, _ = EndedSession.objects.filter(ended_at__lt=(now or timezone.now()) - kept).delete()
    return deleted


def purge_expired_refresh_tokens(*, now=None) -> int:
    """Delete the rows of refresh tokens that have expired (Simple JWT's outstanding tokens, one per
    sign-in and per refresh, and with them their blacklist rows); returns how many tokens (the beat,
    hourly, with :func:`purge_ended_sessions`).

    An expired token is refused on its ``exp`` before any row is read, so its rows decide nothing.
    They are kept ``JWT_ACCESS_MINUTES`` past the expiry all the same: a request that checked the token
    just before it expired may still be on its way to :func:`rotate_refresh_token`, which would
    otherwise find no spend and outstand the token afresh.
    """
    expired_before = (now or timezone.now()) - jwt_settings.ACCESS_TOKEN_LIFETIME
    _, deleted = OutstandingToken.objects.filter(expires_at__lt=expired_before).delete()  # blacklist rows too
    return deleted.get(OutstandingToken._meta.label, 0)


@contextmanager
def reporting_password_change(user, *, actor=None, via: str) -> Iterator[None]:
    """Around an operator's password change of ``user`` (the Django admin's password forms,
    ``manage.py changepassword``): when the block set the password or made it unusable (the
    account's session stamp changed, so every sign-in made before ended: ``tenancy.authentication``),
    report it with :func:`record_password_change`. A form that was refused changes nothing and
    records nothing."""
    before = user.session_stamp()
    yield
    user.refresh_from_db(fields=["password", "password_stamp"])
    if user.session_stamp() != before:
        record_password_change(user, actor=actor, via=via)


def record_password_change(user, *, actor=None, via: str) -> None:
    """``user.password_changed`` (or ``user.password_unset``: the account can no longer sign in
    with a password) in every tenant ``user`` is a member of, by ``actor`` (``None``: an operator
    command), ``via`` the admin or the command: it ended every sign-in of the user there. It names
    the field and the account, never the password. The server log says it too (an account of no
    tenant has no trail)."""
    action = "user.password_changed" if user.has_usable_password() else "user.password_unset"
    tenant_ids = list(Membership.objects.filter(user=user).values_list("tenant_id", flat=True))
    for tenant_id in tenant_ids:
        activity.record(
            action,
            tenant=tenant_id,
            actor=actor,
            target_type="user",
            target_id=user.pk,
            fields=["password"],
            detail={"email": user.email, "via": via},
        )
    logger.info(
        "%s: user %s (%s tenant(s)) by %s via %s; its earlier sign-ins ended",
        action,
        user.pk,
        len(tenant_ids),
        f"user {actor.pk}" if getattr(actor, "pk", None) else "an operator command",
        via,
    )


def sign_out(refresh: SessionRefreshToken) -> None:
    """Sign out the sign-in session of ``refresh`` (a valid, unspent refresh token: its holder is
    the session's owner, or could have rotated it anyway). The token is revoked, and the session is
    ended (:func:`end_session`): the access tokens it minted are refused from the next request on,
    not only when they expire. A refresh token minted before sessions had ids ends no access token
    (they carry no ``sid``)."""
    refresh.blacklist()
    user_id = refresh.get(jwt_settings.USER_ID_CLAIM)
    user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: user_id}).first()
    if user is not None:
        signed_out = EndedSession.Reason.SIGNED_OUT
        end_session(user, session_of(refresh), tenant_id=refresh.get(TENANT_CLAIM), reason=signed_out)


def find_user_by_email(email: str):
    """The account the database considers equal to ``email`` (the comparison sign-in uses)."""
    return User.objects.filter(email__iexact=(email or "").strip()).first()


def check_credentials(email: str, password: str):
    """The active user whose email and password these are, or :class:`LoginError` (401, or 429 while
    the account is locked). The API sign-in and the admin sign-in go through here, and accepting an
    invitation uses the same :class:`Lockout`, so all of them count towards one lockout (per client
    address, and per account from every address)."""
    user = find_user_by_email(email)
    lockout = Lockout.for_account(user, email)
    lockout.check()
    if user is None:
        # Hash anyway: answering an unknown email faster than a wrong password would tell which
        # emails have accounts (Django's ModelBackend does the same).
        User().set_password(password or "")
        lockout.failed()
        raise LoginError("Invalid email or password.")
    if not user.check_password(password or "") or not user.is_active:
        lockout.failed()
        raise LoginError("Invalid email or password.")
    lockout.succeeded()
    return user


def database_casefold(text: str) -> str:
    """``text`` folded the way the database folds it for ``__iexact`` (``UPPER()`` on PostgreSQL,
    ASCII-only on SQLite): two spellings the user lookup treats as one get one value here. Python's
    ``lower()`` differs (PostgreSQL upper-cases the long s ``ſ`` to ``S``; Python lower-cases it to
    itself), which let a look-alike spelling reach the account under a fresh failure count."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT UPPER(%s)", [text])
        return cursor.fetchone()[0]


class Lockout:
    """Failed sign-ins of one account, in the shared cache (Redis in production), counted twice.

    * **From one address** (the client address the throttles and the audit trail use:
      ``REST_FRAMEWORK["NUM_PROXIES"]`` trusted proxies, ``core.request_context``):
      ``MIGRATEIQ_LOGIN_LOCKOUT_FAILURES`` failures within ``MIGRATEIQ_LOGIN_LOCKOUT_SECONDS`` lock
      the account *for that address* for that long. A stranger who knows an email locks it out of
      their own address only; its owner signs in from theirs.
    * **From every address**: ``MIGRATEIQ_LOGIN_ACCOUNT_LOCKOUT_FAILURES`` failures within the same
      window lock the account everywhere, against guessing spread over many addresses (each of
      which gets the per-address count's few guesses). A success does not clear this count: the
      owner signing in gives the guessers no fresh budget.

    The key is the user id when the email belongs to an account, so every spelling the database
    matches to that account shares its counts; an unknown email is keyed by its database case
    folding, so unknown emails are counted and locked the same way and a lockout tells nothing about
    which emails have accounts. A successful sign-in clears the count of its address. The keys hold
    hashes, not the email or the address. With the embedded default's local-memory cache each server
    process counts on its own.
    """

    @classmethod
    def for_account(cls, user, email: str) -> "Lockout":
        """The lockout of ``user`` (or of the unknown ``email``) for the current request's client."""
        if user is not None:
            identity = f"user:{user.pk}"
        else:
            identity = "email:" + database_casefold((email or "").strip())
        return cls(identity, get_client_address())

    def __init__(self, identity: str, address: str):
        self.seconds = settings.MIGRATEIQ_LOGIN_LOCKOUT_SECONDS
        self._from_here = _FailureCount(
            f"{identity}|from:{address}",
            settings.MIGRATEIQ_LOGIN_LOCKOUT_FAILURES,
            self.seconds,
            "Too many failed sign-ins for this account from your address.",
        )
        self._everywhere = _FailureCount(
            identity,
            settings.MIGRATEIQ_LOGIN_ACCOUNT_LOCKOUT_FAILURES,
            self.seconds,
            "Too many failed sign-ins for this account from many addresses.",
        )

    def check(self) -> None:
        """Raise :class:`LoginError` (429 with ``retry_after``) while either count locks."""
        self._from_here.check()
        self._everywhere.check()

    def failed(self) -> None:
        self._from_here.failed()
        self._everywhere.failed()

    def succeeded(self) -> None:
        self._from_here.clear()


class _FailureCount:
    """``limit`` failures within ``seconds`` lock for ``seconds``; 0 turns it off."""

    def __init__(self, identity: str, limit: int, seconds: int, message: str):
        digest = hashlib.sha256(identity.encode()).hexdigest()
        self.failures_key = f"login-failures:{digest}"
        self.locked_key = f"login-locked:{digest}"
        self.limit = limit
        self.seconds = seconds
        self.message = message

    def check(self) -> None:
        if self.limit <= 0:
            return
        until = cache.get(self.locked_key)
        if until is None:
            return
        wait = math.ceil(until - time.time())
        if wait > 0:
            raise LoginError(
                f"{self.message} Try again in {math.ceil(wait / 60)} minute(s).",
                status_code=429,
                retry_after=wait,
            )

    def failed(self) -> None:
        if self.limit <= 0:
            return
        cache.add(self.failures_key, 0, timeout=self.seconds)
        try:
            failures = cache.incr(self.failures_key)
        except ValueError:  # expired between add and incr
            cache.set(self.failures_key, 1, timeout=self.seconds)
            failures = 1
        if failures >= self.limit:
            cache.set(self.locked_key, time.time() + self.seconds, timeout=self.seconds)
            cache.delete(self.failures_key)

    def clear(self) -> None:
        if self.limit > 0:
            cache.delete(self.failures_key)


class InvitationError(ValidationError):
    """The invitation cannot be accepted; the message is safe to show (400)."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def pending_invitations():
    """Invitations that can still be accepted: not accepted, revoked or expired, and sent by an
    active account that is still an admin of the tenant. The token is shown only to the admin who
    invited; without the last condition an admin about to be demoted or removed could invite an
    address of their own as admin and take the role back afterwards."""
    inviter_is_admin = Membership.objects.filter(
        user=OuterRef("invited_by"), tenant=OuterRef("tenant"), role=Role.ADMIN, user__is_active=True
    )
    return Invitation.objects.filter(
        Exists(inviter_is_admin),
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    )


def create_invitation(tenant: Tenant, email: str, role: str, invited_by=None) -> tuple[Invitation, str]:
    """Invite ``email`` to ``tenant`` with ``role``; returns (invitation, token).

    The answer is the same whether or not the email has an account (nothing is looked up), so an
    admin learns nothing about other tenants' users. A newer invitation of the same email to the
    same tenant replaces the pending one. The token is returned once; only its hash is stored.
    """
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.")
    email = User.objects.normalize_email(email).lower()
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        pending_invitations().filter(tenant=tenant, email__iexact=email).update(revoked_at=now)
        invitation = Invitation.objects.create(
            tenant=tenant,
            email=email,
            role=role,
            token_hash=_token_hash(token),
            invited_by=invited_by,
            expires_at=now + timedelta(seconds=settings.MIGRATEIQ_INVITATION_TTL_SECONDS),
        )
        _record_invitation("invitation.created", invitation, actor=invited_by)
    return invitation, token


def _record_invitation(action: str, invitation: Invitation, *, actor) -> None:
    activity.record(
        action,
        tenant=invitation.tenant_id,
        actor=actor,
        target_type="invitation",
        target_id=invitation.pk,
        detail={"email": invitation.email, "role": invitation.role},
    )


def revoke_invitation(invitation: Invitation, *, actor=None) -> None:
    with transaction.atomic():
        revoked = Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if revoked:
            _record_invitation("invitation.revoked", invitation, actor=actor)


_INVALID_INVITATION = (
    "This invitation is not valid: it may have expired, been revoked or been used already, or whoever "
    "sent it is no longer an admin of the tenant."
)


def accept_invitation(token: str, password: str, name: str | None = None) -> dict:
    """Accept an invitation and sign in: returns the token pair for the invitation's tenant.

    An existing account with the invited email must give its own password: no account is attached
    to a tenant without its owner's consent. A new email gets an account with ``password`` (validated
    like any password) and ``name``. Raises :class:`InvitationError` for an unknown, expired, revoked
    or used token, :class:`LoginError` for a wrong password, ``ValidationError`` for a weak password.

    Whoever holds the token (the inviting admin too: no mail is sent) must not learn more than is
    unavoidable about whether the email has an account: see :func:`_invitee_account`.

    A tenant that already has ``MIGRATEIQ_TENANT_MAX_MEMBERS`` members takes no new one (a 409
    naming the limit; nothing changes, the invitation stays pending). Creating invitations keeps
    room for them, so this happens only when the operator lowered the limit or added members.
    """
    with transaction.atomic():
        invitation = (
            pending_invitations()
            .unscoped("the token is the invitation's secret: it names the invitation, whatever its tenant")
            .select_for_update()
            .select_related("tenant")
            .filter(token_hash=_token_hash(token or ""), tenant__is_active=True)
            .first()
        )
        if invitation is None:
            raise InvitationError(_INVALID_INVITATION)
        user = _invitee_account(invitation.email, password, name or "")
        if not members_of(invitation.tenant).filter(user=user).exists():
            refuse_past_quota("MIGRATEIQ_TENANT_MAX_MEMBERS", members_of(invitation.tenant), noun="members")
        membership, created = Membership.objects.get_or_create(
            user=user, tenant=invitation.tenant, defaults={"role": invitation.role}
        )
        if created:
            _record_member("member.added", membership, actor=user)
        elif membership.role != invitation.role:
            change_member_role(membership, invitation.role, actor=user)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
        _record_invitation("invitation.accepted", invitation, actor=user)
        try:
            return tokens_for(user, invitation.tenant)
        except Membership.DoesNotExist:  # the tenant was deactivated meanwhile: nothing is accepted
            raise InvitationError(_INVALID_INVITATION) from None


def _invitee_account(email: str, password: str, name: str):
    """The account that accepts an invitation to ``email`` with ``password``.

    An existing account must give its own password; a new email gets an account with ``password``.
    A refusal answers the same whether or not the email has an account: one password hash, the
    same lockout (its count is the account's, or the unknown email's, as for sign-in), and a weak
    password is the same 400 naming what is wrong with it, so a weak guess tells nothing. The one
    difference left is unavoidable while invitations are not mailed: a strong password creates the
    account of a new email (200) where an existing account refuses it (401).
    """
    user = find_user_by_email(email)
    lockout = Lockout.for_account(user, email)
    lockout.check()
    if user is not None and user.check_password(password or "") and user.is_active:
        lockout.succeeded()
        return user
    weak = _password_problems(password, User(email=email, full_name=name))
    if user is None and not weak:
        return User.objects.create_user(email=email, password=password, full_name=name)
    if user is None:
        User().set_password(password or "")  # the hash an existing account's check costs
    lockout.failed()
    if weak:
        raise ValidationError(weak)
    raise LoginError("Invalid email or password.")


def _password_problems(password: str, user) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return list(exc.messages)
    return []
